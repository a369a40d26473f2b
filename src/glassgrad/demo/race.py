"""The optimizer race: seven optimizers, four problems, equal steps, same start.

Problems: the Rosenbrock valley (2-D, ill-conditioned; trajectories are recorded), the lab
problem y = 3x + 2 (learn w and b), the diabetes regression set (linear model, full batch)
and Iris classification (a small MLP, CrossEntropyLoss, DataLoader mini-batches).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import glassgrad
from glassgrad import nn
from glassgrad.datasets import load_diabetes, load_iris
from glassgrad.utils.data import DataLoader, TensorDataset

__all__ = ["OPTIMIZERS", "PROBLEMS", "make_optimizer", "run_race"]

# name -> (label, optim class name, fixed keyword arguments)
OPTIMIZERS: dict[str, tuple[str, str, dict]] = {
    "sgd": ("SGD", "SGD", {}),
    "momentum": ("SGD + momentum", "SGD", {"momentum": 0.9}),
    "nesterov": ("Nesterov", "SGD", {"momentum": 0.9, "nesterov": True}),
    "rmsprop": ("RMSprop", "RMSprop", {}),
    "adagrad": ("Adagrad", "Adagrad", {}),
    "adam": ("Adam", "Adam", {}),
    "adamw": ("AdamW", "AdamW", {"weight_decay": 0.01}),
}


@dataclass(frozen=True)
class Problem:
    """One race track: its default learning rates, target loss and how to run a step."""

    name: str
    title: str
    target: float  # "steps to target" counts steps until the loss first reaches this
    learning_rates: dict[str, float]


PROBLEMS: dict[str, Problem] = {
    "rosenbrock": Problem(
        "rosenbrock",
        "Rosenbrock valley f(x, y) = (1 - x)² + 100 (y - x²)², start (-1.5, 2)",
        target=0.05,
        learning_rates={
            "sgd": 1.5e-3,
            "momentum": 5e-4,
            "nesterov": 5e-4,
            "rmsprop": 1e-2,
            "adagrad": 1.0,
            "adam": 0.1,
            "adamw": 0.1,
        },
    ),
    "line": Problem(
        "line",
        "Line y = 3x + 2: learn w and b by MSE (32 points on [-2, 2])",
        target=1e-3,
        learning_rates={
            "sgd": 0.05,
            "momentum": 0.02,
            "nesterov": 0.02,
            "rmsprop": 0.02,
            "adagrad": 0.5,
            "adam": 0.05,
            "adamw": 0.05,
        },
    ),
    "diabetes": Problem(
        "diabetes",
        "Diabetes (442 × 10): linear regression, MSE on standardized data, full batch",
        target=0.5,
        learning_rates={
            "sgd": 0.1,
            "momentum": 0.02,
            "nesterov": 0.02,
            "rmsprop": 0.005,
            "adagrad": 0.1,
            "adam": 0.02,
            "adamw": 0.02,
        },
    ),
    "iris": Problem(
        "iris",
        "Iris (150 × 4, 3 classes): MLP 4-16-3, CrossEntropyLoss, mini-batches of 16",
        target=0.1,
        learning_rates={
            "sgd": 0.1,
            "momentum": 0.02,
            "nesterov": 0.02,
            "rmsprop": 0.005,
            "adagrad": 0.1,
            "adam": 0.01,
            "adamw": 0.01,
        },
    ),
}


def make_optimizer(name: str, params, lr: float):
    """``glassgrad.optim.<Class>(params, lr=lr, **fixed kwargs)`` for a racer's short name."""
    _, class_name, kwargs = OPTIMIZERS[name]
    return getattr(glassgrad.optim, class_name)(params, lr=lr, **kwargs)


def _steps_to(losses: list[float], target: float, steps: list[int]) -> int | None:
    for step, loss in zip(steps, losses):
        if loss <= target:
            return step
    return None


def _finite(value: float) -> float | None:
    """JSON has no NaN/inf: a diverged loss is recorded as None."""
    return value if math.isfinite(value) else None


# ----------------------------------------------------------------------------- tracks


def _rosenbrock(name: str, lr: float, steps: int, seed: int, advance) -> dict:
    point = glassgrad.tensor([-1.5, 2.0], requires_grad=True)
    optimizer = make_optimizer(name, [point], lr)
    losses, path = [], [point.tolist()]
    for _ in range(steps):
        optimizer.zero_grad()
        x, y = point[0], point[1]
        loss = (1 - x) ** 2 + 100 * (y - x**2) ** 2
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        path.append(point.tolist())
        advance()
        if not math.isfinite(losses[-1]):
            break
    return {"losses": losses, "trajectory": path, "final_point": path[-1]}


