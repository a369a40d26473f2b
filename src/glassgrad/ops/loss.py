"""Loss functions fused into single ops where PyTorch fuses them (same grad_fn names)."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad.ops._op import Op

REDUCTIONS = ("mean", "sum", "none")


def _reduce(x, reduction: str):
    if reduction == "mean":
        return x.mean()
    if reduction == "sum":
        return x.sum()
    return x


class MseLoss(Op):
    """mean((input - target) ** 2), or its sum / elementwise form."""

    @staticmethod
    def forward(ctx, input, target, reduction="mean"):  # noqa: A002
        ctx.save(input, target)
        ctx.reduction = reduction
        diff = input - target
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved  # noqa: A001
        diff = input - target
        norm = 2.0 / _numel(diff) if ctx.reduction == "mean" else 2.0
        g = norm * diff * grad
        return g, -g if ctx.next_functions[1][0] is not None else None


def _numel(x) -> int:
    n = 1
    for s in x.shape:
        n *= s
    return n


__all__ = ["MseLoss", "REDUCTIONS", "xp"]
