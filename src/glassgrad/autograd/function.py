"""User-defined differentiable functions: ``class F(torch.autograd.Function)``."""

from __future__ import annotations

import functools

from glassgrad._backend import xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.autograd.engine import SECOND_BACKWARD
from glassgrad.autograd.grad_mode import STATE
from glassgrad.autograd.graph import RECORD_HOOKS, Node, edge_of, keep_exact_sink_timing

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What ``forward`` and ``backward`` of a custom Function receive as ``ctx``."""

    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors
        self._saved_versions = tuple(
            t._version_counter[0] if t is not None else None for t in tensors
        )

    @property
    def saved_tensors(self) -> tuple:
        if getattr(self, "_freed", False):
            raise RuntimeError(SECOND_BACKWARD)
        saved = getattr(self, "_saved", ())
        for i, (t, v) in enumerate(zip(saved, self._saved_versions)):
            if t is not None and t._version_counter[0] != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: saved tensor {i} of {type(self).__name__} is at "
                    f"version {t._version_counter[0]}; expected version {v} instead."
                )
        return saved

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)


class _FunctionNode(FunctionCtx, Node):
    """The graph node of one call of a custom Function (its class is ``<Name>Backward``)."""

    _function: type | None = None  # the Function subclass, set on each node class

    def __repr__(self) -> str:
        # A Python class in PyTorch, so printed with its module, unlike built-in nodes.
        return f"<torch.autograd.function.{self.name()} object at {hex(id(self))}>"

    def _backward_arrays(self, grads):

        results = self._call_user_backward(grads)
        return tuple(r._data if isinstance(r, TensorBase) else r for r in results)

    def _backward_tensors(self, grads):
        return self._call_user_backward(grads)

    def _call_user_backward(self, grads):

        wrapped = []
        for g, meta in zip(grads, self._out_meta):
            if g is None:
                if getattr(self, "_materialize", True):
                    g = xp.zeros(*meta)
                else:
                    wrapped.append(None)
                    continue
            wrapped.append(g if isinstance(g, TensorBase) else _new_tensor(g))
        results = self._function.backward(self, *wrapped)
        if not isinstance(results, tuple):
            results = (results,)
        positions = self._tensor_positions
        n = len(self.needs_input_grad)
        if len(results) > n and all(r is None for r in results[n:]):
            results = results[:n]
        if len(results) != n:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected "
                f"{n}, got {len(results)}): return one gradient (or None) per forward input"
            )
        for i, r in enumerate(results):
            if r is not None and i not in positions:
                raise RuntimeError(
                    f"function {self.name()} returned a gradient for input {i}, which is not a "
                    "Tensor; return None for it"
                )
        return tuple(results[i] for i in positions)

    def _release(self) -> None:
        if getattr(self, "_saved", ()):
            self._freed = True
        self._saved = ()


class _FunctionMeta(type):
    """Gives every Function subclass its own node class, named ``<Name>Backward``."""

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        if name != "Function":
            cls._node_class = type(name + "Backward", (_FunctionNode,), {"_function": cls})


class Function(metaclass=_FunctionMeta):
    """Base class for custom differentiable operations.

    Example:
        >>> class Square(torch.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad
        >>> y = Square.apply(torch.tensor(3.0, requires_grad=True))
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement the backward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs: tuple, output) -> None:
        """Override to write ``forward(*args)`` without ``ctx`` and save state here instead."""
        raise NotImplementedError("setup_context is not overridden by this Function")

    @classmethod
    def apply(cls, *args, **kwargs):

        if cls is Function:
            raise RuntimeError("Function.apply must be called on a subclass of Function")
        node = object.__new__(cls._node_class)
        node._init_node()
        tensors = [a if isinstance(a, TensorBase) else None for a in args]
        recording = STATE.enabled and any(t is not None and t._rg for t in tensors)
        node.needs_input_grad = tuple(t is not None and t._rg for t in tensors)
        prev = STATE.enabled
        STATE.enabled = False
        try:
            if cls.setup_context is Function.setup_context:
                outputs = cls.forward(node, *args, **kwargs)
            else:  # PyTorch 2 style: forward(*args) then setup_context(ctx, inputs, output)
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(node, args, outputs)
        finally:
            STATE.enabled = prev
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not recording:
            return outputs
        keep_exact_sink_timing()  # (its backward is user code, which may read ``.grad``)
        node.next_functions = tuple(edge_of(t) for t in tensors if t is not None)
        node._tensor_positions = tuple(i for i, t in enumerate(tensors) if t is not None)
        node._in_meta = [(t._data.shape, t._data.dtype) for t in tensors if t is not None]
        node.n_outputs = len(outs)
        node._special = True  # the engine's general path: user code, several outputs
        node._out_meta = [
            (o._data.shape, o._data.dtype) if isinstance(o, TensorBase) else ((), float)
            for o in outs
        ]
        non_diff = getattr(node, "_non_differentiable", set())
        results = []
        for i, o in enumerate(outs):
            if isinstance(o, TensorBase) and id(o) not in non_diff and o._data.dtype.kind == "f":
                if o.grad_fn is not None or any(o is t for t in tensors):
                    o = o.detach() if not any(o is d for d in getattr(node, "_dirty", ())) else o
                o.grad_fn = node
                o._out_idx = i
                o._rg = True
            results.append(o)
        if RECORD_HOOKS and isinstance(results[0], TensorBase):  # anomaly mode / viz.watch()
            for hook in RECORD_HOOKS:
                hook(node, args, results[0])
        return results[0] if single else tuple(results)


def once_differentiable(backward):
    """Mark a custom ``backward`` as not differentiable again: it runs without recording."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            return backward(ctx, *grads)
        finally:
            STATE.enabled = prev

    return wrapper
