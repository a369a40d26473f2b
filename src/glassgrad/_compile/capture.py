"""Capture: run a step eagerly once while recording every primitive it executes.

Nothing in the eager hot paths checks for capture. While a capture runs, the few entry
points where arrays are computed or state is changed are swapped for recording wrappers
(``Op.run``, the op recorder ``_record``, ``Tensor.backward``, the in-place updates, the
optimizer's ``step``/``zero_grad``, the ``.grad`` setter, the data-dependent conversions;
see ``hooks``) and put back afterwards, so eager code pays nothing at all.

``loss.backward()`` is run by ``backward`` below, a copy of the engine's plain path (same
node order, same accumulation order, same ``sum_to``) that records each node's ``backward``.
Anything the capture cannot express exactly (hooks, anomaly mode, a double backward, an
array computed outside the ops, random numbers, an in-place change it did not record, which
the tensors' version counts reveal) ends the capture: the call finishes eagerly and the step
stays eager, so a result always equals eager.
"""

from __future__ import annotations

import builtins
import os
import sys
from heapq import heapify, heappop, heappush

from glassgrad._backend import ndarray, xp
from glassgrad._compile.program import ACTIVE, Const, GraphBreakError, Instr, Slot
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad._warn import PACKAGE_DIR, user_line
from glassgrad.autograd import engine as E
from glassgrad.autograd import graph as G
from glassgrad.autograd.engine import sum_to
from glassgrad.autograd.grad_mode import STATE
from glassgrad.autograd.graph import AccumulateGrad

__all__ = ["ACTIVE", "Capture", "GraphBreakError"]


class _Ctx:
    """Marks an edge that needs a gradient in a replayed node's ``next_functions``."""


_NEEDS = _Ctx()


def _in_user_code() -> bool:
    """Whether the function calling the patched method was called from user code."""
    return not sys._getframe(2).f_code.co_filename.startswith(PACKAGE_DIR)


class Capture:
    """Records one call of ``fn``; ``program`` holds the instructions once it succeeded."""

    def __init__(self, args: tuple, kwargs: dict, fullgraph: bool) -> None:
        self.fullgraph = fullgraph
        self.program: list[Instr] = []
        self.by_id: dict[int, Slot] = {}  # id(array) -> its newest slot
        self.slots: list[Slot] = []  # every slot (an array passed on unchanged has several)
        self.keep: list = []  # every array seen, so ``id`` stays unique during the capture
        self.tensors: dict[int, object] = {}  # external tensors by id, in order of encounter
        self.grad_was_none: dict[int, bool] = {}
        self.modules: list = []
        self.optimizers: list = []
        self.depth = 0
        self.failed: str | None = None  # why the step cannot be compiled
        self.undo: list = []
        self.nodes: dict[int, Instr] = {}  # id(graph node) -> its forward instruction
        self.ran: set[int] = set()  # ids of the nodes whose backward was recorded
        self.adopted: set[int] = set()  # ids of the gradient arrays that became a ``.grad``
        self.grads: set[int] = set()  # ids of the arrays the backward computed
        self.made: dict[int, str] = {}  # id(tensor made outside the ops) -> "fresh"/"derived"
        #: id(version counter) -> (counter, its value when first seen): see ``finish``
        self.versions: dict[int, tuple] = {}
        self.bumps: dict[int, int] = {}  # id(version counter) -> recorded in-place updates
        self.opaque: set[int] = set()  # counters a live optimizer call may change
        self.rng_state: tuple = ()
        self.grad_enabled = True
        self.arg_tensors: dict[int, int] = {}
        self.owners: dict[int, object] = {}  # id(array) -> argument tensor holding it
        for pos, value in enumerate(list(args) + list(kwargs.values())):
            if _is_tensor(value):
                self.arg_tensors.setdefault(id(value), pos)
                self.owners.setdefault(id(value._data), value)

    # ------------------------------------------------------------------ slots
    def ref(self, value, tensor=None):
        """The slot of an array used by an instruction (or a constant for other values)."""
        slot = self.by_id.get(id(value))
        if slot is not None:  # (also a NumPy scalar a step computed: not a constant)
            return slot
        if type(value) is not ndarray:
            if isinstance(value, ndarray):
                raise _Unsupported(f"an array subclass ({type(value).__name__}) as an operand")
            if isinstance(value, (tuple, list)) and any(isinstance(v, ndarray) for v in value):
                raise _Unsupported("arrays inside a list or tuple operand")
            return Const(value)
        owner = self.owners.get(id(value))
        if owner is None and _is_tensor(tensor) and tensor._data is value:
            owner = tensor
        if owner is None or self.made.get(id(owner)) == "derived":
            raise _Unsupported(
                "an array computed outside glassgrad's ops (a cast, one_hot, or NumPy code on "
                "tensor data)"
            )
        for t in list(self.tensors.values()):
            if t._grad is owner:
                return self.grad_slot(t)
        return self.external(owner)

    def external(self, tensor) -> Slot:
        """The slot of a tensor from outside the step (an argument, parameter, constant)."""
        self.watch(tensor)
        pos = self.arg_tensors.get(id(tensor))
        slot = Slot("arg" if pos is not None else "ext", tensor._data, tensor, pos)
        return self._add(slot)

    def watch(self, tensor) -> None:
        """Remember a tensor the step touches, with whether it had a ``.grad`` at the start."""
        key = id(tensor)
        if key not in self.tensors:
            self.tensors[key] = tensor
            self.grad_was_none[key] = tensor._grad is None
            self.see_version(tensor)

    def see_version(self, tensor) -> None:
        counter = tensor._version_counter
        self.versions.setdefault(id(counter), (counter, counter[0], tensor))

    def grad_slot(self, tensor) -> Slot:
        """The slot of a ``.grad`` that existed before the step."""
        self.watch(tensor)
        array = tensor._grad._data
        slot = self.by_id.get(id(array))
        if slot is None:
            slot = self._add(Slot("grad", array, tensor))
        return slot

    def temp(self, value, hint: str) -> Slot:
        return self._add(Slot("tmp", value, hint=hint))

    def _add(self, slot: Slot) -> Slot:
        self.slots.append(slot)
        self.keep.append(slot.value)
        self.by_id[id(slot.value)] = slot
        return slot

    def emit(self, instr: Instr) -> Instr:
        instr.line = instr.line or user_line()
        for slot in instr.outs:
            if slot is not None:
                slot.producer = instr
        self.program.append(instr)
        return instr

    # ------------------------------------------------------------------ ending
    def fail(self, reason: str) -> None:
        """Give up: the rest of this call runs eagerly (the patches come off now)."""
        if self.failed is None:
            self.failed = reason
        self.stop()

    def stop(self) -> None:
        while self.undo:
            owner, name, value = self.undo.pop()
            if isinstance(owner, dict):
                owner[name] = value
            else:
                setattr(owner, name, value)
        if ACTIVE[0] is self:
            ACTIVE[0] = None

    def graph_break(self, what: str) -> None:
        path, _, number = user_line().rpartition(":")
        line = f"{os.path.basename(path)}:{number}"
        if self.fullgraph:
            self.fail(f"graph break: {what} at {line}")
            raise GraphBreakError(
                f"glassgrad.compile(fullgraph=True): {what} at {line} needs a tensor's value "
                "in Python (a graph break), so the function cannot be captured as one graph. "
                "Move it out of the compiled function, or compile with fullgraph=False (the "
                "function then runs eagerly)."
            )
        self.fail(f"graph break: {what} at {line}")


