"""Printed formulas mean what they say: evaluating the printed numbers gives the printed result.

The numeric part of each derivation is translated to Python (``·`` → ``*``, ``²`` → ``**2``,
``√x`` → ``sqrt(x)``, ``[x > 0]`` → ``step(x)``) and evaluated by walking its ``ast`` (no
``eval``). Each printed number carries 4 significant digits, so the check allows the
rounding of every number, propagated to first order; a missing bracket is far outside it.
"""

import ast
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassgrad as torch
from glassgrad import _formula as F
from glassgrad import viz

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_FUNCTIONS = {
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "sqrt": math.sqrt,
    "sign": lambda x: (x > 0) - (x < 0),
    "step": lambda x: 1.0 if x > 0 else 0.0,
}
_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def to_python(text: str) -> str:
    """The printed maths as Python source (still only numbers, operators and a few calls)."""
    out = text.replace("·", "*").replace("−", "-")
    out = re.sub(r"\[([^\[\]]*) > 0\]", r"step(\1)", out)
    out = re.sub(r"√([0-9.]+(?:e-?[0-9]+)?)", r"sqrt(\1)", out)
    out = out.replace("√(", "sqrt(").replace("^(", "**(")
    return re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: f"**({m.group().translate(_SUPERSCRIPTS)})", out)


def _rounding(x: float) -> float:
    """Half a unit in the 4th significant digit of a printed number."""
    return 0.0 if x == 0 else 0.5 * 10 ** (math.floor(math.log10(abs(x))) - 3)


def evaluate(source: str, nudge: int = -1) -> tuple:
    """(value, number of printed numbers); the ``nudge``-th number moved by its rounding."""
    count = [0]

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            k = count[0]
            count[0] += 1
            return node.value + (_rounding(node.value) if k == nudge else 0.0)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = ast.literal_eval(node.right)  # an exponent is exact, never rounded
            return walk(node.left) ** exponent
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.Call) and node.func.id in _FUNCTIONS and len(node.args) == 1:
            return _FUNCTIONS[node.func.id](walk(node.args[0]))
        raise ValueError(f"unexpected {ast.dump(node)} in {source!r}")

    return walk(ast.parse(source, mode="eval")), count[0]


def assert_means(expression: str, result: str) -> None:
    """``expression`` evaluates to ``result`` within the rounding of the printed numbers."""
    source = to_python(expression)
    value, n = evaluate(source)
    slack = sum(abs(evaluate(source, k)[0] - value) for k in range(n))
    printed = float(to_python(result))
    tolerance = 2 * (slack + _rounding(printed)) + 1e-12
    assert abs(value - printed) <= tolerance, f"{expression} evaluates to {value}, printed {result}"


def _is_numeric(part: str) -> bool:
    try:
        evaluate(to_python(part))
    except (SyntaxError, ValueError, AttributeError, TypeError):
        return False
    return True


def numeric_claims(lines: list) -> list:
    """(numeric expression, printed result) pairs: every all-number side of an equation
    (which may continue over lines starting with ``=``) against its last side."""
    equations = []
    for line in lines:
        parts = [p.strip() for p in re.sub(r"^\s*path \d+:", "", line).split(" = ")]
        parts = [p for p in parts if p and p != "="]
        continues = line.lstrip().startswith("=") and not line.startswith("  = ")
        if continues and equations:
            equations[-1].extend(parts)
        else:
            equations.append(parts)
    claims = []
    for parts in equations:
        numeric = [p for p in parts if _is_numeric(p)]
        claims.extend((p, numeric[-1]) for p in numeric[:-1])
    return claims


def test_the_tanh_example_brackets_the_difference():
    w = torch.tensor(0.5, requires_grad=True)
    b = torch.tensor(2.0)
    loss = torch.tanh(w) * b
    assert viz.explain(loss, wrt=w).lines == [
        "∂loss/∂w = ∂loss/∂s · ∂s/∂w = b · (1 − s²) = 2 · (1 − 0.4621²) = 1.573",
        "  where s = tanh(w)",
    ]
    assert_means("2 · (1 − 0.4621²)", "1.573")


