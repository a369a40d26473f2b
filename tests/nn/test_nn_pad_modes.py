"""Reflection, replication and circular padding: PyTorch's gradient order (a point copied
several times gets its gradients added output after output) and node names (circular
padding is slice copies in PyTorch 2.13: ``CopySlices``)."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg

CASES = [
    ((2, 3, 8), (3, 2)),
    ((2, 3, 6, 6), (2, 2, 3, 1)),
    ((1, 2, 4, 5, 3), (1, 2, 2, 1, 1, 2)),
    ((3, 5, 5), (4, 4, 4, 4)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(("shape", "pad"), CASES)
def test_padding_matches_torch(mode, shape, pad):
    sizes = shape[::-1][: len(pad) // 2]  # the padded dims, last first (as ``pad`` lists them)
    if mode == "circular" and any(pad[2 * i] + pad[2 * i + 1] > s for i, s in enumerate(sizes)):
        pytest.skip("pads wider than the input together copy a point 3 times: not replayed")
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    results = []
    for lib in (gg, torch):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.pad(t, pad, mode=mode)
        upstream = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(lib.tensor(upstream))
        node = type(out.grad_fn).__name__ if lib is gg else out.grad_fn.name()
        results.append(
            (out.detach().numpy(), t.grad.numpy(), node.removeprefix("torch::autograd::"))
        )
    (ours, our_grad, our_node), (theirs, their_grad, their_node) = results
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(our_grad, their_grad)
    assert our_node == their_node
