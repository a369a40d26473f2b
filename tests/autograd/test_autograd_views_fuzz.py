"""Random sequences of views and in-place updates inside the graph, against PyTorch."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from torch_oracle import torch

import glassgrad as gg

VIEWS = [
    lambda y: y[1],
    lambda y: y[:, 2],
    lambda y: y[0:2, 1:3],
    lambda y: y.t()[1],
    lambda y: y.view(12)[3:9],
    lambda y: y.transpose(0, 1)[1:3],
    lambda y: y[2][1:],
]
UPDATES = [
    lambda m, v, x: v.add_(1.5),
    lambda m, v, x: v.mul_(-2.0),
    lambda m, v, x: v.sub_(x.sum() * 0.1),
    lambda m, v, x: v.zero_(),
    lambda m, v, x: v.fill_(0.25),
    lambda m, v, x: v.clamp_(-1.0, 0.5),
    lambda m, v, x: v.copy_(m.ones(v.shape) * x[0, 0]),
    lambda m, v, x: v.__setitem__(0, x[1, 1] * 3),
]


def _run(m, seed: int, steps):
    x = m.tensor(np.random.RandomState(seed).randn(3, 4), requires_grad=True)
    y = x * 1.5
    views = []
    for view_index, update_index, on_base in steps:
        view = VIEWS[view_index](y)  # taken before the update: it must see it
        views.append(view)
        UPDATES[update_index](m, y if on_base else view, x)
    weights = m.tensor(np.arange(12.0).reshape(3, 4) / 7)
    loss = (y * weights).sum() + sum((v * v).sum() for v in views)
    loss.backward()
    return y.detach().numpy().copy(), x.grad.numpy().copy()


@given(
    seed=st.integers(0, 1000),
    steps=st.lists(
        st.tuples(
            st.integers(0, len(VIEWS) - 1),
            st.integers(0, len(UPDATES) - 1),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_views_and_inplace_updates_match_torch(seed, steps):
    expected_y, expected_grad = _run(torch, seed, steps)
    got_y, got_grad = _run(gg, seed, steps)
    np.testing.assert_allclose(got_y, expected_y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-10, atol=1e-12)
