"""The chain rule written out: why ``w.grad`` is the number it is.

``explain(loss, wrt=w)`` finds every path from ``loss`` back to ``w``, writes each local
derivative symbolically and with its numbers, multiplies them along each path and sums
over paths (and over elements for tensors). For the seed example it reads::

    ∂loss/∂w = ∂loss/∂s · ∂s/∂ŷ · ∂ŷ/∂w = 2s · 1 · x = 2·(−1) · 1 · 1 = −2
      where s = ŷ − y

Symbols follow one convention, shared by explain_step, the report and the tutorial: your
names first (``params``, then your variables; ``y_hat`` is written ŷ), unnamed leaves θ1,
θ2, …, unnamed intermediates s, u, v, z, h, q, r, p, t1, … in forward order, each one
defined on the closing ``where`` line.

Local derivatives are computed from the forward values the graph holds; when ``backward()``
has freed them they are recomputed from the leaves (viz/_replay.py), so ``explain`` works
before and after ``backward()``, unless a leaf was modified in place since (``step()``).
"""

from __future__ import annotations

import html as _html

from glassgrad import _formula as F
from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.autograd.gradients import grad
from glassgrad.autograd.graph import node_inputs
from glassgrad.ops._explain import ExplainRule, Local
from glassgrad.viz._html import pre
from glassgrad.viz._replay import check_inputs_unchanged, recompute_values
from glassgrad.viz.graph import Item, format_array, format_number, snapshot, user_frame

__all__ = ["Explanation", "explain"]


class _Context:
    """Names and values needed to write local derivatives; ``sub`` marks element indices."""

    def __init__(self, item: Item, out_shape):
        self.item = item
        self.out_shape = out_shape
        self.sub = ""

    def name(self, child: Item) -> F.Expr:
        if child.kind == "number":
            return F.number(child.value)
        if child.name is None and child.value is not None and xp.size(child.value) == 1:
            return F.number(xp.asarray(child.value).reshape(-1)[0])
        if child.name is None:
            return F.name(format_array(child.value) if child.value is not None else "c")
        return F.name(child.name + (self.sub if xp.size(child.value) > 1 else ""))

    def value(self, child: Item, k: int) -> F.Expr:
        return F.number(xp.broadcast_to(xp.asarray(child.value), self.out_shape).reshape(-1)[k])


class _Terms:
    """What an op's derivative formula is written with (``x`` in ops/_explain.py): names,
    or with ``k`` the numbers at flat element ``k``."""

    def __init__(self, ctx: _Context, k: int | None = None):
        self.ctx = ctx
        self.k = k
        self.children = {i: child for child, i in ctx.item.inputs}

    def _write(self, item: Item) -> F.Expr:
        return self.ctx.name(item) if self.k is None else self.ctx.value(item, self.k)

    def __call__(self, i: int) -> F.Expr:
        return self._write(self.children[i])

    @property
    def out(self) -> F.Expr:
        return self._write(self.ctx.item)

    def numel(self, i: int):
        return F.name("N") if self.k is None else int(xp.size(self.children[i].value))


def _symbolic(local: Local, ctx: _Context) -> F.Expr:
    """The local derivative written with names: ``2s``, ``1 − u²``."""
    return local.formula(_Terms(ctx), F.juxtapose)


def _numeric(local: Local, ctx: _Context, k: int) -> F.Expr:
    """The local derivative written with its numbers at flat element ``k``."""
    return local.formula(_Terms(ctx, k), F.product)


class _Site:
    """What an op's explain rule is given (ops/_explain.py): input ``index`` of ``item``."""

    def __init__(self, item: Item, index: int):
        self.item = item
        self.node = item.node
        self.index = index
        self.children = {i: child for child, i in item.inputs}
        self.in_shape = xp.shape(self.children[index].value)

    def value(self, i: int):
        child = self.children.get(i)
        return None if child is None else xp.asarray(child.value, dtype=xp.float64)

    @property
    def output(self):
        return xp.asarray(self.item.value, dtype=xp.float64)

    def constant(self, i: int):
        child = self.children.get(i)
        return child.value if child is not None and child.kind == "number" else None

    def name(self, i: int) -> str:
        return self.children[i].name or "c"


