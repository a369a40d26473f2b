"""NumPy lines for the commonest ops, written out instead of calling their forward/backward.

Each entry computes exactly what the op's ``forward`` and ``backward`` compute for the case
its ``fits`` accepts (same NumPy calls, same operand order, the same ``kernels.reduce_sum``
kernel), so the generated code reads as the math and skips a call per op. A 0-d result is
left as the NumPy scalar 0-d math gives (the same bits, a third of the cost of an array);
``codegen`` makes it an array where it leaves the written-out code. Any other op, or
another case of these, is replayed by calling the op itself. ``tests/compile`` compares the
bits with eager on every workload.
"""

from __future__ import annotations

from glassgrad._compile.program import Const, Slot

__all__ = ["EMITTERS"]


def _value(ref):
    return ref.value


def _float_array(ref) -> bool:
    return isinstance(ref, Slot) and ref.value.dtype.kind == "f" and ref.value.dtype.itemsize >= 4


class _Binary:
    symbol = "+"
    reads_inputs = False  # whether the backward reads the forward's inputs

    def reads(self, instr) -> list:
        """The forward's values the written-out backward reads."""
        return list(instr.ins) if self.reads_inputs else []

    def fits(self, instr) -> bool:
        return not instr.params and len(instr.ins) == 2

    def forward(self, gen, instr, a, b) -> str:
        return f"{a} {self.symbol} {b}"


class _Add(_Binary):
    def backward(self, gen, instr, g, a, b):
        return [g, g]


class _Sub(_Binary):
    symbol = "-"

    def backward(self, gen, instr, g, a, b):
        return [g, f"-{g}"]


class _Mul(_Binary):
    symbol = "*"
    reads_inputs = True

    def backward(self, gen, instr, g, a, b):
        return [f"{g} * {b}", f"{g} * {a}"]


class _Square:
    """``a ** 2``: PyTorch's kernel squares by one product; its backward is ``g * (a + a)``."""

    def fits(self, instr) -> bool:
        exponent = instr.ins[1] if len(instr.ins) > 1 else None
        return (
            _float_array(instr.ins[0])
            and isinstance(exponent, Const)
            and type(exponent.value) in (int, float)
            and exponent.value == 2
            and not instr.params
        )

    def reads(self, instr) -> list:
        return instr.ins[:1]

    def forward(self, gen, instr, a, _e) -> str:
        return f"{a} * {a}"

    def backward(self, gen, instr, g, a, _e):
        return [f"{g} * ({a} + {a})", None]


class _Relu:
    """``maximum(0, a)`` (keeps -0.0); the gradient is 0 where the output is <= 0. Only for
    small arrays: on large ones the op's own buffer and bit-mask tricks are faster."""

    def fits(self, instr) -> bool:
        ins = instr.ins
        return (
            len(ins) == 1 and _float_array(ins[0]) and not instr.params and ins[0].value.size <= 64
        )

    def reads(self, instr) -> list:
        return instr.outs[:1]

    def forward(self, gen, instr, a) -> str:
        zero = gen.bind(instr.ins[0].value.dtype.type(0), "zero")
        if instr.outs[0].value.ndim == 0:  # (one value: ``maximum(0, a)``'s choice, -0.0
            return f"{zero} if {a} < 0 else {a}"  # and NaN kept, without a ufunc call)
        return f"np.maximum({zero}, {a})"

    def backward(self, gen, instr, g, a):
        zero = gen.bind(instr.ins[0].value.dtype.type(0), "zero")
        out = gen.name_of(instr.outs[0])
        if instr.outs[0].value.ndim == 0:  # (one value: ``np.where``'s choice, without it)
            return [f"{zero} if {out} <= 0 else {g}"]
        return [f"np.where({out} <= 0, {zero}, {g})"]


class _Transpose:
    """``swapaxes`` forward and back (a view, as the op makes)."""

    def fits(self, instr) -> bool:
        ins = instr.ins
        return (
            len(ins) == 3
            and isinstance(ins[0], Slot)
            and all(isinstance(r, Const) and type(r.value) is int for r in ins[1:])
            and not instr.params
        )

    def reads(self, instr) -> list:
        return []

    def forward(self, gen, instr, a, dim0, dim1) -> str:
        return f"{a}.swapaxes({dim0}, {dim1})"

    def backward(self, gen, instr, g, a, dim0, dim1):
        return [f"{g}.swapaxes({dim0}, {dim1})", None, None]


class _Reduce:
    """A whole-tensor ``sum()``/``mean()`` to a 0-d result in the input's float dtype."""

    mean = False

    def reads(self, instr) -> list:
        return []

    def fits(self, instr) -> bool:
        ins = instr.ins
        if not _float_array(ins[0]) or instr.params or instr.outs[0].value.ndim:
            return False
        a = ins[0].value
        dims, keepdim, dtype = (_value(r) for r in (list(ins[1:]) + [Const(None)] * 3)[:3])
        whole = dims is not None and (len(dims) == a.ndim or not a.ndim)
        small = 0 < a.size < 1 << 24
        return whole and not keepdim and dtype is None and (small or not self.mean)

    def forward(self, gen, instr, a, *settings) -> str:
        value = instr.ins[0].value
        if not value.ndim and not self.mean:
            return f"{a} + 0.0"  # (NumPy's sum of one value: -0.0 becomes 0.0, NaN stays)
        if gen.mode == "fast":  # (``sum() / n``: NumPy's ``mean`` wraps it in Python code)
            return f"{a}.sum() / {value.size}" if self.mean else f"{a}.sum()"
        dims = instr.ins[1].value if len(instr.ins) > 1 else ()
        axes = None if self.mean else (dims if value.ndim else None)
        total = f"kernels.reduce_sum({a}, {axes!r}, False)"
        return f"{total} / {value.size}" if self.mean else total

    def backward(self, gen, instr, g, a, *settings):
        value = instr.ins[0].value
        shape = tuple(value.shape)
        grad = f"{g}[()] / {value.size}" if self.mean else g
        if not shape:  # (``expand`` to the shape a value has: the value)
            return [grad] + [None] * len(settings)
        return [f"expand({grad}, {shape!r})"] + [None] * len(settings)


class _Mean(_Reduce):
    mean = True


EMITTERS = {
    "Add": _Add(),
    "Sub": _Sub(),
    "Mul": _Mul(),
    "Pow": _Square(),
    "Relu": _Relu(),
    "Transpose": _Transpose(),
    "TransposeT": _Transpose(),
    "Sum": _Reduce(),
    "Mean": _Mean(),
}