def test_printer_brackets_negative_operands_and_sums():
    assert str(F.difference(1, F.product(0.1, -2))) == "1 − 0.1·(−2)"
    assert str(F.power(-0.5, 2)) == "(−0.5)²"
    assert str(F.quotient(1, F.product(2, F.root(0.5)))) == "1/(2·√0.5)"
    assert str(F.difference(F.name("a"), F.difference(F.name("b"), F.name("c")))) == "a − (b − c)"
    assert str(F.product(F.negate(F.call("sin", 1)), 2)) == "(−sin(1))·2"
    assert str(F.juxtapose(F.name("s"), F.difference(1, F.name("s")))) == "s(1 − s)"


def test_the_checker_catches_a_missing_bracket():
    with pytest.raises(AssertionError):
        assert_means("2 · 1 − 0.4621²", "1.573")


def _pos(t):
    return t * t + 0.5


_UNARY = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "exp": lambda t: torch.exp(t * 0.3),
    "log": lambda t: torch.log(_pos(t)),
    "sqrt": lambda t: torch.sqrt(_pos(t)),
    "relu": torch.relu,
    "abs": torch.abs,
    "reciprocal": lambda t: torch.reciprocal(_pos(t)),
    "square": lambda t: t**2,
    "cube": lambda t: t**3,
    "half power": lambda t: _pos(t) ** 0.5,
    "neg": lambda t: -t,
    "rsub": lambda t: 1.0 - t,
}
_BINARY = {
    "add": lambda p, q: p + q,
    "sub": lambda p, q: p - q,
    "mul": lambda p, q: p * q,
    "div": lambda p, q: p / _pos(q),
}
_STEPS = st.lists(
    st.tuples(
        st.sampled_from(sorted(_UNARY) + sorted(_BINARY)), st.integers(0, 9), st.integers(0, 9)
    ),
    min_size=1,
    max_size=5,
)


def _graph(steps, leaves):
    pool = list(leaves)
    for name, i, j in steps:
        p, q = pool[i % len(pool)], pool[j % len(pool)]
        pool.append(_UNARY[name](p) if name in _UNARY else _BINARY[name](p, q))
    return pool[-1]


@settings(max_examples=150, deadline=None)
@given(_STEPS, st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_property_printed_scalar_formulas_evaluate_to_their_results(steps, av, bv):
    a = torch.tensor(av, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(bv, dtype=torch.float64, requires_grad=True)
    out = _graph(steps, [a, b, torch.tensor(-0.7, dtype=torch.float64)]) * a
    explanation = viz.explain(out, wrt=a, expand=True)
    claims = numeric_claims(explanation.lines)
    assert claims, explanation.lines
    for expression, result in claims:
        assert_means(expression, result)


@settings(max_examples=60, deadline=None)
@given(_STEPS, st.floats(-1.5, 1.5))
def test_property_printed_sums_over_elements_evaluate_to_their_results(steps, wv):
    w = torch.tensor(wv, dtype=torch.float64, requires_grad=True)
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    loss = (_graph(steps, [w * x, x]) * (w * x)).mean()
    explanation = viz.explain(loss, wrt=w, expand=True)
    claims = numeric_claims(explanation.lines)
    assert claims, explanation.lines
    for expression, result in claims:
        assert_means(expression, result)


_STEP_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.1)),
    ("Adadelta", dict(lr=0.5)),
]


@pytest.mark.parametrize(("name", "options"), _STEP_CASES)
@pytest.mark.parametrize("start", [1.0, -0.5])
def test_explain_step_numbers_evaluate_to_their_results(name, options, start):
    w = torch.tensor(start, requires_grad=True)
    opt = getattr(torch.optim, name)([w], **options)
    checked = 0
    for _ in range(3):
        opt.zero_grad()
        ((w * 3 - 1) ** 2).backward()
        explanation = opt.explain_step(w)
        for expression, result in numeric_claims(explanation.lines[1:]):
            assert_means(expression, result)
            checked += 1
        opt.step()
    assert checked >= 3


def test_explain_step_brackets_a_negative_gradient():
    w = torch.tensor(1.0, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    (w * -2).backward()
    assert str(opt.explain_step(w)).endswith("θ ← θ − lr·g = 1 − 0.1·(−2) = 1.2")