def _rule(item: Item) -> ExplainRule | None:
    rule = getattr(type(item.node), "explain", None)
    return rule if isinstance(rule, ExplainRule) else None


def _local(item: Item, index: int) -> Local:
    """The local derivative of ``item``'s output with respect to its input ``index``: the
    op's own explain rule, or autograd's vector-Jacobian product for ops without one."""
    child = next(c for c, i in item.inputs if i == index)
    if child.value is None or item.value is None:
        raise RuntimeError(
            f"explain: the forward values of {item.title} are no longer available (backward() "
            "freed them). Call explain() before backward(), use backward(retain_graph=True), "
            "or run the forward pass inside `with glassgrad.viz.watch():`."
        )
    rule = _rule(item)
    local = rule.local(_Site(item, index)) if rule is not None and rule.local else None
    return local if local is not None else _ask_autograd(item, child, xp.shape(child.value))


def _ask_autograd(item: Item, child: Item, in_shape) -> Local:
    """Any other op: its vector-Jacobian product from autograd on the live graph."""
    out_t = item.tensor
    in_t = child.node.variable if child.kind == "leaf" else child.tensor
    if out_t is None or in_t is None or not any(x is not None for x in node_inputs(item.node)):
        raise RuntimeError(
            f"explain: no written-out rule for {item.title}, and the graph was already freed "
            "by backward(), so autograd cannot be asked for it either. Call explain() before "
            "backward() or use backward(retain_graph=True)."
        )

    def vjp(g):
        seed = _new_tensor(
            xp.asarray(xp.broadcast_to(g, xp.shape(item.value)), dtype=xp.asarray(item.value).dtype)
        )
        (result,) = grad(out_t, in_t, grad_outputs=seed, retain_graph=True, allow_unused=True)
        if result is None:
            return xp.zeros(in_shape)
        return result.numpy().astype(xp.float64)

    rule = f"ḡ through {item.title} (vector-Jacobian product by autograd)"
    return Local(vjp, rule=rule)


# ----------------------------------------------------------------------------- paths
def _path_counts(snap, target: Item) -> dict:
    """How many paths lead from each box down to ``target`` (0: it does not reach it)."""
    counts: dict = {}
    for item in reversed(snap.order):  # inputs before the ops that consume them
        if item is target:
            counts[id(item)] = 1
        else:
            counts[id(item)] = sum(counts.get(id(c), 0) for c, _ in item.inputs)
    return counts


def _paths(root: Item, target: Item, counts: dict, limit: int | None) -> list:
    """Paths from root to target as lists of ``(op_item, input_index)``, at most ``limit``."""
    found: list = []
    stack = [(root, [])]
    while stack and (limit is None or len(found) < limit):
        item, path = stack.pop()
        if item is target:
            found.append(path)
            continue
        for child, i in reversed(item.inputs):
            if counts.get(id(child), 0):
                stack.append((child, path + [(item, i)]))
    return found


def _propagate(snap, target: Item, counts: dict, locals_: dict):
    """Reverse accumulation over the whole graph with the explain rules (the total)."""
    grads = {id(snap.root): xp.ones(xp.shape(snap.root.value), dtype=xp.float64)}
    for item in snap.order:
        g = grads.pop(id(item), None)
        if item is target:
            return g
        if g is None or item.kind != "op":
            continue
        for child, i in item.inputs:
            if not counts.get(id(child), 0):
                continue
            local = locals_.setdefault((id(item), i), _local(item, i))
            contribution = local.vjp(g)
            key = id(child)
            grads[key] = contribution if key not in grads else grads[key] + contribution
    return None


