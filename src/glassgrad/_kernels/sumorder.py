"""Floating-point sums added up in PyTorch's CPU order, so printed results match to the bit.

Rounding makes a float sum depend on the order of its additions. PyTorch's CPU kernel adds
the lanes of one SIMD register side by side (eight float32 or four float64 on x86, see
``simd``), four interleaved accumulators per lane and a cascade of partial sums every few
rows; NumPy sums pairwise. Over a lesson's
``loss.item()`` prints the two drift apart in the last digits, so ``torch_order_sum``
reproduces PyTorch's order for the reductions lessons do: everything, the trailing dimensions
of a tensor, or its leading dimensions (each read in memory order). Other reductions, and
whole-tensor sums large enough for PyTorch to split them between threads, use NumPy's sum.

Every step below is a NumPy reduction over an axis that is not the innermost one in memory:
NumPy then adds whole slices one after another (``out += slice``), which is PyTorch's order
for each element, at NumPy's speed. ``ordered_sum`` checks that layout and falls back to a
loop where it does not hold. ``nll_order_sum`` adds the per-sample losses of ``nll_loss`` in the
order of that kernel. The twins ``plain_sum`` and ``plain_kept_sum`` are NumPy's own sums.
"""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._kernels.simd import vector_bytes

__all__ = ["nll_order_sum", "ordered_sum", "plain_kept_sum", "plain_sum", "torch_order_sum"]

_LEVELS = 4  # partial-sum levels of the cascade
_ILP = 4  # interleaved accumulators per lane
_SERIAL_LIMIT = 32768  # PyTorch's grain size: a larger whole-tensor sum is split between threads


def _slices_in_turn(stack, axis: int) -> bool:
    """Whether ``xp.add.reduce`` over ``axis`` of ``stack`` adds its slices one after another.

    NumPy walks a reduction with the smallest-stride axis innermost. When that is another axis
    (of length > 1), each step adds a whole slice in index order; when ``axis`` itself is
    innermost, NumPy sums it pairwise instead, which is a different order."""
    step = stack.strides[axis]
    if axis < stack.ndim - 1 and stack.shape[-1] > 1 and 0 < stack.strides[-1] < step:
        return True  # the usual layout: a contiguous last axis
    for d, (n, s) in enumerate(zip(stack.shape, stack.strides)):
        if d != axis and n > 1 and 0 < s < step:
            return True
    return False


def ordered_sum(stack, start: float = 0.0):
    """``start + stack[0] + stack[1] + ...`` over axis 0, strictly in turn. PyTorch seeds most
    of its sums with +0.0 (so an all-zero sum is never -0.0); a start of -0.0 leaves the first
    element as it is, for sums that start from it."""
    if _slices_in_turn(stack, 0):
        return xp.add.reduce(stack, axis=0, initial=start)
    total = xp.full(stack.shape[1:], start, dtype=stack.dtype)
    for part in stack:
        total = total + part
    return total


