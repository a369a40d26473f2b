"""nn.init: PyTorch's signatures, gains, bounds and statistics (tests/oracle compares the
values themselves with PyTorch's)."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad
import glassgrad.nn as gnn
import glassgrad.nn.init as gi

ti = torch.nn.init

PUBLIC = [n for n in dir(ti) if n.endswith("_") and not n.startswith("_")] + ["calculate_gain"]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_init_function_exists_with_torch_parameters(name):
    assert hasattr(gi, name)
    t_params = list(inspect.signature(getattr(ti, name)).parameters.values())
    g_params = list(inspect.signature(getattr(gi, name)).parameters.values())
    assert [(p.name, p.default) for p in g_params] == [(p.name, p.default) for p in t_params]


@pytest.mark.parametrize(
    "args",
    [
        ("linear",),
        ("sigmoid",),
        ("tanh",),
        ("relu",),
        ("leaky_relu",),
        ("leaky_relu", 0.2),
        ("selu",),
    ],
)
def test_calculate_gain(args):
    assert gi.calculate_gain(*args) == pytest.approx(ti.calculate_gain(*args))
    with pytest.raises(ValueError):
        gi.calculate_gain("nope")


def _draw(fn, shape=(300, 200), **kwargs):
    glassgrad.manual_seed(0)
    return fn(glassgrad.empty(*shape), **kwargs).numpy()


def test_uniform_bounds():
    for fn, kwargs, bound in [
        (gi.uniform_, {"a": -0.5, "b": 0.5}, 0.5),
        (gi.xavier_uniform_, {"gain": 2.0}, 2.0 * math.sqrt(6 / 500)),
        (
            gi.kaiming_uniform_,
            {"a": math.sqrt(5)},
            math.sqrt(3) * math.sqrt(2 / 6) / math.sqrt(200),
        ),
        (gi.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(6 / 300)),
    ]:
        v = _draw(fn, **kwargs)
        assert v.min() >= -bound and v.max() <= bound
        assert v.max() > 0.98 * bound and v.min() < -0.98 * bound


def test_normal_stds():
    for fn, kwargs, std in [
        (gi.normal_, {"mean": 0.0, "std": 0.3}, 0.3),
        (gi.xavier_normal_, {}, math.sqrt(2 / 500)),
        (gi.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 200)),
        (gi.kaiming_normal_, {"mode": "fan_out"}, math.sqrt(2 / 300)),
    ]:
        v = _draw(fn, **kwargs)
        assert abs(v.std() - std) < 0.03 * std
        assert abs(v.mean()) < 0.03 * std


def test_constant_like_and_structured_inits():
    assert np.all(_draw(gi.constant_, val=0.25) == 0.25)
    assert np.all(_draw(gi.ones_) == 1) and np.all(_draw(gi.zeros_) == 0)
    np.testing.assert_array_equal(_draw(gi.eye_, (3, 4)), np.eye(3, 4))
    q = _draw(gi.orthogonal_, (4, 6))
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)
    t = _draw(gi.trunc_normal_, a=-1.0, b=0.5)
    assert t.min() >= -1.0 and t.max() <= 0.5
    s = _draw(gi.sparse_, (10, 6), sparsity=0.3)
    assert np.all((s == 0).sum(axis=0) >= 3)
    d = _draw(gi.dirac_, (2, 2, 3))
    np.testing.assert_array_equal(d, ti.dirac_(torch.empty(2, 2, 3)).numpy())


def test_init_is_not_recorded_and_errors_match():
    w = gnn.Linear(3, 2).weight
    gi.normal_(w)
    assert w.grad_fn is None and w.requires_grad
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        gi.xavier_uniform_(glassgrad.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        gi.kaiming_uniform_(glassgrad.empty(3, 3), mode="fan_avg")


def test_linear_default_init_bounds_follow_torch():
    lin = gnn.Linear(50, 40)
    bound = 1 / math.sqrt(50)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
