"""Sums of bags of embedding rows, and their gradient, rounded as PyTorch's CPU kernels round.

``embedding_bag`` adds each bag's rows one after another onto zeros. With per-sample weights,
float32 without a ``padding_idx`` goes through FBGEMM, which adds ``weight * row`` as one
fused multiply-add; float64, or a ``padding_idx``, goes through ATen's loop, which rounds the
product first. The gradient (ATen's ``_embedding_bag_dense_backward_cpu_sum_mean``) goes
through the indices in the order ``indices.sort()`` leaves them (not stable: ``sortorder``),
skips the padding row, and adds ``scale * grad`` of each occurrence's bag into its row with
ATen's ``axpy``, one fused multiply-add per element where its build fuses
(``simd.fuses_multiply_add``). ``scale`` is a double: the per-sample
weight (or 1), divided by the index's count when ``scale_grad_by_freq``, then by the bag's
size for a mean, then rounded to the gradient's dtype. FBGEMM picks its code by the CPU, so
whether it fuses is ``simd.libraries_fuse_multiply_add``, not ``ATEN_CPU_CAPABILITY``.

One PyTorch quirk is kept: with ``scale_grad_by_freq`` its CPU kernel divides the
occurrences of the k-th distinct index (in sorted order) by the count of the index at sorted
position k, not by their own index's count (the plain twin divides by the right count).

Each bag (each row of the gradient) is a running sum, but different bags are independent: the
kernels go in rounds, the k-th element of every bag at once, so the arithmetic is vectorised
over bags while each bag's order is kept. The plain twins add with ``numpy.add.at``.
"""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._kernels.fma import fused_add_
from glassgrad._kernels.simd import fuses_multiply_add, libraries_fuse_multiply_add
from glassgrad._kernels.sortorder import sort_order

__all__ = ["bag_grad", "bag_rounds", "bag_sum", "plain_bag_grad", "plain_bag_sum"]


def bag_sum(weight, indices, bags, n_bags: int, per_sample=None, padded: bool = False):
    """(n_bags, dim): the sum of ``weight[indices[i]]`` (times ``per_sample[i]``) over the
    ``i`` of each bag (``bags[i]``, non-decreasing), in order, onto zeros. ``padded``: a
    ``padding_idx`` was given (no FBGEMM)."""
    out = xp.zeros((n_bags, weight.shape[1]), dtype=weight.dtype)
    fused = weight.dtype == xp.float32 and not padded and libraries_fuse_multiply_add()
    for positions in bag_rounds(bags):
        scales = None if per_sample is None else per_sample[positions, None]
        _add_rows(out, bags[positions], weight[indices[positions]], scales, fused)
    return out


def plain_bag_sum(weight, indices, bags, n_bags: int, per_sample=None, padded: bool = False):
    """The twin of ``bag_sum``: one unordered ``add.at``."""
    out = xp.zeros((n_bags, weight.shape[1]), dtype=weight.dtype)
    rows = weight[indices] if per_sample is None else weight[indices] * per_sample[:, None]
    xp.add.at(out, bags, rows)
    return out


def bag_grad(
    grad, indices, bags, n_rows: int, per_sample=None, sizes=None, by_freq=False, padding=None
) -> ndarray:
    """(n_rows, dim): each occurrence's ``scale * grad[bags[i]]`` added into row
    ``indices[i]`` (except the ``padding`` row), in the order ``indices.sort()`` leaves them.
    ``sizes``: each bag's size, for a mean."""
    out = xp.zeros((n_rows, grad.shape[1]), dtype=grad.dtype)
    order = sort_order(indices, 0, False)
    ordered = indices[order]
    scales = None if per_sample is None else per_sample[order].astype(xp.float64)
    if by_freq:  # (PyTorch's quirk: the count at the group's rank, see above)
        starts, lengths = _groups(ordered)
        rank = xp.repeat(xp.arange(starts.shape[0]), lengths)
        counts = xp.bincount(indices, minlength=n_rows)
        scales = _ones_or(scales, order) / counts[ordered[rank]]
    if sizes is not None:
        scales = _ones_or(scales, order) / xp.maximum(sizes, 1)[bags[order]]
    fused = fuses_multiply_add()
    for positions in bag_rounds(ordered):
        if padding is not None:
            positions = positions[ordered[positions] != padding]
        chosen = order[positions]
        rounded = None if scales is None else scales[positions, None].astype(grad.dtype)
        _add_rows(out, indices[chosen], grad[bags[chosen]], rounded, fused)
    return out


def plain_bag_grad(
    grad, indices, bags, n_rows: int, per_sample=None, sizes=None, by_freq=False, padding=None
) -> ndarray:
    """The twin of ``bag_grad``: one unordered ``add.at``, each index by its own count."""
    out = xp.zeros((n_rows, grad.shape[1]), dtype=grad.dtype)
    scales = xp.ones(indices.shape[0]) if per_sample is None else per_sample.astype(xp.float64)
    if by_freq:
        scales = scales / xp.bincount(indices, minlength=n_rows)[indices]
    if sizes is not None:
        scales = scales / xp.maximum(sizes, 1)[bags]
    keep = indices != padding if padding is not None else slice(None)
    rows = grad[bags[keep]] * scales[keep, None].astype(grad.dtype)
    xp.add.at(out, indices[keep], rows)
    return out


def _add_rows(out, targets, rows, scales, fused: bool) -> None:
    """``out[targets] += rows`` (times ``scales``, fused or not): ``targets`` all distinct."""
    total = out[targets]
    if scales is None:
        total += rows
    elif fused:
        fused_add_(total, rows, scales)
    else:
        total += rows * scales
    out[targets] = total


def _groups(groups: ndarray):
    """Where each run of equal values in ``groups`` starts, and how long it is."""
    starts = xp.flatnonzero(xp.r_[True, groups[1:] != groups[:-1]])
    return starts, xp.diff(xp.r_[starts, groups.shape[0]])


def _ones_or(scales, order):
    """The scales so far, or ones (one per occurrence) if there are none yet."""
    return xp.ones(order.shape[0]) if scales is None else scales


def bag_rounds(groups: ndarray):
    """Positions into ``groups`` (equal values adjacent), round k holding the k-th position of
    every group that has one: each group's positions in order, no group twice in a round."""
    if not groups.shape[0]:
        return
    starts, lengths = _groups(groups)
    rank = xp.arange(groups.shape[0]) - xp.repeat(starts, lengths)
    by_rank = xp.argsort(rank, kind="stable")
    bounds = xp.searchsorted(rank[by_rank], xp.arange(int(rank.max()) + 2))
    for k in range(bounds.shape[0] - 1):
        yield by_rank[bounds[k] : bounds[k + 1]]
