"""repr/str/format of tensors, sizes, dtypes and devices compared with real PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg


def _randn(m, *shape, scale=1.0, dtype=np.float32):
    array = (np.random.RandomState(0).randn(*shape) * scale).astype(dtype)
    return m.from_numpy(array)


CASES = {
    "0d": lambda m: m.tensor(3.5),
    "0d_int": lambda m: m.tensor(7),
    "0d_negative": lambda m: m.tensor(-0.25),
    "0d_bool": lambda m: m.tensor(True),
    "vector": lambda m: m.tensor([1.0, 2.5, -3.25]),
    "integer_valued": lambda m: m.tensor([1.0, 2.0, 300.0]),
    "integer_valued_negative": lambda m: m.tensor([-1.0, 10.0, -100.0]),
    "matrix": lambda m: m.tensor([[1.0, 2.0], [3.123456, -4.5]]),
    "3d": lambda m: m.arange(24, dtype=m.float32).reshape(2, 3, 4) / 7,
    "4d": lambda m: m.ones(2, 2, 2, 2),
    "column": lambda m: m.ones(3, 1),
    "large_vector": lambda m: m.arange(2000, dtype=m.float32) / 3,
    "large_matrix": lambda m: m.arange(5000, dtype=m.float32).reshape(50, 100) / 3,
    "large_3d_int": lambda m: m.arange(3000).reshape(10, 10, 30),
    "large_4d": lambda m: m.ones(5, 5, 5, 10),
    "summarised_int": lambda m: m.arange(1001),
    "summarised_bool": lambda m: m.ones(2000, dtype=m.bool),
    "wide_row": lambda m: m.arange(40, dtype=m.float32) * 1.5,
    "wide_int": lambda m: m.arange(100),
    "wide_matrix": lambda m: m.arange(60, dtype=m.float32).reshape(2, 30) / 7,
    "int32": lambda m: m.tensor([1, 2, 3], dtype=m.int32),
    "int16": lambda m: m.tensor([1, -2], dtype=m.int16),
    "int8": lambda m: m.tensor([1, -2], dtype=m.int8),
    "uint8": lambda m: m.tensor([1, 200], dtype=m.uint8),
    "int64_big": lambda m: m.tensor([10**12, -5]),
    "bool": lambda m: m.tensor([True, False, True]),
    "bool_matrix": lambda m: m.tensor([[True, False], [False, True]]),
    "float64": lambda m: m.tensor([1.5, 2.25], dtype=m.float64),
    "float64_0d": lambda m: m.tensor(1.5, dtype=m.float64),
    "float64_random": lambda m: _randn(m, 3, 3, dtype=np.float64),
    "float16": lambda m: m.tensor([1.5, 2.25, 1000.0], dtype=m.float16),
    "float16_0d": lambda m: m.tensor(1.5, dtype=m.float16),
    "negative": lambda m: m.tensor([-1.5, -2.0, -300.125]),
    "tiny": lambda m: m.tensor([1e-5, 2e-5]),
    "tiny_and_one": lambda m: m.tensor([1e-5, 1.0]),
    "1e-4_boundary": lambda m: m.tensor([0.0001, 0.5]),
    "huge": lambda m: m.tensor([1e9, 2e9]),
    "huge_0d": lambda m: m.tensor(1e9),
    "1e8_boundary": lambda m: m.tensor([1e8, 1.0]),
    "above_1e8": lambda m: m.tensor([1.5e8, 1.0]),
    "huge_integer_valued": lambda m: m.tensor([123456789.0, 1.0]),
    "ratio_above_1000": lambda m: m.tensor([1.0, 1000.5]),
    "ratio_integer_valued": lambda m: m.tensor([1.5, 1001.0]),
    "mixed": lambda m: m.tensor([0.001, 100.0, 12345.6]),
    "precision": lambda m: m.tensor([0.1234567, 0.00012]),
    "inf_nan": lambda m: m.tensor([float("inf"), float("nan"), 1.5, -float("inf")]),
    "inf_nan_integer_valued": lambda m: m.tensor([float("inf"), float("nan"), 1.0]),
    "only_nan": lambda m: m.tensor([float("nan")]),
    "zeros": lambda m: m.zeros(2, 3),
    "negative_zero": lambda m: m.tensor([-0.0, 1.0]),
    "random": lambda m: _randn(m, 4, 5),
    "random_large": lambda m: _randn(m, 40, 50),
    "random_scientific": lambda m: _randn(m, 4, 5, scale=1e6),
    "empty": lambda m: m.tensor([]),
    "empty_2d": lambda m: m.zeros(0, 3),
    "empty_columns": lambda m: m.zeros(2, 0),
    "empty_int": lambda m: m.zeros(0, dtype=m.int64),
    "empty_float64": lambda m: m.zeros(0, dtype=m.float64),
    "requires_grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad_0d": lambda m: m.tensor(2.0, requires_grad=True),
    "requires_grad_float64": lambda m: m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True),
    "grad_fn": lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_sum": lambda m: (m.tensor([1.0, 2.0], requires_grad=True) * 2).sum(),
    "grad_fn_wraps": lambda m: m.arange(20.0, requires_grad=True) * 1.123,
    "suffixes_wrap": lambda m: m.arange(14.0, dtype=m.float64, requires_grad=True) * 1.123,
    "parameter": lambda m: m.nn.Parameter(m.tensor([1.0, 2.0])),
    "parameter_matrix": lambda m: m.nn.Parameter(m.tensor([[1.0, 2.0], [3.0, 4.0]])),
    "parameter_no_grad": lambda m: m.nn.Parameter(m.tensor([1.0, 2.0]), requires_grad=False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_and_str_match_torch(name):
    expected, got = CASES[name](torch), CASES[name](gg)
    assert repr(got) == repr(expected)
    assert str(got) == str(expected)


OPTION_SETTINGS = [
    {"precision": 2},
    {"precision": 8},
    {"precision": 0},
    {"sci_mode": True},
    {"sci_mode": False},
    {"threshold": 5},
    {"linewidth": 40},
    {"profile": "short"},
    {"profile": "full"},
    {"edgeitems": 1, "threshold": 10},
    {"edgeitems": 0, "threshold": 10},
]


def _option_samples(m):
    return [
        m.tensor([1.123456789, 22.5, 0.001]),
        m.arange(2000, dtype=m.float32) / 3,
        m.tensor(3.14159),
        m.tensor([1e-5, 1.0]),
        m.arange(30.0).reshape(3, 10),
        m.tensor([1.0, 2.0]),
        m.arange(12).reshape(3, 4),
    ]


@pytest.fixture
def reset_printoptions():
    yield
    torch.set_printoptions(profile="default", sci_mode=None)
    gg.set_printoptions(profile="default", sci_mode=None)


@pytest.mark.parametrize("options", OPTION_SETTINGS, ids=str)
def test_set_printoptions_matches_torch(options, reset_printoptions):
    torch.set_printoptions(**options)
    gg.set_printoptions(**options)
    for expected, got in zip(_option_samples(torch), _option_samples(gg)):
        assert repr(got) == repr(expected)
    assert gg.get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_reset_by_default_profile(reset_printoptions):
    gg.set_printoptions(precision=2, linewidth=30)
    gg.set_printoptions(profile="default")
    assert repr(gg.tensor([1.23456])) == "tensor([1.2346])"
    assert gg.get_printoptions()["linewidth"] == 80


def test_sci_mode_is_reset_by_each_call(reset_printoptions):
    for m in (torch, gg):
        m.set_printoptions(sci_mode=True)
        m.set_printoptions(precision=3)
    assert repr(gg.tensor([1.23456])) == repr(torch.tensor([1.23456])) == "tensor([1.235])"


def test_default_dtype_float64_changes_suffixes():
    try:
        for m in (torch, gg):
            m.set_default_dtype(m.float64)
        for make in (
            lambda m: m.tensor([1.5]),
            lambda m: m.tensor([1.5], dtype=m.float32),
            lambda m: m.zeros(0),
            lambda m: m.zeros(0, dtype=m.float32),
        ):
            assert repr(make(gg)) == repr(make(torch))
    finally:
        for m in (torch, gg):
            m.set_default_dtype(m.float32)


OTHER_REPRS = {
    "size": lambda m: repr(m.Size([2, 3])) + str(m.Size([2, 3])) + repr(m.zeros(2, 3).shape),
    "size_empty": lambda m: repr(m.Size([])),
    "size_slice": lambda m: repr(m.zeros(2, 3, 4).shape[1:]),
    "size_concat": lambda m: repr(m.Size([2, 3]) + (4,)) + repr((1,) + m.Size([2])),
    "size_repeat": lambda m: repr(m.Size([2, 3]) * 2),
    "dtypes": lambda m: " ".join(
        repr(d) for d in (m.float32, m.float, m.double, m.half, m.long, m.int, m.bool, m.uint8)
    ),
    "dtype_str": lambda m: str(m.int64),
    "device": lambda m: repr(m.device("cpu")) + str(m.device("cpu")),
    "device_index": lambda m: repr(m.device("cpu", 0)) + str(m.device("cpu:0")),
    "device_cuda_object": lambda m: repr(m.device("cuda:1")) + str(m.device("cuda")),
    "tensor_device": lambda m: repr(m.zeros(2).device),
    "format_0d": lambda m: f"{m.tensor(3.14159):.3f}",
    "format_int": lambda m: f"{m.tensor(3):5d}",
    "format_requires_grad": lambda m: f"{m.tensor(3.14159, requires_grad=True):.3f}",
    "format_empty_spec": lambda m: f"{m.tensor(3.5)}",
    "format_nd": lambda m: format(m.tensor([1.0, 2.0])),
    "fstring_nd": lambda m: f"{m.tensor([[1.0, 2.0]])}",
    "parameter_str": lambda m: str(m.nn.Parameter(m.ones(2))),
    "grad_fn_node": lambda m: type((m.ones(1, requires_grad=True) * 2).grad_fn).__name__,
}


@pytest.mark.parametrize("name", sorted(OTHER_REPRS))
def test_other_reprs_match_torch(name):
    assert OTHER_REPRS[name](gg) == OTHER_REPRS[name](torch)


def test_format_spec_on_one_element_tensors_is_a_superset_of_torch():
    assert f"{gg.tensor([3.14159]):.3f}" == "3.142"
    assert f"{gg.tensor([[3.14159]]):.2f}" == "3.14"
    assert f"{gg.nn.Parameter(gg.tensor(2.0)):.1f}" == "2.0"
    assert f"{gg.tensor([3.5])}" == str(torch.tensor([3.5]))


def test_format_spec_on_many_elements_raises_like_torch():
    with pytest.raises(TypeError):
        format(torch.tensor([1.0, 2.0]), ".2f")
    with pytest.raises(TypeError, match="unsupported format string"):
        format(gg.tensor([1.0, 2.0]), ".2f")


def test_printing_does_not_record_or_modify():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    repr(y)
    assert y.grad_fn.name() == "MulBackward0"
    assert x._version == 0
