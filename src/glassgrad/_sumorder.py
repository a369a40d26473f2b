"""Floating-point sums added up in PyTorch's CPU order, so printed results match to the bit.

Rounding makes a float sum depend on the order of its additions. PyTorch's CPU kernel adds
eight float32 (four float64) lanes side by side, four interleaved accumulators per lane and a
cascade of partial sums every few rows; NumPy sums pairwise. Over a lesson's
``loss.item()`` prints the two drift apart in the last digits, so ``torch_order_sum``
reproduces PyTorch's order for the reductions lessons do: everything, the last dimension of a
contiguous tensor, or the first dimension of a contiguous matrix. Other reductions, and tensors
large enough for PyTorch to split the work between threads, use NumPy's sum.
"""

from __future__ import annotations

from glassgrad._backend import xp

__all__ = ["torch_order_sum"]

_LEVELS = 4  # partial-sum levels of the cascade
_ILP = 4  # interleaved accumulators per lane
_SERIAL_LIMIT = 32768  # PyTorch's grain size: larger reductions may be split between threads


def _in_order(parts, axis: int = 0):
    """Add ``parts`` (stacked along ``axis``) strictly one after another, starting from zero:
    a cumulative sum never reorders, unlike NumPy's pairwise ``sum``."""
    total = xp.add.accumulate(parts, axis=axis).take(-1, axis=axis)
    return total + 0.0  # PyTorch starts from +0.0, so an all-zero sum is never -0.0


