"""explain() after backward(): the freed forward values are recomputed from the leaves."""

import pytest

import glassgrad as torch
from glassgrad import viz

W = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
C = [[2.0, 1.0, -1.0], [0.5, -2.0, 3.0]]

#: one graph per op with a written-out explain rule: (op it must contain, loss builder)
CASES = {
    "Add": lambda w, c: (w + c).sum(),
    "Sub": lambda w, c: (c - w).sum(),
    "Rsub": lambda w, c: ((2.0 - w) * c).sum(),
    "Neg": lambda w, c: (-w * c).sum(),
    "Clone": lambda w, c: (w.clone() * c).sum(),
    "ToCopy": lambda w, c: (w.double() * c.double()).sum(),
    "Mul": lambda w, c: (w * c).sum(),
    "Div": lambda w, c: (c / (w * w + 1.0)).sum(),
    "Pow": lambda w, c: ((w - c) ** 2).mean(),
    "Exp": lambda w, c: torch.exp(w * c).sum(),
    "Log": lambda w, c: torch.log(w * w + 1.0).sum(),
    "Sqrt": lambda w, c: torch.sqrt(w * w + 1.0).sum(),
    "Sin": lambda w, c: torch.sin(w * c).sum(),
    "Cos": lambda w, c: torch.cos(w * c).sum(),
    "Tanh": lambda w, c: (torch.tanh(w) * c).sum(),
    "Sigmoid": lambda w, c: (torch.sigmoid(w) * c).sum(),
    "Relu": lambda w, c: (torch.relu(w) * c).sum(),
    "Abs": lambda w, c: (torch.abs(w) * c).sum(),
    "Reciprocal": lambda w, c: torch.reciprocal(w * w + 1.0).sum(),
    "Sum": lambda w, c: (w * c).sum(),
    "Mean": lambda w, c: (w * c).mean(),
    "SumDim": lambda w, c: ((w * c).sum(1) ** 2).sum(),
    "MeanDim": lambda w, c: ((w * c).mean(0) ** 2).sum(),
    "Mm": lambda w, c: (w @ c.t()).sum(),
    "Matmul": lambda w, c: torch.matmul(w.unsqueeze(0), c.t().unsqueeze(0)).sum(),
    "Addmm": lambda w, c: torch.nn.functional.linear(c, w, c[:, 0]).sum(),
    "Mv": lambda w, c: torch.mv(w, c[1]).sum(),
    "Dot": lambda w, c: torch.dot(w.view(6), c.view(6)) * 2.0,
    "View": lambda w, c: (w.view(3, 2) * c.view(3, 2)).sum(),
    "Reshape": lambda w, c: (w.t().reshape(6) * c.reshape(6)).sum(),
    "Alias": lambda w, c: (w[...] * c).sum(),
    "Squeeze": lambda w, c: (w.unsqueeze(0).squeeze() * c).sum(),
    "SqueezeDim": lambda w, c: (w.unsqueeze(0).squeeze(0) * c).sum(),
    "Unsqueeze": lambda w, c: (w.unsqueeze(0) * c).sum(),
    "TransposeT": lambda w, c: (w.t() * c.t()).sum(),
    "Transpose": lambda w, c: (w.transpose(0, 1) * c.t()).sum(),
    "Permute": lambda w, c: (w.permute(1, 0) * c.t()).sum(),
    "Expand": lambda w, c: (w.mean(0, keepdim=True).expand(2, 3) * c).sum(),
    "MseLoss": lambda w, c: torch.nn.functional.mse_loss(w, c),
}


def _ops(tensor) -> set:
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(n for n, _ in node.next_functions)
    return {getattr(type(n), "op_name", "") for n in seen}


@pytest.mark.parametrize("op", sorted(CASES))
def test_explain_after_backward_equals_explain_before(op):
    c = torch.tensor(C)
    w = torch.tensor(W, requires_grad=True)
    loss = CASES[op](w, c)
    before = viz.explain(loss, wrt=w)
    loss = CASES[op](w, c)
    assert op in _ops(loss), f"the {op} case does not use {op}"
    loss.backward()
    after = viz.explain(loss, wrt=w)
    assert after.lines == before.lines
    assert after.value == pytest.approx(w.grad.numpy(), rel=1e-5, abs=1e-6)


def test_scalar_seed_after_backward():
    x, y = torch.tensor(1.0), torch.tensor(2.0)
    w = torch.tensor(1.0, requires_grad=True)
    y_hat = w * x
    loss = (y_hat - y) ** 2
    loss.backward()
    e = viz.explain(loss, wrt=w)
    assert e.lines == [
        "∂loss/∂w = ∂loss/∂s · ∂s/∂ŷ · ∂ŷ/∂w = 2s · 1 · x = 2·(−1) · 1 · 1 = −2",
        "  where s = ŷ − y",
    ]
    assert e.value == w.grad.item()


def test_a_leaf_changed_in_place_since_is_refused_by_name():
    w = torch.tensor(2.0, requires_grad=True)
    loss = (w * 3.0) ** 2
    loss.backward()
    torch.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match=r"w \(shape \[\]\) was modified in place"):
        viz.explain(loss, wrt=w)


def test_a_constant_changed_in_place_since_is_refused():
    w = torch.tensor(2.0, requires_grad=True)
    x = torch.tensor(3.0)
    loss = (w * x) ** 2
    loss.backward()
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="x .*modified in place"):
        viz.explain(loss, wrt=w)
