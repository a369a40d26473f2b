"""``backward()`` and ``grad()``: gradients of given roots, through the engine.

``Tensor.backward()`` comes here for everything but its plain one-element case; both check
their arguments as PyTorch does, make the roots' starting gradients and run the engine.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from glassgrad import _creation
from glassgrad._backend import ndarray, xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.autograd.engine import run_backward, sum_to
from glassgrad.autograd.graph import BACKWARD_CALL_HOOKS

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor

__all__ = ["backward", "grad"]


CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using "
    "autograd.grad when creating the graph to avoid this. If you have to use this function, "
    "make sure to reset the .grad fields of your parameters to None after use to break the "
    "cycle and avoid the leak."
)
_warned_create_graph = False


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _root_grads(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor | float | None] | None,
    create_graph: bool,
    what: str,
) -> list:

    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None and i < len(grad_outputs) else None
        if not isinstance(out, TensorBase):
            raise TypeError(f"{what}: expected a Tensor, got {type(out).__name__}")
        if not out._rg:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn. "
                "Did you forget requires_grad=True on the leaf tensor, or run the forward "
                "pass under torch.no_grad()?"
            )
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (this output has "
                    f"shape {list(out.shape)}); pass gradient=torch.ones_like(out), or reduce "
                    "it first, e.g. out.sum().backward()"
                )
            array = xp.ones(out._data.shape, dtype=out._data.dtype)
            grads.append(_wrap(array) if create_graph else array)
        else:
            if not isinstance(g, TensorBase):
                g = _creation.tensor(g, dtype=out.dtype)
            if g.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                    f"has a shape of {out.shape}."
                )
            if g.dtype != out.dtype:  # PyTorch casts it to the output's dtype first
                g = g.to(out.dtype)
            grads.append(g if create_graph else g._data)
    return grads


def _wrap(array):

    return _new_tensor(array)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the graph's leaves."""
    tensors = _as_tuple(tensors)
    for hook in BACKWARD_CALL_HOOKS:  # (``graph.register_backward_call_hook``)
        hook(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    inputs = _as_tuple(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    global _warned_create_graph
    if create_graph and inputs is None and not _warned_create_graph:
        _warned_create_graph = True  # PyTorch warns once per process
        warnings.warn(CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    grads = _root_grads(tensors, grad_tensors, create_graph, "backward")
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    captured = run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs)
    if inputs is not None:  # non-leaf inputs get their gradient in .grad too, as in PyTorch
        for t, g in zip(inputs, captured):
            if t.grad_fn is not None and g is not None and not t.retains_grad:
                _accumulate_non_leaf(t, g, create_graph)


def _accumulate_non_leaf(t: Tensor, g: Tensor | ndarray, create_graph: bool) -> None:

    if not isinstance(g, TensorBase):
        g = _wrap(g.astype(t._data.dtype, copy=True))
    elif not create_graph:
        g = g.detach()
    t._grad = g if t._grad is None else t._grad + g


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Return d(outputs)/d(inputs) without touching ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(inputs):
        if not t._rg:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) does not require grad; set "
                "requires_grad=True on it."
            )
    grads = _root_grads(outputs, grad_outputs, create_graph, "grad")
    captured = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, capture=True)
    results = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if materialize_grads:
                results.append(_wrap(xp.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            results.append(None)
            continue
        if isinstance(g, TensorBase):
            results.append(g)
        else:
            if g.dtype != t._data.dtype:
                g = g.astype(t._data.dtype)
            if g.shape != t._data.shape:
                g = sum_to(g, t._data.shape)
            results.append(_wrap(g.copy()))
    return tuple(results)
