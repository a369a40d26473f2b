"""SVG pictures of the autograd graph without Graphviz: boxes from :mod:`.layout`.

Draws the same boxes, colours and labels as the DOT text sends to ``dot``, so a picture
looks alike with or without system Graphviz. Text is measured with a table of DejaVu Sans
advance widths (the widest common sans-serif default, and the only font on many Linux
machines), so labels fit whichever of Helvetica, Arial or DejaVu Sans the viewer uses.
"""

from __future__ import annotations

import unicodedata
from html import escape

from glassgrad.viz.layout import layered_layout

__all__ = ["STYLES", "Picture", "draw_svg", "draw_with_matplotlib", "text_width"]

FONT = "Helvetica, Arial, 'DejaVu Sans', sans-serif"
NODE_FONT, EDGE_FONT = 11.0, 10.0
LINE = 1.25  # line height in font sizes
PAD_X, PAD_Y = 8.0, 5.0
MIN_W, MIN_H = 54.0, 36.0  # Graphviz's default node size (0.75 x 0.5 inch)
ARROW = 8.0
EDGE_COLOUR, GRAD_COLOUR = "#555555", "#b91c1c"

#: kind -> (fill, stroke, rounded, text colour); None fill: plain text, no box
STYLES = {
    "leaf": ("#cfe8ff", "#1d4ed8", True, "#000000"),
    "op": ("#fff4c2", "#a16207", False, "#000000"),
    "const": ("#eeeeee", "#777777", True, "#000000"),
    "out": (None, None, False, "#000000"),
}

# DejaVu Sans advance widths in ems (measured, rounded up, grouped); other characters count
# as 0.7 em, or 1 em when East Asian wide.
_GROUPS = {
    0.3: "'ijlIJ",
    0.34: ",.·/:;\\|",
    0.4: "f-()[]tᵀ",
    0.46: '!r²³"',
    0.54: "*_`‖∂?sz",
    0.6: "LcεFkvxyγλ",
    0.64: "PTYaeoθδπτ$0123456789ESbdghnpqu{}√Σβημσ",
    0.7: "Kαφψ∑∇ABCRVXZ",
    0.8: "UHN&DGOQ",
    0.84: "w#+<=>^~−×÷∞ω≈≤≥",
    1.0: "M%m@W…",
}
_WIDTHS = {ch: w for w, chars in _GROUPS.items() for ch in chars}
_WIDTHS[" "] = 0.32


def _char_width(ch: str) -> float:
    if ch in _WIDTHS:
        return _WIDTHS[ch]
    if unicodedata.combining(ch):
        return 0.0
    return 1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.7


def text_width(text: str, size: float) -> float:
    """Width of one line of ``text`` at font ``size`` (combining marks take no room)."""
    return size * sum(_char_width(ch) for ch in text)


def _block(lines: list, size: float) -> tuple:
    return max(text_width(line, size) for line in lines), len(lines) * size * LINE


def _node_size(kind: str, lines: list) -> tuple:
    width, height = _block(lines, NODE_FONT)
    if STYLES[kind][0] is None:
        return width + 2 * PAD_X, height + 2 * PAD_Y
    return max(MIN_W, width + 2 * PAD_X), max(MIN_H, height + 2 * PAD_Y)


class Picture:
    """The laid-out picture, ready for any backend: boxes, edge paths, labels.

    Attributes:
        width, height: size in points (y grows downwards, as in SVG).
        boxes: ``(kind, lines, (x, y) centre, (w, h))`` per node.
        edges: ``(commands, arrowhead, label lines or None, label (x, top))`` per edge;
            commands are ``("M", p)``, ``("L", p)`` and ``("C", c1, c2, p)``.
    """

    def __init__(self, nodes: list, edges: list):
        node_lines = [label.split("\n") for _, label in nodes]
        sizes = [_node_size(kind, lines) for (kind, _), lines in zip(nodes, node_lines)]
        edge_lines = [None if text is None else text.split("\n") for _, _, text in edges]
        label_sizes = [None if lines is None else _block(lines, EDGE_FONT) for lines in edge_lines]
        layout = layered_layout(sizes, [(u, v, s) for (u, v, _), s in zip(edges, label_sizes)])
        self.width, self.height = layout.width, layout.height
        self.boxes = [
            (kind, lines, centre, size)
            for (kind, _), lines, centre, size in zip(nodes, node_lines, layout.centres, sizes)
        ]
        self.edges = []
        for route, lines in zip(layout.routes, edge_lines):
            commands, head = _edge_path(route.runs)
            label_top = None
            if lines is not None and route.label_at is not None:
                x, y = route.label_at
                label_top = (x, y - 2 - len(lines) * EDGE_FONT * LINE)
            self.edges.append((commands, head, lines, label_top))


