"""Graph pictures: DOT text for the seed graph, gradients on edges, rendering."""

import shutil

import pytest

import glassgrad as torch
from glassgrad import viz


def seed_graph():
    x = torch.tensor(1.0)
    y = torch.tensor(2.0)
    w = torch.tensor(1.0, requires_grad=True)
    y_hat = w * x
    loss = (y_hat - y) ** 2
    return viz.graph(loss), loss, w


def test_seed_dot_has_nodes_and_values_before_backward():
    g, _, _ = seed_graph()
    dot = g.to_dot()
    assert dot.startswith("digraph glassgrad {")
    for label in (
        "w = 1\\nfloat32 []",
        "x = 1\\nfloat32 []",
        "y = 2\\nfloat32 []",
        "MulBackward0 (×)\\nŷ = 1",
        "SubBackward0 (−)\\ns = −1",
        "PowBackward0 (** 2)\\nloss = 1",
    ):
        assert label in dot
    assert 'label="grad' not in dot and "\\ngrad =" not in dot  # nothing flowed yet
    assert dot.count("->") == 6  # w, x → mul → sub ← y; sub → pow → out


def test_seed_dot_shows_gradients_after_backward():
    g, loss, w = seed_graph()
    loss.backward()
    dot = g.to_dot()
    assert "grad = −2" in dot  # in the leaf w
    assert dot.count('label="grad −2"') == 3  # w→mul, mul→sub, sub→pow
    assert 'label="grad 1"' in dot  # the seed gradient of the loss
    assert w.grad.item() == -2.0


def test_watch_keeps_values_for_a_picture_drawn_after_backward():
    w = torch.tensor(3.0, requires_grad=True)
    with viz.watch():
        loss = (w * 2.0).exp().log()
    loss.backward()
    dot = viz.graph(loss).to_dot()
    assert "MulBackward0" in dot and "ExpBackward0" in dot
    assert "= 6\\n" in dot  # forward value of w * 2 survived backward
    assert 'label="grad 2"' in dot


def test_module_names_shapes_and_summaries():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    loss = model(torch.randn(16, 4)).pow(2).mean()
    dot = viz.graph(loss, params=model).to_dot()
    assert "0.weight" in dot and "2.bias" in dot
    assert "AddmmBackward0" in dot and "ReluBackward0" in dot
    assert "float32 [16, 8]" in dot
    assert "float32 [16, 8]" in dot and "\\nmin " in dot and "‖·‖" in dot  # summarised


def test_graph_of_a_leaf_is_refused():
    with pytest.raises(ValueError, match="no grad_fn"):
        viz.graph(torch.tensor(1.0, requires_grad=True))


def test_dot_file_without_graphviz(tmp_path):
    g, _, _ = seed_graph()
    path = g.render(tmp_path / "seed.dot")
    assert path.read_text(encoding="utf-8") == g.to_dot()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_svg_and_png_render(tmp_path):
    pytest.importorskip("graphviz", reason="the graphviz Python package is not installed")
    g, loss, _ = seed_graph()
    loss.backward()
    svg = g.to_svg()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "MulBackward0" in svg
    assert g._repr_svg_() == svg
    png = g.render(tmp_path / "seed.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_watch_and_import_leave_no_hooks_behind():
    import subprocess
    import sys

    from glassgrad.autograd import graph as autograd_graph

    with viz.watch():
        assert autograd_graph.RECORD_HOOKS
    assert autograd_graph.RECORD_HOOKS == []
    code = "import sys, glassgrad; print('glassgrad.viz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # import glassgrad stays fast: viz loads on use


def test_without_the_graphviz_package_the_picture_is_built_in(monkeypatch):
    g, _, _ = seed_graph()
    monkeypatch.setitem(__import__("sys").modules, "graphviz", None)
    svg = g.to_svg()
    assert 'class="node op"' in svg and "MulBackward0 (×)" in svg  # glassgrad's own drawing
    assert g._repr_svg_() == svg
    with pytest.raises(RuntimeError, match="pip install graphviz"):
        g.to_svg(engine="dot")


def test_missing_dot_program_says_how_to_install(monkeypatch, tmp_path):
    pytest.importorskip("graphviz", reason="the graphviz Python package is not installed")
    g, _, _ = seed_graph()
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match="apt-get install graphviz") as info:
        g.render(tmp_path / "never-written.png", engine="dot")
    assert "pip install" not in str(info.value)  # the package is there: do not ask for it
