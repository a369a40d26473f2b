"""The order in which PyTorch's CPU ``sort`` leaves equal values: the indices it returns.

Sorting values gives the same values whatever the algorithm; the indices of equal values
depend on it. PyTorch's CPU kernel (``sort(stable=False)``, the default, and ``argsort``)
sorts each row with the C++ library's ``std::sort`` on (value, index) pairs compared by value
(NaN the largest, as ``KeyValueCompAsc``/``Desc`` compare), which is not stable: equal values
come out in the order its introsort leaves them. One exception: a 1-D integer tensor (not
bool) of at least 32768 elements sorted ascending goes through a radix sort, which is stable.

``sort_order`` replays libstdc++'s introsort (median-of-three pivot moved to the front,
Hoare's unguarded partition, recursion into the right part above 16 elements, heapsort past
a depth of 2·log2(n), and a final insertion sort, which is a stable sort of what the
partitions left). Each partition is computed with NumPy: the left scan stops at every
element not below the pivot, the right scan at every element not above it, and the k-th stops
swap while they have not crossed; those stops are the original elements' except where a scan
reaches a place already swapped, which is where the partition ends. Rows without equal values
(the usual case for floats) skip the replay: any sort gives their order. The replay costs a
Python step per partition (about 80 ms for 40,000 elements with ties).

The plain twin is NumPy's stable argsort: the same values, equal ones in index order.
"""

from __future__ import annotations

from glassgrad._backend import ndarray, xp

__all__ = ["plain_sort_order", "sort_order"]

_INSERTION_LIMIT = 16  # libstdc++'s _S_threshold: shorter ranges are left to insertion sort
_RADIX_MIN = 32768  # ATen's GRAIN_SIZE: from here a 1-D integer ascending sort is a radix sort


def sort_order(data: ndarray, dim: int, descending: bool) -> ndarray:
    """The int64 indices PyTorch's CPU ``sort`` returns along ``dim`` of ``data``."""
    if not data.ndim:
        return xp.zeros((), dtype=xp.int64)
    kind = data.dtype.kind
    if data.ndim == 1 and kind in "iu" and not descending and data.size >= _RADIX_MIN:
        return plain_sort_order(data, dim, descending)  # the radix sort: stable
    rows = xp.moveaxis(data, dim, -1)
    order = plain_sort_order(rows, -1, descending)
    if rows.shape[-1] <= _INSERTION_LIMIT:
        return xp.moveaxis(order, -1, dim)  # insertion sort only: stable
    flat_rows, flat_order = rows.reshape(-1, rows.shape[-1]), order.reshape(-1, rows.shape[-1])
    for i, row in enumerate(flat_rows):
        if _has_ties(row[flat_order[i]]):
            flat_order[i] = _introsort(row, descending)
    return xp.moveaxis(flat_order.reshape(order.shape), -1, dim)


def plain_sort_order(data: ndarray, dim: int, descending: bool) -> ndarray:
    """The twin: a stable sort (equal values in index order), NaN the largest."""
    if not data.ndim:
        return xp.zeros((), dtype=xp.int64)
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable").astype(xp.int64)
    if data.dtype.kind == "f":  # NaN first, then the rest from the largest (inf after NaN)
        nan = xp.isnan(data)
        return xp.lexsort((xp.where(nan, 0, -data), ~nan), axis=dim).astype(xp.int64)
    if data.dtype == bool:
        key = ~data
    else:
        key = -data.astype(xp.int64)
    return xp.argsort(key, axis=dim, kind="stable").astype(xp.int64)


def _has_ties(ordered: ndarray) -> bool:
    """Whether a sorted row holds equal values (two NaNs are equal to the comparator)."""
    if ordered.dtype.kind == "f" and xp.count_nonzero(xp.isnan(ordered)) > 1:
        return True
    return bool((ordered[1:] == ordered[:-1]).any())


def _introsort(row: ndarray, descending: bool) -> ndarray:
    """The permutation ``std::sort`` leaves on one row's (value, index) pairs. It runs on the
    values' ranks (equal values equal, NaNs the largest and all equal, as the comparator sees
    them), negated for a descending sort, so that ``<`` is the comparator."""
    ranks = xp.unique(row, return_inverse=True)[1].reshape(-1)
    values, order = (-ranks if descending else ranks), xp.arange(row.shape[0], dtype=xp.int64)
    n = row.shape[0]
    ranges = [(0, n, 2 * (n.bit_length() - 1))]
    while ranges:
        first, last, depth = ranges.pop()
        while last - first > _INSERTION_LIMIT:
            if depth == 0:
                _heapsort(values[first:last], order[first:last])
                break
            depth -= 1
            cut = _partition(values, order, first, last)
            ranges.append((cut, last, depth))
            last = cut
    return order[xp.argsort(values, kind="stable")]  # the final insertion sort


def _partition(values, order, first: int, last: int) -> int:
    """Move the median of three to ``first``, partition the rest around it; the cut."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    va, vb, vc = values[a], values[b], values[c]
    if va < vb:
        median = b if vb < vc else (c if va < vc else a)
    elif va < vc:
        median = a
    else:
        median = c if vb < vc else b
    _swap(values, order, xp.array([first]), xp.array([median]))
    pivot, rest = values[first], values[first + 1 : last]
    left = xp.flatnonzero(rest >= pivot) + first + 1
    right = xp.flatnonzero(rest <= pivot)[::-1] + first + 1
    pairs = min(left.shape[0], right.shape[0])
    apart = left[:pairs] < right[:pairs]
    swaps = pairs if apart.all() else int(xp.argmin(apart))
    _swap(values, order, left[:swaps], right[:swaps])
    cut = int(left[swaps]) if swaps < left.shape[0] else last
    return min(cut, int(right[swaps - 1])) if swaps else cut


def _swap(values, order, i, j) -> None:
    values[i], values[j] = values[j], values[i].copy()
    order[i], order[j] = order[j], order[i].copy()


def _heapsort(values, order) -> None:
    """libstdc++'s heap sort of a range (its fallback past the depth limit), in place."""
    n = values.shape[0]
    for parent in range((n - 2) // 2, -1, -1):
        _sift(values, order, parent, n, values[parent], order[parent])
    for end in range(n - 1, 0, -1):
        value, index = values[end], order[end]
        values[end], order[end] = values[0], order[0]
        _sift(values, order, 0, end, value, index)


def _sift(values, order, hole: int, n: int, value, index) -> None:
    """``__adjust_heap``: the hole goes down to a leaf by the larger child, then ``value``
    goes up from there."""
    top = child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if values[child] < values[child - 1]:
            child -= 1
        values[hole], order[hole], hole = values[child], order[child], child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1) - 1
        values[hole], order[hole], hole = values[child], order[child], child
    parent = (hole - 1) // 2
    while hole > top and values[parent] < value:
        values[hole], order[hole], hole = values[parent], order[parent], parent
        parent = (hole - 1) // 2
    values[hole], order[hole] = value, index