def _cascade(rows):
    """Sum ``rows`` over axis 0 as PyTorch's cascade does: blocks of ``step`` rows added in
    order, each block's sum carried up a level; a level is carried on every ``step`` blocks."""
    size = rows.shape[0]
    power = max(4, (size - 1).bit_length() // _LEVELS) if size > 1 else 4
    step, mask = 1 << power, (1 << power) - 1
    blocks = size // step
    tail = rows[blocks * step :]
    if not blocks:
        return _in_order(tail) if size else xp.zeros(rows.shape[1:], dtype=rows.dtype)
    block_sums = _in_order(rows[: blocks * step].reshape((blocks, step) + rows.shape[1:]), 1)
    if blocks < step:  # no carry beyond level 1: it simply adds the block sums in order
        return _in_order(xp.concatenate([tail, _in_order(block_sums)[None]]))
    zero = xp.zeros(rows.shape[1:], dtype=rows.dtype)
    levels = [zero] * _LEVELS
    for b in range(blocks):
        carry, done = block_sums[b], (b + 1) * step
        for j in range(1, _LEVELS):
            levels[j] = levels[j] + carry
            if j == _LEVELS - 1 or done & (mask << (j * power)):
                break
            carry, levels[j] = levels[j], zero
    return _in_order(xp.concatenate([zero[None], tail, xp.stack(levels[1:])]))


def _row_sum(rows):
    """Sum over axis 0 with four interleaved accumulators (PyTorch's ``row_sum``)."""
    groups = rows.shape[0] // _ILP
    partial = _cascade(rows[: groups * _ILP].reshape((groups, _ILP) + rows.shape[1:]))
    return _in_order(xp.concatenate([partial[:1], rows[groups * _ILP :], partial[1:]]))


def _inner_sum(matrix, lanes: int):
    """Sum each row of a C-contiguous (rows, n) matrix."""
    n = matrix.shape[1]
    if n < lanes:
        return _row_sum(matrix.T)
    vectors = n // lanes
    lane_sums = _row_sum(matrix[:, : vectors * lanes].reshape(-1, vectors, lanes).swapaxes(0, 1))
    return _in_order(xp.concatenate([matrix[:, vectors * lanes :], lane_sums], axis=1), 1)


def _outer_sum(matrix, lanes: int):
    """Sum each column of a C-contiguous (n, cols) matrix."""
    cols = matrix.shape[1]
    width = _ILP * lanes if cols >= lanes else _ILP
    split = cols // width * width
    parts = []
    if split:
        parts.append(_cascade(matrix[:, :split]))
    if split < cols:
        parts.append(_row_sum(matrix[:, split:]))
    return parts[0] if len(parts) == 1 else xp.concatenate(parts)


def _short_sum(x):
    """The full sum of fewer elements than one SIMD vector holds, in the order ``_inner_sum``
    adds them (four accumulators seeded from zero, the tail, then accumulators 1-3), with
    scalar arithmetic: the same roundings at a fraction of the array calls."""
    zero = x.dtype.type(0)
    values = list(x)  # NumPy scalars, unpacked in one C call
    if len(values) < _ILP:
        total = zero
        for value in values:
            total = total + value
        return total + zero + zero + zero
    total = zero + values[0]
    for value in values[_ILP:]:
        total = total + value
    return total + (zero + values[1]) + (zero + values[2]) + (zero + values[3])


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def torch_order_sum(a, axes, keepdims: bool = False):
    """``a.sum(axis=axes, keepdims=keepdims)`` for a float32/float64 array, in PyTorch's order
    where it is known (see the module docstring), else NumPy's."""
    dtype = a.dtype
    if dtype.kind != "f" or dtype.itemsize not in (4, 8) or not 1 < a.size <= _SERIAL_LIMIT:
        return a.sum(axis=axes, keepdims=keepdims)  # (float32 and float64 are summed below)
    ndim = a.ndim
    if (
        ndim == 1
        and (axes is None or axes == (0,) or axes == (-1,))
        and a.size < 32 // dtype.itemsize
        and a.strides[0] == dtype.itemsize
    ):  # the commonest tiny case (a short contiguous vector, summed whole), straight through
        total = xp.asarray(_short_sum(a))
        return total.reshape((1,) if keepdims else ())
    if a.size < 32 // a.dtype.itemsize and a.flags.c_contiguous:
        # fewer elements than one vector: a scalar loop, if every dimension longer than 1 goes
        # (plain loops: comprehensions cost more than the sum itself at this size)
        reduced = range(ndim) if axes is None else set()
        whole = True
        if axes is not None:
            for ax in axes if isinstance(axes, tuple) else (axes,):
                reduced.add(ax % ndim)
            for d, size in enumerate(a.shape):
                if size != 1 and d not in reduced:
                    whole = False
                    break
        if whole:
            total = xp.asarray(_short_sum(a.reshape(-1)))
            return total.reshape((1,) * (ndim if keepdims else ndim - len(reduced)))
    reduced = (
        set(range(ndim))
        if axes is None
        else {ax % ndim for ax in (axes if isinstance(axes, tuple) else (axes,))}
    )
    lanes = 32 // a.dtype.itemsize
    big = [d for d in range(ndim) if a.shape[d] != 1]
    big_reduced = [d for d in big if d in reduced]
    if not big_reduced:
        return a.sum(axis=axes, keepdims=keepdims)
    out_shape = tuple(1 if d in reduced else a.shape[d] for d in range(ndim))
    # PyTorch walks memory in order: view a transposed array in its memory layout first.
    order = sorted(big, key=lambda d: -a.strides[d])
    b = a.transpose(order + [d for d in range(ndim) if d not in order])
    memory_reduced = [k for k, d in enumerate(order) if d in reduced]
    if len(big_reduced) == len(big):
        out = _inner_sum(a.ravel(order="K").reshape(1, -1), lanes).reshape(())
    elif not b.flags.c_contiguous:
        return a.sum(axis=axes, keepdims=keepdims)
    elif memory_reduced == list(range(len(order) - len(memory_reduced), len(order))):
        # trailing dimensions: one contiguous run per output element
        out = _inner_sum(b.reshape(-1, _prod(b.shape[len(order) - len(memory_reduced) :])), lanes)
    elif memory_reduced == list(range(len(memory_reduced))):
        # leading dimensions: whole rows added together
        out = _outer_sum(b.reshape(_prod(b.shape[: len(memory_reduced)]), -1), lanes)
    else:
        return a.sum(axis=axes, keepdims=keepdims)
    kept = [d for d in order if d not in reduced]
    out = out.reshape([a.shape[d] for d in kept]).transpose([kept.index(d) for d in sorted(kept)])
    out = out.reshape(out_shape)
    if not keepdims:
        out = out.reshape(tuple(a.shape[d] for d in range(ndim) if d not in reduced))
    return out
