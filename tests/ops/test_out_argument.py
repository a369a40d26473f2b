"""``torch.f(..., out=t)``: every declared function takes ``out=`` as PyTorch does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad

CALLS = [
    lambda T, out: T.add(T.tensor([1.0, 2.0]), 1, out=out),
    lambda T, out: T.exp(T.tensor([0.0, 1.0]), out=out),
    lambda T, out: T.sum(T.tensor([[1.0, 2.0], [3.0, 4.0]]), 0, out=out),
    lambda T, out: T.cat([T.tensor([1.0]), T.tensor([2.0])], out=out),
    lambda T, out: T.matmul(T.eye(2), T.tensor([3.0, 4.0]), out=out),
]


@pytest.mark.parametrize("call", CALLS)
def test_out_receives_the_result_in_place(call):
    out = glassgrad.zeros(2)
    storage = out._data
    version = out._version
    returned = call(glassgrad, out)
    assert returned is out and out._data is storage
    assert out._version == version + 1


@pytest.mark.parametrize("call", CALLS)
def test_out_values_match_pytorch(call):
    expected = call(torch, torch.zeros(2))
    np.testing.assert_array_equal(call(glassgrad, glassgrad.zeros(2)).numpy(), expected.numpy())


def test_out_of_another_shape_is_resized_with_pytorchs_warning():
    out = glassgrad.zeros(3)
    with pytest.warns(UserWarning, match=r"resized since it had shape \[3\].*shape \[2\]") as seen:
        glassgrad.add(glassgrad.tensor([1.0, 2.0]), 1, out=out)
    assert seen[0].filename == __file__
    assert out.tolist() == [2.0, 3.0]
    empty = glassgrad.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        glassgrad.add(glassgrad.tensor([1.0, 2.0]), 1, out=empty)  # no warning for empty
    assert empty.tolist() == [2.0, 3.0]


def test_out_that_cannot_hold_the_result_is_refused():
    with pytest.raises(
        RuntimeError, match="result type Float can't be cast to the desired output type Long"
    ):
        glassgrad.add(glassgrad.tensor([1.5]), 1, out=glassgrad.zeros(1, dtype=glassgrad.int64))


def test_out_with_autograd_is_refused():
    x = glassgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"exp\(\): functions with out=\.\.\. arguments don't support"
    ):
        glassgrad.exp(x, out=glassgrad.zeros(1))
    with glassgrad.no_grad():
        assert glassgrad.exp(x, out=glassgrad.zeros(1)).tolist() == [pytest.approx(np.e)]
