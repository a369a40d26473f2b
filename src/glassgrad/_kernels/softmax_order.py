"""Softmax, log-softmax and their gradients computed as PyTorch's CPU softmax kernels do.

Along the last dimension PyTorch sums each row through one SIMD register (``lanes``
accumulators side by side, the leftover elements into the first lanes, then the lanes combined)
and multiplies by the reciprocal of the sum; along another dimension it sums each column in
turn and divides. NumPy sums pairwise and divides, so these kernels replay PyTorch's order. Its
exponentials and logarithms are those of ``vecmath`` (SLEEF's on AVX2/AVX-512, glibc's on the
DEFAULT build), except that along another dimension the last ``inner % lanes`` columns (the
kernel's element-at-a-time tail) take ``std::exp``. The log-softmax gradient
``grad - exp(out) * sum(grad)`` is one fused multiply-add where PyTorch's build fuses. The
plain twins (``plain_*``) are the textbook NumPy formulas.

Softmax along another dimension splits its columns between PyTorch's threads, which moves
the tails: ``simd.intraop_threads`` is PyTorch's default thread count.
"""

from __future__ import annotations

import math

from glassgrad._backend import xp
from glassgrad._kernels.fma import fused_add_
from glassgrad._kernels.simd import (
    fuses_multiply_add,
    halves_float32_registers,
    intraop_threads,
    vector_bytes,
)
from glassgrad._kernels.sumorder import ordered_sum
from glassgrad._kernels.vecmath import scalar_exp, vec_exp, vec_log

__all__ = [
    "log_softmax",
    "log_softmax_backward",
    "plain_log_softmax",
    "plain_log_softmax_backward",
    "plain_softmax",
    "plain_softmax_backward",
    "softmax",
    "softmax_backward",
    "softmax_row_sum",
]

_SOFTMAX_FLOATS = (xp.dtype(xp.float32), xp.dtype(xp.float64))
_FLOAT32 = xp.dtype(xp.float32)


def softmax(a, dim: int):
    """exp(a) / sum(exp(a)) along ``dim``, shifted by the maximum, in PyTorch's order."""
    if not _last(a, dim):
        e = _threaded_exp(a - _max_keepdim(a, dim), dim)
        return e / _column_sum(e, dim)
    lanes = _softmax_lanes(a.dtype) if _short_rows(a, dim) else 0
    if lanes:  # the same arithmetic on the rows as columns of one contiguous copy
        columns = _columns(a)
        e = vec_exp(columns - xp.maximum.reduce(columns, axis=0))
        scale = 1 / _vector_sum(e, lanes)
        return xp.multiply(e.T, scale[:, None], order="C").reshape(a.shape)
    e = vec_exp(a - _max_keepdim(a, dim))
    # PyTorch's last-dimension kernel multiplies by the reciprocal of the sum.
    return e * (1 / softmax_row_sum(e, dim))


def log_softmax(a, dim: int):
    """a - log(sum(exp(a))) along ``dim``, shifted by the maximum, in PyTorch's order."""
    if not _last(a, dim):
        shifted = a - _max_keepdim(a, dim)
        return shifted - vec_log(_column_sum(_inner_exp(shifted, dim), dim))
    lanes = _softmax_lanes(a.dtype) if _short_rows(a, dim) else 0
    if lanes:  # the same arithmetic on the rows as columns of one contiguous copy
        columns = _columns(a)
        shifted = columns - xp.maximum.reduce(columns, axis=0)
        log_total = vec_log(_vector_sum(vec_exp(shifted), lanes))
        return xp.subtract(shifted.T, log_total[:, None], order="C").reshape(a.shape)
    shifted = a - _max_keepdim(a, dim)
    return shifted - vec_log(softmax_row_sum(vec_exp(shifted), dim))


def softmax_backward(grad, out, dim: int):
    """The gradient of ``softmax`` from its output: ``out * (grad - sum(grad * out))``."""
    if _last(out, dim):
        total = softmax_row_sum(grad * out, dim)
    elif fuses_multiply_add():  # each column's sum is one fused multiply-add per step
        total = xp.zeros_like(_max_keepdim(out, dim))
        for g, o in zip(xp.moveaxis(grad, dim, 0), xp.moveaxis(out, dim, 0)):
            fused_add_(xp.squeeze(total, dim), g, o)
    else:
        total = _column_sum(grad * out, dim)
    return (grad - total) * out


