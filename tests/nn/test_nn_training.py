"""A small MLP trained in both libraries from the same weights follows the same loss curve."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import copy_module
from torch_oracle import torch

import glassgrad
import glassgrad.nn as gnn


def _mlp(nn):
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def _data(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype(dtype)
    y = (x[:, 0] + 2 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return x, y


def _train(lib, model, loss_fn, optimizer_cls, x, y, steps, **opt_kwargs):
    opt = optimizer_cls(model.parameters(), **opt_kwargs)
    xs, ys = lib.tensor(x), lib.tensor(y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "optimizer, kwargs",
    [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 0.01})],
)
def test_mlp_cross_entropy_training_matches_torch(optimizer, kwargs, dtype):
    if not hasattr(glassgrad.optim, optimizer):
        pytest.skip(f"glassgrad.optim.{optimizer} is not available yet")
    tname = np.dtype(dtype).name
    t_model = _mlp(torch.nn).to(getattr(torch, tname))
    g_model = _mlp(gnn).to(getattr(glassgrad, tname))
    copy_module(g_model, t_model)
    x, y = _data(dtype)
    t_losses = _train(
        torch,
        t_model,
        torch.nn.CrossEntropyLoss(),
        getattr(torch.optim, optimizer),
        x,
        y,
        20,
        **kwargs,
    )
    g_losses = _train(
        glassgrad,
        g_model,
        gnn.CrossEntropyLoss(),
        getattr(glassgrad.optim, optimizer),
        x,
        y,
        20,
        **kwargs,
    )
    tol = 1e-5 if dtype == np.float32 else 1e-6
    np.testing.assert_allclose(g_losses, t_losses, rtol=tol, atol=tol)
    assert g_losses[-1] < g_losses[0]
    t_state = t_model.state_dict()
    for key, value in g_model.state_dict().items():
        np.testing.assert_allclose(
            value.numpy(), t_state[key].numpy(), rtol=10 * tol, atol=10 * tol
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regression_mlp_with_batchnorm_and_mse_matches_torch(dtype):
    def build(nn):
        return nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1))

    tname = np.dtype(dtype).name
    t_model = build(torch.nn).to(getattr(torch, tname))
    g_model = build(gnn).to(getattr(glassgrad, tname))
    copy_module(g_model, t_model)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 3)).astype(dtype)
    y = np.sin(x.sum(1, keepdims=True)).astype(dtype)
    t_losses = _train(torch, t_model, torch.nn.MSELoss(), torch.optim.SGD, x, y, 10, lr=0.1)
    g_losses = _train(glassgrad, g_model, gnn.MSELoss(), glassgrad.optim.SGD, x, y, 10, lr=0.1)
    tol = 1e-5 if dtype == np.float32 else 1e-6
    np.testing.assert_allclose(g_losses, t_losses, rtol=tol, atol=tol)
    assert g_losses[-1] < g_losses[0]
    g_model.eval()
    t_model.eval()
    np.testing.assert_allclose(
        g_model(glassgrad.tensor(x)).detach().numpy(),
        t_model(torch.tensor(x)).detach().numpy(),
        rtol=tol,
        atol=tol,
    )
