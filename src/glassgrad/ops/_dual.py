"""Helpers for backward formulas that run on arrays and on tensors alike.

A plain backward works on NumPy arrays; ``create_graph=True`` runs the same formula on
tensors so that it is recorded. Operators (``*``, ``/``, ``@``) already work on both; the
functions here cover the rest with one type check each.
"""

from __future__ import annotations

import math

from glassgrad._backend import ndarray, xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.ops._op import Op

#: what a plain backward computes with: arrays, and the NumPy scalars 0-d math returns
ARRAYS = (ndarray, xp.generic)


def is_array(x) -> bool:
    return isinstance(x, ARRAYS)


def exp(x):
    return xp.exp(x) if isinstance(x, ARRAYS) else x.exp()


def log(x):
    return xp.log(x) if isinstance(x, ARRAYS) else x.log()


def sin(x):
    return xp.sin(x) if isinstance(x, ARRAYS) else x.sin()


def cos(x):
    return xp.cos(x) if isinstance(x, ARRAYS) else x.cos()


def sqrt(x):
    return xp.sqrt(x) if isinstance(x, ARRAYS) else x.sqrt()


def sign(x):
    """PyTorch's sign, ``(0 < x) - (x < 0)``: -1, 0 or 1, and 0 for NaN (NaN in NumPy's)."""
    if not isinstance(x, ARRAYS):
        return x.sign()
    out = xp.sign(x)
    if out.dtype.kind == "f":
        if out.ndim:
            out[xp.isnan(out)] = 0
        elif out != out:
            out = out.dtype.type(0)
    return out


def tanh(x):
    return xp.tanh(x) if isinstance(x, ARRAYS) else x.tanh()


def abs(x):
    return xp.abs(x) if isinstance(x, ARRAYS) else x.abs()


def square(x):
    return x * x


def where(cond, a, b):
    """``cond`` is a constant bool array; ``a``/``b`` arrays, tensors or numbers."""
    if isinstance(a, ARRAYS) or isinstance(b, ARRAYS) or not (_is_tensor(a) or _is_tensor(b)):
        return xp.where(cond, a, b)
    from glassgrad.ops.elementwise import where as twhere

    return twhere(_const(cond), a, b)


def zeros_like(x):
    """A gradient of zeros shaped as ``x``: exactly 0 even where ``x`` is NaN or inf, as
    PyTorch's zero derivatives are (``x * 0`` keeps a tensor ``x`` in the graph)."""
    return xp.zeros_like(x) if isinstance(x, ARRAYS) else x * 0


def mask(x, cond):
    """``x`` where ``cond`` (a constant bool array) holds, else 0, keeping x's dtype.

    Masked-out entries are 0 even where ``x`` is NaN or inf, as in PyTorch's backward.
    """
    if isinstance(x, ARRAYS):
        return masked_bits(x, cond)
    return x * _const(cond.astype(x._data.dtype))


def masked_bits(x, cond, out=None):
    """``where(cond, x, +0.0)`` for a float array, exact (NaN, -0.0 and inf kept where ``cond``)
    and several times faster than NumPy's masked select on a random mask: the bits of ``x``
    times 1 or 0 as unsigned integers. The mask, widened to those integers, becomes the result,
    so there is one temporary in all. ``out`` may be ``x`` itself. A few elements take one
    ``where`` call instead: cheaper there."""
    itemsize = x.dtype.itemsize
    if x.dtype.kind != "f" or itemsize > 8:
        return xp.where(cond, x, xp.zeros((), dtype=x.dtype))
    if x.size <= _SMALL:
        result = xp.where(cond, x, 0)  # (0 keeps x's dtype; +0.0 where masked, as below)
        if out is None:
            return result
        out[...] = result
        return out
    uint = _UINTS[itemsize]
    bits = xp.asarray(cond).astype(uint)  # 1 where kept, 0 where masked
    if out is not None:
        xp.multiply(x.view(uint), bits, out=out.view(uint))
        return out
    if bits.shape == x.shape:
        return xp.multiply(x.view(uint), bits, out=bits).view(x.dtype)
    return xp.multiply(x.view(uint), bits).view(x.dtype)


