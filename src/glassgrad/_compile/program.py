"""The captured program: array slots and the instructions that read and write them.

A slot is one array value of the step: an argument's array, a tensor captured from outside
(a parameter, a gradient that existed before the step), a constant, or a temporary that an
instruction computes. Instructions keep the exact function the eager run called (an op's
``forward``/``backward``, the engine's ``sum_to``, an optimizer's ``step``), so replaying them
computes the same bits.
"""

from __future__ import annotations

__all__ = ["ACTIVE", "Const", "GraphBreakError", "Instr", "Slot"]

#: the capture in progress, if any (one at a time; a compiled function called inside a
#: capture runs eagerly, so its ops are recorded into the outer program)
ACTIVE: list = [None]


class GraphBreakError(RuntimeError):
    """A data-dependent operation inside a function compiled with ``fullgraph=True``."""


class Slot:
    """One array value. ``kind`` is "arg" (array of argument ``pos``), "ext" (``tensor._data``
    of a tensor captured from outside), "grad" (``tensor._grad._data`` at the start) or "tmp"
    (computed by instruction ``producer``)."""

    __slots__ = ("hint", "kind", "name", "pos", "producer", "tensor", "value")

    def __init__(self, kind: str, value, tensor=None, pos=None, hint: str = "t"):
        self.kind = kind
        self.value = value  # the array at capture time (for shapes, folding and checks)
        self.tensor = tensor
        self.pos = pos
        self.name = ""
        self.producer = None
        self.hint = hint


class Const:
    """A value baked into the program: a Python number, a setting, a constant array."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


class Instr:
    """One step of the program.

    ``kind`` is one of
      - "fwd": ``outs[0] = fn.forward(ctx, *ins, **params)`` (``fn`` an op class)
      - "bwd": ``outs = fn.backward(ctx of fwd instr, ins[0])``
      - "call": ``outs[0] = fn(*ins, **params)`` (engine helpers, copies)
      - "effect": writes only: ``fn`` names it ("inplace", "fill", "set_grad",
        "add_grad", "method": a live call of an optimizer's or module's method, which
        ``codegen`` may write out as array code: "sgd"), ``params`` holds its details
    ``line`` is the user's source line that issued it, for comments.
    """

    __slots__ = ("ctx", "fn", "fwd", "ins", "kind", "line", "outs", "params", "tuple_out")

    def __init__(self, kind, fn, ins, params=None, outs=(), line=""):
        self.kind = kind
        self.fn = fn
        self.ins = list(ins)
        self.params = params or {}
        self.outs = list(outs)
        self.ctx = None
        self.fwd = None
        self.line = line
        self.tuple_out = False
