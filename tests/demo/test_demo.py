"""``glassgrad demo`` end to end: run as a subprocess, then read results.json like a user."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import glassgrad
from glassgrad.demo import DATASETS, OPTIMIZERS
from glassgrad.viz.report import SECTIONS

SRC = os.path.dirname(os.path.dirname(os.path.abspath(glassgrad.__file__)))
# the subprocess imports the glassgrad under test (this tree's), not an installed copy
ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
}
SHORT_STEPS = "200"


def demo(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glassgrad", "demo", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


@pytest.fixture(scope="module")
def short_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One demo with every section and a shorter race, shared by the tests below."""
    cwd = tmp_path_factory.mktemp("demo")
    proc = demo("--steps", SHORT_STEPS, "--out", "report", cwd=cwd)
    return proc, cwd / "report"


@pytest.fixture(scope="module")
def results(short_run) -> dict:
    proc, out = short_run
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _all_finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return True


def test_writes_every_section_and_prints_the_path(short_run, results):
    proc, out = short_run
    assert proc.stdout.strip().splitlines()[-1] == f"Report written to {out / 'index.html'}"
    page = (out / "index.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in page
    for problem in DATASETS:
        assert f'id="race-{problem}"' in page
    for src in ("lessons.svg", "graph.svg", "rosenbrock-paths.svg", "race-iris.svg"):
        assert f'src="{src}"' in page and (out / src).stat().st_size > 1000
    assert set(results) == {"meta", "lessons", "graph", "race"}
    assert set(results["race"]) == set(DATASETS)
    for race in results["race"].values():
        assert set(race["racers"]) == set(OPTIMIZERS)
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(".report")]


def test_no_progress_bars_or_escapes_when_not_a_tty(short_run):
    proc, _ = short_run
    assert "\x1b[" not in proc.stdout + proc.stderr
    assert proc.stderr == ""


def test_lesson_gradient_is_four_times_autograds(results):
    lessons = results["lessons"]
    assert lessons["first_step_ratio"] == pytest.approx(4.0)
    assert lessons["case1_lesson"][0]["w"] == pytest.approx(1.2)
    assert lessons["case2_autograd"][0]["w"] == pytest.approx(0.3)
    assert "4.00×" in lessons["check_lesson"]["text"]


def test_corrected_cases_1_to_3_agree_step_by_step(results):
    lessons = results["lessons"]
    assert lessons["max_w_gap_corrected_vs_case2"] < 1e-5
    assert lessons["max_w_gap_case2_vs_case3"] < 1e-6
    for a, b, c in zip(
        lessons["case1_corrected"], lessons["case2_autograd"], lessons["case3_loss_optim"]
    ):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5) == c["loss"]
    assert lessons["max_w_gap_lesson_vs_case2"] > 0.5
    assert lessons["corrected_cases_agree"] is True


def test_seed_graph_gradient_is_minus_two(results):
    graph = results["graph"]
    assert graph["loss"] == 1.0
    assert graph["w_grad"] == -2.0 == graph["explained_value"]
    assert "MulBackward0" in graph["dot"] and "PowBackward0" in graph["dot"]


def test_race_numbers_are_finite(results):
    assert _all_finite(results)
    for race in results["race"].values():
        for racer in race["racers"].values():
            assert racer["final_loss"] is not None and not racer["diverged"]
            assert len(racer["losses"]) == len(racer["loss_steps"]) > 0
            assert racer["wall_time_s"] > 0


def test_adam_beats_plain_sgd_on_rosenbrock_at_equal_steps(results):
    racers = results["race"]["rosenbrock"]["racers"]
    assert len(racers["adam"]["losses"]) == len(racers["sgd"]["losses"])
    assert racers["adam"]["final_loss"] < racers["sgd"]["final_loss"]


def test_iris_classifier_learns(results):
    for racer in results["race"]["iris"]["racers"].values():
        assert racer["train_accuracy"] > 0.8
