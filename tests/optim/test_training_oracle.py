"""End to end: a 2-layer MLP trained with Adam and CrossEntropyLoss follows PyTorch's curve."""

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad


def _blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    labels = rng.integers(0, 3, n)
    points = centers[labels] + 0.8 * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels


def _train(lib, weights, optimizer, steps=60, **options):
    x_np, y_np = _blobs()
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))
    opt = getattr(lib.optim, optimizer)(model.parameters(), **options)
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    return np.array(losses)


@pytest.mark.parametrize(
    "optimizer, options",
    [("Adam", {"lr": 0.01}), ("SGD", {"lr": 0.1, "momentum": 0.9}), ("RMSprop", {"lr": 0.01})],
)
def test_mlp_loss_curve_matches_torch(optimizer, options):
    rng = np.random.default_rng(1)
    shapes = [(16, 2), (16,), (3, 16), (3,)]
    weights = [(0.5 * rng.standard_normal(s)).astype(np.float32) for s in shapes]
    mine = _train(glassgrad, weights, optimizer, **options)
    theirs = _train(torch, weights, optimizer, **options)
    assert mine[-1] < 0.5 * mine[0]
    np.testing.assert_allclose(mine, theirs, rtol=1e-4)
