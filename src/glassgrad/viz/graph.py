"""Pictures of the autograd graph with forward values and the gradients along each edge.

``graph(loss)`` walks ``loss.grad_fn`` and ``next_functions`` and takes a snapshot of what
the graph holds: op names (``MulBackward0``), shapes, dtypes and forward values. It also
hooks every op node, so after ``loss.backward()`` the picture shows the gradient flowing
along each edge. Call it before ``backward`` (backward frees the saved values), or run the
forward pass inside ``with viz.watch():`` to keep values for pictures drawn later.

Example:
    >>> w = torch.tensor(1.0, requires_grad=True)
    >>> loss = (w * x - y) ** 2
    >>> g = viz.graph(loss)
    >>> loss.backward()
    >>> g.render("graph.png")
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import os
import shutil
import unicodedata
import weakref
from contextlib import contextmanager
from pathlib import Path

from glassgrad._backend import xp
from glassgrad._dtypes import from_numpy_dtype
from glassgrad._formula import format_number
from glassgrad._tensor import Tensor
from glassgrad.autograd import graph as _autograd_graph
from glassgrad.autograd.engine import sum_to
from glassgrad.autograd.graph import AccumulateGrad, node_inputs, node_params
from glassgrad.ops._explain import ExplainRule
from glassgrad.viz.drawing import draw_svg, draw_with_matplotlib

__all__ = ["Graph", "format_array", "format_number", "graph", "snapshot", "watch"]

#: Values and gradients kept per node, by ``watch()`` or by an earlier ``graph()`` call.
_RECORDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_TRANSPOSES = ("TBackward0", "TransposeBackward0")
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL = 6  # tensors with at most this many elements are shown number by number


class _Record:
    """What one op node saw: its inputs (tensors/numbers), their values, its output value,
    and (after backward) the gradient into its output and out along each input edge."""

    __slots__ = ("grad_inputs", "grad_output", "inputs", "output", "values")

    def __init__(self, inputs, output):
        self.inputs = tuple(inputs)
        self.values = tuple(_value_of(v) for v in inputs)
        self.output = output
        self.grad_output = None
        self.grad_inputs = None


def _value_of(v):
    return v.detach().numpy().copy() if isinstance(v, Tensor) else v


def _plain(g):
    return None if g is None else _value_of(g)


def _store_grads(record: _Record, grad_inputs, grad_outputs) -> None:
    """Node post-hook: keep the gradients that passed through (read-only)."""
    record.grad_output = _plain(grad_outputs[0])
    record.grad_inputs = tuple(_plain(g) for g in grad_inputs)


def _attach(node, record: _Record) -> None:
    _RECORDS[node] = record
    node.register_hook(lambda gi, go: _store_grads(record, gi, go))


def _on_record(node, inputs, output) -> None:
    _attach(node, _Record(inputs, output.detach().numpy().copy()))


@contextmanager
def watch():
    """Keep forward values and gradients of every op recorded inside the block.

    Pictures and explanations then work even after ``backward()`` freed the graph.
    """
    hooks = _autograd_graph.RECORD_HOOKS
    hooks.append(_on_record)
    try:
        yield
    finally:
        hooks.remove(_on_record)


# ----------------------------------------------------------------------------- formatting
def format_array(a, small: int = SMALL) -> str:
    """Numbers for small arrays, ``shape`` + min/mean/max/norm summary for large ones."""
    a = xp.asarray(a)
    if a.ndim == 0:
        return format_number(a)
    if a.size <= small:
        return _nested(a.tolist())
    f = a.astype(xp.float64)
    return (
        f"{list(a.shape)}: min {format_number(f.min(), 3)}, mean {format_number(f.mean(), 3)}, "
        f"max {format_number(f.max(), 3)}, ‖·‖ {format_number(xp.sqrt((f * f).sum()), 3)}"
    )


def _nested(values) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return format_number(values)


def pretty_name(name: str) -> str:
    """``y_hat`` → ``ŷ``: the hat the maths would write."""
    if name.endswith("_hat") and len(name) > 4:
        return unicodedata.normalize("NFC", name[:-4] + "\u0302")
    return name


# ----------------------------------------------------------------------------- naming
def resolve_names(params=None, frame=None, use_locals: bool = True) -> list:
    """``(name, tensor)`` pairs: explicit ``params`` first, then the caller's variables.

    Names ending in ``_hat`` are shown with a hat (``y_hat`` → ŷ).

    ``params`` may be a dict ``{name: tensor}``, a Module (its ``named_parameters()``), or
    an iterable of ``(name, tensor)`` pairs.
    """
    pairs = []
    if params is not None:
        if hasattr(params, "named_parameters"):
            pairs.extend(params.named_parameters())
        elif isinstance(params, dict):
            pairs.extend((pretty_name(str(k)), v) for k, v in params.items())
        else:
            pairs.extend(params)
    if use_locals and frame is not None:
        for name, value in list(frame.f_locals.items()):
            if name.startswith("_"):
                continue
            if isinstance(value, Tensor):
                pairs.append((pretty_name(name), value))
            elif hasattr(value, "named_parameters") and not isinstance(value, type):
                pairs.extend((f"{name}.{n}", p) for n, p in value.named_parameters())
    return pairs


def named_tensors(params) -> dict:
    """``{name: tensor}`` for the parameters a checker or recorder follows: a tensor
    (``param``), a dict, a Module (its ``named_parameters()``) or a list (``param0``, ...)."""
    if isinstance(params, Tensor):
        return {"param": params}
    if isinstance(params, dict):
        return dict(params)
    if hasattr(params, "named_parameters"):
        return dict(params.named_parameters())
    return {f"param{i}": p for i, p in enumerate(params)}


def user_frame():
    """The innermost frame of code outside the glassgrad package: whose variables name
    the tensors (the user's script, not a glassgrad helper calling viz on its behalf)."""
    frame = inspect.currentframe()
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


class _Names:
    """Looks up the name of a graph node or constant by tensor identity."""

    def __init__(self, pairs):
        self.by_leaf = {}
        self.by_node = {}
        self.by_id = {}
        for name, t in pairs:
            self.by_id.setdefault(id(t), name)
            if t.grad_fn is not None:
                self.by_node.setdefault((t.grad_fn, t._out_idx), name)

    def leaf(self, node) -> str | None:
        return self.by_id.get(id(node.variable))

    def output(self, node, index: int = 0) -> str | None:
        return self.by_node.get((node, index))

    def const(self, value) -> str | None:
        return self.by_id.get(id(value))


# ----------------------------------------------------------------------------- snapshot
class Item:
    """One box of the picture: a leaf, an op, or a constant input.

    Attributes:
        kind: ``"leaf"``, ``"op"``, ``"const"`` (a tensor without grad) or ``"number"``.
        title: the op's PyTorch node name (``MulBackward0``) or ``""``.
        name: the user's name for the tensor this box produces, or None.
        value: forward value (array or number), None when no longer known.
        grad: gradient of the root with respect to this box's output, once known.
        inputs: ``(item, edge_index)`` pairs, one per forward input.
        node: the autograd node (None for constants).
        params: the op's non-tensor settings (``exponent`` ...).
    """

    def __init__(self, kind: str, node=None, title: str = "", name=None, value=None):
        self.kind = kind
        self.node = node
        self.title = title
        self.name = name
        self.value = value
        self.grad = None
        self.inputs: list = []
        self.record: _Record | None = None
        self.params: dict = {}
        self.tensor = None  # the output tensor itself, while the graph is alive

    @property
    def shape(self):
        return None if self.value is None else tuple(xp.shape(self.value))

    @property
    def dtype(self) -> str:
        if self.value is None or isinstance(self.value, (int, float)):
            return ""
        return str(from_numpy_dtype(xp.asarray(self.value).dtype)).replace("torch.", "")

    def edge_grad(self, index: int):
        """Gradient that flowed out of this op along input edge ``index`` (after backward)."""
        rec = self.record
        if rec is None or rec.grad_inputs is None or index >= len(rec.grad_inputs):
            return None
        g = rec.grad_inputs[index]
        child = self.inputs[index][0] if index < len(self.inputs) else None
        if g is not None and child is not None and child.shape is not None:
            g = sum_to(xp.asarray(g), child.shape)
        return g


class Snapshot:
    """The graph behind ``root`` as :class:`Item` boxes, root first (reverse topological)."""

    def __init__(self, root, names: list, hook: bool = True):
        if not isinstance(root, Tensor):
            raise TypeError(f"expected the Tensor to draw/explain, got {type(root).__name__}")
        if root.grad_fn is None:
            raise ValueError(
                "this tensor has no grad_fn, so there is no graph behind it: compute it from "
                "tensors created with requires_grad=True (outside torch.no_grad())"
            )
        self.root_tensor = root
        self.names = _Names(names)
        self.items: dict = {}
        self.order: list = []
        self.root = self._op_item(root.grad_fn, root._out_idx, hook)
        self.root.value = root.detach().numpy().copy()
        self.root.tensor = root
        self._walk(hook)
        self._name_root()

    def _name_root(self) -> None:
        if self.root.name is None:
            self.root.name = self.names.const(self.root_tensor)

    def _op_item(self, node, index: int, hook: bool) -> Item:
        item = self.items.get(node)
        if item is not None:
            return item
        if type(node) is AccumulateGrad:
            var = node.variable
            item = Item("leaf", node, "AccumulateGrad", self.names.leaf(node))
            item.value = var.detach().numpy().copy()
            item.grad = None if var.grad is None else var.grad.detach().numpy().copy()
        else:
            item = Item("op", node, node.name(), self.names.output(node, index))
            item.params = node_params(node)
            rec = _RECORDS.get(node)
            if rec is None:
                live = node_inputs(node)
                if live:
                    rec = _Record(live, None)
                    if hook:
                        _attach(node, rec)
            item.record = rec
        self.items[node] = item
        self.order.append(item)
        return item

    def _walk(self, hook: bool) -> None:
        stack = [self.root]
        while stack:
            item = stack.pop()
            if item.kind != "op":
                continue
            rec = item.record
            if rec is not None and rec.output is not None and item.value is None:
                item.value = rec.output
            for i, (nxt, idx) in enumerate(item.node.next_functions):
                value = rec.values[i] if rec is not None and i < len(rec.values) else None
                if nxt is None:
                    if rec is None or i >= len(rec.inputs):
                        continue
                    const = rec.inputs[i]
                    if isinstance(const, (int, float)):
                        child = Item("number", value=const)
                    else:
                        child = Item("const", name=self.names.const(const), value=value)
                    item.inputs.append((child, i))
                    continue
                known = nxt in self.items
                child = self._op_item(nxt, idx, hook)
                if child.kind == "op" and child.value is None and value is not None:
                    child.value = value
                if child.kind == "op" and child.tensor is None and rec is not None:
                    child.tensor = rec.inputs[i]
                item.inputs.append((child, i))
                if not known:
                    stack.append(child)
            exponent = item.params.get("exponent") if item.params else None
            if isinstance(exponent, (int, float)):  # x ** 2 keeps its exponent as a setting
                item.inputs.append((Item("number", value=exponent), 1))
        self._sort()

    def _sort(self) -> None:
        """Root first; every box before the boxes it consumes (reverse topological order)."""
        done: set = set()
        post: list = []
        stack = [(self.root, False)]
        while stack:
            item, expanded = stack.pop()
            if expanded:
                post.append(item)
                continue
            if id(item) in done:
                continue
            done.add(id(item))
            stack.append((item, True))
            for child, _ in reversed(item.inputs):
                if child.kind in ("op", "leaf") and id(child) not in done:
                    stack.append((child, False))
        self.order = post[::-1]

    def refresh_grads(self) -> None:
        """Pick up gradients recorded since the snapshot (after ``backward``)."""
        for item in self.order:
            if item.kind == "leaf":
                var = item.node.variable
                item.grad = None if var.grad is None else var.grad.detach().numpy().copy()
            elif item.record is not None and item.record.grad_output is not None:
                item.grad = item.record.grad_output

    def auto_name(self) -> None:
        """Name unnamed leaves θ1, θ2, ... and op outputs s, u, v, ... in forward order;
        the transpose of a named tensor is called by its name with ᵀ."""
        used = {it.name for it in self.order if it.name}

        def fresh(candidates):
            for name in candidates:
                if name not in used:
                    used.add(name)
                    return name

        leaves = (f"θ{k}" for k in itertools.count(1))
        ops = itertools.chain("suvzhqrp", (f"t{k}" for k in itertools.count(1)))
        for item in reversed(self.order):
            if item.name is not None:
                continue
            if item.kind == "leaf":
                item.name = fresh(leaves)
                continue
            tensors = [c for c, _ in item.inputs if c.kind != "number"]
            if item.title in _TRANSPOSES and len(tensors) == 1 and tensors[0].name:
                item.name = tensors[0].name + "ᵀ"
            else:
                item.name = fresh(ops)


def snapshot(root, params=None, use_locals: bool = True, frame=None, hook: bool = True):
    """Build the :class:`Snapshot` of ``root``'s graph (shared by graph and explain)."""
    names = resolve_names(params, frame, use_locals)
    return Snapshot(root, names, hook=hook)


# ----------------------------------------------------------------------------- pictures
def _op_title(item: Item) -> str:
    """``MulBackward0 (×)``; number operands join the symbol: ``PowBackward0 (** 2)``."""
    rule = getattr(type(item.node), "explain", None)
    symbol = rule.symbol if isinstance(rule, ExplainRule) else ""
    numbers = [format_number(c.value) for c, _ in item.inputs if c.kind == "number"]
    extra = " ".join(x for x in [symbol, *numbers] if x)
    return f"{item.title} ({extra})" if extra else item.title


def _edge_text(g) -> str:
    """Edge labels stay short: up to 3 numbers, else the gradient's norm."""
    g = xp.asarray(g)
    if g.size <= 3:
        return format_array(g)
    f = g.astype(xp.float64)
    return f"‖·‖ {format_number(xp.sqrt((f * f).sum()), 3)}"


def _rows(a) -> str:
    """Like ``format_array``, but a small matrix gets one line per row (narrower boxes)."""
    a = xp.asarray(a)
    if a.ndim == 2 and a.shape[0] > 1 and a.size <= SMALL:
        return "\n" + "\n".join(format_array(row) for row in a)
    if a.size > SMALL:
        f = a.astype(xp.float64)
        return (
            f"\nmin {format_number(f.min(), 3)}, max {format_number(f.max(), 3)}\n"
            f"mean {format_number(f.mean(), 3)}, ‖·‖ {format_number(xp.sqrt((f * f).sum()), 3)}"
        )
    return format_array(a)


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


_DOT_STYLES = {
    "leaf": 'shape=box, style="rounded,filled", fillcolor="#cfe8ff", color="#1d4ed8"',
    "op": 'shape=box, style="filled", fillcolor="#fff4c2", color="#a16207"',
    "const": 'shape=box, style="rounded,filled", fillcolor="#eeeeee", color="#777777"',
    "out": "shape=plaintext",
}
_INSTALL_DOT = (
    "apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) or "
    "conda install graphviz"
)


def _dot_missing() -> str | None:
    """What system Graphviz rendering lacks on this machine, said truthfully (None: nothing)."""
    missing = []
    if shutil.which("dot") is None:
        missing.append(f"Graphviz's `dot` program is not on PATH (install it: {_INSTALL_DOT})")
    if importlib.util.find_spec("graphviz") is None:
        missing.append("the graphviz Python package is not installed (pip install graphviz)")
    return " and ".join(missing) or None


def _engine(engine: str) -> str:
    """``"dot"`` or ``"builtin"``: the renderer ``engine`` asks for on this machine."""
    if engine not in ("auto", "dot", "builtin"):
        raise ValueError(f"engine must be 'auto', 'dot' or 'builtin', got {engine!r}")
    if engine == "auto":
        return "builtin" if _dot_missing() else "dot"
    if engine == "dot" and _dot_missing():
        raise RuntimeError(f"engine='dot' needs Graphviz: {_dot_missing()}")
    return engine


def _dot_pipe(dot: str, fmt: str) -> bytes:
    import graphviz

    return graphviz.Source(dot).pipe(format=fmt)


class Graph:
    """A drawable computational graph: ``to_dot()``, ``to_svg()``, ``render(path)``.

    In Jupyter it displays itself as SVG. Gradients appear once ``backward()`` has run.
    """

    def __init__(self, snap: Snapshot, show_values: bool = True, show_grads: bool = True):
        self.snapshot = snap
        self.show_values = show_values
        self.show_grads = show_grads

    # -- labels
    def _value_line(self, item: Item) -> str:
        if not self.show_values or item.value is None:
            return ""
        return _rows(item.value)

    def _meta(self, item: Item) -> str:
        if item.shape is None or item.kind == "number":
            return ""
        return f"{item.dtype} {list(item.shape)}"

    def _label(self, item: Item) -> str:
        lines = []
        if item.kind == "op":
            lines.append(_op_title(item))
            head = item.name + " = " if item.name else ""
            value = self._value_line(item)
            if head or value:
                lines.append((head + value).strip(" ="))
            lines.append(self._meta(item))
        elif item.kind == "number":
            lines.append(format_number(item.value))
        else:
            value = self._value_line(item)
            name = item.name or ("param" if item.kind == "leaf" else "const")
            lines.append(f"{name} = {value}" if value else name)
            lines.append(self._meta(item))
            if item.kind == "leaf" and self.show_grads and item.grad is not None:
                lines.append(f"grad = {_rows(item.grad)}")
        return "\n".join(line for line in lines if line)

    def scene(self) -> tuple[list, list]:
        """What the picture shows, for any renderer: ``nodes`` as ``(kind, label)`` and
        ``edges`` as ``(source, target, label or None)`` indices, forward direction. Kinds:
        ``leaf``, ``op``, ``const`` and ``out`` (the root's name, a plain label)."""
        snap = self.snapshot
        snap.refresh_grads()
        index: dict = {}
        nodes: list = []
        edges: list = []

        def node(item: Item) -> int:
            if id(item) not in index:
                index[id(item)] = len(nodes)
                nodes.append((item.kind, self._label(item)))
            return index[id(item)]

        for item in reversed(snap.order):
            node(item)
        for item in reversed(snap.order):
            if item.kind != "op":
                continue
            for child, i in item.inputs:
                if child.kind == "number":
                    continue
                grad = item.edge_grad(i) if self.show_grads else None
                shown = grad is not None and child.kind in ("leaf", "op")
                label = f"grad {_edge_text(grad)}" if shown else None
                edges.append((node(child), node(item), label))
        nodes.append(("out", snap.root.name or "output"))
        grad = snap.root.record.grad_output if snap.root.record is not None else None
        edges.append((node(snap.root), len(nodes) - 1, None if grad is None else "grad 1"))
        return nodes, edges

    def to_dot(self) -> str:
        """Graphviz DOT text (no dependency needed), forward direction left to right."""
        nodes, edges = self.scene()
        out = [
            "digraph glassgrad {",
            "  rankdir=LR;",
            '  graph [fontname="Helvetica", nodesep=0.35, ranksep=0.5];',
            '  node [fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=10, color="#555555"];',
        ]
        names = [f"n{k}" for k in range(len(nodes) - 1)] + ["out"]
        for name, (kind, label) in zip(names, nodes):
            out.append(f'  {name} [{_DOT_STYLES[kind]}, label="{_dot_escape(label)}"];')
        for source, target, label in edges:
            attrs = f' [label="{_dot_escape(label)}", fontcolor="#b91c1c"]' if label else ""
            out.append(f"  {names[source]} -> {names[target]}{attrs}")
        out.append("}")
        return "\n".join(out) + "\n"

    # -- rendering
    def to_svg(self, engine: str = "auto") -> str:
        """The picture as SVG text, embeddable in HTML.

        ``engine``: ``"dot"`` (system Graphviz), ``"builtin"`` (glassgrad's own layered
        layout, no dependency) or ``"auto"``: dot when it is installed, else builtin.
        """
        if _engine(engine) == "builtin":
            return draw_svg(*self.scene())
        return _dot_pipe(self.to_dot(), "svg").decode("utf-8")

    def render(self, path, engine: str = "auto") -> Path:
        """Write the picture; the format comes from the suffix (.svg, .png, .pdf, or .dot
        for the DOT text). ``engine`` as in :meth:`to_svg`; without Graphviz, formats
        other than SVG are drawn with matplotlib."""
        path = Path(path)
        fmt = path.suffix.lstrip(".").lower() or "png"
        if fmt in ("dot", "gv"):
            path.write_text(self.to_dot(), encoding="utf-8")
        elif fmt == "svg":
            path.write_text(self.to_svg(engine), encoding="utf-8")
        elif _engine(engine) == "dot":
            path.write_bytes(_dot_pipe(self.to_dot(), fmt))
        else:
            self._draw_with_matplotlib(path, fmt)
        return path

    def _draw_with_matplotlib(self, path: Path, fmt: str) -> None:
        if importlib.util.find_spec("matplotlib") is None:
            raise RuntimeError(
                f"writing .{fmt} needs matplotlib (pip install matplotlib) or Graphviz "
                f"({_dot_missing()}); a .svg or .dot path needs neither"
            )
        from matplotlib.figure import Figure

        if fmt not in Figure().canvas.get_supported_filetypes():
            raise ValueError(f"cannot write .{fmt}: use .svg, .png, .pdf or .dot")
        draw_with_matplotlib(*self.scene(), path, fmt)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def __repr__(self) -> str:
        n_ops = sum(1 for it in self.snapshot.order if it.kind == "op")
        n_leaves = sum(1 for it in self.snapshot.order if it.kind == "leaf")
        return f"<glassgrad.viz.Graph: {n_ops} ops, {n_leaves} leaves; .to_dot(), .render(path)>"


def graph(
    root,
    params=None,
    show_values: bool = True,
    show_grads: bool = True,
    *,
    use_locals: bool = True,
) -> Graph:
    """The computational graph that produced ``root``, ready to draw.

    Args:
        root: the output tensor (usually the loss).
        params: names for tensors: a dict ``{name: tensor}``, a Module (its
            ``named_parameters()``) or ``(name, tensor)`` pairs. Intermediate tensors can be
            named too (``{"ŷ": y_hat}``).
        show_values: print forward values (numbers when small, a summary when large).
        show_grads: print, after backward, the gradient along each edge and in each leaf.
        use_locals: also name tensors after the caller's variables (``y_hat`` shows as ŷ).
    """
    snap = snapshot(root, params, use_locals, user_frame())
    snap.auto_name()
    return Graph(
        snap,
        show_values=show_values,
        show_grads=show_grads,
    )
