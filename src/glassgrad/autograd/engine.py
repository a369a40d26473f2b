"""The backward engine: an iterative walk of the graph in PyTorch's execution order."""

from __future__ import annotations

import sys
from heapq import heapify, heappop, heappush

from glassgrad import _kernels as kernels
from glassgrad._backend import ndarray, xp
from glassgrad._dtypes import LEGACY_TYPE_NAMES
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.autograd import graph as _graph
from glassgrad.autograd.anomaly import check_gradients
from glassgrad.autograd.grad_mode import STATE
from glassgrad.autograd.graph import AccumulateGrad, accumulator_of

__all__ = ["owns_gradient", "run_backward", "sum_to"]


_refcount = sys.getrefcount
#: ``[array]`` while a node runs whose incoming gradient nothing but the engine holds, so its
#: backward may overwrite it instead of allocating (see ``owns_gradient``); ``[None]`` otherwise.
_owned: list = [None]


def owns_gradient(grad) -> bool:
    """Whether a backward may write its result into ``grad``, its incoming gradient array."""
    return grad is _owned[0]


#: references an unshared gradient has when the engine runs its node: the ``grads`` list,
#: the local ``g`` and ``getrefcount``'s argument. Newer CPythons count some references
#: differently, so there every gradient is copied (the safe choice).
_OWNED_REFS = 3 if sys.version_info < (3, 14) and sys.implementation.name == "cpython" else 0
#: the same for a leaf's gradient in ``_run_sinks``: the local ``g`` and the argument
_SINK_REFS = _OWNED_REFS - 1

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


def sum_to(grad, shape: tuple):
    """Undo broadcasting: sum ``grad`` down to ``shape`` (the one place this is done)."""
    gshape = grad.shape
    if gshape == shape:
        return grad
    if type(grad) is ndarray and (not shape or shape == (1,) * len(shape)):
        # one element (a scalar, or a bias of one unit): every element adds up, in the order
        # of a whole sum, which is the order PyTorch's reduction takes once it merges the
        # reduced dimensions
        total = xp.asarray(kernels.reduce_sum(grad, None))
        return total.reshape(shape) if shape else total
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1
    )
    if type(grad) is ndarray:
        out = kernels.reduce_sum(grad, axes, keepdims=True) if axes else grad
        return out.reshape(shape)
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad.reshape(shape)


def _unshared(base, view) -> bool:
    """Whether a gradient array (``view``, with NumPy's ``base``) owns its memory alone: it has
    no base, or it is a row-major view of all of a base only it refers to (a reshaped sum, a
    transposed product) that is no view itself."""
    if base is None:
        return True
    return (
        _refcount(base) <= 3  # the view's reference, ``base`` and the argument
        and base.base is None
        and base.size == view.size
        and view.flags.c_contiguous
        and view.flags.writeable
    )


def _unbroadcast(grad, shape: tuple, node, results):
    """``sum_to`` a gradient a node returned, or the error naming the node and its output."""
    try:
        return sum_to(grad, shape)
    except ValueError:
        index = next((i for i, r in enumerate(results) if r is grad), 0)
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
        ) from None


def _sink_fan_in(roots) -> dict:
    """How many edges of the graph below ``roots`` lead to each leaf's ``AccumulateGrad``."""
    sinks: dict = {}
    stack = list(roots)
    seen = set(stack)
    while stack:
        node = stack.pop()
        if type(node) is AccumulateGrad:  # a root sink
            continue
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if type(nxt) is AccumulateGrad:  # a sink: counted, never walked
                sinks[nxt] = sinks.get(nxt, 0) + 1
            elif nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return sinks


def run_backward(
    tensors,
    grad_tensors,
    retain_graph: bool,
    create_graph: bool,
    inputs=None,
    capture: bool = False,
):
    """Propagate ``grad_tensors`` from ``tensors`` back through the graph.

    With ``capture`` (``autograd.grad``), gradients for ``inputs`` are returned instead of
    accumulated into ``.grad``; with ``inputs`` but no capture (``backward(inputs=...)``),
    only those leaves accumulate.
    """
    if inputs is None and len(tensors) == 1:  # ``loss.backward()``: one root, every leaf
        t = tensors[0]
        node = t.grad_fn if t.grad_fn is not None else accumulator_of(t)
        if node.n_outputs == 1:
            grads = [grad_tensors[0]]
        else:
            grads = [None] * node.n_outputs
            grads[t._out_idx] = grad_tensors[0]
        _drive([node], {node: grads}, retain_graph, create_graph, _NO_TARGETS, None, capture)
        return []
    roots = []
    buffers: dict = {}
    for t, g in zip(tensors, grad_tensors):
        node = t.grad_fn if t.grad_fn is not None else accumulator_of(t)
        idx = t._out_idx
        if node not in buffers:
            buffers[node] = [None] * node.n_outputs
            roots.append(node)
        slot = buffers[node]
        slot[idx] = g if slot[idx] is None else slot[idx] + g

    # Where gradients are read out: leaves by their AccumulateGrad, others by (grad_fn, index).
    targets: dict = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            key = (t.grad_fn, t._out_idx) if t.grad_fn is not None else (accumulator_of(t), 0)
            targets.setdefault(key, []).append(i)
    captured = [None] * (len(inputs) if inputs is not None else 0)
    _drive(roots, buffers, retain_graph, create_graph, targets, captured, capture)
    return captured


