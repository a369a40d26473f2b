"""The primitive-op base class: forward on arrays, vector-Jacobian product beside it.

An op subclass defines ``forward(ctx, *arrays, **params) -> array`` and
``backward(ctx, grad) -> grad or tuple of grads`` (one per input, ``None`` allowed). The
class itself is the graph node type, named as PyTorch names it (``MulBackward0``), so
``tensor.grad_fn`` prints the same. ``backward`` is written with operators and the
helpers in ``ops._dual`` so it runs on arrays (plain backward) and on tensors
(``create_graph=True``) alike.
"""

from __future__ import annotations

import weakref

from glassgrad._backend import ndarray, xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.autograd.grad_mode import STATE
from glassgrad.autograd.graph import _SEQUENCE, NO_EDGE, RECORD_HOOKS, Node, edge_of
from glassgrad.ops._domain import Domain

__all__ = ["NULL_CTX", "REGISTRY", "Op", "needs_grad"]

REGISTRY: dict[str, type[Op]] = {}


class _NullCtx:
    """Stands in for the node when no graph is recorded: saves nothing, keeps nothing."""

    __slots__ = ()

    def save(self, *arrays) -> None:
        pass

    def __setattr__(self, name, value) -> None:
        pass

    needs_input_grad = (True, True, True, True)


NULL_CTX = _NullCtx()


def needs_grad(ctx, i: int) -> bool:
    """Whether forward input ``i`` of the node ``ctx`` needs a gradient (has an edge)."""
    return ctx.next_functions[i][0] is not None


def _constants_only(inputs: tuple, edges: tuple) -> tuple:
    """The inputs that have no edge (constants), ``None`` in place of the others."""
    if len(inputs) == 2:  # most ops: spelled out, half the cost of the general loop
        return (
            inputs[0] if edges[0][0] is None else None,
            inputs[1] if edges[1][0] is None else None,
        )
    return tuple(x if edge[0] is None else None for x, edge in zip(inputs, edges))


class Op(Node):
    """Base of every differentiable primitive; the subclass is the node type."""

    node_name: str = ""
    #: output shares memory with input 0 (a view): they share one version counter
    is_view = False
    #: the op cannot be differentiated twice (saves intermediates, not inputs/outputs)
    differentiable_backward = True
    #: for each input, the inputs whose gradients use its saved value (None: all). Like
    #: PyTorch, modifying a saved input in place is harmless when none of those needs grad.
    saved_input_users: tuple | None = None
    #: forward may keep arrays as attributes of ``ctx`` (masks, indices, its saved output),
    #: which ``_release`` then finds and frees. An op that keeps only settings there says
    #: False, so freeing it skips that search (tests/ops/test_gradients_fd.py checks it).
    keeps_ctx_arrays = True
    #: how ``glassgrad.explain`` writes this op (ops/_explain.py); None: autograd's product
    explain = None
    #: the inputs its gradient is checked on (ops/_domain.py, tests/ops/test_gradients_fd.py)
    gradcheck_domain = Domain()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "explain" not in cls.__dict__:  # a rule is one op's maths: subclasses declare theirs
            cls.explain = None
        op_name = cls.__name__
        cls.op_name = op_name
        cls.__name__ = cls.__qualname__ = cls.__dict__.get("node_name") or op_name + "Backward0"
        if "forward" in cls.__dict__ or op_name not in REGISTRY:
            REGISTRY[op_name] = cls

    def save(self, *arrays) -> None:
        """Keep arrays for backward (inputs or the output; they are version-checked)."""
        self.saved = arrays

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(edge[0] is not None for edge in self.next_functions)

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    def _backward_arrays(self, grads):
        return type(self).backward(self, grads[0])

    def _release(self) -> None:
        """Also free arrays kept as ctx attributes (masks, indices, the saved output)."""
        freed = bool(self.saved)  # ``Node._release``, inline
        self.saved = ()
        edges = self.next_functions
        if NO_EDGE in edges:  # keep the constants, so viz can replay the forward
            self._inputs = _constants_only(self._inputs, edges)
        else:
            self._inputs = ()
        state = self.__dict__ if self.keeps_ctx_arrays else None
        if state:  # most nodes keep nothing beyond ``saved``
            doomed = None
            for key, value in state.items():
                if type(value) in _HOLDERS and _holds_array(value):
                    if doomed is None:
                        doomed = [key]
                    else:
                        doomed.append(key)
            if doomed is not None:
                for key in doomed:
                    del state[key]
                freed = True
        if freed:
            self._freed = self._special = True

    def _backward_tensors(self, grads):
        """Backward with tensors in place of the saved arrays, so it is itself recorded."""
        if not self.differentiable_backward:
            raise RuntimeError(
                f"double backward (create_graph=True) through {self.name()} is not supported "
                "by glassgrad yet. Compute the first derivative without create_graph, or "
                "express the function with other ops."
            )
        arrays = self.saved
        self.saved = tuple(self._saved_as_tensor(a) for a in arrays)
        try:
            return type(self).backward(self, grads[0])
        finally:
            self.saved = arrays

    def _saved_as_tensor(self, array):
        if type(array) is not ndarray:
            return array  # a Python number or other constant
        for t in self._inputs:
            if isinstance(t, TensorBase) and t._data is array:
                return t
        if getattr(self, "_saved_output", None) is array:
            out = _new_tensor(array)
            out.grad_fn = self
            out._rg = True
            return out
        if array.dtype.kind == "f":
            raise RuntimeError(
                f"double backward (create_graph=True) through {self.name()} is not supported "
                "by glassgrad yet: it saves an intermediate value. Compute the first "
                "derivative without create_graph, or express the function with other ops."
            )
        return _new_tensor(array)

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' arrays; record a node when a gradient is needed.

        ``inputs`` are tensors or Python numbers (numbers never need a gradient).
        """
        n = len(inputs)
        if n == 1:  # the common cases without a list comprehension's frame
            t = inputs[0]
            return cls.run(inputs, (t._data,) if isinstance(t, TensorBase) else inputs, params)
        if n == 2:
            a, b = inputs
            arrays = (
                a._data if isinstance(a, TensorBase) else a,
                b._data if isinstance(b, TensorBase) else b,
            )
            return cls.run(inputs, arrays, params)
        return cls.run(
            inputs, [t._data if isinstance(t, TensorBase) else t for t in inputs], params
        )

    @classmethod
    def run(cls, inputs, arrays, params):
        """Like ``apply`` with the arrays given (already cast to the op's common dtype).

        ``arrays`` may go on with the op's settings, in ``forward``'s order: hot callers pass
        them that way instead of in ``params``, saving a keyword dict per call.
        """
        if STATE.enabled:
            for t in inputs:
                if isinstance(t, TensorBase) and t._rg:
                    return _record(cls, inputs, arrays, params)
        out = cls.forward(NULL_CTX, *arrays, **params) if params else cls.forward(NULL_CTX, *arrays)
        result = _new_tensor(out if type(out) is ndarray else xp.asarray(out))
        if cls.is_view:
            base = inputs[0]
            result._version_counter = base._version_counter
            # A view made with grad mode off still requires grad when its base does (PyTorch).
            result._rg = base._rg
        return result


_HOLDERS = frozenset((ndarray, tuple, list))  # the only types ``_holds_array`` can accept


def _holds_array(value) -> bool:
    """Whether ``value`` (an array, tuple or list: see ``_HOLDERS``) is or holds an array."""
    if type(value) is ndarray:
        return True
    for item in value:  # noqa: SIM110  (a loop, not ``any(...)``: shapes and dims are short tuples)
        if type(item) is ndarray:
            return True
    return False


def _link_inputs(node, inputs) -> None:
    """The node's edges, input versions and input shapes for any number of inputs (``_record``
    spells out the one- and two-input cases, the common ones, inline)."""
    edges, versions, meta = [], [], []
    for t in inputs:
        if isinstance(t, TensorBase):
            data = t._data
            edges.append(edge_of(t))
            versions.append(t._version_counter[0])
            meta.append((data.shape, data.dtype))
        else:
            edges.append(NO_EDGE)
            versions.append(None)
            meta.append(None)
    node.next_functions = tuple(edges)
    node._versions = versions
    node._in_meta = meta


def _link_view(view, base) -> None:
    """A view shares its base's version counter; an in-place op on a base inside the graph
    must refresh its views' history, so the base keeps weak references to them."""
    view._version_counter = base._version_counter
    if base.grad_fn is not None:
        base._extras().setdefault("views", []).append(weakref.ref(view))


