"""``torch.testing.assert_close``: compare tensors, scalars and containers of them.

Tests written for PyTorch check results with ``torch.testing.assert_close``; under
``import glassgrad as torch`` they call this, with PyTorch's default tolerances per dtype and
PyTorch's messages, so a failing check reads the same in both.
"""

from __future__ import annotations

import collections.abc
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from glassgrad import _dtypes
from glassgrad._creation import from_numpy
from glassgrad.tensor import Tensor

__all__ = ["assert_close"]

# PyTorch's default (rtol, atol) per dtype; any other dtype is compared exactly.
_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: str | Callable[[str], str] | None = None,
) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close.

    Tensors (and NumPy arrays) must agree in shape and, by default, dtype; their values must
    satisfy ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with PyTorch's
    default tolerances for the dtype when ``rtol`` and ``atol`` are omitted (exact for integers
    and bools). Sequences and mappings are compared item by item. ``allow_subclasses``,
    ``check_device`` and ``check_layout`` are accepted for PyTorch's signature: glassgrad has one
    tensor class, one device and one layout.

    Example:
        >>> import glassgrad as torch
        >>> torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    """
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}."
        )
    options = dict(
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_dtype=check_dtype,
        check_stride=check_stride,
    )
    failure = _compare(actual, expected, options, path="")
    if failure is None:
        return
    if msg is None:
        raise AssertionError(failure)
    raise AssertionError(msg(failure) if callable(msg) else msg)


def _compare(actual: Any, expected: Any, options: dict, path: str) -> str | None:
    """The failure message for this pair (and everything inside it), or None when close."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            return f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            failure = _compare(a, e, options, f"{path}[{index}]")
            if failure is not None:
                return failure
        return None
    if isinstance(actual, collections.abc.Mapping) and isinstance(
        expected, collections.abc.Mapping
    ):
        if set(actual) != set(expected):
            return (
                f"The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(set(expected) - set(actual))}\n"
                f"Additional keys in the actual mapping: {sorted(set(actual) - set(expected))}"
            )
        for key in expected:
            failure = _compare(actual[key], expected[key], options, f"{path}[{key!r}]")
            if failure is not None:
                return failure
        return None
    failure = _compare_leaves(actual, expected, options)
    if failure is not None and path:
        failure += f"\n\nThe failure occurred for item {path}"
    return failure


def _is_sequence(value: Any) -> bool:
    return isinstance(value, collections.abc.Sequence) and not isinstance(value, str)


def _compare_leaves(actual: Any, expected: Any, options: dict) -> str | None:
    if _is_number(actual) and _is_number(expected):
        if type(actual) is not type(expected) and options["check_dtype"]:
            return f"The (d)types do not match: {type(actual)} != {type(expected)}."
        if isinstance(actual, bool) and isinstance(expected, bool):
            return None if actual is expected else f"Booleans mismatch: {actual} is not {expected}"
        return _compare_scalars(actual, expected, options)
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        if isinstance(actual, Tensor) != isinstance(expected, Tensor):
            raise TypeError(_no_pair(actual, expected))
        return _compare_tensors(_as_tensor(actual), _as_tensor(expected), options)
    raise TypeError(_no_pair(actual, expected))


def _no_pair(actual: Any, expected: Any) -> str:
    return (
        f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}."
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float, complex))


def _is_tensor_like(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray))


def _as_tensor(value: Tensor | np.ndarray) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return from_numpy(value)


def _tolerances(dtype_name: str, options: dict) -> tuple[float, float]:
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    return _TOLERANCES.get(dtype_name, (0.0, 0.0))


def _compare_scalars(actual: Any, expected: Any, options: dict) -> str | None:
    kind = "float64" if isinstance(expected, (float, complex)) else "int64"
    rtol, atol = _tolerances(kind, options)
    if _close(actual, expected, rtol, atol, options["equal_nan"]):
        return None
    return _scalar_message(actual, expected, rtol, atol)


