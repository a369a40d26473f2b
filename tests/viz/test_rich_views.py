"""Notebook views: each object's ``_repr_html_`` holds its key facts; ``repr`` is unchanged."""

import warnings

import numpy as np

import glassgrad as torch
from glassgrad import viz


def test_tensor_view_shows_shape_dtype_values_grad_and_grad_fn():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    before = repr(w)
    (w * 3).sum().backward()
    page = w._repr_html_()
    for fact in ("[2]", "torch.float32", "tensor([ 1., -2.])", "tensor([3., 3.])", "True"):
        assert fact in page
    assert repr(w) == before == "tensor([ 1., -2.], requires_grad=True)"
    assert "MulBackward0" in (w * 2)._repr_html_()


def test_module_view_is_a_tree_with_parameter_counts_and_shapes():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    page = model._repr_html_()
    assert "<b>Sequential</b>: 13 parameters" in page
    assert "Linear(in_features=2, out_features=3, bias=True) — 9 parameters" in page
    assert "<code>weight</code> [3, 2]" in page and "ReLU — 0 parameters" in page
    assert repr(model).startswith("Sequential(\n  (0): Linear(in_features=2")


def test_explanation_view_typesets_the_formula_once():
    w = torch.tensor(0.5, requires_grad=True)
    b = torch.tensor(2.0)
    page = viz.explain(torch.tanh(w) * b, wrt=w)._repr_html_()
    assert page.count("$$") == 2 and "\\partial" in page
    assert page.count("<pre") == 1 and "<details>" in page  # the plain text, folded away


def test_step_check_and_trace_views():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    trace = viz.Trace({"w": w}, opt, warn=False)
    for _ in range(12):
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        step_page = opt.explain_step(w)._repr_html_()
        opt.step()
        trace.record(loss)
    assert "<b>SGD update of w" in step_page and "θ ← θ − lr·g" in step_page
    page = trace._repr_html_()
    assert "12 step(s)" in page and "w.grad_norm" in page and "⋯" in page
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = viz.check_gradient(lambda w: 4 * w, lambda: (w**2).sum(), {"w": w}, steps=1)
    page = report._repr_html_()
    assert "✗" in page and "2" in page and "hand ÷ autograd" in page
    assert np.isfinite(report.ratio)