def _line(name: str, lr: float, steps: int, seed: int, advance) -> dict:
    x = glassgrad.linspace(-2, 2, 32)
    y = 3 * x + 2
    w = glassgrad.tensor(0.0, requires_grad=True)
    b = glassgrad.tensor(0.0, requires_grad=True)
    optimizer = make_optimizer(name, [w, b], lr)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(w * x + b, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        advance()
        if not math.isfinite(losses[-1]):
            break
    return {"losses": losses, "w": w.item(), "b": b.item()}


def _diabetes(name: str, lr: float, steps: int, seed: int, advance) -> dict:
    data = load_diabetes(standardize=True)
    features, target = data.data, data.target.reshape(-1, 1)
    glassgrad.manual_seed(seed)
    model = nn.Linear(features.shape[1], 1)
    optimizer = make_optimizer(name, model.parameters(), lr)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(features), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        advance()
        if not math.isfinite(losses[-1]):
            break
    with glassgrad.no_grad():
        residual = model(features) - target
        r2 = 1 - (residual**2).mean().item() / target.var(unbiased=False).item()
    return {"losses": losses, "r2": r2}


def _iris_split(seed: int):
    """A fixed random 120/30 train/test split (by --seed) of standardized Iris."""
    data = load_iris(standardize=True)
    generator = glassgrad.Generator().manual_seed(seed)
    order = glassgrad.randperm(len(data), generator=generator)
    train, test = order[:120], order[120:]
    return data.data[train], data.target[train], data.data[test], data.target[test]


def _iris(name: str, lr: float, steps: int, seed: int, advance) -> dict:
    x_train, y_train, x_test, y_test = _iris_split(seed)
    glassgrad.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = make_optimizer(name, model.parameters(), lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=16,
        shuffle=True,
        generator=glassgrad.Generator().manual_seed(seed),
    )
    losses, loss_steps, step = [], [], 0
    while step < steps:
        for batch_x, batch_y in loader:
            optimizer.zero_grad()
            loss_fn(model(batch_x), batch_y).backward()
            optimizer.step()
            step += 1
            advance()
            if step >= steps:
                break
        with glassgrad.no_grad():  # the whole training set after each epoch: a smooth curve
            losses.append(loss_fn(model(x_train), y_train).item())
        loss_steps.append(step)
        if not math.isfinite(losses[-1]):
            break
    with glassgrad.no_grad():
        train_acc = (model(x_train).argmax(dim=1) == y_train).float().mean().item()
        test_acc = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    return {
        "losses": losses,
        "loss_steps": loss_steps,
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
    }


TRACKS: dict[str, Callable] = {
    "rosenbrock": _rosenbrock,
    "line": _line,
    "diabetes": _diabetes,
    "iris": _iris,
}


def run_race(
    problem_name: str,
    optimizer_names: list[str],
    steps: int,
    lr: float | None,
    seed: int,
    progress,
) -> dict:
    """Race every optimizer on one problem; every number ends up in results.json."""
    problem = PROBLEMS[problem_name]
    track = TRACKS[problem_name]
    racers = {}
    for name in optimizer_names:
        rate = lr if lr is not None else problem.learning_rates[name]
        label = OPTIMIZERS[name][0]
        with progress.task(f"{problem_name}: {label}", steps) as advance:
            start = time.perf_counter()
            result = track(name, rate, steps, seed, advance)
            wall = time.perf_counter() - start
        losses = result["losses"]
        loss_steps = result.pop("loss_steps", list(range(1, len(losses) + 1)))
        final = losses[-1]
        racers[name] = {
            "label": label,
            "lr": rate,
            "settings": OPTIMIZERS[name][2],
            "final_loss": _finite(final),
            "best_loss": _finite(min(losses)),
            "diverged": not math.isfinite(final),
            "steps_to_target": _steps_to(losses, problem.target, loss_steps),
            "wall_time_s": wall,
            **result,
            "losses": [_finite(v) for v in losses],
            "loss_steps": loss_steps,
        }
    return {
        "problem": problem_name,
        "title": problem.title,
        "target": problem.target,
        "steps": steps,
        "racers": racers,
    }
