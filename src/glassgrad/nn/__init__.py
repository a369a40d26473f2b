"""Neural-network building blocks (``torch.nn``)."""

from glassgrad.nn import functional, init
from glassgrad.nn.linear import Identity, Linear
from glassgrad.nn.loss import MSELoss
from glassgrad.nn.module import Module
from glassgrad.nn.parameter import Buffer, Parameter

__all__ = ["Module", "Parameter", "Buffer", "Linear", "Identity", "MSELoss", "functional", "init"]