_UINTS = {2: xp.dtype(xp.uint16), 4: xp.dtype(xp.uint32), 8: xp.dtype(xp.uint64)}
_SMALL = 64  # elements: up to this many, ``where`` is cheaper than the bit trick


def sum(x, axis=None, keepdims=False):
    if isinstance(x, ARRAYS):
        return x.sum(axis=axis, keepdims=keepdims)
    if axis is None:
        return x.sum()
    return x.sum(dim=axis, keepdim=keepdims)


def expand(x, shape):
    if not isinstance(x, ARRAYS):
        return x.expand(*shape)
    if x.shape == shape:
        return x
    if x.size == 1 and math.prod(shape) <= 4096:
        out = xp.empty(shape, dtype=x.dtype)  # a small fill beats broadcast_to's overhead
        out[...] = x
        return out
    return xp.broadcast_to(x, shape)


def unsqueeze_dims(x, dims, ndim):
    """Re-insert reduced dimensions ``dims`` (non-negative, of an ``ndim``-d input)."""
    shape = list(x.shape)
    for d in sorted(dims):
        shape.insert(d, 1)
    return x.reshape(tuple(shape))


def swap_last(x):
    if isinstance(x, ARRAYS):
        return x.swapaxes(-1, -2)
    return x.transpose(-1, -2)


def transpose(x, dim0, dim1):
    return x.swapaxes(dim0, dim1) if isinstance(x, ARRAYS) else x.transpose(dim0, dim1)


def permute(x, axes):
    return x.transpose(axes) if isinstance(x, ARRAYS) else x.permute(*axes)


def cumsum(x, axis):
    return xp.cumsum(x, axis=axis) if isinstance(x, ARRAYS) else x.cumsum(axis)


def flip(x, axis):
    return xp.flip(x, axis=axis) if isinstance(x, ARRAYS) else x.flip(axis)


def zeros_with(x, index, shape, accumulate: bool):
    """Zeros of ``shape`` with ``x`` written (or added, for repeated indices) at ``index``."""
    if isinstance(x, ARRAYS):
        out = xp.zeros(shape, dtype=x.dtype)
        if accumulate:
            xp.add.at(out, index, x)
        else:
            out[index] = x
        return out
    return IndexPutZeros.apply(x, index=index, shape=shape, accumulate=accumulate)


def _is_tensor(x) -> bool:
    return hasattr(x, "_data") and hasattr(x, "grad_fn")


def _const(array):

    return _new_tensor(array)


def rsqrt(x):
    return 1 / xp.sqrt(x) if isinstance(x, ARRAYS) else x.rsqrt()


def sinh(x):
    return xp.sinh(x) if isinstance(x, ARRAYS) else x.sinh()


def cosh(x):
    return xp.cosh(x) if isinstance(x, ARRAYS) else x.cosh()


def roll(x, shifts, dims):
    if isinstance(x, ARRAYS):
        if dims is None:
            return xp.roll(x.reshape(-1), shifts).reshape(x.shape)
        return xp.roll(x, shifts, dims)
    return x.roll(shifts, dims)


def erf(x):
    if isinstance(x, ARRAYS):
        return erf_array(xp.asarray(x))
    return x.erf()


def value(x):
    """The plain array behind ``x`` (a tensor in create_graph mode; an array, a number or
    None as it is)."""
    return x._data if isinstance(x, TensorBase) else x


def erf_array(a):
    """erf of an array, in the array's dtype."""
    return xp.asarray(xp.frompyfunc(math.erf, 1, 1)(a), dtype=a.dtype)


class IndexPutZeros(Op):
    """Scatter ``x`` into zeros at ``index`` (the gradient of indexing, itself differentiable)."""

    @staticmethod
    def forward(ctx, x, index, shape, accumulate):
        ctx.index = index
        out = xp.zeros(shape, dtype=x.dtype)
        if accumulate:
            xp.add.at(out, index, x)
        else:
            out[index] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index]
