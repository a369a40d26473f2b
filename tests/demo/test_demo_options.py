"""``glassgrad demo`` options, --no-report, and Ctrl-C during a run (as subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}


def demo(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glassgrad", "demo", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


def test_no_report_writes_nothing(tmp_path: Path):
    proc = demo("--no-report", "--quiet", "--steps", "5", "--datasets", "line", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "== 1. The four lessons" in proc.stdout and "Report written" not in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_options_select_racers_problems_lr_and_seed(tmp_path: Path):
    proc = demo(
        "--steps", "20", "--optimizers", "adam,sgd", "--datasets", "line,diabetes",
        "--lr", "0.05", "--seed", "3", "--out", "r", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert list(results["race"]) == ["line", "diabetes"]
    for race in results["race"].values():
        assert list(race["racers"]) == ["adam", "sgd"]
        assert {r["lr"] for r in race["racers"].values()} == {0.05}
        assert all(len(r["losses"]) == 20 for r in race["racers"].values())
    assert results["meta"]["seed"] == 3 and results["lessons"]["lr"] == 0.05


def test_interrupt_leaves_the_previous_report_untouched(tmp_path: Path):
    first = demo("--steps", "5", "--datasets", "line", "--out", "r", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "r" / "results.json").read_text(encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassgrad", "demo", "--steps", "100000", "--out", "r"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    deadline = time.monotonic() + 60
    while "== 3." not in (line := proc.stdout.readline()) and time.monotonic() < deadline:
        assert line or proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "glassgrad demo: interrupted"
    assert (tmp_path / "r" / "results.json").read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_diverging_learning_rate_is_reported_not_crashed(tmp_path: Path):
    proc = demo(
        "--lr", "5", "--steps", "30", "--datasets", "rosenbrock", "--optimizers", "sgd,adam",
        "--out", "r", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr
    results = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    sgd = results["race"]["rosenbrock"]["racers"]["sgd"]
    assert sgd["diverged"] is True and sgd["final_loss"] is None
    assert "diverged" in (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
