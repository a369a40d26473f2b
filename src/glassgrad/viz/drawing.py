"""SVG pictures of the autograd graph without Graphviz: boxes from :mod:`.layout`.

Draws the same boxes, colours and labels as the DOT text sends to ``dot``, so a picture
looks alike with or without system Graphviz. Text is measured with a table of DejaVu Sans
advance widths (the widest common sans-serif default, and the only font on many Linux
machines), so labels fit whichever of Helvetica, Arial or DejaVu Sans the viewer uses.
"""

from __future__ import annotations

from html import escape

from glassgrad.viz.layout import layered_layout

__all__ = ["STYLES", "text_width", "draw_svg"]

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
    "number": (None, None, False, "#444444"),
    "out": (None, None, False, "#000000"),
}

# DejaVu Sans advance widths in ems, grouped; characters not listed count as 0.65 em.
_GROUPS = {
    0.28: "ijlI'`|.,:;!",
    0.35: "ftJ()[]-/\\\"·ᵀ",
    0.42: "r{}*",
    0.53: "csz?_",
    0.6: "kvxyFLTYaeθ",
    0.64: "0123456789bdghnopqu$SP#",
    0.7: "ABEKRVXZ",
    0.79: "CDGHNOQU&w",
    0.84: "=+×÷−<>~^‖∞%",
    0.98: "mMW@",
}
_WIDTHS = {ch: w for w, chars in _GROUPS.items() for ch in chars}
_WIDTHS[" "] = 0.32


def text_width(text: str, size: float) -> float:
    """Width of one line of ``text`` at font ``size`` (combining marks take no room)."""
    return size * sum(
        0.0 if 0x300 <= ord(ch) < 0x370 else _WIDTHS.get(ch, 0.65) for ch in text
    )


def _block(lines: list, size: float) -> tuple:
    return max(text_width(line, size) for line in lines), len(lines) * size * LINE


def _node_size(kind: str, lines: list) -> tuple:
    width, height = _block(lines, NODE_FONT)
    if STYLES[kind][0] is None:
        return width + 2 * PAD_X, height + 2 * PAD_Y
    return max(MIN_W, width + 2 * PAD_X), max(MIN_H, height + 2 * PAD_Y)


def draw_svg(nodes: list, edges: list) -> str:
    """SVG text for ``nodes`` ``[(kind, label)]`` and ``edges``
    ``[(source, target, label or None)]`` (indices into ``nodes``)."""
    node_lines = [label.split("\n") for _, label in nodes]
    sizes = [_node_size(kind, lines) for (kind, _), lines in zip(nodes, node_lines)]
    edge_lines = [None if label is None else label.split("\n") for _, _, label in edges]
    label_sizes = [None if lines is None else _block(lines, EDGE_FONT) for lines in edge_lines]
    layout = layered_layout(sizes, [(u, v, s) for (u, v, _), s in zip(edges, label_sizes)])
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width:.0f}pt" '
        f'height="{layout.height:.0f}pt" viewBox="0 0 {layout.width:.2f} {layout.height:.2f}">',
        '<g class="graph">',
        f'<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for k, (route, lines) in enumerate(zip(layout.routes, edge_lines)):
        out.append(_edge_svg(k, edges[k], route, lines))
    for k, ((kind, _), lines) in enumerate(zip(nodes, node_lines)):
        out.append(_node_svg(k, kind, lines, layout.centres[k], sizes[k]))
    out.append("</g>\n</svg>\n")
    return "\n".join(out)


def _text(lines: list, x: float, top: float, size: float, colour: str) -> str:
    """Centred lines starting at ``top``; the baseline sits ~0.8 em below each line's top."""
    spans = []
    for i, line in enumerate(lines):
        y = top + i * size * LINE + size * (LINE + 0.7) / 2
        spans.append(
            f'<text x="{x:.2f}" y="{y:.2f}" text-anchor="middle" font-family="{FONT}" '
            f'font-size="{size:.1f}" fill="{colour}">{escape(line)}</text>'
        )
    return "".join(spans)


def _node_svg(k: int, kind: str, lines: list, centre: tuple, size: tuple) -> str:
    fill, stroke, rounded, ink = STYLES[kind]
    (x, y), (w, h) = centre, size
    parts = [f'<g id="node{k}" class="node {kind}"><title>{escape(lines[0])}</title>']
    if fill is not None:
        corner = ' rx="6" ry="6"' if rounded else ""
        parts.append(
            f'<rect x="{x - w / 2:.2f}" y="{y - h / 2:.2f}" width="{w:.2f}" height="{h:.2f}"'
            f'{corner} fill="{fill}" stroke="{stroke}"/>'
        )
    text_h = len(lines) * NODE_FONT * LINE
    parts.append(_text(lines, x, y - text_h / 2, NODE_FONT, ink))
    parts.append("</g>")
    return "".join(parts)


def _edge_svg(k: int, edge: tuple, route, lines) -> str:
    """A path of horizontal runs joined by S-curves, an arrowhead, and the label above
    the line."""
    runs = route.runs
    end_x, end_y = runs[-1][1], runs[-1][2]
    tip = end_x - ARROW
    path = [f"M{runs[0][0]:.2f},{runs[0][2]:.2f}"]
    for i, (x0, x1, y) in enumerate(runs):
        if i:
            prev_x, prev_y = runs[i - 1][1], runs[i - 1][2]
            start = min(x0, tip) if i == len(runs) - 1 else x0
            mid = (prev_x + start) / 2
            path.append(f"C{mid:.2f},{prev_y:.2f} {mid:.2f},{y:.2f} {start:.2f},{y:.2f}")
        last = tip if i == len(runs) - 1 else x1
        path.append(f"L{last:.2f},{y:.2f}")
    head = f"{end_x:.2f},{end_y:.2f} {tip:.2f},{end_y - 3.5:.2f} {tip:.2f},{end_y + 3.5:.2f}"
    parts = [
        f'<g id="edge{k}" class="edge"><title>n{edge[0]}-&gt;n{edge[1]}</title>',
        f'<path fill="none" stroke="{EDGE_COLOUR}" d="{" ".join(path)}"/>',
        f'<polygon fill="{EDGE_COLOUR}" stroke="{EDGE_COLOUR}" points="{head}"/>',
    ]
    if lines is not None and route.label_at is not None:
        x, y = route.label_at
        text_h = len(lines) * EDGE_FONT * LINE
        parts.append(_text(lines, x, y - 2 - text_h, EDGE_FONT, GRAD_COLOUR))
    parts.append("</g>")
    return "".join(parts)
