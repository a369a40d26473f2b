"""Softmax and log-softmax added up in the order of PyTorch's CPU softmax kernels.

PyTorch's last-dimension softmax kernels sum each row through one SIMD register (``lanes``
accumulators side by side, the leftover elements into the first lanes, then the lanes combined)
and multiply by the reciprocal of the sum; NumPy sums pairwise and divides. Those orders differ
in the last bits, so ``softmax``, ``log_softmax`` and ``softmax_row_sum`` (the sum their
backward takes) replay PyTorch's order. The exponentials and logarithms are the rounded-once
ones of ``transcendental``. The plain twins (``plain_*``) are the textbook NumPy formulas.
"""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._kernels.simd import halves_float32_registers, vector_bytes
from glassgrad._kernels.sumorder import ordered_sum
from glassgrad._kernels.transcendental import exp, log

__all__ = [
    "log_softmax",
    "plain_log_softmax",
    "plain_row_sum",
    "plain_softmax",
    "softmax",
    "softmax_row_sum",
]

_SOFTMAX_FLOATS = (xp.dtype(xp.float32), xp.dtype(xp.float64))


def softmax(a, dim: int):
    """exp(a) / sum(exp(a)) along ``dim``, shifted by the maximum, in PyTorch's order."""
    lanes = _softmax_lanes(a.dtype) if _short_rows(a, dim) else 0
    if lanes:  # the same arithmetic on the rows as columns of one contiguous copy
        columns = _columns(a)
        e = exp(columns - xp.maximum.reduce(columns, axis=0))
        scale = 1 / _vector_sum(e, lanes)
        return xp.multiply(e.T, scale[:, None], order="C").reshape(a.shape)
    e = exp(a - _max_keepdim(a, dim))
    total = softmax_row_sum(e, dim)
    # PyTorch's last-dimension kernel multiplies by the reciprocal of the sum.
    return e * (1 / total) if dim in (-1, a.ndim - 1) else e / total


def log_softmax(a, dim: int):
    """a - log(sum(exp(a))) along ``dim``, shifted by the maximum, in PyTorch's order."""
    lanes = _softmax_lanes(a.dtype) if _short_rows(a, dim) else 0
    if lanes:  # the same arithmetic on the rows as columns of one contiguous copy
        columns = _columns(a)
        shifted = columns - xp.maximum.reduce(columns, axis=0)
        log_total = log(_vector_sum(exp(shifted), lanes))
        return xp.subtract(shifted.T, log_total[:, None], order="C").reshape(a.shape)
    shifted = a - _max_keepdim(a, dim)
    return shifted - log(softmax_row_sum(exp(shifted), dim))


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


def plain_row_sum(a, dim):
    """The twin of ``softmax_row_sum``: NumPy's sum (short rows as columns)."""
    if _short_rows(a, dim):
        return _columns(a).sum(axis=0).reshape(a.shape[:-1] + (1,))
    return a.sum(axis=dim, keepdims=True)


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
