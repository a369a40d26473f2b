"""What an op's explain rule is written with: ``ExplainRule``, ``Local`` and a few builders.

``glassgrad.explain(loss, wrt=w)`` prints the chain rule, one local derivative per op. Each
op declares its own in its class body, beside its forward and backward, e.g.::

    class Tanh(Op):
        explain = ExplainRule(  # ∂tanh(x)/∂x = 1 − tanh(x)²
            call("tanh"),
            pointwise(
                lambda x, times: F.difference(1, F.power(x.out, 2)),  # printed: 1 − u²
                lambda a: 1.0 - xp.tanh(a) ** 2,  # its numbers, from the input's values
            ),
        )

``written(args, node)`` writes the op's output from its inputs' formulas (``u = tanh(s)`` on
the ``where`` line); ``local(site)`` is the derivative with respect to input ``site.index``:
a :class:`Local`, the formula explain prints plus the vector-Jacobian product it computes
the numbers with. An op without a rule (``explain = None``, the default) is explained too:
viz asks autograd for its vector-Jacobian product. A rule belongs to one op: a subclass
declares its own or has none (``Op.__init_subclass__``), since subclasses change the maths.

What a rule is given (viz/explain.py provides both):

- ``site``: ``site.index`` (the input differentiated), ``site.node`` (the op node: the
  settings its forward kept, ``node.dims``), ``site.in_shape`` (that input's shape),
  ``site.value(i)`` (input ``i``'s forward value, float64; None when unknown),
  ``site.output`` (the output's value, float64), ``site.constant(i)`` (input ``i`` when it
  is a Python number, such as ``Pow``'s exponent, else None) and ``site.name(i)`` (its name,
  ``c`` when unnamed).
- ``x`` in a formula ``(x, times)``: ``x(i)`` input ``i``, ``x.out`` the output and
  ``x.numel(i)`` the element count of input ``i``, as names (``w``, ``N``) when explain
  writes the formula and as numbers at one element when it writes the numbers; ``times``
  multiplies them (``2s`` for names, ``2·(−1)`` for numbers).

This module sits in ``ops`` and imports no viz: viz reads the rules (layers point one way).
"""

from __future__ import annotations

from collections.abc import Callable

from glassgrad import _formula as F
from glassgrad._backend import xp
from glassgrad.autograd.engine import sum_to

__all__ = [
    "ExplainRule",
    "Local",
    "call",
    "constant",
    "elementwise",
    "infix",
    "partials",
    "pointwise",
    "reshape_to",
    "reshaped",
    "signs",
    "transposed",
]


class Local:
    """The derivative of one op output with respect to one of its inputs.

    Attributes:
        vjp: ``g -> gradient``: carries a float64 gradient ``g`` of the output to the input.
        formula: ``(x, times) -> Expr``, the derivative of an elementwise op (None for other
            ops, which explain writes as their ``rule``).
        rule: the vector-Jacobian product in words, ``ḡ @ Wᵀ`` (ḡ: the gradient arriving).
        reduce: a sum or mean to one number, written as a factor (``1``, ``1/N``) per element.
    """

    __slots__ = ("formula", "reduce", "rule", "vjp")

    def __init__(self, vjp, formula=None, rule: str = "", reduce: bool = False):
        self.vjp = vjp
        self.formula = formula
        self.rule = rule
        self.reduce = reduce

    @property
    def elementwise(self) -> bool:
        return self.formula is not None


class ExplainRule:
    """How explain writes one op: its output from its inputs, and its local derivatives.

    Args:
        written: ``(args, node) -> str or Expr or None``, the output written with the
            inputs' formulas ``args`` (None: explain writes ``MulBackward0(a, b)``).
        local: ``site -> Local or None`` (None: explain asks autograd for the product).
        replay: ``(node, args, shape, dtype) -> array``, the output again from the inputs'
            values, when ``backward()`` freed it (None: explain calls ``forward`` with the
            settings the node kept under its parameters' names). ``shape``/``dtype`` are
            the output's.
        symbol: the operator sign ``viz.graph`` adds to the node's box (``MulBackward0 (×)``).
    """

    __slots__ = ("local", "replay", "symbol", "written")

    def __init__(
        self,
        written: Callable | None = None,
        local: Callable | None = None,
        replay: Callable | None = None,
        symbol: str = "",
    ):
        self.written = written
        self.local = local
        self.replay = replay
        self.symbol = symbol


# ----------------------------------------------------------------------------- local rules
def elementwise(site, formula, values) -> Local:
    """An elementwise derivative: ``formula`` as explain writes it, ``values`` its numbers
    (broadcast to the output); the product with ``ḡ`` is summed back to the input's shape."""
    values = xp.asarray(values, dtype=xp.float64)
    shape = site.in_shape
    return Local(lambda g: sum_to(g * values, shape), formula)


def constant(site, value: float) -> Local:
    """The same number everywhere (``1`` for ``a + b``, ``−1`` for ``−a``)."""
    value = float(value)
    text = F.number(value)
    shape = site.in_shape
    return Local(lambda g: sum_to(g * value, shape), lambda x, times: text)


def signs(*values: float) -> Callable:
    """The rule of a sum of its inputs: input ``i`` enters with the constant ``values[i]``
    (``signs(1, -1)`` for ``a − b``); an input beyond them takes the last."""
    return lambda site: constant(site, values[min(site.index, len(values) - 1)])


def partials(*per_input) -> Callable:
    """The rule of an elementwise op: one ``(formula, derivative)`` pair per input, where
    ``derivative(*inputs)`` computes the numbers from every input's float64 value.

    Example (``a / b``): ``partials((lambda x, times: F.quotient(1, x(1)), lambda a, b: 1 / b),
    (lambda x, times: F.negate(F.quotient(x(0), F.power(x(1), 2))), lambda a, b: -a / (b * b)))``
    """

    def local(site) -> Local:
        formula, derivative = per_input[site.index]
        return elementwise(site, formula, derivative(*map(site.value, range(len(per_input)))))

    return local


def pointwise(formula, derivative) -> Callable:
    """The rule of a one-input elementwise op: ``partials((formula, derivative))``."""
    return partials((formula, derivative))


def reshaped(site) -> Local:
    """The rule of a reshape (view, squeeze, unsqueeze): ``ḡ`` takes the input's shape."""
    shape = site.in_shape
    return Local(lambda g: xp.reshape(g, shape), rule=f"ḡ reshaped to {list(shape)}")


def reshape_to(node, args, shape, dtype):
    """The replay of a reshape: the input's values in the output's shape."""
    return xp.reshape(args[0], shape)


def transposed(name: str) -> str:
    """``W`` → ``Wᵀ`` and back."""
    return name[:-1] if name.endswith("ᵀ") else name + "ᵀ"


# ----------------------------------------------------------------------------- written forms
def infix(join: Callable) -> Callable:
    """``a + b``-style: ``join`` is a formula builder (``F.total``, ``F.quotient``)."""
    return lambda args, node: join(*args) if len(args) == 2 else None


def call(function: str) -> Callable:
    """``tanh(s)``: the function applied to the first input."""
    return lambda args, node: F.call(function, *args[:1])
