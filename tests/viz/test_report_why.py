"""The report says why: 4× gradient = 4× learning rate, the bound lr < 2/λ, and its figures."""

import math

import pytest

from glassgrad.demo.lessons import run_lessons
from glassgrad.viz import report


@pytest.fixture(scope="module")
def lessons():
    return run_lessons(0.01, 20, 0)


def test_the_stability_bound_of_the_lesson_quadratic(lessons):
    stability = lessons["stability"]
    assert stability["curvature"] == 15.0  # 2/N Σ x² = 2·30/4
    assert stability["lr_bound"] == pytest.approx(2 / 15)
    runs = stability["runs"]
    assert abs(runs["just under 2/λ"]["rows"][-1]["w"] - 2) < 1
    assert abs(runs["just over 2/λ"]["rows"][-1]["w"] - 2) > 10  # diverges
    lesson = runs["4× lr (the lesson's gradient)"]["rows"]
    assert [r["w"] for r in lesson] == [r["w"] for r in lessons["case1_lesson"]]


def test_why_section_names_the_learning_rate_and_the_bound(lessons):
    page = report._why_html(lessons)
    assert "A gradient 4× too large is exactly a 4× learning rate" in page
    assert "lr &lt; 2/λ_max = 2/15 = 0.1333" in page
    assert "diverges" in page and 'src="stability.svg"' in page


def test_iris_highlights_the_best_test_accuracy_not_the_lowest_loss():
    racers = [
        {"final_loss": 0.03, "test_accuracy": 0.933},
        {"final_loss": 0.05, "test_accuracy": 0.967},
        {"final_loss": 0.04, "test_accuracy": 0.967},
        {"final_loss": None, "test_accuracy": 1.0},
    ]
    assert report._best(racers, by_accuracy=True) == (2, "best test accuracy")
    assert report._best(racers, by_accuracy=False) == (0, "lowest final loss")


def test_log_plots_keep_a_zero_loss_on_the_axis(lessons):
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    from glassgrad.viz import plots

    assert plots._log_floor([[1.0, 0.0, 1e-6], [math.nan]]) == pytest.approx(1e-7)
    assert "loss 0 (exact) drawn here" in plots.lesson_figure(lessons)
    assert "Converges only for lr" in plots.stability_figure(lessons["stability"])


def test_rosenbrock_panels_hold_every_path():
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    from glassgrad.viz import plots

    x0, x1, y0, y1 = plots.path_view([[(-1.5, 2.0), (2.6, 4.5)], [(-3.0, -0.5)]])
    assert x0 < -3.0 and x1 > 2.6 and y0 < -1.0 and y1 > 4.5
    assert plots.path_view([[(0.0, 0.0)]]) == pytest.approx((-2.2, 2.2, -1.2, 3.2))