class _Unsupported(Exception):
    """Raised inside a recording wrapper: the capture gives up (the call goes on eagerly)."""


def _is_tensor(value) -> bool:
    return isinstance(value, Tensor)


# ---------------------------------------------------------------------------- recording
def check_graph(capture: Capture, root) -> str | None:
    """Why the graph below ``root`` cannot be run by ``backward`` here, or None."""
    # (``G.EXACT_SINK_TIMING`` only says when leaves accumulate, which only hooks could
    # observe: this graph has none, checked below)
    if G.DETECT_ANOMALY:
        return "backward in anomaly detection mode"
    stack, seen = [root], {id(root)}
    while stack:
        node = stack.pop()
        if node._pre_hooks or node._hooks or node.n_outputs != 1:
            return f"backward through {node.name()} (hooks or several outputs)"
        if type(node) is AccumulateGrad:
            if node.variable._extra:
                return "backward into a leaf with hooks or views"
            continue
        if node._freed or id(node) not in capture.nodes:
            return f"backward through {node.name()} (freed, or recorded outside the step)"
        for nxt, _ in node.next_functions:
            if nxt is not None and id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    return None


def backward(capture: Capture, root) -> None:
    """``root.backward()`` as the engine's plain path does it, recording every node.

    (A copy of the engine's loop for the graphs ``check_graph`` allows: the engine has no
    per-node observer, and one would cost its hot loop a check per node and per edge.)
    """
    node = root.grad_fn
    data = root._data
    seed = xp.array(1, dtype=data.dtype) if not data.ndim else xp.ones(data.shape, data.dtype)
    capture._add(Slot("const", seed, hint="one"))  # folded: nothing writes into it
    buffers = {node: [seed]}
    pending = [(-node._seq, node)]
    heapify(pending)
    sinks = []
    prev, STATE.enabled = STATE.enabled, False
    try:
        while pending:
            node = heappop(pending)[1]
            results, line = _run_node(capture, node, buffers.pop(node)[0])
            for (nxt, _idx), r, m in zip(node.next_functions, results, node._in_meta):
                if nxt is None:
                    continue
                if r is not None:
                    r = _normalize(capture, r, m, line)
                slot = buffers.get(nxt)
                if slot is None:
                    if nxt.n_outputs != 1:
                        raise _Unsupported(f"{nxt.name()} has several outputs")
                    buffers[nxt] = [r]
                    if type(nxt) is AccumulateGrad:
                        sinks.append(nxt)
                    else:
                        heappush(pending, (-nxt._seq, nxt))
                elif r is not None:
                    slot[0] = (
                        r if slot[0] is None else _call(capture, xp.add, [slot[0], r], "add", line)
                    )
        for sink in sinks:
            _sink(capture, sink, buffers.pop(sink)[0])
    finally:
        STATE.enabled = prev


