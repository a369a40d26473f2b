"""Every differentiable primitive, defined once with its vector-Jacobian product.

Each op module declares its public names with ``@api`` (``ops/_api.py``); ``REGISTRY`` maps
op names to op classes (graph labels, docs, and the one parametrised gradient test read it).
Importing this package imports every op module, which registers their ops.
"""

from __future__ import annotations

from glassgrad.ops import (
    activation,
    conv,
    elementwise,
    indexing,
    inplace,
    linalg,
    loss,
    movement,
    nn_ops,
    reduce,
)
from glassgrad.ops._op import REGISTRY, Op
from glassgrad.ops.elementwise import where

__all__ = [
    "REGISTRY",
    "Op",
    "activation",
    "conv",
    "elementwise",
    "indexing",
    "inplace",
    "linalg",
    "loss",
    "movement",
    "nn_ops",
    "reduce",
    "where",
]
