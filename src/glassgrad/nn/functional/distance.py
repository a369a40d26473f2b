"""Distances and similarities between batches of vectors."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad.ops import reduce as R

__all__ = ["cosine_similarity", "pairwise_distance"]


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Sum along ``dim`` of x1/max(||x1||, eps) * x2/max(||x2||, eps), after broadcasting."""
    shape = xp.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = R.norm(x1, 2, dim, keepdim=True).clamp_min(eps)
    n2 = R.norm(x2, 2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p along the last dimension."""
    difference = x1 - x2 + eps
    dims = R.norm_dims(-1, difference.ndim)
    return R.AtenNorm.apply(difference, p=float(p), dims=dims, keepdim=keepdim)
