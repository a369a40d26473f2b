"""Optimizers (``torch.optim``) with PyTorch's exact update rules."""

from glassgrad.optim.optimizer import Optimizer
from glassgrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD"]
