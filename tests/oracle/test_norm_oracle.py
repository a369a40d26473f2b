"""The 2-norm's gradient is PyTorch's ``grad * (x / norm)`` (bit for bit where the norms
agree), and ``pairwise_distance`` is ``at::norm`` with its node name ``NormBackward1``."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg


@pytest.mark.parametrize(
    ("shape", "options"),
    [((4, 6), {}), ((4, 6), {"p": 1}), ((6,), {}), ((2, 3, 5), {"keepdim": True})],
)
def test_pairwise_distance_matches_torch(shape, options):
    rng = np.random.default_rng(len(shape))
    a, b = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    results = []
    for lib in (gg, torch):
        t = lib.tensor(a, requires_grad=True)
        out = lib.nn.functional.pairwise_distance(t, lib.tensor(b), **options)
        out.backward(
            lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(np.float32))
        )
        node = type(out.grad_fn).__name__ if lib is gg else out.grad_fn.name()
        results.append((out.detach().numpy(), t.grad.numpy(), node))
    (ours, our_grad, our_node), (theirs, their_grad, their_node) = results
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(our_grad, their_grad)
    assert our_node == their_node == "NormBackward1"


def test_two_norm_gradient_is_grad_times_x_over_norm():
    x = np.array([3.0, -4.0, 0.1], np.float32)
    grads = []
    for lib in (gg, torch):
        t = lib.tensor(x, requires_grad=True)
        (t.norm() * 0.7).backward()
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(*grads)
