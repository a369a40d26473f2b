"""``glassgrad demo`` end to end: run as a subprocess, then read results.json like a user."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glassgrad.demo import DATASETS, OPTIMIZERS
from glassgrad.viz.report import SECTIONS

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}
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
