"""Chain-rule explanations: exact derivations and values equal to autograd's."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassgrad
import glassgrad as torch
from glassgrad import viz

SEED = "∂loss/∂w = ∂loss/∂s · ∂s/∂ŷ · ∂ŷ/∂w = 2s · 1 · x = 2·(−1) · 1 · 1 = −2"


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


def test_after_backward_needs_watch():
    w = torch.tensor(2.0, requires_grad=True)
    loss = (w * 3.0) ** 2
    loss.backward()
    with pytest.raises(RuntimeError, match="viz.watch"):
        viz.explain(loss, wrt=w)
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
