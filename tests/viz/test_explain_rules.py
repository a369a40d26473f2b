"""Each op's explain rule (its ``explain`` class attribute) against autograd.

``CALLS`` has one entry per op that declares a rule, so a new rule without a check fails
``test_every_rule_has_a_check``; each check explains a small weighted loss through the op,
with respect to every input, and compares the number explain arrives at (computed with the
rules' vector-Jacobian products) with the gradient autograd computes with the op's backward.
"""

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad import viz
from glassgrad.ops import REGISTRY
from glassgrad.ops._explain import ExplainRule

RULED = sorted(name for name, op in REGISTRY.items() if op.explain is not None)

#: op name -> (how to call it, the shapes of its inputs); inputs are drawn in (0.5, 2),
#: inside every ruled op's domain (log, sqrt, division, the kinks of relu and abs)
CALLS = {
    "Add": (lambda a, b: a + b, [(2, 3), (3,)]),
    "Sub": (lambda a, b: a - b, [(2, 3), (1, 3)]),
    "Rsub": (lambda a: 2 - a, [(3,)]),
    "Mul": (lambda a, b: a * b, [(2, 3), (3,)]),
    "LogAddExp": (gg.logaddexp, [(2, 3), (3,)]),
    "Div": (lambda a, b: a / b, [(3,), (2, 3)]),
    "Neg": (lambda a: -a, [(3,)]),
    "Pow": (lambda a: a**3 + a**2 + a**1 + a**0.5, [(3,)]),
    "Exp": (gg.exp, [(3,)]),
    "Log": (gg.log, [(3,)]),
    "Sqrt": (gg.sqrt, [(3,)]),
    "Sin": (gg.sin, [(3,)]),
    "Cos": (gg.cos, [(3,)]),
    "Tanh": (gg.tanh, [(3,)]),
    "Sigmoid": (gg.sigmoid, [(3,)]),
    "Relu": (gg.relu, [(3,)]),
    "Abs": (gg.abs, [(3,)]),
    "Reciprocal": (gg.reciprocal, [(3,)]),
    "Clone": (lambda a: a.clone(), [(2, 3)]),
    "ToCopy": (lambda a: a.to(gg.float32).to(gg.float64), [(3,)]),
    "View": (lambda a: a.view(-1), [(2, 3)]),
    "Reshape": (lambda a: a.t().reshape(-1), [(2, 3)]),
    "Squeeze": (lambda a: a.unsqueeze(0).squeeze(), [(2, 3)]),
    "SqueezeDim": (lambda a: a.unsqueeze(0).squeeze(0), [(2, 3)]),
    "Unsqueeze": (lambda a: a.unsqueeze(1), [(2, 3)]),
    "Alias": (lambda a: a[...], [(2, 3)]),
    "Transpose": (lambda a: a.transpose(0, 2), [(2, 3, 2)]),
    "TransposeT": (lambda a: a.t(), [(2, 3)]),
    "Permute": (lambda a: a.permute(2, 0, 1), [(2, 3, 2)]),
    "Expand": (lambda a: a.expand(2, 2, 3), [(1, 3)]),
    "Sum": (lambda a: a.sum() * a, [(2, 3)]),
    "SumDim": (lambda a: a.sum(1, keepdim=True) * a, [(2, 3)]),
    "Mean": (lambda a: a.mean() * a, [(2, 3)]),
    "MeanDim": (lambda a: a.mean(0), [(2, 3)]),
    "Mm": (lambda a, b: a.mm(b), [(2, 3), (3, 2)]),
    "Matmul": (lambda a, b: a @ b, [(2, 2, 3), (2, 3, 2)]),
    "Mv": (lambda a, b: a.mv(b), [(2, 3), (3,)]),
    "Dot": (lambda a, b: gg.dot(a, b), [(3,), (3,)]),
    "Addmm": (lambda c, a, b: gg.addmm(c, a, b, beta=0.5, alpha=2.0), [(2,), (3, 3), (3, 2)]),
    "MseLoss": (
        lambda a, b: F.mse_loss(a, b) + F.mse_loss(b, a, reduction="sum") * a,
        [(2, 3), (2, 3)],
    ),
}


def test_every_rule_has_a_check():
    missing = sorted(set(RULED) - set(CALLS))
    assert not missing, f"ops with an explain rule but no entry in CALLS: {missing}"
    stale = sorted(set(CALLS) - set(RULED))
    assert not stale, f"CALLS names ops without an explain rule: {stale}"


def test_rules_are_declared_per_op_not_inherited():
    """A subclass changes the maths (SumDim is not a full sum): it declares its own rule."""
    for name, op in REGISTRY.items():
        assert op.explain is None or isinstance(op.explain, ExplainRule), name
        assert "explain" in vars(op), f"{name} inherits an explain rule"
    assert REGISTRY["SumDim"].explain is not REGISTRY["Sum"].explain
    assert REGISTRY["TransposeInplace"].explain is None


def _graph_types(t) -> set:
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(nxt for nxt, _ in node.next_functions)
    return {type(n) for n in seen}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_rule_gives_autograds_gradient(name):
    fn, shapes = CALLS[name]
    rng = np.random.default_rng(len(name))
    inputs = {
        f"x{i}": gg.tensor(rng.uniform(0.5, 2.0, s), dtype=gg.float64, requires_grad=True)
        for i, s in enumerate(shapes)
    }
    out = fn(*inputs.values())
    assert REGISTRY[name] in _graph_types(out), f"the call for {name} does not record it"
    weights = gg.tensor(rng.uniform(-1, 1, tuple(out.shape)), dtype=gg.float64)
    loss = (out * weights).sum()
    for x in inputs.values():
        explanation = viz.explain(loss, wrt=x, params=inputs, use_locals=False)
        assert str(explanation)  # the rule's formulas write without error
        (expected,) = gg.autograd.grad(loss, x, retain_graph=True)
        np.testing.assert_allclose(explanation.value, expected.numpy(), rtol=1e-6, atol=1e-9)
