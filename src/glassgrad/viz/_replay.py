"""Forward values of a graph that ``backward()`` freed, recomputed from its leaves.

``backward()`` frees what each op saved, but the graph's structure survives it: each node's
op and settings, its inputs' shapes and dtypes, the leaves (``AccumulateGrad.variable``) and
the constants (numbers and tensors that need no gradient, which an op node keeps after
backward). Running each op's own forward again, inputs first, gives back exactly the values
the forward pass computed, which is what ``explain()`` needs when a learner asks *after*
``backward()`` why ``w.grad`` is what it is.

That is only true while the leaves and constants still hold the values the forward pass
used: each node remembers its inputs' version counters, and a tensor modified in place
since (``optimizer.step()``, ``w.add_(...)``) makes the recomputation refuse, naming it.
"""

from __future__ import annotations

import inspect

from glassgrad._backend import xp
from glassgrad.ops._explain import ExplainRule

__all__ = ["check_inputs_unchanged", "recompute_values"]


def _input_tensor(item, index: int):
    """The tensor behind input ``index`` of op ``item``: a leaf's variable or a constant."""
    child = next(c for c, i in item.inputs if i == index)
    if child.kind == "leaf":
        return child, child.node.variable
    rec = item.record
    if child.kind == "const" and rec is not None and index < len(rec.inputs):
        return child, rec.inputs[index]
    return child, None


def check_inputs_unchanged(snap) -> None:
    """Refuse when a leaf or constant of the graph was modified in place after the forward
    pass: its current value is not the one the graph's values and gradients came from."""
    for item in snap.order:
        if item.kind != "op":
            continue
        versions = getattr(item.node, "_versions", ())
        for _, index in item.inputs:
            expected = versions[index] if index < len(versions) else None
            if expected is None:
                continue
            child, tensor = _input_tensor(item, index)
            if tensor is None or tensor._version_counter[0] == expected:
                continue
            what = child.name or f"input {index} of {item.title}"
            raise RuntimeError(
                f"explain: {what} (shape {list(tensor.shape)}) was modified in place after the "
                f"forward pass (its version is {tensor._version_counter[0]}, the graph used "
                f"version {expected}; optimizer.step() does this), so the values this graph "
                "computed can no longer be shown. Call explain() before step(), or compute the "
                "loss again."
            )


def recompute_values(snap) -> None:
    """Fill in the forward value of every op box whose value backward() freed."""
    if all(item.value is not None for item in snap.order if item.kind == "op"):
        return
    meta = {}
    for item in snap.order:
        if item.kind == "op":
            in_meta = getattr(item.node, "_in_meta", ())
            for child, index in item.inputs:
                if index < len(in_meta) and in_meta[index] is not None:
                    meta.setdefault(id(child), in_meta[index])
    for item in reversed(snap.order):  # inputs before the ops that consume them
        if item.kind == "op" and item.value is None:
            item.value = _forward(item, meta.get(id(item)))


def _forward(item, meta):
    """Run ``item``'s op forward again on its inputs' values."""
    cls = type(item.node)
    n_inputs = len(getattr(item.node, "_in_meta", ()))
    args = [c.value for c, i in sorted(item.inputs, key=lambda pair: pair[1]) if i < n_inputs]
    if any(a is None for a in args) or len(args) != n_inputs or not hasattr(cls, "forward"):
        raise RuntimeError(
            f"explain: backward() freed the forward values of {item.title} and they cannot be "
            "recomputed (an input of it is not known). Call explain() before backward(), use "
            "backward(retain_graph=True), or run the forward pass inside "
            "`with glassgrad.viz.watch():`."
        )
    shape, dtype = meta if meta is not None else (None, None)
    rule = getattr(cls, "explain", None)
    if isinstance(rule, ExplainRule) and rule.replay is not None:  # the op's own replay
        return rule.replay(item.node, args, shape, dtype)
    accepted = inspect.signature(cls.forward).parameters
    kwargs = {k: v for k, v in item.params.items() if k in accepted}
    ctx = object.__new__(cls)
    ctx.saved = ()
    out = xp.asarray(cls.forward(ctx, *args, **kwargs))
    return out if shape is None else xp.reshape(out, shape)
