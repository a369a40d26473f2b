"""Loss modules: thin wrappers that hold ``reduction`` and call ``nn.functional``."""

from __future__ import annotations

from glassgrad.nn import functional as F
from glassgrad.nn.functional import _reduction
from glassgrad.nn.module import Module

__all__ = ["MSELoss"]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = _reduction(size_average, reduce, reduction)


class MSELoss(_Loss):
    """Mean squared error between input and target: ``loss(input, target)``.

    Example:
        >>> loss = nn.MSELoss()
        >>> loss(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
        tensor(2.)
    """

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)
