"""Formulas as small trees, printed with exactly the parentheses the maths needs.

Every derivation glassgrad prints (``explain``, ``explain_step``) is built from these
nodes instead of pasted strings, so precedence is decided in one place: a sum or
difference used as a factor gets brackets (``b · (1 − s²)``), and so does a negative
number used as an operand (``1 − 0.1·(−2)``, ``(−0.5)²``). Reading the printed numbers
left to right with ordinary precedence gives the printed result.

The module imports nothing of glassgrad, so it sits below both the ops, which write their
explain rules with it (ops/_explain.py), and viz, which prints them.

Example:
    >>> str(product(name("b"), difference(number(1), power(name("s"), 2))))
    'b·(1 − s²)'
"""

from __future__ import annotations

__all__ = [
    "Expr",
    "call",
    "difference",
    "format_number",
    "indicator",
    "juxtapose",
    "name",
    "negate",
    "number",
    "power",
    "product",
    "quotient",
    "root",
    "total",
]

#: precedence levels, loosest first: a part looser than its place needs brackets
SUM, PRODUCT, POWER, ATOM = 1, 2, 3, 4

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def format_number(v, digits: int = 4) -> str:
    """A short number with a real minus sign: ``-2.0`` → ``−2``, ``0.25`` → ``0.25``."""
    v = float(v)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "∞" if v > 0 else "−∞"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        text = f"{mantissa}e{int(exp)}"
    if text == "-0":
        text = "0"
    return text.replace("-", "−")


class Expr:
    """Printed text plus how tightly it binds (``SUM`` < ``PRODUCT`` < ``POWER`` < ``ATOM``)."""

    __slots__ = ("prec", "text")

    def __init__(self, text: str, prec: int = ATOM):
        self.text = text
        self.prec = prec

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"

    def within(self, needed: int) -> str:
        """The text, bracketed when it binds more loosely than its place needs."""
        return f"({self.text})" if self.prec < needed else self.text


def _expr(x) -> Expr:
    return x if isinstance(x, Expr) else number(x)


def name(text: str) -> Expr:
    """A symbol (``w``, ``sᵢ``) or an already formatted vector (``[1, 2]``)."""
    return Expr(text)


def number(value, digits: int = 4) -> Expr:
    """A number; a negative one is bracketed wherever it is an operand."""
    text = value if isinstance(value, str) else format_number(value, digits)
    return Expr(text, SUM if text.startswith("−") else ATOM)


def product(*factors, sep: str = "·") -> Expr:
    """``a·b·c``; one factor is returned as it is."""
    parts = [_expr(f) for f in factors]
    if len(parts) == 1:
        return parts[0]
    return Expr(sep.join(p.within(PRODUCT) for p in parts), PRODUCT)


def juxtapose(*factors) -> Expr:
    """A symbolic product written as in maths, ``2s``, ``s(1 − s)``; ``·`` before a digit."""
    parts = [_expr(f) for f in factors]
    text = parts[0].within(PRODUCT)
    for p in parts[1:]:
        piece = p.within(PRODUCT)
        text += ("·" if piece[:1].isdigit() else "") + piece
    return Expr(text, PRODUCT)


def quotient(top, bottom) -> Expr:
    """``a/b``; a denominator that is itself a product or quotient is bracketed."""
    return Expr(f"{_expr(top).within(PRODUCT)}/{_expr(bottom).within(POWER)}", PRODUCT)


def power(base, exponent) -> Expr:
    """``x²`` for whole exponents, ``x^(0.5)`` otherwise; a non-atomic base is bracketed."""
    exponent = float(exponent)
    if exponent.is_integer():
        sup = str(int(exponent)).translate(_SUPERSCRIPT)
    else:
        sup = f"^({number(exponent).text})"
    return Expr(_expr(base).within(ATOM) + sup, POWER)


def negate(x) -> Expr:
    """``−x``; binds like a sum, so it is bracketed as an operand: ``2·(−sin(s))``."""
    return Expr("−" + _expr(x).within(PRODUCT), SUM)


def total(*terms) -> Expr:
    """``a + b + c``; later terms that are sums or negative numbers are bracketed."""
    parts = [_expr(t) for t in terms]
    if len(parts) == 1:
        return parts[0]
    return Expr(" + ".join([parts[0].text] + [p.within(PRODUCT) for p in parts[1:]]), SUM)


def difference(a, b) -> Expr:
    """``a − b``; ``b`` is bracketed when it is a sum or a negative number."""
    return Expr(f"{_expr(a).text} − {_expr(b).within(PRODUCT)}", SUM)


def call(function: str, *args) -> Expr:
    """``exp(x)``, ``atan2(a, b)``: the brackets are the call's own."""
    return Expr(f"{function}({', '.join(_expr(a).text for a in args)})")


def root(arg) -> Expr:
    """``√x``; ``√(x + 1)`` when the radicand is not a single symbol or number."""
    return Expr("√" + _expr(arg).within(ATOM), POWER)


def indicator(arg) -> Expr:
    """Iverson bracket ``[x > 0]``: 1 where the condition holds, else 0."""
    return Expr(f"[{_expr(arg).text} > 0]")
