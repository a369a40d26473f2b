"""Layered (Sugiyama) layout of a small DAG, drawn left to right.

Graph pictures use Graphviz's ``dot`` program when it is on PATH; without it (the usual state
after ``pip install``) this module places the boxes itself, so pictures need no system
package. Autograd graphs are small DAGs (a lesson's has ~6 boxes, an MLP's ~50), so the
classic steps, each kept simple, give a readable picture:

1. layers: every box as far right as its consumers allow (leaves sit next to the op that
   uses them); edges and edge labels get a column between two layers of boxes;
2. dummy vertices split edges that span several columns, and an edge's label is a dummy
   with the label's size, so labels take part in the packing and never overlap;
3. crossing reduction: barycentre sweeps, keeping the order with the fewest crossings;
4. vertical positions: each column is packed as close as possible to the mean height of its
   neighbours (an exact least-squares step with minimum gaps, by pool-adjacent-violators);
5. edges run horizontally through columns and bend only in the empty gaps between columns,
   so they never cross a box.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

__all__ = ["Layout", "Route", "Vertex", "layered_layout"]

SWEEPS = 8  # crossing-reduction sweeps (each forward and backward)
RELAXATIONS = 40  # vertical-position sweeps
WEIGHTS = {0: 1.0, 1: 2.0, 2: 8.0}  # by number of dummy ends: long edges stay straight


@dataclass(eq=False)  # vertices are equal only to themselves
class Vertex:
    """A box (``node`` is its index), or a dummy on an edge (``node`` None).

    ``up``/``down``: extent above/below the anchor ``y`` where edges attach.
    """

    layer: int
    width: float
    up: float
    down: float
    node: int | None = None
    x: float = 0.0
    y: float = 0.0
    column: tuple = (0.0, 0.0)  # left and right end of its column
    pred: list = field(default_factory=list)
    succ: list = field(default_factory=list)
    ports: dict = field(default_factory=dict)  # id(neighbour) -> offset of the edge's end


@dataclass
class Route:
    """One edge: horizontal ``runs`` ``(x_start, x_end, y)``, joined by curves between
    columns; ``label_at`` is the ``(x_centre, y_line)`` of its label, if it has one."""

    runs: list
    label_at: tuple | None = None


@dataclass
class Layout:
    """Box centres ``(x, y)`` by node index, edge routes by edge index, picture size."""

    centres: list
    routes: list
    width: float
    height: float


def layered_layout(
    sizes: list, edges: list, nodesep: float = 14.0, ranksep: float = 22.0, margin: float = 6.0
) -> Layout:
    """Place boxes of ``sizes`` ``[(width, height)]`` and route ``edges``
    ``[(source, target, label_size or None)]`` (a DAG; for each target its edges in input
    order, first on top)."""
    rank = _ranks(len(sizes), edges)
    vertices = [Vertex(2 * rank[i], w, h / 2, h / 2, node=i) for i, (w, h) in enumerate(sizes)]
    chains = [_chain(vertices, edge, rank) for edge in edges]
    layers = _initial_order(vertices)
    _reduce_crossings(layers)
    for layer in layers:
        for v in layer:
            _set_ports(v, layers)
    _place_columns(layers, ranksep, margin)
    _place_rows(layers, nodesep)
    top = min(v.y - v.up for v in vertices)
    for v in vertices:
        v.y += margin - top
    routes = [_route(vertices, chain) for chain in chains]
    width = max(v.x + v.width / 2 for v in vertices) + margin
    height = max(v.y + v.down for v in vertices) + margin
    centres = [(v.x, v.y) for v in vertices[: len(sizes)]]
    return Layout(centres, routes, width, height)


def _ranks(n: int, edges: list) -> list:
    """Layer of each box: as late as its consumers allow (longest path to a sink)."""
    succ = [[] for _ in range(n)]
    indegree = [0] * n
    for u, v, _ in edges:
        succ[u].append(v)
        indegree[v] += 1
    order = [i for i in range(n) if indegree[i] == 0]
    for u in order:  # Kahn's topological order; grows while iterating
        for v in succ[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                order.append(v)
    if len(order) != n:
        raise ValueError("the graph to lay out has a cycle")
    to_sink = [0] * n
    for u in reversed(order):
        to_sink[u] = max((to_sink[v] + 1 for v in succ[u]), default=0)
    depth = max(to_sink, default=0)
    return [depth - d for d in to_sink]


def _chain(vertices: list, edge: tuple, rank: list) -> list:
    """Split ``edge`` into dummies, one per column it crosses; the middle one of those in
    gaps between box columns holds the label. Returns vertex indices, source to target."""
    u, v, label = edge
    first, last = 2 * rank[u] + 1, 2 * rank[v] - 1
    middle = first + 2 * ((last - first) // 4)
    chain = [u]
    for layer in range(first, last + 1):
        if label is not None and layer == middle:
            lw, lh = label
            dummy = Vertex(layer, lw + 6, lh + 3, 3)
        else:
            dummy = Vertex(layer, 0.0, 1, 1)
        vertices.append(dummy)
        chain.append(len(vertices) - 1)
    chain.append(v)
    for a, b in itertools.pairwise(chain):
        vertices[a].succ.append(vertices[b])
        vertices[b].pred.append(vertices[a])
    return chain


def _initial_order(vertices: list) -> list:
    """Columns ordered from the sink backwards: a vertex goes next to its consumer, in the
    consumer's input order (so ``w * x`` draws w above x)."""
    count = max(v.layer for v in vertices) + 1
    layers = [[] for _ in range(count)]
    for v in vertices:
        layers[v.layer].append(v)
    key = {}
    for index, v in enumerate(layers[-1]):
        key[id(v)] = (index,)
    for layer in reversed(layers[:-1]):
        for v in layer:
            key[id(v)] = min(key[id(s)] + (s.pred.index(v),) for s in v.succ)  # sinks are last
        layer.sort(key=lambda v: key[id(v)])
    return layers


