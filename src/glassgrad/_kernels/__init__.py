"""PyTorch-CPU bit-exact kernels, each with a plain-NumPy twin, and the switch between them.

glassgrad prints what PyTorch prints, to the last bit, because a few kernels replay how
PyTorch's CPU build rounds: the order of a sum (``sumorder``), a fused multiply-add (``fma``),
exp/log/tanh computed wider and rounded once (``transcendental``), the softmax kernels' lanes
(``softmax_order``) with their SLEEF or glibc exp and log (``vecmath``) and the
element-at-a-time tail of the activations (``lanes``); what they do may depend on the CPU,
decided in one place (``simd``). Ops call the kernels by their mathematical names
(``kernels.log_softmax(x, dim)``) and never round by hand.

Each kernel has a plain twin: the textbook NumPy formula, equal to float tolerance and
faster. ``set_exact(False)`` (or ``GLASSGRAD_EXACT=0`` in the environment at import) binds the
twins instead: the names below are rebound when the switch flips, so a call costs one module
attribute lookup either way. ``KERNELS`` pairs every kernel with its twin (the tests check
that each pair agrees). The samplers' functions (``random_math``) always replay PyTorch, so a
seed gives PyTorch's numbers in both modes.
"""

from __future__ import annotations

import os

from glassgrad._backend import xp
from glassgrad._kernels import (
    bags,
    fma,
    lanes,
    softmax_order,
    sortorder,
    sumorder,
    transcendental,
    vecmath,
)

__all__ = ["KERNELS", "is_exact", "set_exact"]

# name -> (exact kernel, plain twin)
KERNELS = {
    "reduce_sum": (sumorder.torch_order_sum, sumorder.plain_sum),
    "nll_sum": (sumorder.nll_order_sum, sumorder.plain_kept_sum),
    "add_product_": (fma.add_product_, fma.plain_add_),
    "one_minus_square": (fma.one_minus_square, fma.plain_one_minus_square),
    "exp": (transcendental.exp, xp.exp),
    "log": (transcendental.log, xp.log),
    "log1p": (transcendental.log1p, xp.log1p),
    "expm1": (transcendental.expm1, xp.expm1),
    "sin": (transcendental.sin, xp.sin),
    "cos": (transcendental.cos, xp.cos),
    "tanh": (transcendental.tanh, xp.tanh),
    "vec_exp": (vecmath.vec_exp, xp.exp),
    "vec_log": (vecmath.vec_log, xp.log),
    "softmax": (softmax_order.softmax, softmax_order.plain_softmax),
    "log_softmax": (softmax_order.log_softmax, softmax_order.plain_log_softmax),
    "softmax_backward": (softmax_order.softmax_backward, softmax_order.plain_softmax_backward),
    "log_softmax_backward": (
        softmax_order.log_softmax_backward,
        softmax_order.plain_log_softmax_backward,
    ),
    "redo_scalar_lanes": (lanes.redo_scalar_lanes, lanes.keep_simd_lanes),
    "sort_order": (sortorder.sort_order, sortorder.plain_sort_order),
    "bag_sum": (bags.bag_sum, bags.plain_bag_sum),
    "bag_grad": (bags.bag_grad, bags.plain_bag_grad),
}

# The kernels as ops call them: the exact versions, until ``set_exact`` rebinds them.
reduce_sum = sumorder.torch_order_sum
nll_sum = sumorder.nll_order_sum
add_product_ = fma.add_product_
one_minus_square = fma.one_minus_square
exp = transcendental.exp
log = transcendental.log
log1p = transcendental.log1p
expm1 = transcendental.expm1
sin = transcendental.sin
cos = transcendental.cos
tanh = transcendental.tanh
vec_exp = vecmath.vec_exp
vec_log = vecmath.vec_log
softmax = softmax_order.softmax
log_softmax = softmax_order.log_softmax
softmax_backward = softmax_order.softmax_backward
log_softmax_backward = softmax_order.log_softmax_backward
redo_scalar_lanes = lanes.redo_scalar_lanes
sort_order = sortorder.sort_order
bag_sum = bags.bag_sum
bag_grad = bags.bag_grad
bag_rounds = bags.bag_rounds  # (not an emulation: the rounds of a bag-by-bag loop)
scalar_exp = vecmath.scalar_exp  # (the element-at-a-time exp that ``redo_scalar_lanes`` uses)

_exact = True
#: the module's kernel names bound one way or the other (``set_exact``: one dict update)
_BINDINGS = {
    mode: {name: pair[0 if mode else 1] for name, pair in KERNELS.items()} for mode in (True, False)
}


def set_exact(mode: bool) -> None:
    """Compute as PyTorch's CPU build does, to the bit (``True``, the default), or with the
    plain NumPy formulas (``False``: equal to float tolerance, and faster).

    Example:
        >>> import glassgrad
        >>> glassgrad.set_exact(False)  # plain NumPy arithmetic from here on
        >>> glassgrad.is_exact()
        False
        >>> glassgrad.set_exact(True)
    """
    global _exact
    if type(mode) is not bool:
        raise TypeError(f"set_exact(mode): mode must be True or False, got {mode!r}")
    _exact = mode
    globals().update(_BINDINGS[mode])


def is_exact() -> bool:
    """Whether glassgrad computes as PyTorch's CPU build does, to the bit (see ``set_exact``)."""
    return _exact


def _exact_from_environment() -> bool:
    """``GLASSGRAD_EXACT``: "0" (or "false", "off", "no") selects the plain twins."""
    value = os.environ.get("GLASSGRAD_EXACT", "1").strip().lower()
    return value not in ("0", "false", "off", "no")


if not _exact_from_environment():
    set_exact(False)
