"""Nearest-neighbour ``interpolate``/``nn.Upsample``: PyTorch's source indices (float32
scale and product, the exact and twice-the-size cases), its gradient's summation order and
its node names (``UpsampleNearest2DBackward0``)."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg

CASES = [
    ((2, 3, 8, 8), {"scale_factor": 2}),
    ((2, 3, 8, 8), {"size": (11, 13)}),
    ((1, 2, 5, 7), {"size": (7, 3)}),
    ((1, 2, 9), {"scale_factor": 1.7}),
    ((1, 2, 9), {"size": 23}),
    ((1, 1, 3, 4, 5), {"scale_factor": (2, 1.5, 0.6)}),
    ((2, 3, 7, 7), {"scale_factor": 0.43}),
    ((2, 3, 6, 10), {"scale_factor": 1.3, "recompute_scale_factor": True}),
    ((1, 3, 13, 29), {"size": (31, 70)}),
]


@pytest.mark.parametrize(("shape", "options"), CASES)
def test_nearest_resampling_matches_torch(shape, options):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    results = []
    for lib in (gg, torch):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.interpolate(t, **options)
        upstream = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape))
        out.backward(lib.tensor(upstream.astype(np.float32)))
        node = type(out.grad_fn).__name__ if lib is gg else out.grad_fn.name()
        results.append((out.detach().numpy(), t.grad.numpy(), node))
    (ours, our_grad, our_node), (theirs, their_grad, their_node) = results
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(our_grad, their_grad)
    assert our_node == their_node == f"UpsampleNearest{len(shape) - 2}DBackward0"


def test_upsample_copies_each_pixel_into_a_block_without_torch():
    x = gg.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], requires_grad=True)
    out = gg.nn.Upsample(scale_factor=2)(x)
    assert out.tolist() == [[[[1.0, 1.0, 2.0, 2.0]] * 2 + [[3.0, 3.0, 4.0, 4.0]] * 2]]
    out.sum().backward()
    assert x.grad.tolist() == [[[[4.0, 4.0], [4.0, 4.0]]]]
