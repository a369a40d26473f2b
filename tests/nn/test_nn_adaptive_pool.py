"""Adaptive average and max pooling, 1-D to 3-D: PyTorch's bits (its window sums in order,
its divisions, its NaN-taking maximum), gradients, indices and node names (including the
``mean`` it uses for an output of one, and 1-D run as 2-D)."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg
import glassgrad.nn.functional as F

CASES = [
    ((2, 3, 7, 9), (3, 4)),
    ((2, 3, 8, 8), (1, 1)),
    ((2, 3, 8, 8), 2),
    ((1, 4, 13, 11), (5, 7)),
    ((3, 7, 9), (3, None)),  # unbatched, one dim kept
    ((2, 3, 4, 4), (7, 9)),  # more outputs than inputs: windows overlap
    ((2, 5, 9), 4),
    ((2, 5, 9), 1),
    ((1, 2, 5, 6, 7), (2, 3, 4)),
    ((1, 2, 5, 6, 7), 1),
]


def _dims(shape, out) -> int:
    if isinstance(out, tuple):
        return len(out)
    return {3: 1, 4: 2, 5: 3}[len(shape)]


def _equal(a, b) -> None:
    np.testing.assert_array_equal(a, b)  # (NaN equals NaN here)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize(("shape", "out"), CASES)
def test_adaptive_pooling_matches_torch_bit_for_bit(shape, out, kind, dtype):
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    x = rng.standard_normal(shape).astype(dtype)
    if kind == "max":
        x.reshape(-1)[[0, 5]] = np.nan  # a later NaN wins
    name = f"adaptive_{kind}_pool{_dims(shape, out)}d"
    results = []
    for lib, functional in ((gg, F), (torch, torch.nn.functional)):
        t = lib.tensor(x, requires_grad=True)
        pooled = getattr(functional, name)(t, out)
        upstream = np.linspace(-1, 1, pooled.numel()).reshape(tuple(pooled.shape))
        (pooled * lib.tensor(upstream.astype(dtype))).sum().backward()
        indices = None
        if kind == "max":
            indices = getattr(functional, name)(t, out, return_indices=True)[1].numpy()
        results.append((pooled.detach().numpy(), t.grad.numpy(), indices, pooled.grad_fn))
    (ours, our_grad, our_idx, our_node), (theirs, their_grad, their_idx, their_node) = results
    _equal(ours, theirs)
    _equal(our_grad, their_grad)
    if kind == "max":
        _equal(our_idx, their_idx)
    assert type(our_node).__name__ == their_node.name()


def test_modules_print_and_pool_as_torch():
    x = np.arange(2 * 3 * 4 * 5 * 6, dtype=np.float32).reshape(2, 3, 4, 5, 6)
    ours, theirs = gg.nn.AdaptiveMaxPool3d((2, 2, 3)), torch.nn.AdaptiveMaxPool3d((2, 2, 3))
    assert repr(ours) == repr(theirs)
    _equal(ours(gg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())


def test_the_mean_of_each_window_without_torch():
    x = gg.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    pooled = F.adaptive_avg_pool2d(x, (2, 3))  # rows 0-1 / 2-3; columns 0-1, 1-2, 2-3
    expected = [[[[2.5, 3.5, 4.5], [10.5, 11.5, 12.5]]]]
    assert pooled.tolist() == expected
    one = F.adaptive_avg_pool2d(x.requires_grad_(), 1)  # PyTorch takes the mean
    assert one.item() == 7.5 and type(one.grad_fn).__name__ == "MeanBackward1"
    values, where = F.adaptive_max_pool2d(x, 2, return_indices=True)
    assert values.tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert where.tolist() == [[[[5, 7], [13, 15]]]]