def _run_node(capture: Capture, node, g) -> tuple:
    """Run one node's backward on gradient ``g`` and record it: (its gradients as a tuple,
    the source line of its forward)."""
    if node.saved:
        E._check_versions(node)
    results = type(node).backward(node, g)
    capture.ran.add(id(node))
    fwd = capture.nodes[id(node)]
    instr = Instr("bwd", type(node), [capture.ref(g)])
    instr.fwd = fwd
    instr.line = fwd.line
    instr.tuple_out = type(results) is tuple
    if not instr.tuple_out:
        results = (results,)
    if len(results) != len(node.next_functions):
        raise _Unsupported(f"{node.name()} returned a wrong number of gradients")
    instr.outs = [
        None if r is None else _grad_temp(capture, r, fwd, i) for i, r in enumerate(results)
    ]
    capture.emit(instr)
    node._release()
    return results, fwd.line


def _grad_temp(capture: Capture, array, fwd: Instr, i: int) -> Slot:
    if type(array) is not ndarray:
        if not isinstance(array, xp.generic):
            raise _Unsupported("a backward that returned a non-array")
    slot = capture.by_id.get(id(array))
    name = fwd.ins[i].name if isinstance(fwd.ins[i], Slot) else ""
    new = capture.temp(array, "d_" + (name or "x"))
    capture.grads.add(id(array))
    if slot is not None:  # the same array passed on (an identity gradient): an alias
        new.hint = slot.hint
    return new


def _normalize(capture: Capture, g, meta, line: str):
    """What the engine does to a gradient before passing it on: an array, summed to the
    input's shape, cast to its dtype."""
    shape, dtype = meta
    if type(g) is not ndarray:
        g = _call(capture, xp.asarray, [g], "asarray", line)
    if g.shape != shape:
        g = _call(capture, sum_to, [g, Const(shape)], "sum_to", line)
    if g.dtype != dtype:
        g = _call(capture, ndarray.astype, [g, Const(dtype)], "astype", line)
    return g


def _call(capture: Capture, fn, args, hint: str, line: str):
    arrays = [a.value if isinstance(a, Const) else a for a in args]
    out = fn(*arrays)
    ins = [a if isinstance(a, Const) else capture.ref(a) for a in args]
    slot = capture.temp(out, capture.by_id[id(arrays[0])].hint if hint != "add" else "d_sum")
    capture.grads.add(id(out))
    capture.emit(Instr("call", fn, ins, outs=[slot], line=line))
    return out


def _adoptable(capture: Capture, g) -> bool:
    """Whether a gradient can become ``.grad`` as it is (as eager adopts an unshared one):
    an array the backward computed whose memory no other leaf took and no value outside the
    backward shares (the intermediate gradients are not used again)."""
    slot = capture.by_id.get(id(g))
    if type(g) is not ndarray or slot is None or slot.kind != "tmp" or id(g) in capture.adopted:
        return False
    for v in capture.keep:
        if v is not g and type(v) is ndarray and xp.may_share_memory(v, g):
            if id(v) not in capture.grads or id(v) in capture.adopted:
                return False
    return True


def _sink(capture: Capture, sink, g) -> None:
    """Accumulate a leaf's gradient as the engine's ``_run_sinks`` does."""
    variable = sink.variable
    if sink._pre_hooks or variable._extra:
        raise _Unsupported("a leaf with hooks or retained views")
    capture.watch(variable)
    if g is None:
        return
    if g.dtype != variable._data.dtype:
        raise _Unsupported("a gradient of another dtype than its leaf")
    existing = variable._grad
    if existing is None:
        if not _adoptable(capture, g):  # as eager's ``_run_sinks``: copy a shared gradient
            g = _call(capture, ndarray.copy, [g], "copy", "")
        capture.adopted.add(id(g))
        variable._grad = _new_tensor(g)
        instr = Instr("effect", "set_grad", [capture.ref(g)], {"tensor": variable})
        capture.emit(instr)
        return
    if existing.grad_fn is not None or existing._data.shape != g.shape:
        raise _Unsupported("accumulating into a .grad that has a graph or another shape")
    target = capture.by_id.get(id(existing._data)) or capture.grad_slot(variable)
    xp.add(existing._data, g, out=existing._data)
    existing._version_counter[0] += 1
    key = id(existing._version_counter)
    capture.bumps[key] = capture.bumps.get(key, 0) + 1
    capture.emit(Instr("effect", "add_grad", [target, capture.ref(g)], {"tensor": variable}))


def print_break(*args, **kwargs):
    """``print`` during a capture: output is a side effect a replay would not repeat."""
    capture = ACTIVE[0]
    if capture is not None and capture.depth == 0:
        capture.graph_break("print()")
    return _PRINT(*args, **kwargs)


_PRINT = builtins.print