def log_softmax_backward(grad, out, dim: int):
    """The gradient of ``log_softmax`` from its output: ``grad - exp(out) * sum(grad)``, the
    product and difference rounded once where PyTorch's build fuses them."""
    if _last(out, dim):
        e, total = vec_exp(out), softmax_row_sum(grad, dim)
    else:
        e, total = _inner_exp(out, dim), _column_sum(grad, dim)
    if not fuses_multiply_add():
        return grad - e * total
    result = xp.array(grad, order="C")
    with xp.errstate(over="ignore", invalid="ignore"):
        fused_add_(result, -e, total)
    return result


def softmax_row_sum(a, dim):
    """``a.sum(axis=dim, keepdims=True)``, along the last dimension in the order of PyTorch's
    softmax kernels (see ``_vector_sum``), else NumPy's."""
    if dim is not None and dim == a.ndim - 1 and a.shape[-1]:
        lanes = _softmax_lanes(a.dtype)
        if lanes:
            columns = xp.ascontiguousarray(a.reshape(-1, a.shape[-1]).T)
            return _vector_sum(columns, lanes).reshape(a.shape[:-1] + (1,))
    return a.sum(axis=dim, keepdims=True)


def plain_softmax(a, dim: int):
    """The twin of ``softmax``: NumPy's exp, sum and division (short rows as columns, see
    ``_short_rows``)."""
    if _short_rows(a, dim):
        e = xp.exp(_shifted_columns(a))
        return xp.divide(e.T, e.sum(axis=0)[:, None], order="C").reshape(a.shape)
    e = xp.exp(a - a.max(axis=dim, keepdims=True, initial=-xp.inf))
    return e / e.sum(axis=dim, keepdims=True)


def plain_log_softmax(a, dim: int):
    """The twin of ``log_softmax``: NumPy's exp, sum and log (short rows as columns)."""
    if _short_rows(a, dim):
        shifted = _shifted_columns(a)
        log_total = xp.log(xp.exp(shifted).sum(axis=0))
        return xp.subtract(shifted.T, log_total[:, None], order="C").reshape(a.shape)
    shifted = a - a.max(axis=dim, keepdims=True, initial=-xp.inf)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))


def plain_softmax_backward(grad, out, dim: int):
    """The twin of ``softmax_backward``: NumPy's sum."""
    return out * (grad - _plain_sum(grad * out, dim))


def plain_log_softmax_backward(grad, out, dim: int):
    """The twin of ``log_softmax_backward``: NumPy's exp and sum."""
    return grad - xp.exp(out) * _plain_sum(grad, dim)


def _plain_sum(a, dim: int):
    """NumPy's ``a.sum(axis=dim, keepdims=True)``, short rows taken as columns."""
    if _short_rows(a, dim):
        return _columns(a).sum(axis=0).reshape(a.shape[:-1] + (1,))
    return a.sum(axis=dim, keepdims=True)


def _last(a, dim) -> bool:
    """Whether PyTorch runs its last-dimension kernel: ``dim`` is the last of several."""
    return a.ndim == 0 or dim in (-1, a.ndim - 1)


def _inner_exp(a, dim: int):
    """exp of ``a`` as PyTorch's kernel for another dimension takes it: vectorised, except the
    last ``inner % lanes`` columns of each block (``inner``: the size of the dimensions after
    ``dim``), its element-at-a-time tail."""
    e = vec_exp(a)
    lanes = _softmax_lanes(a.dtype)
    inner = math.prod(a.shape[dim % a.ndim + 1 :])
    tail = inner % lanes if lanes and inner else 0
    if tail and a.size:
        e = xp.ascontiguousarray(e)
        blocks = e.reshape(-1, inner)  # a view: its tail columns are written into ``e``
        blocks[:, inner - tail :] = scalar_exp(a.reshape(-1, inner)[:, inner - tail :])
    return e


