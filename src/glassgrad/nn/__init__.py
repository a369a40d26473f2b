"""Neural-network building blocks (``torch.nn``)."""

from glassgrad.nn import functional, init, utils
from glassgrad.nn.activation import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from glassgrad.nn.container import ModuleDict, ModuleList, Sequential
from glassgrad.nn.dropout import Dropout
from glassgrad.nn.flatten import Flatten, Unflatten
from glassgrad.nn.linear import Identity, Linear
from glassgrad.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from glassgrad.nn.module import Module
from glassgrad.nn.normalization import BatchNorm1d, LayerNorm
from glassgrad.nn.parameter import Buffer, Parameter
from glassgrad.nn.sparse import Embedding

__all__ = [
    "Module",
    "Parameter",
    "Buffer",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "Linear",
    "Identity",
    "Flatten",
    "Unflatten",
    "Dropout",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "GELU",
    "ELU",
    "Softplus",
    "SiLU",
    "Hardtanh",
    "BatchNorm1d",
    "LayerNorm",
    "Embedding",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "KLDivLoss",
    "functional",
    "init",
    "utils",
]