def _reduce_crossings(layers: list) -> None:
    """Barycentre sweeps; keep the best order seen."""
    best = [list(layer) for layer in layers]
    fewest = _crossings(layers)
    for _ in range(SWEEPS):
        for i in range(1, len(layers)):
            _sort_by_barycentre(layers[i], layers[i - 1], "pred")
        for i in range(len(layers) - 2, -1, -1):
            _sort_by_barycentre(layers[i], layers[i + 1], "succ")
        crossings = _crossings(layers)
        if crossings < fewest:
            fewest, best = crossings, [list(layer) for layer in layers]
        if fewest == 0:
            break
    layers[:] = best


def _sort_by_barycentre(layer: list, fixed: list, side: str) -> None:
    position = {id(v): i for i, v in enumerate(fixed)}

    def barycentre(item):
        index, v = item
        neighbours = [position[id(n)] for n in getattr(v, side)]
        return sum(neighbours) / len(neighbours) if neighbours else index

    layer[:] = [v for _, v in sorted(enumerate(layer), key=barycentre)]


def _crossings(layers: list) -> int:
    total = 0
    for left, right in itertools.pairwise(layers):
        position = {id(v): i for i, v in enumerate(right)}
        segments = [(i, position[id(s)]) for i, v in enumerate(left) for s in v.succ]
        for a, (u1, v1) in enumerate(segments):
            for u2, v2 in segments[a + 1 :]:
                total += (u1 - u2) * (v1 - v2) < 0
    return total


def _place_columns(layers: list, ranksep: float, margin: float) -> None:
    """Columns as wide as their widest vertex, ``ranksep`` apart; vertices centred."""
    left = margin
    for layer in layers:
        width = max((v.width for v in layer), default=0.0)
        for v in layer:
            v.x = left + width / 2
            v.column = (left, left + width)
        left += width + ranksep


def _place_rows(layers: list, nodesep: float) -> None:
    """Move each vertex towards the weighted mean height of its neighbours, keeping the
    order and the gaps; sweeps alternate direction until the picture settles."""
    for layer in layers:
        y = 0.0
        for v in layer:
            y += v.up
            v.y = y
            y += v.down + nodesep
    for sweep in range(RELAXATIONS):
        order = layers if sweep % 2 == 0 else layers[::-1]
        for layer in order:
            _pack(layer, nodesep)


def _pack(layer: list, nodesep: float) -> None:
    """Least-squares positions with minimum gaps: pool-adjacent-violators on the heights
    shifted by the cumulative gaps (an isotonic regression)."""
    offsets, wanted, weights = [], [], []
    offset = 0.0
    for i, v in enumerate(layer):
        if i:
            offset += layer[i - 1].down + nodesep + v.up
        pulls = [(_end(n, v) - v.ports[id(n)], _weight(v, n)) for n in v.pred + v.succ]
        total = sum(w for _, w in pulls)
        target = sum(y * w for y, w in pulls) / total if total else v.y
        offsets.append(offset)
        wanted.append(target - offset)
        weights.append(total or 1e-3)
    blocks = []  # [value, weight, size]
    for value, weight in zip(wanted, weights):
        blocks.append([value, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    i = 0
    for value, _, size in blocks:
        for _ in range(size):
            layer[i].y = value + offsets[i]
            i += 1


def _weight(a: Vertex, b: Vertex) -> float:
    return WEIGHTS[(a.node is None) + (b.node is None)]


def _set_ports(v: Vertex, layers: list) -> None:
    """Where edges attach on a box's side: spread over its height in the order of the
    vertices at their other ends (so they do not cross at the box); dummies: the anchor."""
    for ends in (v.pred, v.succ):
        if v.node is None or len(ends) < 2:
            v.ports.update((id(e), 0.0) for e in ends)
            continue
        step = min(2 * v.up * 0.6 / (len(ends) - 1), 12.0)
        ordered = sorted(ends, key=lambda e: layers[e.layer].index(e))
        v.ports.update((id(e), step * (k - (len(ends) - 1) / 2)) for k, e in enumerate(ordered))


def _end(v: Vertex, towards: Vertex) -> float:
    """Height where the edge from ``v`` to its neighbour ``towards`` leaves ``v``."""
    return v.y + v.ports[id(towards)]


def _route(vertices: list, chain: list) -> Route:
    source, target = vertices[chain[0]], vertices[chain[-1]]
    dummies = [vertices[i] for i in chain[1:-1]]
    out_y = _end(source, dummies[0])
    in_y = _end(target, dummies[-1])
    right = source.x + source.width / 2
    runs = [(right, source.column[1], out_y)]
    label_at = None
    for d in dummies:  # across the whole column, so curves stay in the gaps
        runs.append((*d.column, d.y))
        if d.width:
            label_at = (d.x, d.y)
    runs.append((target.column[0], target.x - target.width / 2, in_y))
    return Route(runs, label_at)