def _threaded_exp(a, dim: int):
    """exp of ``a`` as PyTorch's softmax along another dimension takes it. Its columns (one
    per position of the other dimensions) are split evenly between ``intraop_threads``; each
    thread goes through its columns block by block (a block: the columns of one index before
    ``dim``), ``lanes`` columns at a time, and takes the leftover columns of a block with
    ``std::exp``."""
    e = vec_exp(a)
    lanes = _softmax_lanes(a.dtype)
    if not lanes or not a.size:
        return e
    moved = xp.moveaxis(a, dim, -1)
    columns = a.size // a.shape[dim]
    inner = math.prod(a.shape[dim + 1 :])
    step = -(-columns // min(intraop_threads(), columns))  # columns per thread
    p = xp.arange(columns)
    start = xp.maximum(p // step * step, p // inner * inner)  # where p's run of columns starts
    stop = xp.minimum(xp.minimum(p // step * step + step, p // inner * inner + inner), columns)
    scalar = p - start >= (stop - start) // lanes * lanes
    if scalar.any():
        e_moved = xp.moveaxis(e, dim, -1)  # a view: writing it writes ``e``
        e_moved[scalar.reshape(moved.shape[:-1])] = scalar_exp(
            moved[scalar.reshape(moved.shape[:-1])]
        )
    return e


def _column_sum(a, dim: int):
    """The sum over ``dim`` from +0.0, element after element, keeping the dimension."""
    if not a.shape[dim]:
        return a.sum(axis=dim, keepdims=True)
    return xp.expand_dims(ordered_sum(xp.moveaxis(a, dim, 0), 0.0), dim)


def _shifted_columns(a):
    """The short rows of ``a`` as columns, each less its maximum."""
    columns = _columns(a)
    columns -= xp.maximum.reduce(columns, axis=0)
    return columns


def _short_rows(a, dim) -> bool:
    """Whether ``a`` is many short contiguous rows along ``dim``: NumPy reduces those one row at
    a time (a loop per row), while a transposed copy is reduced in a few vector operations."""
    return (
        dim is not None
        and dim == a.ndim - 1
        and 0 < a.shape[-1] <= 16
        and a.size >= 32 * a.shape[-1]
        and a.flags.c_contiguous
    )


def _columns(a):
    """The short rows of ``a`` (see ``_short_rows``) as the columns of a contiguous matrix."""
    return a.reshape(-1, a.shape[-1]).T.copy()


def _max_keepdim(a, dim):
    """``a.max(axis=dim, keepdims=True)``, ``-inf`` for an empty dimension. A maximum does not
    depend on the order it is taken in, so the transposed form gives the same values."""
    if _short_rows(a, dim):
        return xp.maximum.reduce(_columns(a), axis=0).reshape(a.shape[:-1] + (1,))
    return a.max(axis=dim, keepdims=True, initial=-xp.inf)


def _vector_sum(columns, lanes: int):
    """Each column's sum as PyTorch's ``vec::reduce_all`` adds a row (of ``columns.T``).

    A row shorter than one vector is added element by element. Otherwise each of the
    ``lanes`` accumulators adds its element of every vector in turn, the leftover elements go
    to the first lanes, and the lanes are combined: float32 halves the vector again and again
    (lane i plus lane i + half), float64 adds them in turn. Sums start from the first element,
    as there (a start of -0.0 changes nothing)."""
    size = columns.shape[0]
    if size < lanes:
        return ordered_sum(columns, -0.0)
    full = size // lanes * lanes
    acc = ordered_sum(columns[:full].reshape((-1, lanes) + columns.shape[1:]), -0.0)
    if full < size:
        acc[: size - full] += columns[full:]
    if columns.dtype.itemsize == 8 or not halves_float32_registers():
        return ordered_sum(acc, -0.0)
    half = lanes // 2
    while half:
        acc = acc[:half] + acc[half : 2 * half]
        half //= 2
    return acc[0]


def _softmax_lanes(dtype) -> int:
    """Elements per SIMD vector of PyTorch's softmax kernels for ``dtype`` on this machine (0
    for other dtypes). The kernels have an AVX-512 build."""
    if dtype not in _SOFTMAX_FLOATS:
        return 0
    return vector_bytes(avx512_kernel=True) // dtype.itemsize
