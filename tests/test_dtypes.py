"""PyTorch's type promotion (dimensioned / zero-dim / Python scalar tiers) against torch."""

from __future__ import annotations

import itertools

import pytest
from torch_oracle import torch

import glassgrad as gg

NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
SCALARS = [2, 2.5, True]


def _make(m, name: str, kind: str):
    return m.ones(2 if kind == "dim" else (), dtype=getattr(m, name))


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_matches_torch(a, b):
    expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert repr(gg.promote_types(getattr(gg, a), getattr(gg, b))) == repr(expected)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
@pytest.mark.parametrize(
    "kinds", [("dim", "dim"), ("dim", "zero"), ("zero", "dim"), ("zero", "zero")]
)
def test_result_type_of_tensors_matches_torch(a, b, kinds):
    ka, kb = kinds
    expected = torch.result_type(_make(torch, a, ka), _make(torch, b, kb))
    assert repr(gg.result_type(_make(gg, a, ka), _make(gg, b, kb))) == repr(expected)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("kind", ["dim", "zero"])
def test_result_type_with_python_scalars_matches_torch(name, scalar, kind):
    expected = torch.result_type(_make(torch, name, kind), scalar)
    assert repr(gg.result_type(_make(gg, name, kind), scalar)) == repr(expected)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor([5, 3, 4]) * 0.5,
        lambda m: m.tensor([5, 3, 4]) * m.tensor([1.0, 2.0, 3.0]),
        lambda m: m.tensor([5, 3, 4]) / m.tensor([2, 2, 2]),
        lambda m: m.tensor([5, 3, 4]) // 2,
        lambda m: m.tensor([1.0, 2.0]) * m.tensor(2.0, dtype=m.float64),
        lambda m: m.tensor([1, 2], dtype=m.int32) + m.tensor(5),
        lambda m: m.tensor([1, 2], dtype=m.int32) + 5,
        lambda m: m.tensor([1, 2], dtype=m.uint8) + m.tensor([1], dtype=m.int8),
        lambda m: m.tensor([True, False]) + 1,
        lambda m: m.tensor([True, False]) * 1.5,
        lambda m: m.tensor([1.0], dtype=m.float16) + 1.0,
        lambda m: m.tensor([1, 2]) == 1,
        lambda m: m.tensor(2) ** 2.0,
        lambda m: m.tensor([1.0], dtype=m.float64) * 3,
    ],
)
def test_operator_result_dtypes_match_torch(make):
    assert repr(make(gg).dtype) == repr(make(torch).dtype)


def test_promotion_follows_the_default_dtype():
    try:
        for m in (torch, gg):
            m.set_default_dtype(m.float64)
        assert repr(gg.result_type(gg.tensor([1, 2]), 2.5)) == "torch.float64"
        assert repr((gg.tensor([1, 2]) * 2.5).dtype) == repr((torch.tensor([1, 2]) * 2.5).dtype)
    finally:
        for m in (torch, gg):
            m.set_default_dtype(m.float32)


@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_finfo_matches_torch(name):
    a, b = gg.finfo(getattr(gg, name)), torch.finfo(getattr(torch, name))
    assert (a.eps, a.max, a.min, a.tiny, a.resolution, a.bits) == (
        b.eps,
        b.max,
        b.min,
        b.tiny,
        b.resolution,
        b.bits,
    )
    assert repr(a) == repr(b)


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "int8", "uint8"])
def test_iinfo_matches_torch(name):
    a, b = gg.iinfo(getattr(gg, name)), torch.iinfo(getattr(torch, name))
    assert (a.max, a.min, a.bits, repr(a)) == (b.max, b.min, b.bits, repr(b))


def test_dtype_conversions_from_python_and_numpy_types():
    import numpy as np

    assert gg.tensor([1], dtype=float).dtype is gg.float64
    assert gg.tensor([1.5], dtype=int).dtype is gg.int64
    assert gg.tensor([1], dtype=bool).dtype is gg.bool
    assert gg.zeros(1, dtype=np.float32).dtype is gg.float32
    with pytest.raises(TypeError, match="dtype"):
        gg.zeros(1, dtype="complex_thing")
