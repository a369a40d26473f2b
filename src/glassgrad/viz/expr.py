"""Explain the gradient of a formula typed as text, without ``eval``.

The text is parsed with Python's ``ast`` and only names, numbers, ``+ - * / **``, unary
minus and a short list of functions are accepted; anything else is refused. Used by
``glassgrad explain "(w*x - y)**2" --at w=1 x=1 y=2 --wrt w``.

Example:
    >>> print(explain_expression("(w*x - y)**2", {"w": 1, "x": 1, "y": 2}, "w"))
    ∂f/∂w = ∂f/∂u · ∂u/∂s · ∂s/∂w = 2u · 1 · x = 2·(−1) · 1 · 1 = −2
      where s = w·x, u = s − y
"""

from __future__ import annotations

import ast

import glassgrad
from glassgrad.viz.explain import explain

__all__ = ["FUNCTIONS", "evaluate_expression", "explain_expression"]

#: the functions an expression may call
FUNCTIONS = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs")

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def _refuse(node, text: str) -> ValueError:
    what = type(node).__name__
    return ValueError(
        f"expression {text!r}: {what} is not allowed; use names, numbers, + - * / **, "
        f"parentheses and the functions {', '.join(FUNCTIONS)}"
    )


def evaluate_expression(text: str, values: dict):
    """Compute ``text`` with glassgrad ops; ``values`` maps each name to a tensor or number."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ValueError(f"expression {text!r} is not valid: {e.msg}") from None

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise ValueError(
                    f"expression {text!r} uses {node.id!r} but no value was given for it; "
                    f"pass it like --at {node.id}=1.0"
                )
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = walk(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            arg = walk(node.args[0])
            if not isinstance(arg, glassgrad.Tensor):
                arg = glassgrad.tensor(float(arg))
            return getattr(glassgrad, node.func.id)(arg)
        raise _refuse(node, text)

    return walk(tree)


def explain_expression(text: str, at: dict, wrt: str, **options):
    """The chain-rule explanation of ``∂f/∂wrt`` for the formula ``f = text`` at ``at``.

    Args:
        text: the formula, e.g. ``"(w*x - y)**2"``.
        at: values of every name (numbers, or lists for vectors).
        wrt: the name to differentiate with respect to.
        options: passed to :func:`glassgrad.viz.explain` (``expand`` ...).
    """
    if wrt not in at:
        raise ValueError(f"--wrt {wrt}: give its value too, e.g. --at {wrt}=1.0")
    tensors = {
        name: glassgrad.tensor(value, dtype=glassgrad.float64, requires_grad=(name == wrt))
        for name, value in at.items()
    }
    result = evaluate_expression(text, tensors)
    if not isinstance(result, glassgrad.Tensor) or result.grad_fn is None:
        raise ValueError(f"expression {text!r} does not depend on {wrt}")
    if result.numel() != 1:
        result = result.sum()
    names = dict(tensors)
    names["f"] = result
    return explain(result, tensors[wrt], params=names, use_locals=False, **options)
