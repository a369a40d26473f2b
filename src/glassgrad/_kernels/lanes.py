"""PyTorch's element-at-a-time tail: where its CPU activations put a NaN (or -0.0) elsewhere.

PyTorch's CPU kernels run most of a tensor through SIMD registers and the rest (the tail of a
contiguous tensor, or all of a strided one) one element at a time, and for several activations
the two code paths put a NaN input (or a -0.0) on different sides of a comparison. An op
computes the SIMD result with NumPy; ``redo_scalar_lanes`` then recomputes PyTorch's
element-at-a-time lanes with the op's scalar formula. Its plain twin keeps the SIMD result
everywhere: the two differ only at NaN inputs and in the sign of a zero.
"""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._kernels.simd import vector_bytes

__all__ = ["keep_simd_lanes", "redo_scalar_lanes", "scalar_lanes"]


def redo_scalar_lanes(result, a, grad, scalar, avx512_kernel: bool = False, nan_only: bool = False):
    """``result`` with PyTorch's element-at-a-time lanes recomputed as ``scalar(a, grad, result)``
    (flat arrays of those lanes; ``grad`` None in a forward; ``avx512_kernel`` as in
    ``scalar_lanes``).
    ``nan_only``: the two paths differ only at NaN inputs, so lanes without one are kept."""
    lanes = scalar_lanes(a, grad, avx512_kernel)
    if lanes is None:
        return result
    x = a.reshape(-1)[lanes]
    if nan_only and not xp.isnan(x).any():
        return result
    if type(result) is not ndarray or not result.flags.c_contiguous or not result.flags.writeable:
        result = xp.array(result, order="C")
    flat = result.reshape(-1)
    g = None
    if grad is not None:
        if not any(grad.strides):  # one value broadcast: no need to materialise it
            g = xp.broadcast_to(grad[(0,) * grad.ndim], x.shape)
        else:
            g = xp.broadcast_to(grad, a.shape).reshape(-1)[lanes]
    flat[lanes] = scalar(x, g, flat[lanes])
    return result


def keep_simd_lanes(result, a, grad, scalar, avx512_kernel: bool = False, nan_only: bool = False):
    """The twin of ``redo_scalar_lanes``: ``result`` as the SIMD formula gave it everywhere."""
    return result


def scalar_lanes(a, grad=None, avx512_kernel: bool = False):
    """The row-major positions of ``a`` that PyTorch's CPU loop takes one at a time: None, a
    slice or an index array.

    The loop runs along rows made of the trailing dimensions contiguous in every operand (all
    of a contiguous tensor), two SIMD registers per step, and takes each row's last
    ``row % (2 * lanes)`` elements one by one, so a strided innermost dimension runs element
    by element. A fully broadcast gradient (the backward of a sum) does not break the rows.
    The register width is that of the kernel's build (``avx512_kernel``, see ``simd``).
    """
    row = a.size if a.flags.c_contiguous else _inner_block(a)
    if grad is not None and not grad.flags.c_contiguous and any(grad.strides):
        row = min(row, _inner_block(grad))
    tail = row % (2 * vector_bytes(avx512_kernel) // a.itemsize)
    if not tail or not a.size:
        return None
    if tail == row:
        return slice(None)
    if row == a.size:
        return slice(row - tail, None)
    return (xp.arange(0, a.size, row)[:, None] + xp.arange(row - tail, row)).reshape(-1)


def _inner_block(x) -> int:
    """Elements in the innermost run of ``x`` that is contiguous in memory (PyTorch's loop
    merges such trailing dimensions into one row)."""
    block = 1
    for size, stride in zip(reversed(x.shape), reversed(x.strides)):
        if size == 1:
            continue
        if stride != block * x.itemsize:
            break
        block *= size
    return block
