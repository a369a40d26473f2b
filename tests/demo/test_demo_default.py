"""``glassgrad demo`` with no options at all, exactly as the README tells a new user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from glassgrad.demo import DATASETS, DEFAULT_STEPS, OPTIMIZERS


def test_default_demo_writes_the_full_report(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "glassgrad", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "glassgrad-report"
    assert proc.stdout.rstrip().endswith(f"Report written to {out / 'index.html'}")
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["meta"]["steps"] == DEFAULT_STEPS
    assert list(results["race"]) == list(DATASETS)
    rosenbrock = results["race"]["rosenbrock"]["racers"]
    assert list(rosenbrock) == list(OPTIMIZERS)
    assert rosenbrock["adam"]["final_loss"] < rosenbrock["sgd"]["final_loss"]
    assert rosenbrock["adam"]["steps_to_target"] is not None
    assert abs(results["lessons"]["check_lesson"]["ratio"] - 4.0) < 1e-6
    assert results["lessons"]["check_corrected"]["ok"] is True
    for race in results["race"].values():
        for racer in race["racers"].values():
            assert racer["final_loss"] is not None
