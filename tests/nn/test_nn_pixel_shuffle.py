"""``pixel_shuffle``/``pixel_unshuffle``: PyTorch's values, gradients and node names
(``PixelShuffleBackward0``, not the reshapes it is made of)."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg


@pytest.mark.parametrize(
    ("shape", "factor"), [((1, 8, 3, 3), 2), ((8, 3, 3), 2), ((2, 1, 9, 2, 2), 3)]
)
def test_shuffle_and_unshuffle_match_torch(shape, factor):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    results = []
    for lib in (gg, torch):
        t = lib.tensor(x, requires_grad=True)
        up = lib.nn.functional.pixel_shuffle(t, factor)
        down = lib.nn.functional.pixel_unshuffle(up * 2, factor)
        down.backward(lib.tensor(np.linspace(-1, 1, down.numel()).reshape(tuple(down.shape))))
        names = (type(up.grad_fn).__name__, type(down.grad_fn).__name__)
        if lib is torch:
            names = (up.grad_fn.name(), down.grad_fn.name())
        results.append((up.detach().numpy(), down.detach().numpy(), t.grad.numpy(), names))
    (*ours, our_names), (*theirs, their_names) = results
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert our_names == their_names == ("PixelShuffleBackward0", "PixelUnshuffleBackward0")


def test_a_shuffle_is_its_unshuffles_inverse_without_torch():
    x = gg.arange(2 * 9 * 2 * 3.0).reshape(2, 9, 2, 3)
    up = gg.nn.functional.pixel_shuffle(x, 3)
    assert tuple(up.shape) == (2, 1, 6, 9)
    assert gg.equal(gg.nn.functional.pixel_unshuffle(up, 3), x)