_NO_TARGETS: dict = {}


def _schedule(roots) -> tuple:
    """The start of a walk: ``(sinks, ready_sinks, late_sinks, pending)``.

    Leaves accumulate as soon as their last gradient arrives, as in PyTorch, once anything
    could see that moment (see ``graph.EXACT_SINK_TIMING``): ``sinks`` then counts each
    leaf's incoming edges, and ``ready_sinks`` holds the leaves whose every gradient has
    arrived. Until then (``sinks`` None) the leaves reached run at the end (``late_sinks``),
    which spares counting their edges: a leaf's gradient is usually adopted as its
    ``.grad``, so it costs no memory to keep. A leaf that already has a ``.grad`` to add to
    ends that: counting starts, so each incoming gradient is freed once added, as in PyTorch.
    ``pending`` is a heap of (-creation number, node) of each op node reached: PyTorch runs
    the newest ready node first, and as every edge points to an older node, the newest node
    reached is ready.
    """
    sinks = _sink_fan_in(roots) if _graph.EXACT_SINK_TIMING else None
    ready_sinks, late_sinks, pending = [], [], []
    for root in roots:
        if type(root) is not AccumulateGrad:
            pending.append((-root._seq, root))
        elif sinks is None:
            late_sinks.append(root)
        elif root not in sinks:
            ready_sinks.append(root)
    heapify(pending)
    return sinks, ready_sinks, late_sinks, pending


def _drive(roots, buffers, retain_graph, create_graph, targets, captured, capture):
    """Run the nodes reachable from ``roots``, whose incoming gradients ``buffers`` holds.

    ``targets`` maps ``(node, output index)`` to the positions in ``captured`` that receive
    the gradient passing there (``autograd.grad``; nothing accumulates with ``capture``).
    Without targets every leaf accumulates, else only the leaves they name.

    (Longer than a screen on purpose: this loop runs once per node of every backward, and
    each function call taken out of it costs every step of every training loop; the plain
    node path and the routing of its gradients stay inline. ``_compile/capture.py`` walks
    the same order for a compiled step.)
    """
    sinks, ready_sinks, late_sinks, pending = _schedule(roots)
    adding = False  # (without ``sinks``) a leaf reached already has a ``.grad``
    prev_mode = STATE.enabled
    STATE.enabled = create_graph
    try:
        if ready_sinks:
            _run_sinks(ready_sinks, buffers, targets, captured, capture, create_graph)
        # Nothing to capture, no double backward, no anomaly checks: then a node without
        # hooks (not ``_special``) that received one array goes the short way.
        plain = not targets and not create_graph and not _graph.DETECT_ANOMALY
        node = None
        while pending:
            node = heappop(pending)[1]
            grads = buffers.pop(node)
            edges = node.next_functions
            if plain and not node._special and type(grads[0]) is ndarray:
                # (not ``_special``: an ``Op``, one output, no hooks, not freed)
                g = grads[0]  # unshared (only ``grads``, ``g`` and the argument hold it)?
                if g.base is None and _refcount(g) <= _OWNED_REFS:
                    _owned[0] = g  # the op's backward may then write its result into it
                g = None
                if node.saved:  # were saved inputs or the output modified in place since?
                    for t, version in zip(node._inputs, node._versions):
                        if version is not None and t._version_counter[0] != version:
                            _check_versions(node)  # raises if the modified value is used
                    version = node._out_version
                    if version is not None and version[0][0] != version[1]:
                        _check_versions(node)
                results = type(node).backward(node, grads[0])
                _owned[0] = None
                if type(results) is not tuple:
                    results = (results,)
                if len(results) != len(edges):
                    raise _count_error(node, results)
                if not retain_graph:
                    node._release()
            else:
                results = _general_node(node, grads, targets, captured, create_graph, retain_graph)
            for (nxt, idx), g, m in zip(edges, results, node._in_meta):
                if nxt is None:
                    continue
                if g is not None:
                    if type(g) is not ndarray and not create_graph:
                        g = xp.asarray(g)  # 0-d math gives NumPy scalars
                    shape, dtype = m
                    if g.shape != shape:
                        g = _unbroadcast(g, shape, node, results)
                    if g.dtype is not dtype and g.dtype != dtype and type(g) is ndarray:
                        g = g.astype(dtype)
                slot = buffers.get(nxt)
                if slot is None:  # the first gradient (or ``None``) to reach ``nxt``
                    if nxt.n_outputs == 1:
                        buffers[nxt] = [g]
                    else:
                        slot = buffers[nxt] = [None] * nxt.n_outputs
                        slot[idx] = g
                    if type(nxt) is not AccumulateGrad:
                        heappush(pending, (-nxt._seq, nxt))
                    elif sinks is None:
                        late_sinks.append(nxt)
                        adding = adding or nxt.variable._grad is not None
                elif g is not None:
                    slot[idx] = g if slot[idx] is None else slot[idx] + g
                if sinks is not None and type(nxt) is AccumulateGrad:
                    left = sinks[nxt] - 1
                    sinks[nxt] = left
                    if not left:
                        ready_sinks.append(nxt)
            grads = results = g = None  # let go, so unshared gradients can be reused or adopted
            if adding and sinks is None:
                complete, sinks = _complete_sinks(late_sinks, [pair[1] for pair in pending])
                ready_sinks += complete
                late_sinks = []
            if ready_sinks:
                _run_sinks(ready_sinks, buffers, targets, captured, capture, create_graph)
        if late_sinks:
            last, late_sinks = late_sinks, []
            _run_sinks(last, buffers, targets, captured, capture, create_graph)
    except Exception:
        if late_sinks:  # as in PyTorch, the leaves complete before ``node`` failed accumulate
            unrun = [pair[1] for pair in pending] + ([node] if node is not None else [])
            complete = _complete_sinks(late_sinks, unrun)[0]
            _run_sinks(complete, buffers, targets, captured, capture, create_graph)
        raise
    finally:
        STATE.enabled = prev_mode
        _owned[0] = None


