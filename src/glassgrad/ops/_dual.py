"""Helpers for backward formulas that run on arrays and on tensors alike.

A plain backward works on NumPy arrays; ``create_graph=True`` runs the same formula on
tensors so that it is recorded. Operators (``*``, ``/``, ``@``) already work on both; the
functions here cover the rest with one type check each.
"""

from __future__ import annotations

from glassgrad._backend import ndarray, xp


def is_array(x) -> bool:
    return type(x) is ndarray


def exp(x):
    return xp.exp(x) if type(x) is ndarray else x.exp()


def log(x):
    return xp.log(x) if type(x) is ndarray else x.log()


def sin(x):
    return xp.sin(x) if type(x) is ndarray else x.sin()


def cos(x):
    return xp.cos(x) if type(x) is ndarray else x.cos()


def sqrt(x):
    return xp.sqrt(x) if type(x) is ndarray else x.sqrt()


def sign(x):
    return xp.sign(x) if type(x) is ndarray else x.sign()


def tanh(x):
    return xp.tanh(x) if type(x) is ndarray else x.tanh()


def abs(x):  # noqa: A001
    return xp.abs(x) if type(x) is ndarray else x.abs()


def square(x):
    return x * x


def where(cond, a, b):
    """``cond`` is a constant bool array; ``a``/``b`` arrays, tensors or numbers."""
    if type(a) is ndarray or type(b) is ndarray or not (_is_tensor(a) or _is_tensor(b)):
        return xp.where(cond, a, b)
    from glassgrad.ops.elementwise import where as twhere

    return twhere(_const(cond), a, b)


def mask(x, cond):
    """``x`` where ``cond`` (a constant bool array) holds, else 0, keeping x's dtype."""
    if type(x) is ndarray:
        return x * cond
    return x * _const(cond.astype(x._data.dtype))


def sum(x, axis=None, keepdims=False):  # noqa: A001
    if type(x) is ndarray:
        return x.sum(axis=axis, keepdims=keepdims)
    if axis is None:
        return x.sum()
    return x.sum(dim=axis, keepdim=keepdims)


def expand(x, shape):
    return xp.broadcast_to(x, shape) if type(x) is ndarray else x.expand(*shape)


def unsqueeze_dims(x, dims, ndim):
    """Re-insert reduced dimensions ``dims`` (non-negative, of an ``ndim``-d input)."""
    shape = list(x.shape)
    for d in sorted(dims):
        shape.insert(d, 1)
    return x.reshape(tuple(shape))


def swap_last(x):
    if type(x) is ndarray:
        return x.swapaxes(-1, -2)
    return x.transpose(-1, -2)


def transpose(x, dim0, dim1):
    return x.swapaxes(dim0, dim1) if type(x) is ndarray else x.transpose(dim0, dim1)


def permute(x, axes):
    return x.transpose(axes) if type(x) is ndarray else x.permute(*axes)


def cumsum(x, axis):
    return xp.cumsum(x, axis=axis) if type(x) is ndarray else x.cumsum(axis)


def flip(x, axis):
    return xp.flip(x, axis=axis) if type(x) is ndarray else x.flip(axis)


def zeros_with(x, index, shape, accumulate: bool):
    """Zeros of ``shape`` with ``x`` written (or added, for repeated indices) at ``index``."""
    if type(x) is ndarray:
        out = xp.zeros(shape, dtype=x.dtype)
        if accumulate:
            xp.add.at(out, index, x)
        else:
            out[index] = x
        return out
    from glassgrad.ops.movement import IndexPutZeros

    return IndexPutZeros.apply(x, index=index, shape=shape, accumulate=accumulate)


def _is_tensor(x) -> bool:
    return hasattr(x, "_data") and hasattr(x, "grad_fn")


def _const(array):
    from glassgrad.tensor import _new_tensor

    return _new_tensor(array)
