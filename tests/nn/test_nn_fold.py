"""``F.unfold``/``F.fold`` and ``nn.Unfold``/``nn.Fold``: PyTorch's values, gradients, node
names and errors, and what they mean (unfold then a matrix product is a convolution)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from nn_oracle import raised_alike
from torch_oracle import torch

import glassgrad
import glassgrad.nn.functional as F

GEOMETRIES = [
    ((2, 3, 5, 6), {"kernel_size": (2, 3), "padding": 1, "stride": (2, 1)}),
    ((1, 2, 7, 7), {"kernel_size": 3, "dilation": 2, "padding": 2}),
    ((3, 4, 4), {"kernel_size": 2}),  # unbatched
    (
        (2, 1, 6, 5),
        {"kernel_size": (3, 2), "stride": (1, 2), "padding": (1, 0), "dilation": (1, 2)},
    ),
    ((0, 2, 4, 4), {"kernel_size": 2}),  # an empty batch
]


def _pair(x, dtype):
    return (
        glassgrad.tensor(x, dtype=dtype, requires_grad=True),
        torch.tensor(x, dtype=getattr(torch, dtype.name), requires_grad=True),
    )


def _same(ours, theirs) -> None:
    expected = theirs.detach().numpy()
    assert ours.shape == tuple(expected.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.detach().numpy(), expected)


@pytest.mark.parametrize("dtype", [glassgrad.float32, glassgrad.float64])
@pytest.mark.parametrize(("shape", "geometry"), GEOMETRIES)
def test_unfold_and_fold_match_torch_bit_for_bit(shape, geometry, dtype):
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    x, tx = _pair(rng.standard_normal(shape) * 3, dtype)
    cols, tcols = F.unfold(x, **geometry), torch.nn.functional.unfold(tx, **geometry)
    _same(cols, tcols)
    assert type(cols.grad_fn).__name__ == tcols.grad_fn.name() == "Im2ColBackward0"
    upstream = rng.standard_normal(cols.shape)
    cols.backward(glassgrad.tensor(upstream, dtype=dtype))
    tcols.backward(torch.tensor(upstream, dtype=tcols.dtype))
    _same(x.grad, tx.grad)  # overlapping blocks: the sums add in PyTorch's order

    c, tc = _pair(rng.standard_normal(cols.shape), dtype)
    image = F.fold(c, shape[-2:], **geometry)
    timage = torch.nn.functional.fold(tc, shape[-2:], **geometry)
    _same(image, timage)
    assert type(image.grad_fn).__name__ == timage.grad_fn.name() == "Col2ImBackward0"
    upstream = rng.standard_normal(image.shape)
    image.backward(glassgrad.tensor(upstream, dtype=dtype))
    timage.backward(torch.tensor(upstream, dtype=timage.dtype))
    _same(c.grad, tc.grad)


def test_modules_print_and_compute_as_torch():
    for ours, theirs in [
        (glassgrad.nn.Unfold(2), torch.nn.Unfold(2)),
        (glassgrad.nn.Unfold((2, 3), 2, 1, 2), torch.nn.Unfold((2, 3), 2, 1, 2)),
        (glassgrad.nn.Fold((4, 5), 2, stride=1), torch.nn.Fold((4, 5), 2, stride=1)),
    ]:
        assert repr(ours) == repr(theirs)
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    cols = glassgrad.nn.Unfold(2)(glassgrad.tensor(x))
    _same(cols, torch.nn.Unfold(2)(torch.tensor(x)))
    _same(glassgrad.nn.Fold((4, 5), 2)(cols), torch.nn.Fold((4, 5), 2)(torch.tensor(cols.numpy())))


def _bad_calls(F):
    r = np.ones
    return [
        lambda T: F.unfold(T(r((5, 6))), 2),
        lambda T: F.unfold(T(r((1, 2, 3, 4, 5))), 2),
        lambda T: F.unfold(T(r((1, 2, 0, 3))), 2),
        lambda T: F.unfold(T(r((1, 2, 3, 3))), 4),
        lambda T: F.unfold(T(r((1, 2, 3, 3))), 0),
        lambda T: F.unfold(T(r((1, 2, 3, 3))), 2, dilation=0),
        lambda T: F.unfold(T(r((1, 2, 3, 3))), 2, stride=-1),
        lambda T: F.unfold(T(r((1, 2, 3, 3))), 2, padding=-1),
        lambda T: F.unfold(T(r((1, 2, 3, 3))), (2,)),
        lambda T: F.unfold(T(r((1, 2, 3, 3))), 2, stride=(1, 1, 1)),
        lambda T: F.unfold(T(r((1, 2, 3, 3), dtype=np.int64)), 2),
        lambda T: F.fold(T(r((1, 12, 21))), (5, 6), 2),
        lambda T: F.fold(T(r((1, 12, 20))), (1, 1), 2),
        lambda T: F.fold(T(r((1, 13, 20))), (5, 6), 2),
        lambda T: F.fold(T(r((2, 3, 4, 5))), (5, 6), 2),
        lambda T: F.fold(T(r((1, 0, 20))), (5, 6), 2),
        lambda T: F.fold(T(r((1, 12, 20))), (5, 6, 7), 2),
        lambda T: F.fold(T(r((1, 12, 20), dtype=np.int32)), (5, 6), 2),
    ]


def test_errors_say_what_pytorch_says():
    calls = zip(_bad_calls(F), _bad_calls(torch.nn.functional), strict=True)
    for i, (ours, theirs) in enumerate(calls):
        got, expected = raised_alike(partial(ours, glassgrad.tensor), partial(theirs, torch.tensor))
        if i == 0:  # PyTorch: "Dimension out of range (... but got 2)"; ours names the shapes
            assert "3D or 4D" in got
            continue
        assert got.startswith(expected.split("\n")[0].rstrip("."))


def test_unfold_then_a_matrix_product_is_a_convolution():
    """The lesson im2col teaches: a 2-D convolution is a matrix product over the unfolded
    input (no torch needed)."""
    rng = np.random.default_rng(3)
    x = glassgrad.tensor(rng.standard_normal((2, 3, 6, 7)))
    w = glassgrad.tensor(rng.standard_normal((4, 3, 3, 2)))
    cols = F.unfold(x, (3, 2), padding=1, stride=(2, 1))
    product = (w.reshape(4, -1) @ cols).reshape(2, 4, 3, 8)
    expected = F.conv2d(x, w, padding=1, stride=(2, 1))
    np.testing.assert_allclose(product.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_fold_of_unfold_counts_each_pixels_blocks():
    """``fold`` adds overlapping blocks: folding the unfolded ones gives each pixel the
    number of blocks that cover it."""
    ones = glassgrad.ones(1, 1, 4, 4)
    covered = F.fold(F.unfold(ones, 3, padding=1), (4, 4), 3, padding=1)
    expected = np.array([[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])
    np.testing.assert_array_equal(covered.numpy()[0, 0], expected)
