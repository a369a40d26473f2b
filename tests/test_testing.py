"""glassgrad.testing.assert_close: PyTorch's tolerances, exception types and messages."""

import math

import numpy as np
import pytest

import glassgrad

NAN, INF = math.nan, math.inf

# Each case builds its two arguments (and keyword options) from a torch-like module.
CASES = {
    "float32_close_fails": lambda m: (m.tensor([1.0, 2.0, 3.0]), m.tensor([1.0, 2.1, 3.0]), {}),
    "within_default_tol": lambda m: (m.tensor([0.0, 1.0]), m.tensor([1e-6, 1.0]), {}),
    "int_not_equal": lambda m: (m.tensor([[1, 2], [3, 4]]), m.tensor([[1, 2], [3, 5]]), {}),
    "uint8": lambda m: (m.tensor([3, 4], dtype=m.uint8), m.tensor([4, 3], dtype=m.uint8), {}),
    "bool_tensors": lambda m: (m.tensor([True]), m.tensor([False]), {}),
    "shape": lambda m: (m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0, 3.0]), {}),
    "dtype": lambda m: (m.tensor([1.0]), m.tensor([1.0], dtype=m.float64), {}),
    "dtype_unchecked": lambda m: (
        m.tensor([1, 2]),
        m.tensor([1.0, 2.5]),
        {"check_dtype": False},
    ),
    "nan": lambda m: (m.tensor([1.0, NAN]), m.tensor([1.0, NAN]), {}),
    "equal_nan": lambda m: (m.tensor([1.0, NAN]), m.tensor([1.0, NAN]), {"equal_nan": True}),
    "inf": lambda m: (m.tensor([INF]), m.tensor([INF]), {}),
    "opposite_inf": lambda m: (m.tensor([INF]), m.tensor([-INF]), {}),
    "zero_expected": lambda m: (m.tensor([1.0, 2.0]), m.tensor([0.0, 0.0]), {}),
    "0d_tensors": lambda m: (m.tensor(1.0), m.tensor(2.0), {}),
    "0d_int_tensors": lambda m: (m.tensor(3), m.tensor(4), {}),
    "empty": lambda m: (m.zeros(2, 0), m.zeros(2, 0), {}),
    "float16": lambda m: (
        m.tensor([1.0, 2.0], dtype=m.float16),
        m.tensor([1.0, 2.002], dtype=m.float16),
        {},
    ),
    "many": lambda m: (m.ones(1000), m.ones(1000) * 1.001, {}),
    "explicit_tol": lambda m: (
        m.tensor([1.0, 2.0]),
        m.tensor([1.0, 2.1]),
        {"rtol": 0.1, "atol": 0},
    ),
    "stride": lambda m: (m.ones(2, 3), m.ones(2, 3).t().contiguous().t(), {"check_stride": True}),
    "msg_string": lambda m: (m.tensor([1.0]), m.tensor([2.0]), {"msg": "custom"}),
    "msg_callable": lambda m: (m.tensor([1.0]), m.tensor([2.0]), {"msg": lambda s: "X" + s[:9]}),
    "requires_grad": lambda m: (m.tensor([1.0, 2.0]).requires_grad_(), m.tensor([1.0, 2.0]), {}),
    "numpy_arrays": lambda m: (np.array([1.0, 2.0]), np.array([1.0, 2.5]), {}),
    "python_floats": lambda m: (1.0, 1.1, {}),
    "python_ints": lambda m: (1, 2, {}),
    "int_vs_float": lambda m: (1, 1.0, {}),
    "bools": lambda m: (True, False, {}),
    "float_nan": lambda m: (2.0, NAN, {}),
    "float_nan_equal": lambda m: (NAN, NAN, {"equal_nan": True}),
    "list_item": lambda m: ([m.tensor(1.0)], [m.tensor(1.5)], {}),
    "list_lengths": lambda m: ([1, 2], [1, 2, 3], {}),
    "tuple_vs_list": lambda m: ((1, 2), [1, 2], {}),
    "dict_item": lambda m: ({"a": m.tensor(1.0)}, {"a": m.tensor(1.5)}, {}),
    "dict_keys": lambda m: ({"a": m.tensor(1.0)}, {"b": m.tensor(1.0)}, {}),
    "tensor_vs_float": lambda m: (m.tensor(1.0), 1.0, {}),
    "tensor_vs_numpy": lambda m: (m.tensor([1.0]), np.array([1.0]), {}),
    "strings": lambda m: ("a", "a", {}),
    "rtol_without_atol": lambda m: (m.tensor([1.0]), m.tensor([1.0]), {"rtol": 1e-3}),
}


def _outcome(module, case):
    actual, expected, options = case(module)
    try:
        module.testing.assert_close(actual, expected, **options)
    except Exception as error:  # the outcome under test is the exception itself
        return type(error).__name__, str(error)
    return "ok", ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_outcome_and_message_as_torch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for assert_close")
    assert _outcome(glassgrad, CASES[name]) == _outcome(torch, CASES[name])


def test_close_values_pass_and_far_values_fail_without_the_oracle():
    glassgrad.testing.assert_close(glassgrad.tensor([1.0, 2.0]), glassgrad.tensor([1.0, 2.0]))
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        glassgrad.testing.assert_close(glassgrad.tensor([1.0, 2.0]), glassgrad.tensor([1.0, 3.0]))


def test_hasattr_never_raises_for_missing_modules():
    assert hasattr(glassgrad, "testing")
    assert not hasattr(glassgrad, "functional")
    assert not hasattr(glassgrad, "no_such_name")