def _block_sums(items, step: int):
    """The ordered sum of each run of ``step`` items (``len(items)`` is a multiple of it)."""
    blocks = items.reshape((items.shape[0] // step, step) + items.shape[1:])
    if _slices_in_turn(blocks, 1):
        return xp.add.reduce(blocks, axis=1, initial=0)
    return ordered_sum(blocks.swapaxes(0, 1))


def _cascade(rows):
    """Sum ``rows`` over axis 0 as PyTorch's ``multi_row_sum`` does.

    It keeps one accumulator per level. Level 0 adds the rows; after every ``step`` rows its
    total is carried into level 1 (and reset), after every ``step`` such carries level 1's total
    goes on into level 2, and so on; the top level keeps all it gets. At the end level 0 adds
    the others in turn. So each level sums, in order, the block sums of the level below that
    arrived after its last carry."""
    size = rows.shape[0]
    step = 1 << max(4, (size - 1).bit_length() // _LEVELS)
    total = None
    items = rows
    for level in range(_LEVELS):
        full = items.shape[0] // step * step if level < _LEVELS - 1 else 0
        if full < items.shape[0]:
            # (a lone block sum needs no adding: it was seeded with +0.0 already)
            left = (
                items[full] if level and full + 1 == items.shape[0] else ordered_sum(items[full:])
            )
            # an empty level 0 holds +0.0, and 0 + x is x for a sum seeded with +0.0
            total = left if total is None else total + left
        if not full:
            break
        items = _block_sums(items[:full], step)
    return xp.zeros(rows.shape[1:], dtype=rows.dtype) if total is None else total


def _row_sum(rows):
    """Sum over axis 0 with four interleaved accumulators (PyTorch's ``row_sum``): row ``i``
    goes to accumulator ``i % 4``, each a cascade; the rows past the last group of four go to
    accumulator 0, which then adds accumulators 1-3."""
    groups = rows.shape[0] // _ILP
    tail = rows[groups * _ILP :]
    if not groups:
        return ordered_sum(tail)
    partial = _cascade(rows[: groups * _ILP].reshape((groups, _ILP) + rows.shape[1:]))
    if tail.shape[0]:
        partial = xp.concatenate((partial[:1], tail, partial[1:]))
    return ordered_sum(partial)


def _scalar_sum(values, zero):
    """``zero + values[0] + values[1] + ...`` on NumPy scalars: the same roundings as arrays,
    without an array call per addition."""
    total = zero
    for value in values:
        total = total + value
    return total


def _inner_sum(matrix, lanes: int):
    """Sum each row of a (rows, n) matrix whose rows are contiguous (``vectorized_inner_sum``):
    ``lanes`` columns side by side through ``_row_sum``, then, per row, the leftover columns
    and the lane totals in turn."""
    rows, n = matrix.shape
    if n < lanes:  # shorter than one vector: a scalar row_sum per row
        return _row_sum(xp.ascontiguousarray(matrix.T))
    vectors = n // lanes
    lane_sums = _row_sum(matrix[:, : vectors * lanes].reshape(rows, vectors, lanes).swapaxes(0, 1))
    tail = matrix[:, vectors * lanes :]
    if rows == 1:
        total = _scalar_sum(list(tail[0]) + list(lane_sums[0]), matrix.dtype.type(0))
        return xp.asarray(total).reshape(1)
    return ordered_sum(xp.concatenate((tail.T, lane_sums.T)))


def _outer_sum(matrix, lanes: int):
    """Sum each column of an (n, ..., cols) array whose last axis is contiguous over axis 0
    (``vectorized_outer_sum`` and ``scalar_outer_sum``): groups of four vectors (of four
    columns, for fewer columns than a vector) through one cascade, the columns left over each
    through ``_row_sum``. Middle axes are independent (separate calls in PyTorch)."""
    cols = matrix.shape[-1]
    width = _ILP * lanes if cols >= lanes else _ILP
    split = cols // width * width
    if split == cols:
        return _cascade(matrix)
    if not split:
        return _row_sum(matrix)
    parts = (_cascade(matrix[..., :split]), _row_sum(matrix[..., split:]))
    return xp.concatenate(parts, axis=-1)


def _short_sum(x):
    """The full sum of a vector shorter than one SIMD vector, in ``row_sum``'s order: the first
    four elements each seed an accumulator, the rest go to the first, which then adds the other
    three. Seeding with +0.0 only matters for an all-zero sum, so it is done once, at the end."""
    values = list(x.flat)  # NumPy scalars (their arithmetic rounds as arrays do); ``.flat``
    # iterates without the IndexError that ends iteration over the array itself
    total = values[0]
    if len(values) < _ILP:
        for value in values[1:]:
            total = total + value
    else:
        for value in values[_ILP:]:
            total = total + value
        total = total + values[1] + values[2] + values[3]
    return total + 0.0


_WHOLE_VECTOR = (0, -1, (0,), (-1,))  # the axes that sum all of a 1-D array


def _reduced_axes(axes, ndim: int) -> set:
    if axes is None:
        return set(range(ndim))
    return {ax % ndim for ax in (axes if isinstance(axes, tuple) else (axes,))}


def _outer_count(shape, dims, reduced) -> int:
    """The number of elements of the kept dimensions before the first summed one (in ``dims``
    order)."""
    count = 1
    for d in dims:
        if d in reduced and shape[d] != 1:
            break
        count *= shape[d]
    return count


def torch_order_sum(a, axes, keepdims: bool = False):
    """``a.sum(axis=axes, keepdims=keepdims)`` for a float32/float64 array, in PyTorch's order
    where it is known (see the module docstring), else NumPy's. Like NumPy's, a full sum may
    come back as a NumPy scalar. (A little over a screen: the short-vector case, every lesson
    loop's sum, stays inline rather than costing a call.)"""
    dtype = a.dtype
    size = a.size
    if dtype.kind != "f" or dtype.itemsize not in (4, 8) or size < 2:
        return a.sum(axis=axes, keepdims=keepdims)
    lanes = vector_bytes() // dtype.itemsize
    ndim = a.ndim
    if size < lanes and a.flags.c_contiguous:
        # fewer elements than one vector: a scalar loop, if every dimension longer than 1 goes
        # (the total is a NumPy scalar: cheaper to divide, as a mean does)
        if axes is None:
            total = _short_sum(a)
            return total.reshape((1,) * ndim) if keepdims else total
        if ndim == 1:
            if axes in _WHOLE_VECTOR:
                total = _short_sum(a)
                return total.reshape(1) if keepdims else total
        else:
            listed = axes if type(axes) is tuple else (axes,)
            for d, n in enumerate(a.shape):  # (a plain loop: cheaper than sets at this size)
                if n != 1 and d not in listed and d - ndim not in listed:
                    break
            else:
                total = _short_sum(a)
                if keepdims:
                    return total.reshape((1,) * ndim)
                kept = ndim - len(_reduced_axes(axes, ndim))
                return total.reshape((1,) * kept) if kept else total
    if ndim == 2 and (axes in ((0,), 0)) and a.flags.c_contiguous:
        rows, cols = a.shape
        if rows > 1 and cols > 1:  # a bias gradient: the general path's "rk" case, directly
            out = _outer_sum(a, lanes)
            return out.reshape(1, cols) if keepdims else out
    reduced = _reduced_axes(axes, ndim)
    shape = a.shape
    contiguous = a.flags.c_contiguous
    dims, runs, summed, kept = _memory_runs(a, reduced)
    if "r" not in runs:  # nothing longer than 1 is summed: 0 + x, element by element
        return a.sum(axis=axes, keepdims=keepdims) + dtype.type(0)
    if runs == "r":
        if size > _SERIAL_LIMIT:
            return a.sum(axis=axes, keepdims=keepdims)
        out = _inner_sum((a if contiguous else a.ravel(order="K")).reshape(1, -1), lanes)
    else:
        b = a if contiguous else a.transpose(dims)
        if runs not in ("kr", "rk", "krk") or not b.flags.c_contiguous:
            return a.sum(axis=axes, keepdims=keepdims)
        if runs == "kr":  # trailing: a contiguous run per output
            out = _inner_sum(b.reshape(-1, summed), lanes)
        elif runs == "rk":  # leading: whole rows added together
            out = _outer_sum(b.reshape(summed, -1), lanes)
        else:  # in the middle: rows added together within each outer slice
            inner = size // summed // _outer_count(shape, dims, reduced)
            out = _outer_sum(b.reshape(-1, summed, inner).swapaxes(0, 1), lanes).reshape(-1)
        if not contiguous and kept != sorted(kept):
            out = out.reshape([shape[d] for d in kept]).transpose(
                [kept.index(d) for d in sorted(kept)]
            )
    if keepdims:
        return out.reshape(tuple(1 if d in reduced else n for d, n in enumerate(shape)))
    return out.reshape(tuple(n for d, n in enumerate(shape) if d not in reduced))


def _memory_runs(a, reduced) -> tuple:
    """``(dims, runs, summed, kept)``: PyTorch walks memory in order, so a transposed array
    is read in its memory layout (``dims``); its dimensions longer than 1, in that order, as
    runs of summed ("r") and kept ("k") ones; the count of summed elements; the kept
    dimensions."""
    shape = a.shape
    if a.flags.c_contiguous:
        dims = range(a.ndim)
    else:
        dims = sorted(range(a.ndim), key=lambda d: -a.strides[d])
    runs, summed, kept = "", 1, []
    for d in dims:
        if shape[d] != 1:
            tag = "r" if d in reduced else "k"
            if tag == "r":
                summed *= shape[d]
            else:
                kept.append(d)
            if not runs.endswith(tag):
                runs += tag
    return dims, runs, summed, kept


def plain_sum(a, axes, keepdims: bool = False):
    """The twin of ``torch_order_sum``: NumPy's pairwise sum."""
    return a.sum(axis=axes, keepdims=keepdims)


_NLL_LEVELS = 8


def _running_total(values):
    """``values[0] + values[1] + ...`` of a 1-D array, one after another: a cumulative sum never
    reorders, unlike NumPy's pairwise ``sum``. (Unseeded: the caller's total is.)"""
    return xp.add.accumulate(values)[-1]


def nll_order_sum(values, keep=None):
    """Sum the per-sample values of a 1-D array (those where ``keep``, if given) in the order of
    PyTorch's CPU nll_loss.

    The kernel keeps a running partial sum per level (eight levels). After adding sample ``b``
    it carries level 0 into level 1 when ``b`` is a multiple of the block length ``step``, on
    into level 2 when it is a multiple of ``step ** 2``, and so on: sample 0 goes straight to
    the top level. The result adds the levels in turn, starting from +0.0. Ignored samples
    (``keep`` False) are skipped, their carries included. Returns a NumPy scalar."""
    n = values.shape[0]
    zero = values.dtype.type(0)
    if not n:
        return zero
    step = 1 << max(4, (n - 1).bit_length() // _NLL_LEVELS)
    if keep is not None and not keep.all():
        return _nll_sum_skipping(values, keep, step)
    # Without skips the carries are regular: each level adds, in order, the block sums of the
    # level below that arrived after its last carry; the top level starts with sample 0.
    levels = []
    items = values[1:]
    for _ in range(_NLL_LEVELS - 1):
        full = items.shape[0] // step * step
        if full < items.shape[0]:
            levels.append(_running_total(items[full:]))
        if not full:
            items = items[:0]
            break
        items = xp.add.accumulate(items[:full].reshape(-1, step), axis=1)[:, -1]
    levels.append(_running_total(xp.concatenate((values[:1], items))) if items.size else values[0])
    total = zero
    for level in levels:
        total = total + level
    return total


def _nll_sum_skipping(values, keep, step: int):
    """``nll_order_sum`` with ignored samples: walk the kept ones as the kernel does."""
    mask = step - 1
    zero = values.dtype.type(0)
    levels = [zero] * _NLL_LEVELS
    for b in xp.flatnonzero(keep).tolist():
        levels[0] = levels[0] + values[b]
        for j in range(_NLL_LEVELS - 1):
            if b & (mask << (j * mask.bit_length())):
                break
            levels[j + 1], levels[j] = levels[j + 1] + levels[j], zero
    total = zero
    for level in levels:
        total = total + level
    return total


def plain_kept_sum(values, keep=None):
    """The twin of ``nll_order_sum``: NumPy's sum of the kept values."""
    return values.sum() if keep is None else values[keep].sum()
