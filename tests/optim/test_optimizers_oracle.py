"""Every optimizer against PyTorch 2.13: 100 steps from the same weights give the same weights."""

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad
import glassgrad.optim as gopt

GRID = {
    "SGD": [
        {},
        {"lr": 0.05},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "maximize": True},
        {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    ],
    "Adam": [
        {},
        {"lr": 0.05},
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "amsgrad": True},
        {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True},
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.01, "betas": (0.4, 0.99)},
    ],
    "AdamW": [
        {},
        {"lr": 0.05},
        {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True},
        {"lr": 0.05, "maximize": True},
    ],
    "RMSprop": [
        {},
        {"lr": 0.005, "alpha": 0.9},
        {"lr": 0.005, "centered": True},
        {"lr": 0.005, "momentum": 0.8},
        {"lr": 0.005, "momentum": 0.8, "centered": True, "weight_decay": 0.1},
        {"lr": 0.005, "maximize": True, "eps": 1e-4},
    ],
    "Adagrad": [
        {},
        {"lr": 0.1, "lr_decay": 0.01},
        {"lr": 0.1, "initial_accumulator_value": 0.5, "weight_decay": 0.1},
        {"lr": 0.1, "eps": 1e-6, "maximize": True},
    ],
    "Adadelta": [
        {},
        {"lr": 0.5, "rho": 0.8, "eps": 1e-5},
        {"weight_decay": 0.1, "maximize": True},
    ],
    "Adamax": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.9)},
        {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
    ],
    "NAdam": [
        {},
        {"lr": 0.05, "momentum_decay": 0.01},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    ],
    "RAdam": [
        {},
        {"lr": 0.05},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.05, "betas": (0.9, 0.9), "maximize": True},
    ],
    "Rprop": [
        {},
        {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)},
        {"lr": 0.05, "maximize": True},
    ],
    "ASGD": [
        {},
        {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 20, "weight_decay": 0.1},
        {"lr": 0.05, "t0": 0, "maximize": True},
    ],
}

CASES = [(name, kw) for name, options in GRID.items() for kw in options]

rng = np.random.default_rng(0)
X = rng.standard_normal((16, 3))
Y = X @ np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]]) + 0.3
W0 = rng.standard_normal((3, 2))
B0 = rng.standard_normal(2)


def gradients(w, b, sign=1.0):
    """Linear regression + a quadratic pull, in the parameters' own dtype."""
    x, y = X.astype(w.dtype), Y.astype(w.dtype)
    r = x @ w + b - y
    scale = w.dtype.type(2.0 / len(x))
    gw = x.T @ r * scale + w * w.dtype.type(0.1)
    gb = r.sum(0) * scale
    return gw * w.dtype.type(sign), gb * w.dtype.type(sign)


def run(lib, name, kw, np_dtype, steps=100, groups=False):
    w = lib.tensor(W0.astype(np_dtype), requires_grad=True)
    b = lib.tensor(B0.astype(np_dtype), requires_grad=True)
    params = [{"params": [w]}, {"params": [b], "lr": 0.01}] if groups else [w, b]
    opt = getattr(lib.optim, name)(params, **kw)
    sign = -1.0 if kw.get("maximize") else 1.0
    for _ in range(steps):
        gw, gb = gradients(w.detach().numpy(), b.detach().numpy(), sign)
        w.grad = lib.tensor(gw)
        b.grad = lib.tensor(gb)
        opt.step()
    return w.detach().numpy().copy(), b.detach().numpy().copy(), opt


@pytest.mark.parametrize("np_dtype, rtol", [(np.float64, 1e-6), (np.float32, 1e-5)])
@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_trajectory_matches_torch(name, kw, np_dtype, rtol):
    gw, gb, gopt_ = run(glassgrad, name, kw, np_dtype)
    tw, tb, topt = run(torch, name, kw, np_dtype)
    assert gw.dtype == np_dtype and gb.dtype == np_dtype
    np.testing.assert_allclose(gw, tw, rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(gb, tb, rtol=rtol, atol=rtol * 1e-2)
    gstate, tstate = gopt_.state_dict(), topt.state_dict()
    assert gstate["param_groups"] == tstate["param_groups"]
    for idx, values in tstate["state"].items():
        assert list(gstate["state"][idx]) == list(values)
        for key, value in values.items():
            mine = gstate["state"][idx][key]
            assert mine.dtype.name == str(value.dtype).removeprefix("torch.")
            # converged moments are tiny: compare them on the scale of the initial gradients
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=rtol * 10, atol=rtol)


@pytest.mark.parametrize("name", list(GRID))
def test_param_groups_with_own_lr(name):
    kw = GRID[name][1] if len(GRID[name]) > 1 else {}
    gw, gb, _ = run(glassgrad, name, kw, np.float64, steps=30, groups=True)
    tw, tb, _ = run(torch, name, kw, np.float64, steps=30, groups=True)
    np.testing.assert_allclose(gw, tw, rtol=1e-6)
    np.testing.assert_allclose(gb, tb, rtol=1e-6)


@pytest.mark.parametrize("name", list(GRID))
def test_repr_matches_torch(name):
    w = glassgrad.zeros(2, requires_grad=True)
    tw = torch.zeros(2, requires_grad=True)
    assert repr(getattr(gopt, name)([w])) == repr(getattr(torch.optim, name)([tw]))


def test_end_to_end_with_autograd():
    """Gradients from glassgrad's own backward drive the same Adam trajectory."""
    results = []
    for lib in (glassgrad, torch):
        w = lib.tensor(W0.copy(), requires_grad=True)
        b = lib.tensor(B0.copy(), requires_grad=True)
        opt = lib.optim.Adam([w, b], lr=0.05)
        x, y = lib.tensor(X), lib.tensor(Y)
        for _ in range(50):
            opt.zero_grad()
            loss = ((x @ w + b - y) ** 2).mean()
            loss.backward()
            opt.step()
        results.append((w.detach().numpy().copy(), loss.item()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-9)
    assert results[0][1] == pytest.approx(results[1][1], rel=1e-9)
