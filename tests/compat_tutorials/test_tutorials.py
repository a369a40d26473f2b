"""PyTorch-tutorial-style programs print the same under glassgrad as under real PyTorch.

Each program in ``programs/`` (tensor basics, autograd, the cubic fit to sin(x), building,
training, saving and loading models) runs twice -- with real torch, and with ``torch``
served by glassgrad -- and the two stdouts must be equal line for line once memory
addresses (``0x...``) are masked; seeded random draws included (glassgrad reproduces
PyTorch's CPU random stream).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROGRAMS = sorted((HERE / "programs").glob("*.py"))
SRC = HERE.parents[1] / "src"
DRIVER = HERE.parent / "compat" / "_driver.py"  # shared with the training-loop sweep
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def _start(backend: str) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(DRIVER), backend, *map(str, PROGRAMS)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


@pytest.fixture(scope="module")
def outputs() -> dict:
    """{backend: {program file name: {"stdout", "error"}}}; the two backends run in parallel."""
    pytest.importorskip("torch", reason="real PyTorch is the oracle for these programs")
    procs = {backend: _start(backend) for backend in ("torch", "glassgrad")}
    results = {}
    for backend, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"the {backend} driver crashed:\n{err}"
        results[backend] = json.loads(out)
    return results


def _lines(text: str) -> list[str]:
    return ADDRESS.sub("0x", text).splitlines()


def test_programs_found():
    assert len(PROGRAMS) >= 25


def test_address_masking():
    assert _lines("<PowBackward0 object at 0x7f3a2b>\n") == ["<PowBackward0 object at 0x>"]


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_prints_like_torch(path: Path, outputs: dict):
    expected = outputs["torch"][path.name]
    got = outputs["glassgrad"][path.name]
    assert expected["error"] is None, f"the program itself fails under torch: {expected['error']}"
    assert got["error"] is None, f"glassgrad raised {got['error']}"
    assert _lines(got["stdout"]) == _lines(expected["stdout"])
