"""The report's step-through in headless Chromium: at step k the page shows results.json's
numbers for step k (the graph's values and gradients, the update, the loss-curve point)."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from headless_chromium import needs_chromium, run_chromium

import glassgrad

pytestmark = needs_chromium
SRC = os.path.dirname(os.path.dirname(os.path.abspath(glassgrad.__file__)))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    cwd = tmp_path_factory.mktemp("stepper")
    args = ["demo", "--steps", "5", "--optimizers", "sgd", "--datasets", "line", "--out", "r"]
    proc = subprocess.run(
        [sys.executable, "-m", "glassgrad", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": SRC},
    )
    assert proc.returncode == 0, proc.stderr
    return cwd / "r"


def _shown(report: Path, step: int) -> dict:
    """The text of every step-through element in the page opened at ``#step=<step>``."""
    page = (report / "index.html").as_uri() + f"#step={step}"
    proc = run_chromium("--dump-dom", page, profile=report / "profile")
    found = re.findall(
        r'<(?:text|pre|b) id="((?:node|stepper)-[a-z-]+)"[^>]*>(.*?)</', proc.stdout, re.S
    )
    shown = {key: html.unescape(value) for key, value in found}
    shown["data-step"] = re.search(r'id="stepthrough" data-step="(\d*)"', proc.stdout).group(1)
    dot = re.search(r'<circle id="stepper-dot"[^>]*cx="([^"]+)" cy="([^"]+)"', proc.stdout)
    shown["dot"] = (float(dot.group(1)), float(dot.group(2)))
    return shown


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text.replace("−", "-"))]


@pytest.mark.parametrize("step", [1, 7, 20])
def test_the_slider_shows_the_steps_numbers(report, step):
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    expected = results["lessons"]["walkthrough"][step - 1]
    shown = _shown(report, step)
    assert shown["data-step"] == str(step) and shown["stepper-k"] == str(step)
    checks = {
        "node-w": [expected["w"]],
        "node-w-grad": [expected["grad_w"]],
        "node-yhat": expected["y_hat"],
        "node-yhat-grad": expected["grad_y_hat"],
        "node-s": expected["s"],
        "node-s-grad": expected["grad_s"],
        "node-loss": [expected["loss"]],
        "stepper-w-after": [expected["w_after"]],
    }
    for key, values in checks.items():
        assert _numbers(shown[key])[-len(values) :] == pytest.approx(values, rel=1e-3, abs=1e-4)
    assert shown["stepper-explanation"] == expected["explanation"]
    assert shown["stepper-update"] == expected["update"]


def test_the_loss_point_moves_down_the_curve(report):
    first, later = _shown(report, 1)["dot"], _shown(report, 20)["dot"]
    assert later[0] > first[0] and later[1] > first[1]  # right and lower (SVG y grows down)
