"""The demo's building blocks in-process, checked against real PyTorch (the oracle)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch_oracle import torch

from glassgrad.demo import DATASETS, OPTIMIZERS
from glassgrad.demo.lessons import (
    X,
    Y,
    case1_numpy,
    case2_autograd,
    case3_loss_optim,
    case4_linear,
    corrected_gradient,
    lesson_gradient,
    run_lessons,
    seed_graph,
)
from glassgrad.demo.progress import Progress
from glassgrad.demo.race import OPTIMIZERS as RACERS
from glassgrad.demo.race import PROBLEMS, run_race


@pytest.mark.parametrize("w", [0.0, 0.7, 2.0, -3.5])
def test_lesson_gradient_is_n_times_the_true_one(w):
    x = np.asarray(X, dtype=np.float32)
    y = np.asarray(Y, dtype=np.float32)
    assert lesson_gradient(x, y, w * x) == pytest.approx(4 * corrected_gradient(x, y, w * x))


def _torch_trajectory(lr: float, epochs: int) -> list[float]:
    xt = torch.tensor(X)
    yt = torch.tensor(Y)
    w = torch.tensor(0.0, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    out = []
    for _ in range(epochs):
        torch.nn.MSELoss()(w * xt, yt).backward()
        optimizer.step()
        optimizer.zero_grad()
        out.append(w.item())
    return out


@pytest.mark.parametrize("lr", [0.01, 0.005])
def test_cases_match_pytorch_step_by_step(lr):
    expected = _torch_trajectory(lr, 20)
    for rows in (case2_autograd(lr, 20), case3_loss_optim(lr, 20)):
        assert [r["w"] for r in rows] == expected
    corrected = case1_numpy(lr, 20, gradient=corrected_gradient)
    assert [r["w"] for r in corrected] == pytest.approx(expected, rel=1e-6)
    lesson = case1_numpy(lr, 20)
    assert lesson[0]["w"] == pytest.approx(120 * lr)


def test_case4_learns_w_and_a_bias():
    rows = case4_linear(0.01, 40, seed=0)
    assert set(rows[0]) == {"epoch", "w", "b", "loss", "grad"}
    assert rows[-1]["loss"] < rows[0]["loss"]


def test_run_lessons_flags_the_factor_and_passes_the_fix():
    lessons = run_lessons(0.01, 20, seed=0)
    assert lessons["check_lesson"]["ok"] is False
    assert lessons["check_lesson"]["ratio"] == pytest.approx(4.0)
    assert lessons["check_lesson"]["hand"][0] == pytest.approx(-120.0)
    assert lessons["check_lesson"]["autograd"][0] == pytest.approx(-30.0)
    assert lessons["check_corrected"]["ok"] is True
    assert lessons["corrected_cases_agree"] is True


def test_seed_graph_matches_pytorch():
    loss, leaves = seed_graph()
    assert loss.item() == 1.0 and leaves["w"].grad.item() == -2.0


def test_racer_and_problem_names_match_the_cli_choices():
    assert tuple(RACERS) == OPTIMIZERS and tuple(PROBLEMS) == DATASETS
    for problem in PROBLEMS.values():
        assert set(problem.learning_rates) == set(OPTIMIZERS)


def _torch_rosenbrock(name: str, lr: float, steps: int) -> list[list[float]]:
    _, class_name, kwargs = RACERS[name]
    point = torch.tensor([-1.5, 2.0], requires_grad=True)
    optimizer = getattr(torch.optim, class_name)([point], lr=lr, **kwargs)
    path = [point.tolist()]
    for _ in range(steps):
        optimizer.zero_grad()
        x, y = point[0], point[1]
        ((1 - x) ** 2 + 100 * (y - x**2) ** 2).backward()
        optimizer.step()
        path.append(point.tolist())
    return path


def test_rosenbrock_race_follows_pytorchs_trajectories():
    race = run_race("rosenbrock", list(OPTIMIZERS), 25, None, 0, Progress(enabled=False))
    for name, racer in race["racers"].items():
        expected = _torch_rosenbrock(name, racer["lr"], 25)
        got = racer["trajectory"]
        assert np.allclose(got, expected, rtol=1e-4, atol=1e-5), name
        assert racer["settings"] == RACERS[name][2]


@pytest.mark.parametrize("problem", ["line", "diabetes", "iris"])
def test_every_racer_reduces_the_loss(problem):
    race = run_race(problem, list(OPTIMIZERS), 40, None, 0, Progress(enabled=False))
    for racer in race["racers"].values():
        assert all(math.isfinite(v) for v in racer["losses"])
        assert racer["losses"][-1] < racer["losses"][0]