def _complete_sinks(late_sinks, unrun) -> tuple:
    """The leaves in ``late_sinks`` that no node in ``unrun`` still feeds (the nodes not yet
    run are all below those: every edge points to an older node), and the fan-in of the
    leaves that are fed."""
    fan_in = _sink_fan_in(unrun)
    return [sink for sink in late_sinks if sink not in fan_in], fan_in


def _run_sinks(sinks, buffers, targets, captured, capture, create_graph):
    """Run the leaves' ``AccumulateGrad`` nodes in ``sinks`` (then empty it): capture or
    accumulate the gradient each received."""
    for sink in sinks:
        grads = buffers.pop(sink, None) or [None]
        if targets:
            for j in targets.get((sink, 0), ()):
                captured[j] = grads[0]
        if sink._pre_hooks:
            grads = _run_pre_hooks(sink, grads, create_graph)
        if not capture and (not targets or (sink, 0) in targets):
            g = grads[0]
            grads = None
            # A fresh array that nothing else refers to (only ``g`` and the call's argument)
            # becomes ``.grad`` as it is, as PyTorch steals such a buffer.
            owned = type(g) is ndarray and _refcount(g) <= _SINK_REFS and _unshared(g.base, g)
            variable = sink.variable
            if (
                owned
                and variable._grad is None
                and not variable._extra
                and not create_graph
                and g.dtype == variable._data.dtype
            ):  # the common first accumulation, inline: adopt the fresh array
                variable._grad = _new_tensor(g)
            else:
                _accumulate(variable, g, create_graph, owned)
    sinks.clear()


def _general_node(node, grads, targets, captured, create_graph, retain_graph):
    """One node with whatever is special about it: captured gradients, hooks, no gradient
    received, double backward, anomaly checks."""
    if targets:
        for i, g in enumerate(grads):
            for j in targets.get((node, i), ()):
                captured[j] = g
    if node._pre_hooks:
        grads = _run_pre_hooks(node, grads, create_graph)
    results = _call_backward(node, grads, create_graph, retain_graph)
    if node._hooks:
        results = _run_post_hooks(node, results, grads, create_graph)
    if _graph.DETECT_ANOMALY:
        check_gradients(node, results)
    return results


def _call_backward(node, grads, create_graph, retain_graph):
    if node._freed:
        raise RuntimeError(SECOND_BACKWARD)
    if node.saved:
        _check_versions(node)
    if len(grads) == 1:
        g = grads[0]
        if g is None:
            return _skip(node, retain_graph)
        if create_graph:
            if not isinstance(g, TensorBase):
                grads = [_const(g)]
        elif type(g) is not ndarray and isinstance(g, TensorBase):
            grads = [g._data]
    elif all(g is None for g in grads):
        return _skip(node, retain_graph)
    elif create_graph:
        grads = [g if g is None or isinstance(g, TensorBase) else _const(g) for g in grads]
    else:
        grads = [g._data if isinstance(g, TensorBase) else g for g in grads]
    if create_graph:
        results = node._backward_tensors(grads)
    else:
        results = node._backward_arrays(grads)
    if type(results) is not tuple:
        results = (results,)
    if len(results) != len(node.next_functions):
        raise _count_error(node, results)
    if not retain_graph:
        node._release()
    return results


