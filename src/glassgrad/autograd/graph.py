"""Autograd graph nodes: what ``tensor.grad_fn`` and ``next_functions`` hold."""

from __future__ import annotations

import itertools
import weakref

__all__ = [
    "NO_EDGE",
    "AccumulateGrad",
    "Node",
    "edge_of",
    "keep_exact_sink_timing",
    "node_inputs",
    "node_params",
    "register_backward_call_hook",
]

_SEQUENCE = itertools.count()

#: ``hook(node, inputs, output)`` callables run when an op records a node; empty (so free)
#: unless anomaly mode or ``glassgrad.viz.watch()`` is on.
RECORD_HOOKS: list = []
#: ``hook(tensors)`` callables every ``backward()`` call runs (``register_backward_call_hook``)
BACKWARD_CALL_HOOKS: list = []
#: set by ``autograd.set_detect_anomaly``; the engine checks each node's gradients when True.
DETECT_ANOMALY = False
#: True for good once anything exists that could see when a leaf's gradient lands in
#: ``.grad`` during backward: a hook on a node or tensor, a custom ``autograd.Function``
#: (user code runs in backward). The engine then accumulates each leaf's gradient as soon
#: as it is complete, as PyTorch does; until then it does all of them at the end.
EXACT_SINK_TIMING = False


def keep_exact_sink_timing() -> None:
    """Something that can see when leaves accumulate exists: see ``EXACT_SINK_TIMING``."""
    global EXACT_SINK_TIMING
    EXACT_SINK_TIMING = True


class Node:
    """A backward function in the graph.

    ``next_functions`` holds one ``(node, output_index)`` edge per input of the forward op;
    the node is ``None`` for inputs that need no gradient, ``AccumulateGrad`` for leaves.
    Nodes run in decreasing creation order (``_seq``), the order PyTorch's engine uses,
    so gradient sums are added in the same order.

    ``_in_meta`` holds each input's ``(shape, dtype)`` (``None`` for a number): what the
    engine needs to sum a broadcast gradient back and cast it to the input's dtype. Only
    what every node needs is a slot (the flags too: an instance dict made only to hold them
    would outlive backward); the rarely set attributes (hooks, anomaly trace, ...) are
    class-level defaults. ``_special`` turns True once any of those is set, the node is freed
    or has several outputs: the engine then takes its general path for the node, and
    otherwise skips their checks.
    """

    __slots__ = (
        "__weakref__",
        "_freed",
        "_in_meta",
        "_inputs",
        "_seq",
        "_special",
        "_versions",
        "next_functions",
        "saved",
    )
    n_outputs = 1
    #: ``(version counter, version)`` of the output when the op saved its output
    _out_version = None
    _pre_hooks = None
    _hooks = None
    _trace = None  # (file, line, function) of the forward call, in anomaly mode

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        keep_exact_sink_timing()
        if self._hooks is None:
            self._hooks = []
        self._special = True
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; may return new grad_outputs."""
        keep_exact_sink_timing()
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._special = True
        entry = (None, fn)
        self._pre_hooks.append(entry)
        return _RemovableHandle(self._pre_hooks, entry)

    def _add_tensor_hook(self, index: int, fn, retains_grad: bool = False):
        """A hook of the tensor that is output ``index`` of this node.

        The ``retain_grad`` hook always runs after the tensor's other hooks, so ``.grad``
        holds the gradient as they left it (as in PyTorch).
        """
        keep_exact_sink_timing()
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._special = True
        entry = (index, fn)
        hooks = self._pre_hooks
        position = len(hooks)
        if not retains_grad:
            for i, (other_index, other) in enumerate(hooks):
                if other_index == index and getattr(other, "_retains_grad", False):
                    position = i
                    break
        else:
            fn._retains_grad = True
        hooks.insert(position, entry)
        return _RemovableHandle(hooks, entry)

    def _release(self) -> None:
        """Free saved values after backward; a node that saved something cannot run again."""
        if self.saved:
            self._freed = self._special = True
        self.saved = ()
        self._inputs = ()

    def _init_node(self) -> None:
        self.next_functions = ()
        self.saved = ()
        self._inputs = ()
        self._versions = ()
        self._in_meta = ()
        self._seq = next(_SEQUENCE)
        self._special = self._freed = False


class _RemovableHandle:
    __slots__ = ("_fn", "_hooks")

    def __init__(self, hooks: list, fn):
        self._hooks = hooks
        self._fn = fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def register_backward_call_hook(hook) -> _RemovableHandle:
    """Run ``hook(tensors)`` whenever ``Tensor.backward`` or ``autograd.backward`` is called.

    ``tensors`` is the tuple of root tensors, passed before anything is checked or computed,
    so a tool sees every call's graph intact (also a call that then raises). This is how
    ``glassgrad run --graph/--explain`` finds a script's last loss without code in
    ``backward``; ``autograd.grad`` does not call it. PyTorch has no global equivalent
    (its hooks are per tensor, node or module). While none is registered, ``backward``
    pays one test of an empty list. Returns a handle whose ``remove()`` unregisters it.

    Example:
        >>> roots = []
        >>> handle = register_backward_call_hook(roots.append)
        >>> loss.backward()  # roots == [(loss,)]
        >>> handle.remove()
    """
    BACKWARD_CALL_HOOKS.append(hook)
    return _RemovableHandle(BACKWARD_CALL_HOOKS, hook)


class AccumulateGrad(Node):
    """The sink of a leaf tensor that requires grad: adds incoming gradients to ``.grad``."""

    __slots__ = ("_hooks", "_pre_hooks", "_trace", "variable")

    def __init__(self, variable):
        self._init_node()
        self.variable = variable
        self._pre_hooks = self._hooks = self._trace = None


def accumulator_of(tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, created once and shared by every op that uses the leaf.

    The tensor only holds a weak reference to it, so leaf and node form no reference cycle.
    """
    ref = tensor._accum
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._accum = weakref.ref(node)
    return node


NO_EDGE = (None, 0)  # the edge of an input that needs no gradient


def edge_of(tensor) -> tuple:
    """The ``(node, output_index)`` edge a recorded op keeps for a tensor input: its
    ``grad_fn``, the leaf's ``AccumulateGrad``, or ``NO_EDGE`` if it needs no gradient."""
    fn = tensor.grad_fn
    if fn is not None:
        return (fn, tensor._out_idx)
    if tensor._rg:
        ref = tensor._accum  # ``accumulator_of``, inline: the leaf's sink usually exists already
        node = ref() if ref is not None else None
        return (node if node is not None else accumulator_of(tensor), 0)
    return NO_EDGE


def node_inputs(node) -> tuple:
    """The forward inputs (tensors or numbers) a node keeps for backward. Once backward freed
    the node, only its constants remain (inputs without an edge; ``None`` for the others).

    A read-only accessor for tools that show values in the graph (``glassgrad.viz``).
    """
    return getattr(node, "_inputs", ())


def node_params(node) -> dict:
    """The op's non-tensor forward settings (``exponent``, ``dims``, ...), for display only."""
    attrs = getattr(node, "__dict__", None) or {}
    return {k: v for k, v in attrs.items() if not k.startswith("_")}
