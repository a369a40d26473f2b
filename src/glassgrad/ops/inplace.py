"""In-place updates: ``x -= lr * g``, ``add_``, ``zero_``, ``copy_``, ``fill_``.

Outside the graph (``no_grad``, or tensors that need no gradient) they write into the
array itself, so views see the change. Inside the graph, the op is recorded out of place
and the tensor takes the new value and ``grad_fn``, as PyTorch rebases its history.
"""

from __future__ import annotations

from glassgrad import _dtypes
from glassgrad._backend import xp
from glassgrad.autograd.grad_mode import STATE
from glassgrad.ops import elementwise as E
from glassgrad.tensor import Tensor

LEAF_INPLACE = (
    "a leaf Variable that requires grad is being used in an in-place operation. Wrap the "
    "update in `with torch.no_grad():` (as optimizers do), or operate on a clone."
)

_UFUNCS = {
    "add": xp.add,
    "sub": xp.subtract,
    "mul": xp.multiply,
    "div": xp.true_divide,
    "pow": xp.power,
}
_OUT_OF_PLACE = {"add": E.add, "sub": E.sub, "mul": E.mul, "div": E.div, "pow": E.pow}


def check_inplace(t: Tensor, recording: bool) -> None:
    """Refuse in-place changes PyTorch refuses: to a leaf (or its view) that requires grad."""
    if recording and t._rg and t.grad_fn is None:
        raise RuntimeError(LEAF_INPLACE)
    if recording and t._extra and t._extra.get("view_of_leaf"):
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap it in `with torch.no_grad():` or clone it first."
        )


def _cast_error(t: Tensor, result: _dtypes.dtype, op: str) -> RuntimeError:
    return RuntimeError(
        f"result type {_type_name(result)} can't be cast to the desired output type "
        f"{_type_name(t.dtype)} (in-place {op} on a {t.dtype!r} tensor); use an out-of-place "
        "op, or convert the tensor first (e.g. x = x.float())"
    )


def _type_name(d: _dtypes.dtype) -> str:
    return {
        "float32": "Float",
        "float64": "Double",
        "float16": "Half",
        "int64": "Long",
        "int32": "Int",
        "int16": "Short",
        "int8": "Char",
        "uint8": "Byte",
        "bool": "Bool",
    }[d.name]


def inplace(t: Tensor, op: str, other) -> Tensor:
    """``t <op>= other``."""
    other = E.as_operand(other)
    recording = STATE.enabled and (t._rg or (isinstance(other, Tensor) and other._rg))
    check_inplace(t, recording)
    dtype = t._data.dtype
    if isinstance(other, Tensor) or dtype.kind != "f" or op in ("div", "pow"):
        result = _dtypes.result_dtype(t, other)
        if op == "div" and not result.is_floating_point:
            result = _dtypes.DEFAULTS.float_dtype
        if _dtypes.promote(result, t.dtype) is not t.dtype:
            raise _cast_error(t, result, op)
    if recording:
        new = _OUT_OF_PLACE[op](t, other)
        _rebase(t, new)
        return t
    o = other._data if isinstance(other, Tensor) else other
    if isinstance(other, Tensor):
        _check_inplace_shape(t, other, op)
    _UFUNCS[op](t._data, o, out=t._data, casting="unsafe")
    t._version[0] += 1
    return t


def _check_inplace_shape(t: Tensor, other: Tensor, op: str) -> None:
    try:
        shape = xp.broadcast_shapes(t._data.shape, other._data.shape)
    except ValueError:
        shape = None
    if shape != t._data.shape:
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(shape) if shape else [list(t.shape), list(other.shape)]} (in-place {op}); "
            "an in-place op cannot change the tensor's shape"
        )


def _rebase(t: Tensor, new: Tensor) -> None:
    """Give ``t`` the value and history of ``new`` (the out-of-place result)."""
    data = new._data
    if data.dtype != t._data.dtype:
        data = data.astype(t._data.dtype)
    if data.shape != t._data.shape:
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(data.shape)}"
        )
    t._data = data
    t.grad_fn = new.grad_fn
    t._out_idx = new._out_idx
    t._rg = new._rg
    t._version[0] += 1


def inplace_unary(t: Tensor, fn) -> Tensor:
    """Apply ``fn`` (an out-of-place op) and store the result into ``t``."""
    recording = STATE.enabled and t._rg
    check_inplace(t, recording)
    if recording:
        _rebase(t, fn(t))
        return t
    new = fn(t.detach())._data
    t._data[...] = new
    t._version[0] += 1
    return t


def fill_(t: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        value = value.item()
    check_inplace(t, STATE.enabled and t._rg)
    if STATE.enabled and t._rg:
        _rebase(t, t * 0 + value)
        return t
    t._data[...] = value
    t._version[0] += 1
    return t


def copy_(t: Tensor, src) -> Tensor:
    src = E.as_operand(src)
    if not isinstance(src, Tensor):
        return fill_(t, src)
    recording = STATE.enabled and (t._rg or src._rg)
    check_inplace(t, recording)
    try:
        xp.broadcast_to(src._data, t._data.shape)
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {list(src.shape)} can't be broadcast to the "
            f"destination's shape {list(t.shape)}"
        ) from None
    if recording:
        _rebase(t, src.to(t.dtype).expand(*t.shape).clone())
        return t
    t._data[...] = src._data
    t._version[0] += 1
    return t


def fill_random(t: Tensor, values) -> Tensor:
    """Write freshly drawn values (``normal_``, ``uniform_``): never recorded, like PyTorch."""
    if STATE.enabled and t._rg and t.grad_fn is None:
        raise RuntimeError(LEAF_INPLACE)
    t._data[...] = values
    t._version[0] += 1
    return t