class Explanation:
    """The derivation of ``∂root/∂wrt``: ``str()`` gives text, ``to_html()`` notebook HTML.

    Attributes:
        value: the gradient the derivation arrives at (a float for one element, else an
            array); equal to ``wrt.grad`` after ``backward()``.
        lines: the text lines of the derivation.
    """

    def __init__(self, lines: list, value, latex: list):
        self.lines = lines
        self.value = value
        self.latex = latex

    def __str__(self) -> str:
        return "\n".join(self.lines)

    __repr__ = __str__

    def to_latex(self) -> str:
        """The derivation as LaTeX ``aligned`` lines (for MathJax/KaTeX)."""
        return "\\begin{aligned}\n" + " \\\\\n".join(self.latex) + "\n\\end{aligned}"

    def to_html(self) -> str:
        """HTML: the derivation typeset once (MathJax/KaTeX in notebooks), its plain text
        folded away underneath for copying or where no maths renderer runs."""
        return (
            '<div class="glassgrad-explain">'
            f'<div class="math">$$ {_html.escape(self.to_latex())} $$</div>'
            f"<details><summary>plain text</summary>{pre(str(self))}</details></div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


_LATEX = [
    ("∂", "\\partial "),
    ("·", " \\cdot "),
    ("Σᵢ", "\\sum_i "),
    ("ᵢ", "_i"),
    ("−", "-"),
    ("√", "\\sqrt "),
    ("ᵀ", "^\\top"),
    ("ḡ", "\\bar g"),
    ("⋯", "\\cdots"),
    ("…", "\\ldots"),
    ("²", "^2"),
    ("³", "^3"),
    ("ŷ", "\\hat y"),
    ("θ", "\\theta "),
    ("σ", "\\sigma"),
    ("‖", "\\|"),
]


def _to_latex(line: str) -> str:
    out = line.strip()
    for a, b in _LATEX:
        out = out.replace(a, b)
    if out.startswith("="):
        out = "&" + out
    elif "=" in out:
        head, tail = out.split("=", 1)
        out = head + "&=" + tail
    return out


def _join(parts: list, limit: int, expand: bool) -> str:
    """The factors of one path multiplied, `` · `` between them; the middle elided as ⋯."""
    parts = [F.name(p) if isinstance(p, str) else p for p in parts]
    if not expand and len(parts) > limit:
        parts = parts[:3] + [F.name("⋯")] + parts[-2:]
    return str(F.product(*parts, sep=" · "))


def explain(
    loss,
    wrt,
    *,
    params=None,
    expand: bool = False,
    max_paths: int = 6,
    max_terms: int = 4,
    max_factors: int = 8,
    use_locals: bool = True,
) -> Explanation:
    """Write out the chain rule for ``∂loss/∂wrt``, symbolically and with numbers.

    Args:
        loss: the output tensor (one element, or any shape for a vector-Jacobian product
            with ones).
        wrt: a leaf (or intermediate) tensor of the graph.
        params: names for tensors (dict, Module or pairs); the caller's variable names
            are used too (``y_hat`` shows as ŷ); unnamed intermediates get s, u, v, ...
        expand: show every path, element and factor instead of summaries.
        max_paths, max_terms, max_factors: how much to show before summarising.

    Returns:
        An :class:`Explanation`; ``str()`` is the derivation, ``.value`` its result.

    Example:
        >>> y_hat = w * x
        >>> loss = (y_hat - y) ** 2
        >>> print(glassgrad.explain(loss, wrt=w))
        ∂loss/∂w = ∂loss/∂s · ∂s/∂ŷ · ∂ŷ/∂w = 2s · 1 · x = 2·(−1) · 1 · 1 = −2
          where s = ŷ − y
    """
    snap = snapshot(loss, params, use_locals, user_frame(), hook=False)
    check_inputs_unchanged(snap)
    recompute_values(snap)
    target = _find(snap, wrt)
    unnamed = [item for item in snap.order if item.kind == "op" and item.name is None]
    snap.auto_name()
    memo: dict = {}
    counts = _path_counts(snap, target)
    total = _propagate(snap, target, counts, memo)
    if total is None:
        raise RuntimeError(
            f"explain: {target.name} is not used in the graph of {snap.root.name}, so its "
            "gradient is zero/None; check that the loss is computed from it."
        )
    shape = xp.shape(target.value)
    value = float(xp.asarray(total).reshape(-1)[0]) if xp.size(total) == 1 else total
    n_paths = counts[id(snap.root)]
    paths = _paths(snap.root, target, counts, None if expand else max_paths)
    writer = _Writer(snap, target, memo, expand, max_terms, max_factors)
    lines = writer.write(paths, n_paths, value, shape)
    lines.extend(_where(unnamed, paths))
    return Explanation(lines, value, [_to_latex(line) for line in lines])


def _where(unnamed: list, paths: list) -> list:
    """``  where s = ŷ − y, u = s²``: what each intermediate the derivation names stands
    for. The naming convention: your names first (``params``, then your variables, ``y_hat``
    written ŷ); unnamed leaves are θ1, θ2, …; unnamed intermediates s, u, v, z, h, q, r, p,
    then t1, t2, … in forward order, each defined on this line."""
    shown = {id(item) for path in paths for item, _ in path}
    shown |= {id(c) for path in paths for it, i in path for c, j in it.inputs if j == i}
    defined = [item for item in reversed(unnamed) if id(item) in shown]
    if not defined:
        return []
    return ["  where " + ", ".join(f"{it.name} = {_definition(it)}" for it in defined)]


def _definition(item: Item) -> str:
    """The op that made ``item``, written with its inputs' names: ``tanh(w)``, ``ŷ − y``
    (the op's explain rule writes it; ``SqrtBackward0(w)`` for ops without one)."""
    args = [
        F.number(c.value) if c.kind == "number" else F.name(c.name or format_array(c.value))
        for c, _ in sorted(item.inputs, key=lambda pair: pair[1])
    ]
    rule = _rule(item)
    written = rule.written(args, item.node) if rule is not None and rule.written else None
    if written is not None:
        return str(written)
    return f"{item.title}({', '.join(map(str, args))})"


def _find(snap, wrt) -> Item:
    if not isinstance(wrt, Tensor):
        raise TypeError(f"explain: wrt must be a Tensor of the graph, got {type(wrt).__name__}")
    for item in snap.order:
        if item.kind == "leaf" and item.node.variable is wrt:
            return item
        if item.kind == "op" and wrt.grad_fn is item.node:
            return item
    raise RuntimeError(
        "explain: the tensor passed as wrt does not appear in the graph of the loss (it "
        "needs requires_grad=True and must be used to compute the loss)."
    )


class _Writer:
    """Turns paths and local derivatives into the text lines."""

    def __init__(self, snap, target, memo, expand, max_terms, max_factors):
        self.snap = snap
        self.target = target
        self.memo = memo
        self.expand = expand
        self.max_terms = max_terms
        self.max_factors = max_factors

    def local(self, item, index) -> Local:
        return self.memo.setdefault((id(item), index), _local(item, index))

    def path_value(self, path):
        g = xp.ones(xp.shape(self.snap.root.value), dtype=xp.float64)
        for item, i in path:
            g = self.local(item, i).vjp(g)
        return g

    def mode(self, paths) -> str:
        """ "scalar" (every value one number), "elements" (elementwise + one full
        reduction), or "vjp" (matrix products, partial reductions, broadcasting)."""
        items = {id(it): it for path in paths for it, _ in path}
        items[id(self.target)] = self.target
        if all(xp.size(it.value) == 1 for it in items.values()) and all(
            self.local(it, i).elementwise or self.local(it, i).reduce
            for path in paths
            for it, i in path
        ):
            return "scalar"
        shapes = set()
        for path in paths:
            below = False
            for item, i in path:
                local = self.local(item, i)
                if local.reduce:
                    if below:
                        return "vjp"
                    below = True
                    child = next(c for c, j in item.inputs if j == i)
                    shapes.add(xp.shape(child.value))
                elif not local.elementwise or (not below and xp.size(item.value) != 1):
                    return "vjp"
            if not below:
                return "vjp"
        if len(shapes) != 1:
            return "vjp"
        (shape,) = shapes
        for path in paths:
            for item, i in path:
                if self.local(item, i).reduce:
                    continue
                child = next(c for c, j in item.inputs if j == i)
                for it in (item, child):
                    if xp.size(it.value) > 1 and xp.shape(it.value) != shape:
                        return "vjp"
        self.element_shape = shape
        return "elements"

    def write(self, paths, n_paths, value, shape) -> list:
        root, target = self.snap.root, self.target
        head = f"∂{root.name}/∂{target.name}"
        mode = self.mode(paths)
        more = n_paths - len(paths)
        if mode == "vjp":
            return self.write_vjp(head, paths, n_paths, value, shape)
        sum_over_elements = mode == "elements" and xp.size(target.value) == 1
        rows = []
        for path in paths:
            rows.append(self.row(path, mode, sum_over_elements))
        lines = []
        if len(paths) == 1 and not more:
            chain, sym, nums, result, _ = rows[0]
            if mode == "scalar":
                lines.append(f"{head} = {chain} = {sym} = {nums} = {result}")
            else:
                lines.extend(self.element_block(head, chain, sym, nums, result, value))
            return lines
        lines.append(f"{head} = sum over {n_paths} paths:")
        for k, (chain, sym, nums, result, _) in enumerate(rows, 1):
            if mode == "scalar":
                lines.append(f"  path {k}: {chain} = {sym} = {nums} = {result}")
            else:
                lines.append(f"  path {k}: {chain}")
                lines.append(f"          = {sym}")
                lines.append(f"          = {nums} = {result}")
        if more:
            rest = value - sum(r[4] for r in rows)
            lines.append(
                f"  … {more} more paths contributing {format_array(rest)} "
                "(explain(..., expand=True) lists them)"
            )
        total = " + ".join(format_array(r[4]) for r in rows) + (" + …" if more else "")
        lines.append(f"  = {total} = {format_array(value)}".replace("+ −", "− "))
        return lines

    def element_block(self, head, chain, sym, nums, result, value) -> list:
        n = int(xp.prod(xp.asarray(self.element_shape))) if self.element_shape else 1
        summed = xp.size(self.target.value) == 1
        pad = " " * len(head)
        index = f"(i = 1…{n})"
        if summed:
            return [
                f"{head} = Σᵢ {chain}    {index}",
                f"{pad} = Σᵢ {sym}",
                f"{pad} = {nums}",
                f"{pad} = {result}",
            ]
        name = self.target.name
        pad = " " * (len(head) + 1)
        return [
            f"∂{self.snap.root.name}/∂{name}ᵢ = {chain}    {index}",
            f"{pad} = {sym}",
            f"{pad} = {nums}",
            f"{pad} = {format_array(value)}",
        ]

    def row(self, path, mode, summed):
        """(chain of ∂'s, symbolic product, numbers, result) for one path."""
        elements = mode == "elements"
        root = self.snap.root
        ctx_sub = "ᵢ" if elements else ""
        chain_parts = []
        sym_parts = []
        locals_ = []
        for item, i in path:
            child = next(c for c, j in item.inputs if j == i)
            local = self.local(item, i)
            locals_.append((item, child, local))
            top = item.name if item is root or xp.size(item.value) == 1 else item.name + ctx_sub
            bottom = child.name + (ctx_sub if xp.size(child.value) > 1 else "")
            if sum(1 for c, _ in item.inputs if c is child) > 1:
                bottom += f" [input {i}]"
            chain_parts.append(f"∂{top}/∂{bottom}")
            ctx = _Context(item, self.out_shape(item, child, elements))
            ctx.sub = ctx_sub
            sym_parts.append(_symbolic(local, ctx))
        chain = _join(chain_parts, self.max_factors, self.expand)
        sym = _join(sym_parts, self.max_factors, self.expand)
        value = self.path_value(path)
        if not elements:
            nums = _join(
                [
                    _numeric(local, _Context(item, self.out_shape(item, child, False)), 0)
                    for item, child, local in locals_
                ],
                self.max_factors,
                self.expand,
            )
            return chain, sym, nums, format_number(xp.asarray(value).reshape(-1)[0]), value
        n = int(xp.prod(xp.asarray(self.element_shape))) if self.element_shape else 1
        shown = n if self.expand else min(n, self.max_terms)
        terms, term_values = [], []
        for k in range(shown):
            factors = []
            product = 1.0
            for item, child, local in locals_:
                ctx = _Context(item, self.out_shape(item, child, True))
                factors.append(_numeric(local, ctx, k))
            for item, child, local in locals_:
                product *= self.element_factor(item, child, local, k)
            terms.append(F.product(*factors))
            term_values.append(product)
        if summed:
            nums = str(F.total(*terms))
            if shown < n:
                nums += f" + … ({n - shown} more terms)"
            values = " + ".join(format_number(v) for v in term_values).replace("+ −", "− ")
            if shown < n:
                values += " + …"
            result = f"{values} = {format_number(xp.asarray(value).reshape(-1)[0])}"
            return chain, sym, nums, result, value
        nums = ", ".join(map(str, terms)) + (f", … ({n - shown} more)" if shown < n else "")
        return chain, sym, nums, format_array(value), value

    def out_shape(self, item, child, elements):
        return self.element_shape if elements else xp.shape(item.value)

    def element_factor(self, item, child, local, k) -> float:
        """The number of one factor at element k (for the per-term products)."""
        shape = self.element_shape
        unit = xp.zeros(shape, dtype=xp.float64)
        unit.reshape(-1)[k] = 1.0
        if local.reduce:
            return float(local.vjp(xp.ones(xp.shape(item.value))).reshape(-1)[0])
        out = local.vjp(unit)
        return float(xp.asarray(out).reshape(-1)[k if xp.size(out) > 1 else 0])

    def write_vjp(self, head, paths, n_paths, value, shape) -> list:
        root = self.snap.root
        lines = [
            f"{head} (shape {list(shape)}) = sum over {n_paths} path(s) of vector-Jacobian "
            "products; ḡ is the gradient arriving at each node:"
        ]
        for k, path in enumerate(paths, 1):
            names = [root.name] + [next(c for c, j in it.inputs if j == i).name for it, i in path]
            lines.append(f"  path {k}: " + " ← ".join(names))
            g = xp.ones(xp.shape(root.value), dtype=xp.float64)
            lines.append(f"    ḡ({root.name}) = {format_array(g)}")
            steps = list(path)
            hidden = 0
            if not self.expand and len(steps) > self.max_factors:
                hidden = len(steps) - self.max_factors
            for n, (item, i) in enumerate(steps):
                child = next(c for c, j in item.inputs if j == i)
                local = self.local(item, i)
                g = local.vjp(g)
                if hidden and 3 <= n < 3 + hidden:
                    if n == 3:
                        lines.append(f"    ⋯ {hidden} more steps")
                    continue
                if local.elementwise:
                    ctx = _Context(item, xp.shape(item.value))
                    rule = f"ḡ({item.name}) ⊙ {_symbolic(local, ctx)}"
                    if xp.shape(child.value) != xp.shape(item.value):
                        rule += f", summed over broadcast dims to {list(xp.shape(child.value))}"
                else:
                    rule = local.rule.replace("ḡ", f"ḡ({item.name})")
                lines.append(f"    ḡ({child.name}) = {rule} = {format_array(g)}")
        if n_paths > len(paths):
            lines.append(f"  … {n_paths - len(paths)} more paths (explain(..., expand=True))")
        lines.append(f"  {head} = {format_array(value)}")
        return lines
