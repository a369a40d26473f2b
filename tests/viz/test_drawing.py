"""Graph pictures without system Graphviz: glassgrad's own layered layout drawn as SVG.

Every test hides ``dot`` (an empty PATH), so they exercise the fallback even on a machine
where Graphviz is installed. The SVG is parsed back and its geometry checked: every label
present, no two boxes overlapping, no edge passing through a box, no label on a box.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import glassgrad as torch
from glassgrad import viz
from glassgrad.viz import drawing
from glassgrad.viz.layout import layered_layout

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def no_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None


def seed_graph():
    x = torch.tensor(1.0)
    y = torch.tensor(2.0)
    w = torch.tensor(1.0, requires_grad=True)
    y_hat = w * x
    loss = (y_hat - y) ** 2
    picture = viz.graph(loss)
    loss.backward()
    return picture


def mlp_graph(widths=(4, 8, 3)):
    torch.manual_seed(0)
    layers = []
    for a, b in itertools.pairwise(widths):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    x = torch.randn(16, widths[0])
    target = torch.tensor([0, 1, 2, 0] * 4)
    with viz.watch():
        loss = torch.nn.functional.cross_entropy(model(x), target)
    picture = viz.graph(loss, params=model)
    loss.backward()
    return picture


def branchy_graph():
    """Fan-out (a used three times) and a long skip edge (a feeds the last op)."""
    a = torch.tensor([0.5, -1.0], requires_grad=True)
    b = torch.tensor([2.0, 3.0], requires_grad=True)
    h = (a * b).sin().exp() * a
    loss = (h.tanh() + a).sum()
    picture = viz.graph(loss)
    loss.backward()
    return picture


GRAPHS = {"seed": seed_graph, "mlp": mlp_graph, "deep mlp": lambda: mlp_graph((4, 8, 8, 8, 3))}
GRAPHS["branchy"] = branchy_graph


def parse(svg: str):
    """Node boxes ``(x0, y0, x1, y1)`` with their text lines, edge paths, label boxes."""
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    boxes, texts, paths, labels = [], [], [], []
    for group in root.iter(SVG + "g"):
        kind = group.get("class", "")
        lines = [t.text or "" for t in group.findall(SVG + "text")]
        if kind.startswith("node"):
            rect = group.find(SVG + "rect")
            if rect is not None:
                x, y = float(rect.get("x")), float(rect.get("y"))
                w, h = float(rect.get("width")), float(rect.get("height"))
                boxes.append((x, y, x + w, y + h))
            texts.append(lines)
        elif kind == "edge":
            paths.append(group.find(SVG + "path").get("d"))
            for t in group.findall(SVG + "text"):
                width = drawing.text_width(t.text, drawing.EDGE_FONT)
                x, y = float(t.get("x")), float(t.get("y"))
                labels.append((x - width / 2, y - drawing.EDGE_FONT, x + width / 2, y + 3))
    return boxes, texts, paths, labels


def overlap(a, b, slack: float = 0.0) -> bool:
    """Boxes ``(x0, y0, x1, y1)`` share more than a ``slack``-wide border."""
    apart_x = a[2] - slack <= b[0] or b[2] - slack <= a[0]
    apart_y = a[3] - slack <= b[1] or b[3] - slack <= a[1]
    return not (apart_x or apart_y)


def path_points(d: str, steps: int = 24):
    """Points along an SVG path made of M, L and C commands."""
    points = []
    for command, numbers in re.findall(r"([MLC])([^MLC]*)", d):
        coords = [tuple(map(float, p.split(","))) for p in numbers.split()]
        if command == "C":
            p0, (c1, c2, p3) = points[-1], coords
            for k in range(1, steps + 1):
                t = k / steps
                points.append(
                    tuple(
                        (1 - t) ** 3 * p0[i]
                        + 3 * (1 - t) ** 2 * t * c1[i]
                        + 3 * (1 - t) * t**2 * c2[i]
                        + t**3 * p3[i]
                        for i in range(2)
                    )
                )
        else:
            points.extend(coords)
    return points


@pytest.mark.parametrize("name", list(GRAPHS))
def test_builtin_svg_is_readable(name):
    picture = GRAPHS[name]()
    svg = picture.to_svg()
    assert picture._repr_svg_() == svg  # what a notebook shows
    boxes, texts, paths, labels = parse(svg)
    nodes, edges = picture.scene()
    assert texts == [label.split("\n") for _, label in nodes]  # every label, line by line
    assert len(boxes) == sum(kind != "out" for kind, _ in nodes)
    assert len(paths) == len(edges)
    assert len(labels) == sum(label is not None for *_, label in edges)
    for i, a in enumerate(boxes):
        assert not any(overlap(a, b) for b in boxes[i + 1 :]), "two boxes overlap"
    for d in paths:
        points = path_points(d)
        assert not [p for p in points for b in boxes if overlap((*p, *p), b, slack=0.5)]
        assert not [p for p in points for b in labels if overlap((*p, *p), b, slack=0.5)]
    for i, a in enumerate(labels):
        assert not any(overlap(a, b) for b in boxes), "an edge label covers a box"
        assert not any(overlap(a, b) for b in labels[i + 1 :]), "two edge labels overlap"


def test_text_fits_its_box():
    boxes, texts, _, _ = parse(mlp_graph().to_svg())
    for (x0, y0, x1, y1), lines in zip(boxes, texts):
        assert max(drawing.text_width(line, drawing.NODE_FONT) for line in lines) < x1 - x0
        assert len(lines) * drawing.NODE_FONT * drawing.LINE < y1 - y0


def test_text_widths_are_never_less_than_dejavu_sans():
    """The width table must not underestimate the widest common default font."""
    pytest.importorskip("matplotlib", reason="measuring DejaVu Sans needs matplotlib")
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(family="DejaVu Sans", size=drawing.NODE_FONT)
    nodes, _edges = mlp_graph().scene()
    lines = {line for _, label in nodes for line in label.split("\n")}
    lines |= {"".join(map(chr, range(32, 127))), "−×÷‖·∞θᵀŷ∂√∑αβγδεημλπσφψωτ…"}
    measure = TextToPath().get_text_width_height_descent
    for line in lines:
        width = measure(line, font, ismath=False)[0]
        assert width <= drawing.text_width(line, drawing.NODE_FONT) <= 1.15 * width + 1, line


def test_same_colours_and_shapes_as_the_dot_text():
    svg = seed_graph().to_svg()
    assert 'fill="#cfe8ff" stroke="#1d4ed8"' in svg  # the leaf w, rounded
    assert 'rx="10" ry="10" fill="#cfe8ff"' in svg
    assert 'height="36.00" fill="#fff4c2" stroke="#a16207"' not in svg  # ops grow to fit
    assert svg.count('fill="#fff4c2" stroke="#a16207"') == 3  # three op boxes, square
    assert svg.count('fill="#b91c1c"') == 4  # red gradient labels: 3 × "grad −2", "grad 1"


def test_layout_places_leaves_by_their_consumer_and_splits_long_edges():
    # 0 → 1 → 2 → 3 and a long edge 0 → 3; 4 feeds 2
    sizes = [(40, 20)] * 5
    edges = [(0, 1, None), (1, 2, None), (2, 3, None), (0, 3, (30, 12)), (4, 2, None)]
    layout = layered_layout(sizes, edges)
    xs = [x for x, _ in layout.centres]
    assert xs[0] < xs[1] < xs[2] < xs[3] and xs[4] == xs[1]  # 4 sits next to 2
    assert len(layout.routes[3].runs) == 7  # source, 5 columns in between, target
    assert layout.routes[3].label_at is not None


def test_layout_refuses_a_cycle():
    with pytest.raises(ValueError, match="cycle"):
        layered_layout([(10, 10)] * 2, [(0, 1, None), (1, 0, None)])


def test_png_and_pdf_without_dot_use_matplotlib(tmp_path):
    pytest.importorskip("matplotlib", reason="PNG without Graphviz is drawn with matplotlib")
    picture = seed_graph()
    assert picture.render(tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert picture.render(tmp_path / "g.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="cannot write .bmpx"):
        picture.render(tmp_path / "g.bmpx")


def test_messages_say_only_what_this_machine_lacks(monkeypatch, tmp_path):
    picture = seed_graph()
    with pytest.raises(RuntimeError, match="not on PATH") as info:
        picture.to_svg(engine="dot")
    has_package = "graphviz" in sys.modules or __import__("importlib").util.find_spec("graphviz")
    assert ("pip install graphviz" in str(info.value)) == (not has_package)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(RuntimeError) as info:
        picture.render(tmp_path / "g.png")
    message = str(info.value)
    assert "pip install matplotlib" in message and "apt-get install graphviz" in message
    assert "pip install graphviz" in message  # hidden above, so now truly missing
    assert picture.render(tmp_path / "g.svg").read_text(encoding="utf-8").startswith("<?xml")
    with pytest.raises(ValueError, match="engine must be"):
        picture.to_svg(engine="neato")


SCRIPT = """
import glassgrad as torch
x = torch.tensor(1.0)
y = torch.tensor(2.0)
w = torch.tensor(1.0, requires_grad=True)
y_hat = w * x
loss = (y_hat - y) ** 2
loss.backward()
"""


def test_cli_run_graph_svg_without_dot(tmp_path: Path):
    (tmp_path / "lesson.py").write_text(SCRIPT, encoding="utf-8")
    env = {"PATH": str(tmp_path / "empty"), "PYTHONPATH": ":".join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-m", "glassgrad", "run", "--graph", "g.svg", "lesson.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "written to" in proc.stderr
    _, texts, _, _ = parse((tmp_path / "g.svg").read_text(encoding="utf-8"))
    flat = [line for lines in texts for line in lines]
    for expected in ("w = 1", "grad = −2", "MulBackward0 (×)", "loss = 1", "PowBackward0 (** 2)"):
        assert expected in flat
