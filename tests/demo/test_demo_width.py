"""The demo's terminal output fits 80 columns, and uses a wider terminal when it has one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import glassgrad

SRC = os.path.dirname(os.path.dirname(os.path.abspath(glassgrad.__file__)))


def _demo_lines(columns: int, tmp_path) -> list[str]:
    env = {
        **os.environ,
        "COLUMNS": str(columns),
        "OMP_NUM_THREADS": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
    }
    args = ["demo", "--no-report", "--steps", "20", "--datasets", "rosenbrock,iris"]
    proc = subprocess.run(
        [sys.executable, "-m", "glassgrad", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize("columns", [80, 132])
def test_every_line_fits_the_terminal(columns, tmp_path):
    lines = _demo_lines(columns, tmp_path)
    too_long = [line for line in lines if len(line) > columns]
    assert not too_long, "\n".join(too_long)
    text = "\n".join(lines)
    assert "autograd's w.grad = -2" in text and "Adam" in text
    if columns == 80:
        assert "epoch | w      loss" in text  # the narrow table
    else:
        assert "w=1.200, loss=30.000" in text and "steps to target" in text