def _close(actual: Any, expected: Any, rtol: float, atol: float, equal_nan: bool) -> bool:
    if actual == expected:
        return True
    if _is_nan(actual) or _is_nan(expected):
        return equal_nan and _is_nan(actual) and _is_nan(expected)
    difference = abs(actual - expected)
    return math.isfinite(difference) and difference <= atol + rtol * abs(expected)


def _is_nan(value: Any) -> bool:
    return isinstance(value, (float, complex)) and value != value


def _scalar_message(actual: Any, expected: Any, rtol: float, atol: float) -> str:
    exact = rtol == 0 and atol == 0
    difference = abs(actual - expected)
    relative = (
        difference / abs(expected) if expected else (math.nan if not difference else math.inf)
    )
    return (
        f"Scalars are not {'equal' if exact else 'close'}!\n\n"
        f"Expected {expected} but got {actual}.\n"
        f"Absolute difference: {difference}{_allowed(atol, exact)}\n"
        f"Relative difference: {relative}{_allowed(rtol, exact)}"
    )


def _allowed(tolerance: float, exact: bool) -> str:
    return "" if exact else f" (up to {tolerance} allowed)"


def _compare_tensors(actual: Tensor, expected: Tensor, options: dict) -> str | None:
    checked = [("shape", actual.shape, expected.shape)]
    if options["check_dtype"]:
        checked.append(("dtype", actual.dtype, expected.dtype))
    if options["check_stride"]:
        checked.append(("stride()", actual.stride(), expected.stride()))
    for attribute, got, want in checked:
        if got != want:
            return f"The values for attribute '{attribute}' do not match: {got} != {want}."
    if actual.dtype != expected.dtype:
        common = _dtypes.promote(actual.dtype, expected.dtype)
        actual, expected = actual.to(common), expected.to(common)
    rtol, atol = _tolerances(actual.dtype.name, options)
    got, want = actual.detach().numpy(), expected.detach().numpy()
    matches = _matches(got, want, rtol, atol, options["equal_nan"])
    if matches.all():
        return None
    if got.ndim == 0:
        return _scalar_message(got.item(), want.item(), rtol, atol)
    return _tensor_message(got, want, matches, rtol, atol)


def _matches(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, equal_nan: bool):
    """PyTorch's isclose: equal (infinities included), or within the tolerance, or both NaN."""
    equal = got == want
    if got.dtype.kind not in "fc":
        return equal
    with np.errstate(invalid="ignore", over="ignore"):
        within = np.abs(got - want) <= atol + rtol * np.abs(want)
    close = equal | (within & np.isfinite(got) & np.isfinite(want))
    if equal_nan:
        close |= np.isnan(got) & np.isnan(want)
    return close


def _tensor_message(got, want, matches, rtol: float, atol: float) -> str:
    exact = rtol == 0 and atol == 0
    with np.errstate(all="ignore"):
        if got.dtype.kind in "fc":
            difference = np.abs(got - want)
            relative = difference / np.abs(want)
        else:  # integers and bools: differences in int64, ratios in the default float dtype
            difference = np.abs(got.astype(np.int64) - want.astype(np.int64))
            relative = difference.astype(np.float32) / np.abs(want.astype(np.int64)).astype(
                np.float32
            )
    mismatched = int(matches.size - np.count_nonzero(matches))
    return (
        f"Tensor-likes are not {'equal' if exact else 'close'}!\n\n"
        f"Mismatched elements: {mismatched} / {matches.size} ({mismatched / matches.size:.1%})\n"
        f"Greatest absolute difference: {_greatest(difference)}{_allowed(atol, exact)}\n"
        f"Greatest relative difference: {_greatest(relative)}{_allowed(rtol, exact)}"
    )


def _greatest(differences: np.ndarray) -> str:
    """The largest difference (NaN counts as largest, as in PyTorch) and where it is."""
    flat = differences.reshape(-1)
    nan = np.isnan(flat) if flat.dtype.kind == "f" else np.zeros(flat.shape, bool)
    position = int(np.argmax(nan)) if nan.any() else int(np.argmax(flat))
    index = tuple(int(i) for i in np.unravel_index(position, differences.shape))
    return f"{flat[position].item()} at index {index}"
