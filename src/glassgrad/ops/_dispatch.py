"""How the operands of a binary op meet, before any op runs.

Python numbers and NumPy values become operands (``as_operand``), dtypes promote as
PyTorch promotes them (``promoted_arrays``; a Python number adapts to a tensor's dtype), and
shapes must broadcast (``_check_broadcast``, with PyTorch's message). ``_binary`` is the
path every arithmetic operator takes, fastest for the common case: a float tensor with a
tensor of its dtype or with a Python number.
"""

from __future__ import annotations

from numbers import Number
from typing import TYPE_CHECKING

from glassgrad import _dtypes
from glassgrad._backend import ndarray, xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.autograd.grad_mode import STATE
from glassgrad.ops._op import _record

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor


_FLOAT_KIND = 2


def as_operand(x, name: str = "other"):
    """A Tensor or a Python number; NumPy arrays and scalars become tensors."""
    if isinstance(x, TensorBase) or type(x) is float or type(x) is int:
        return x
    if isinstance(x, bool) or (isinstance(x, Number) and not isinstance(x, xp.generic)):
        return x
    if isinstance(x, (ndarray, xp.generic)):
        return _new_tensor(xp.asarray(x))
    raise TypeError(
        f"unsupported operand type for a tensor op: {type(x).__name__} ({name}); "
        "use a Tensor or a Python number"
    )


def _cast(x, np_dtype):
    if isinstance(x, TensorBase):
        d = x._data
        return d if d.dtype == np_dtype else d.astype(np_dtype)
    return x


def promoted_arrays(a, b, float_result: bool = False):
    """The arrays of ``a`` and ``b`` cast to PyTorch's result dtype for a binary op.

    Fast paths cover a tensor with a same-dtype tensor or with a Python number of its
    own category: NumPy then already computes in the right dtype.
    """
    ta = isinstance(a, TensorBase)
    tb = isinstance(b, TensorBase)
    if ta and tb:
        da, db = a._data, b._data
        if da.dtype == db.dtype and (not float_result or da.dtype.kind == "f"):
            return da, db
    elif ta and not float_result:
        kind = a._data.dtype.kind
        if kind == "f" or (kind in "iu" and not isinstance(b, float)):
            if not (isinstance(b, bool) and kind != "f"):
                return a._data, b
    elif tb and not float_result:
        kind = b._data.dtype.kind
        if kind == "f" or (kind in "iu" and not isinstance(a, float)):
            if not (isinstance(a, bool) and kind != "f"):
                return a, b._data
    result = _dtypes.result_dtype(a, b)
    if float_result and not result.is_floating_point:
        result = _dtypes.DEFAULTS.float_dtype
    np_dtype = result.np
    return _cast(a, np_dtype), _cast(b, np_dtype)


def _binary(cls, a, b, float_result: bool = False):
    # Fast path, most of all calls: a float tensor with a tensor of the same dtype or with a
    # Python float/int. NumPy then computes in PyTorch's result dtype with no cast.
    if isinstance(a, TensorBase):
        da = a._data
        if da.dtype.kind == "f":
            if isinstance(b, TensorBase):
                db = b._data
                if db.dtype == da.dtype:
                    if db.shape != da.shape and da.ndim and db.ndim:  # (0-d goes with any)
                        _check_broadcast(cls, a, b)
                    if (a._rg or b._rg) and STATE.enabled:
                        return _record(cls, (a, b), (da, db), _NO_PARAMS)
                    return cls.run((a, b), (da, db), _NO_PARAMS)
            elif type(b) is float or type(b) is int:
                if a._rg and STATE.enabled:
                    return _record(cls, (a, b), (da, b), _NO_PARAMS)
                return cls.run((a, b), (da, b), _NO_PARAMS)
    elif (type(a) is float or type(a) is int) and isinstance(b, TensorBase):
        db = b._data
        if db.dtype.kind == "f":
            return cls.run((a, b), (a, db), _NO_PARAMS)
    a = as_operand(a, "input")
    b = as_operand(b)
    if isinstance(a, TensorBase) and isinstance(b, TensorBase):
        _check_broadcast(cls, a, b)
    arrays = promoted_arrays(a, b, float_result)
    return cls.run((a, b), arrays, {})


_NO_PARAMS: dict = {}  # never mutated: ops take params as keywords


def _check_broadcast(cls, a: Tensor, b: Tensor) -> None:
    sa, sb = a._data.shape, b._data.shape
    if sa == sb:
        return
    for x, y in zip(reversed(sa), reversed(sb)):
        if x not in (y, 1) and y != 1:
            op = cls if isinstance(cls, str) else cls.op_name.lower()
            raise RuntimeError(
                f"{op}: the size of tensor a ({x}) must match the size of tensor b ({y}) at a "
                f"non-singleton dimension: shapes {list(sa)} and {list(sb)} do not broadcast. "
                "Reshape one of them (e.g. with .view or .unsqueeze) so every dimension is "
                "equal or 1."
            )
