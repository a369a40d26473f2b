"""Chain-rule explanations: exact derivations and values equal to autograd's."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassgrad
import glassgrad as torch
from glassgrad import viz

SEED = "∂loss/∂w = ∂loss/∂s · ∂s/∂ŷ · ∂ŷ/∂w = 2s · 1 · x = 2·(−1) · 1 · 1 = −2\n  where s = ŷ − y"


def test_seed_single_weight_derivation_and_value():
    x = torch.tensor(1.0)
    y = torch.tensor(2.0)
    w = torch.tensor(1.0, requires_grad=True)
    y_hat = w * x
    loss = (y_hat - y) ** 2
    e = glassgrad.explain(loss, wrt=w)
    assert str(e) == SEED
    loss.backward()
    assert e.value == w.grad.item() == -2.0


def test_batch_mean_shows_one_over_n_and_the_sum_over_samples():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    y = torch.tensor([2.0, 4.0, 6.0, 8.0])
    w = torch.tensor(0.0, requires_grad=True)
    y_hat = w * x
    loss = ((y_hat - y) ** 2).mean()
    e = viz.explain(loss, wrt=w)
    assert e.lines == [
        "∂loss/∂w = Σᵢ ∂loss/∂uᵢ · ∂uᵢ/∂sᵢ · ∂sᵢ/∂ŷᵢ · ∂ŷᵢ/∂w    (i = 1…4)",
        "         = Σᵢ 1/N · 2sᵢ · 1 · xᵢ",
        "         = 1/4·2·(−2)·1·1 + 1/4·2·(−4)·1·2 + 1/4·2·(−6)·1·3 + 1/4·2·(−8)·1·4",
        "         = −1 − 4 − 9 − 16 = −30",
        "  where s = ŷ − y, u = s²",
    ]
    loss.backward()
    assert e.value == pytest.approx(w.grad.item()) == -30.0


def test_large_batches_collapse_unless_expanded():
    x = torch.arange(1.0, 11.0)
    w = torch.tensor(0.5, requires_grad=True)
    loss = ((w * x - 1.0) ** 2).mean()
    short = viz.explain(loss, wrt=w)
    assert "(6 more terms)" in str(short)
    full = viz.explain(loss, wrt=w, expand=True)
    assert "more terms" not in str(full)
    assert str(full).count("1/10·") == 10
    loss.backward()
    assert short.value == pytest.approx(w.grad.item(), rel=1e-6)


def test_several_paths_are_summed():
    a = torch.tensor(0.5, requires_grad=True)
    z = a * a + torch.sin(a) * a
    e = viz.explain(z, wrt=a)
    text = str(e)
    assert "sum over 4 paths" in text
    assert "cos(a)" in text and "cos(0.5)" in text
    z.backward()
    assert e.value == pytest.approx(a.grad.item(), rel=1e-6)


def test_mlp_weight_gradient_by_vector_jacobian_products():
    torch.manual_seed(0)
    lin1, lin2 = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)
    xb, yb = torch.randn(5, 2), torch.randn(5, 1)
    loss = torch.nn.functional.mse_loss(lin2(torch.relu(lin1(xb))), yb)
    e = viz.explain(loss, wrt=lin1.weight)
    text = str(e)
    assert "∂loss/∂lin1.weight (shape [3, 2])" in text
    assert "@" in text and "[s > 0]" in text
    loss.backward()
    assert e.value == pytest.approx(lin1.weight.grad.numpy(), rel=1e-5, abs=1e-7)


def test_after_backward_works_with_or_without_watch():
    w = torch.tensor(2.0, requires_grad=True)
    loss = (w * 3.0) ** 2
    loss.backward()
    assert viz.explain(loss, wrt=w).value == pytest.approx(36.0)
    with viz.watch():
        loss = (w * 3.0) ** 2
    loss.backward()
    assert viz.explain(loss, wrt=w).value == pytest.approx(36.0)


def test_wrt_outside_the_graph_is_refused():
    w = torch.tensor(2.0, requires_grad=True)
    other = torch.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="does not appear in the graph"):
        viz.explain(w * 2, wrt=other)


def test_html_and_latex():
    w = torch.tensor(1.0, requires_grad=True)
    e = viz.explain((w * 2.0) ** 2, wrt=w)
    html = e.to_html()
    assert "\\partial" in html and "<pre" in html
    assert "&amp;=" in html or "&=" in e.to_latex()


_UNARY = {
    "sin": torch.sin,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "exp": lambda t: torch.exp(t * 0.3),
    "square": lambda t: t**2,
    "cube": lambda t: t**3,
    "neg": lambda t: -t,
}
_BINARY = {
    "add": lambda p, q: p + q,
    "sub": lambda p, q: p - q,
    "mul": lambda p, q: p * q,
    "div": lambda p, q: p / (q * q + 1.0),
}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(_UNARY) + sorted(_BINARY)),
            st.integers(0, 10),
            st.integers(0, 10),
        ),
        min_size=1,
        max_size=6,
    ),
    st.floats(-1.5, 1.5),
    st.floats(-1.5, 1.5),
)
def test_property_explained_sum_equals_autograd(steps, av, bv):
    a = torch.tensor(av, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(bv, dtype=torch.float64, requires_grad=True)
    pool = [a, b, torch.tensor(0.7, dtype=torch.float64)]
    for name, i, j in steps:
        p, q = pool[i % len(pool)], pool[j % len(pool)]
        pool.append(_UNARY[name](p) if name in _UNARY else _BINARY[name](p, q))
    out = pool[-1] + pool[-2] * a
    e = viz.explain(out, wrt=a, expand=True)
    (expected,) = torch.autograd.grad(out, a)
    assert math.isclose(e.value, expected.item(), rel_tol=1e-9, abs_tol=1e-12)


def test_long_paths_collapse_unless_expanded():
    a = torch.tensor(0.3, requires_grad=True)
    h = a
    for _ in range(12):
        h = torch.sin(h)
    short = viz.explain(h, wrt=a)
    assert "⋯" in str(short) and str(short).count("cos(") < 12
    full = viz.explain(h, wrt=a, expand=True)
    assert "⋯" not in str(full) and str(full).count("cos(") == 24
    h.backward()
    assert short.value == pytest.approx(a.grad.item(), rel=1e-6)


def test_per_element_gradient_of_a_vector_parameter():
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = torch.tensor([1.0, -1.0, 2.0])
    loss = ((w * x - 1.0) ** 2).sum()
    e = viz.explain(loss, wrt=w)
    assert e.lines[0] == "∂loss/∂wᵢ = ∂loss/∂vᵢ · ∂vᵢ/∂uᵢ · ∂uᵢ/∂sᵢ · ∂sᵢ/∂wᵢ    (i = 1…3)"
    assert e.lines[1].strip() == "= 1 · 2uᵢ · 1 · xᵢ"
    assert e.lines[-2].strip() == "= [0, 6, 20]"
    assert e.lines[-1] == "  where s = w·x, u = s − 1, v = u²"
    loss.backward()
    assert e.value.tolist() == w.grad.tolist()


def test_reductions_over_a_dimension_use_written_rules_even_after_backward():
    b = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with viz.watch():
        loss = (b.sum(dim=0) ** 2).mean()
    loss.backward()
    e = viz.explain(loss, wrt=b)
    assert "ḡ(b) = ḡ(s) broadcast back = [[4, 6], [4, 6]]" in str(e)
    assert e.value.tolist() == b.grad.tolist()


@pytest.mark.parametrize(
    "make",
    [
        lambda A, v, B, C: (A @ v).sum(),
        lambda A, v, B, C: (v @ v) * 2,
        lambda A, v, B, C: ((B @ C) ** 2).mean(),
        lambda A, v, B, C: A.mv(v).tanh().sum(),
        lambda A, v, B, C: A.t().reshape(-1).sum() * 3,
        lambda A, v, B, C: (A.unsqueeze(0) * B[:, :, :3].transpose(1, 2)).exp().mean(dim=1).sum(),
    ],
)
def test_matrix_products_views_and_reductions_match_autograd(make):
    torch.manual_seed(0)
    tensors = [
        torch.randn(3, 4, requires_grad=True),
        torch.randn(4, requires_grad=True),
        torch.randn(2, 4, 5, requires_grad=True),
        torch.randn(5, 3, requires_grad=True),
    ]
    out = make(*tensors)
    explained = {}
    for t in tensors:
        try:
            explained[id(t)] = viz.explain(out, wrt=t).value
        except RuntimeError as error:
            assert "does not appear in the graph" in str(error)
    out.backward()
    assert explained
    for t in tensors:
        if id(t) in explained:
            assert explained[id(t)] == pytest.approx(t.grad.numpy(), rel=1e-5, abs=1e-6)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(_UNARY) + sorted(_BINARY)),
            st.integers(0, 10),
            st.integers(0, 10),
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["mean", "sum", "mean0", "sum1"]),
    st.integers(0, 2**16),
)
def test_property_tensor_graphs_with_broadcasting(steps, reduce, seed):
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(3, generator=gen, dtype=torch.float64).requires_grad_()
    m = torch.randn(2, 3, generator=gen, dtype=torch.float64).requires_grad_()
    s = torch.randn((), generator=gen, dtype=torch.float64).requires_grad_()
    pool = [w, m, s]
    for name, i, j in steps:
        p, q = pool[i % len(pool)], pool[j % len(pool)]
        pool.append(_UNARY[name](p) if name in _UNARY else _BINARY[name](p, q))
    out = pool[-1] * m
    out = {
        "mean": out.mean(),
        "sum": out.sum(),
        "mean0": out.mean(dim=0).sum(),
        "sum1": out.sum(dim=1).mean(),
    }[reduce]
    explained = {id(t): viz.explain(out, wrt=t).value for t in (w, m, s) if _uses(out, t)}
    grads = torch.autograd.grad(out, [w, m, s], allow_unused=True, materialize_grads=True)
    for t, g in zip((w, m, s), grads):
        if id(t) in explained:
            assert explained[id(t)] == pytest.approx(g.numpy(), rel=1e-9, abs=1e-12)


def _uses(out, t) -> bool:
    stack, seen = [out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "variable", None) is t:
            return True
        stack.extend(n for n, _ in node.next_functions)
    return False