def _edge_path(runs: list) -> tuple:
    """Horizontal runs joined by S-curves with horizontal tangents (they stay inside the
    gaps between columns), ending ``ARROW`` before the box, plus the arrowhead's corners."""
    end_x, end_y = runs[-1][1], runs[-1][2]
    tip = end_x - ARROW
    commands = [("M", (runs[0][0], runs[0][2]))]
    for i, (x0, x1, y) in enumerate(runs):
        last = i == len(runs) - 1
        if i:
            prev_x, prev_y = runs[i - 1][1], runs[i - 1][2]
            start = min(x0, tip) if last else x0
            mid = (prev_x + start) / 2
            commands.append(("C", (mid, prev_y), (mid, y), (start, y)))
        commands.append(("L", (tip if last else x1, y)))
    head = [(end_x, end_y), (tip, end_y - 3.5), (tip, end_y + 3.5)]
    return commands, head


def draw_svg(nodes: list, edges: list) -> str:
    """SVG text for ``nodes`` ``[(kind, label)]`` and ``edges``
    ``[(source, target, label or None)]`` (indices into ``nodes``)."""
    pic = Picture(nodes, edges)
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pic.width:.0f}pt" '
        f'height="{pic.height:.0f}pt" viewBox="0 0 {pic.width:.2f} {pic.height:.2f}">',
        '<g class="graph">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for k, ((commands, head, lines, label_top), (u, v, _)) in enumerate(zip(pic.edges, edges)):
        d = " ".join(c[0] + " ".join(f"{x:.2f},{y:.2f}" for x, y in c[1:]) for c in commands)
        points = " ".join(f"{x:.2f},{y:.2f}" for x, y in head)
        out.append(
            f'<g id="edge{k}" class="edge"><title>node{u}-&gt;node{v}</title>'
            f'<path fill="none" stroke="{EDGE_COLOUR}" d="{d}"/>'
            f'<polygon fill="{EDGE_COLOUR}" stroke="{EDGE_COLOUR}" points="{points}"/>'
            + ("" if lines is None else _svg_text(lines, *label_top, EDGE_FONT, GRAD_COLOUR))
            + "</g>"
        )
    for k, (kind, lines, (x, y), (w, h)) in enumerate(pic.boxes):
        fill, stroke, rounded, ink = STYLES[kind]
        out.append(f'<g id="node{k}" class="node {kind}"><title>{escape(lines[0])}</title>')
        if fill is not None:
            corner = ' rx="10" ry="10"' if rounded else ""
            out.append(
                f'<rect x="{x - w / 2:.2f}" y="{y - h / 2:.2f}" width="{w:.2f}" '
                f'height="{h:.2f}"{corner} fill="{fill}" stroke="{stroke}"/>'
            )
        top = y - len(lines) * NODE_FONT * LINE / 2
        out.append(_svg_text(lines, x, top, NODE_FONT, ink) + "</g>")
    out.append("</g>\n</svg>\n")
    return "\n".join(out)


def _baseline(top: float, i: int, size: float) -> float:
    """Baseline of line ``i`` of a block starting at ``top`` (~0.35 em below the line's middle)."""
    return top + i * size * LINE + size * (LINE + 0.7) / 2


def _svg_text(lines: list, x: float, top: float, size: float, colour: str) -> str:
    return "".join(
        f'<text x="{x:.2f}" y="{_baseline(top, i, size):.2f}" text-anchor="middle" '
        f'font-family="{FONT}" font-size="{size:.1f}" fill="{colour}">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )


def draw_with_matplotlib(nodes: list, edges: list, path, fmt: str) -> None:
    """Write the picture as ``fmt`` (png, pdf, ...) with matplotlib, whose bundled DejaVu
    Sans is the font the boxes were sized for."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch, PathPatch, Polygon
    from matplotlib.path import Path as MplPath

    pic = Picture(nodes, edges)
    fig = Figure(figsize=(pic.width / 72, pic.height / 72))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, pic.width)
    ax.set_ylim(pic.height, 0)
    ax.axis("off")
    codes = {"M": MplPath.MOVETO, "L": MplPath.LINETO, "C": MplPath.CURVE4}
    for commands, head, lines, label_top in pic.edges:
        vertices, kinds = [], []
        for command, *points in commands:
            vertices.extend(points)
            kinds.extend([codes[command]] * len(points))
        ax.add_patch(PathPatch(MplPath(vertices, kinds), fill=False, ec=EDGE_COLOUR, lw=0.8))
        ax.add_patch(Polygon(head, closed=True, fc=EDGE_COLOUR, ec=EDGE_COLOUR, lw=0.8))
        if lines is not None:
            _mpl_text(ax, lines, *label_top, EDGE_FONT, GRAD_COLOUR)
    for kind, lines, (x, y), (w, h) in pic.boxes:
        fill, stroke, rounded, ink = STYLES[kind]
        if fill is not None:
            style = "round,pad=0,rounding_size=10" if rounded else "square,pad=0"
            box = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style, lw=0.8)
            box.set(facecolor=fill, edgecolor=stroke)
            ax.add_patch(box)
        _mpl_text(ax, lines, x, y - len(lines) * NODE_FONT * LINE / 2, NODE_FONT, ink)
    fig.savefig(path, format=fmt, dpi=144, facecolor="white")


def _mpl_text(ax, lines: list, x: float, top: float, size: float, colour: str) -> None:
    for i, line in enumerate(lines):
        y = _baseline(top, i, size)
        ax.text(
            x,
            y,
            line,
            ha="center",
            va="baseline",
            fontsize=size,
            color=colour,
            family="DejaVu Sans",
        )
