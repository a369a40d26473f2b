"""Max unpooling (``F.max_unpool{1,2,3}d``, ``nn.MaxUnpool*``) and the ``*_with_indices``
names: PyTorch's values, gradients, node names, output sizes and errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import raised_alike
from torch_oracle import torch

import glassgrad as gg
import glassgrad.nn.functional as F

# (an odd size needs ``output_size``: the default one is the even size below it)
CASES = [
    (1, (2, 3, 8), False),
    (2, (2, 3, 6, 8), False),
    (3, (1, 2, 4, 4, 4), False),
    (2, (2, 3, 6, 7), True),
    (3, (1, 2, 4, 4, 5), True),
    (2, (3, 6, 7), True),
]


@pytest.mark.parametrize(("dims", "shape", "sized"), CASES)
def test_unpooling_undoes_pooling_as_torch(dims, shape, sized):
    rng = np.random.default_rng(dims)
    x = rng.standard_normal(shape).astype(np.float32)
    results = []
    for lib, functional in ((gg, F), (torch, torch.nn.functional)):
        t = lib.tensor(x, requires_grad=True)
        pooled, indices = getattr(functional, f"max_pool{dims}d_with_indices")(t, 2)
        size = shape[-dims:] if sized else None
        out = getattr(functional, f"max_unpool{dims}d")(pooled, indices, 2, output_size=size)
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape))).sum().backward()
        results.append((out.detach().numpy(), t.grad.numpy(), type(out.grad_fn).__name__))
    (ours, our_grad, our_node), (theirs, their_grad, _) = results
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(our_grad, their_grad)
    assert our_node == ("SqueezeBackward1" if dims == 1 else f"MaxUnpool{dims}DBackward0")


def test_modules_print_as_torch():
    for name, args, kwargs in [
        ("MaxUnpool1d", (3,), {}),
        ("MaxUnpool2d", (2,), {}),
        ("MaxUnpool2d", ((2, 3),), {"stride": 1, "padding": 1}),
        ("MaxUnpool3d", (2,), {"padding": 1}),
    ]:
        ours, theirs = (
            getattr(gg.nn, name)(*args, **kwargs),
            getattr(torch.nn, name)(*args, **kwargs),
        )
        assert repr(ours) == repr(theirs)


def _bad_calls(F, T):
    pooled, indices = T(np.ones((1, 2, 2, 2), np.float32)), T(np.zeros((1, 2, 2, 2), np.int64))
    return [
        lambda: F.max_unpool2d(pooled, indices + 100, 2),
        lambda: F.max_unpool2d(pooled, indices.float(), 2),
        lambda: F.max_unpool2d(pooled, indices[:, :, :1], 2),
        lambda: F.max_unpool2d(pooled, indices, 2, output_size=(9, 9)),
        lambda: F.max_unpool2d(pooled, indices, 2, output_size=(4, 4, 4)),
        lambda: F.max_unpool2d(pooled[0, 0, 0], indices[0, 0, 0], 2),
    ]


def test_errors_say_what_pytorch_says():
    for ours, theirs in zip(
        _bad_calls(F, gg.tensor), _bad_calls(torch.nn.functional, torch.tensor)
    ):
        got, expected = raised_alike(ours, theirs)
        assert got == expected.split("\n")[0]


def test_each_maximum_goes_back_to_its_place():
    x = gg.tensor([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 7.0]]]])
    pooled, indices = F.max_pool2d(x, 2, return_indices=True)
    back = gg.nn.MaxUnpool2d(2)(pooled, indices)
    assert back.tolist() == [[[[0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 8.0, 0.0]]]]


@pytest.mark.parametrize(
    ("dims", "shape", "options"),
    [
        (2, (2, 3, 8, 8), {"kernel_size": 3, "stride": 2, "padding": 1}),  # ResNet's stem
        (2, (1, 2, 7, 9), {"kernel_size": (3, 2), "stride": 1}),
        (1, (2, 3, 11), {"kernel_size": 4, "stride": 2, "padding": 2}),
        (3, (1, 2, 5, 5, 5), {"kernel_size": 3, "stride": 1, "padding": 1}),
        (2, (2, 3, 9, 9), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    ],
)
def test_overlapping_max_pool_gradients_add_up_as_torch(dims, shape, options):
    """A value that is the maximum of several windows gets their gradients added in output
    order, as PyTorch's loop adds them."""
    x = np.random.default_rng(dims).standard_normal(shape).astype(np.float32)
    upstream = None
    grads = []
    for lib in (gg, torch):
        t = lib.tensor(x, requires_grad=True)
        out = getattr(lib.nn.functional, f"max_pool{dims}d")(t, **options)
        if upstream is None:
            upstream = np.random.default_rng(0).standard_normal(tuple(out.shape))
        out.backward(lib.tensor(upstream.astype(np.float32)))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(*grads)