def _record(cls, inputs, arrays, params):
    node = object.__new__(cls)
    node.saved = ()
    node._special = node._freed = False
    out = cls.forward(node, *arrays, **params) if params else cls.forward(node, *arrays)
    if type(out) is not ndarray:
        scalar, out = out, xp.asarray(out)  # 0-d math gives NumPy scalars
        for s in node.saved:  # (rebuilt only if the output was saved)
            if s is scalar:
                node.saved = tuple(out if s is scalar else s for s in node.saved)
                break
    if len(inputs) == 2:  # most ops: unrolled
        a, b = inputs
        if isinstance(a, TensorBase):
            data = a._data
            edge_a, version_a, meta_a = edge_of(a), a._version_counter[0], (data.shape, data.dtype)
        else:
            edge_a, version_a, meta_a = NO_EDGE, None, None
        if isinstance(b, TensorBase):
            data = b._data
            node.next_functions = (edge_a, edge_of(b))
            node._versions = (version_a, b._version_counter[0])
            node._in_meta = (meta_a, (data.shape, data.dtype))
        else:
            node.next_functions = (edge_a, NO_EDGE)
            node._versions = (version_a, None)
            node._in_meta = (meta_a, None)
    elif len(inputs) == 1 and isinstance(inputs[0], TensorBase):  # unary ops: unrolled
        t = inputs[0]
        data = t._data
        node.next_functions = (edge_of(t),)
        node._versions = (t._version_counter[0],)
        node._in_meta = ((data.shape, data.dtype),)
    else:
        _link_inputs(node, inputs)
    node._inputs = inputs
    node._seq = next(_SEQUENCE)
    result = _new_tensor(out, node if out.dtype.kind == "f" else None)
    if cls.is_view:
        _link_view(result, inputs[0])
    for s in node.saved:
        if s is out:
            node._saved_output = out
            node._out_version = (result._version_counter, result._version_counter[0])
    if RECORD_HOOKS:  # anomaly mode / viz.watch(): empty list otherwise
        for hook in RECORD_HOOKS:
            hook(node, inputs, result)
    return result