def _count_error(node, results) -> RuntimeError:
    return RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients "
        f"(expected {len(node.next_functions)}, got {len(results)})"
    )


def _skip(node, retain_graph):
    """A node that received no gradient passes none on (and is freed like any other)."""
    if not retain_graph:
        node._release()
    return (None,) * len(node.next_functions)


def _const(array):

    return _new_tensor(array)


def _check_versions(node) -> None:
    """Refuse to use saved arrays that were modified in place after they were saved."""
    saved = node.saved
    if not saved:
        return
    i = -1
    for t, expected in zip(node._inputs, node._versions):  # (``None``: not a tensor)
        i += 1
        if expected is not None and t._version_counter[0] != expected:
            data = t._data
            if any(s is data for s in saved) and _value_needed(node, i):
                _raise_modified(node, t, i, t._version_counter[0], expected)
    out_version = node._out_version
    if out_version is not None and out_version[0][0] != out_version[1]:
        _raise_modified(node, None, 0, out_version[0][0], out_version[1], output=True)


def _value_needed(node, index: int) -> bool:
    """Whether input ``index``'s saved value is used by this backward."""
    users = getattr(node, "saved_input_users", None)
    if users is None:
        return True
    edges = node.next_functions
    return any(edges[j][0] is not None for j in users[index])


def _raise_modified(node, tensor, index, now, expected, output=False):
    what = f"output {index} of {node.name()}" if output else f"input {index} of {node.name()}"
    array = getattr(node, "_saved_output", None) if tensor is None else tensor._data
    if array is not None:
        kind = LEGACY_TYPE_NAMES.get(array.dtype.name, array.dtype.name)
        shape = f"[{kind} {list(array.shape)}], which is "
    else:
        shape = ""
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {shape}{what}, is at version {now}; expected version {expected} instead. "
        "Hint: make the update out of place (x = x * 2 instead of x *= 2), or clone() the "
        "tensor before modifying it."
    )


def _accumulate(variable, grad, create_graph, owned: bool = False) -> None:
    if grad is None:
        return
    _add_to_grad(variable, grad, create_graph, owned)
    extra = variable._extra
    if extra and extra.get("post_accumulate_hooks"):
        for hook in extra["post_accumulate_hooks"]:
            hook(variable)


def _add_to_grad(variable, grad, create_graph, owned: bool = False) -> None:
    existing = variable._grad
    if create_graph:
        g = grad if isinstance(grad, TensorBase) else _new_tensor(grad)
        variable._grad = g if existing is None else existing + g
    else:
        if not isinstance(grad, ndarray):
            grad = grad._data if hasattr(grad, "_data") else xp.asarray(grad)
        if grad.dtype != variable._data.dtype:
            grad, owned = grad.astype(variable._data.dtype), True
        if existing is None:
            variable._grad = _new_tensor(grad if owned else grad.copy())
        elif existing.grad_fn is None and existing._data.shape == grad.shape:
            xp.add(existing._data, grad, out=existing._data)
            extra = existing._extra  # adding to a gradient step() used: zero_grad() forgotten?
            if extra is not None and extra.get("stepped_at") == existing._version_counter[0]:
                extra["stale_grad"] = True
            existing._version_counter[0] += 1
        else:
            variable._grad = existing.detach() + _new_tensor(grad)


def _run_pre_hooks(node, grads, create_graph):

    def wrap(g):
        return g if g is None or isinstance(g, TensorBase) else _new_tensor(g)

    def unwrap(g):
        return g if g is None or create_graph else g._data

    grads = list(grads)
    for index, hook in node._pre_hooks:
        if index is None:  # a node pre-hook sees every output gradient
            new = hook(tuple(wrap(g) for g in grads))
            if new is not None:
                grads = [unwrap(g) for g in new]
            continue
        if grads[index] is None:
            continue
        new = hook(wrap(grads[index]))
        if new is not None:
            grads[index] = unwrap(new)
    return grads


def _run_post_hooks(node, results, grads, create_graph):

    def wrap(seq):
        return tuple(
            None if g is None else (g if isinstance(g, TensorBase) else _new_tensor(g)) for g in seq
        )

    for hook in node._hooks:
        new = hook(wrap(results), wrap(grads))
        if new is not None:
            results = tuple(None if g is None else (g if create_graph else g._data) for g in new)
    return results
