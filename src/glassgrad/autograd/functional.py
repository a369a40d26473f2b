"""Whole derivatives of a function: ``jacobian``, ``hessian`` and their products with vectors.

Each is built from ``autograd.grad`` one output element (or one vector) at a time, as
PyTorch's default (non-vectorized) strategy is. Inputs are detached first, so the function
sees fresh leaves; results carry no graph unless ``create_graph=True``.
"""

from __future__ import annotations

from glassgrad._creation import ones_like, zeros, zeros_like
from glassgrad._tensor_base import TensorBase
from glassgrad.autograd import grad as _grad
from glassgrad.autograd.grad_mode import enable_grad
from glassgrad.ops.movement import stack

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _tuple(x, what: str) -> tuple[bool, tuple]:

    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, TensorBase):
            raise TypeError(
                f"The {what} given to an autograd.functional function must be a Tensor or a "
                f"tuple of Tensors, but element {i} has type {type(t).__name__}."
            )
    return is_tuple, items


def _leaves(inputs: tuple, create_graph: bool) -> tuple:
    """Fresh leaves for the inputs (kept in the caller's graph when create_graph)."""
    if create_graph:
        return tuple(
            t.view_as(t) if t.requires_grad else t.detach().requires_grad_() for t in inputs
        )
    return tuple(t.detach().requires_grad_() for t in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph: bool) -> tuple:
    """``autograd.grad`` with zeros for inputs the outputs do not depend on."""
    needed = [o for o in outputs if o.requires_grad]
    if not needed:
        return tuple(zeros_like(t) for t in inputs)
    gouts = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    got = _grad(
        needed, inputs, gouts, retain_graph=True, create_graph=create_graph, allow_unused=True
    )
    return tuple(zeros_like(t) if g is None else g for g, t in zip(got, inputs))


def _finish(t, create_graph: bool):
    return t if create_graph else t.detach()


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """d func(inputs) / d inputs, shaped ``output.shape + input.shape`` per (output, input)."""
    in_tuple, inputs = _tuple(inputs, "inputs")
    with enable_grad():
        leaves = _leaves(inputs, create_graph)
        out_tuple, outputs = _tuple(func(*leaves), "outputs of the user-provided function")
        blocks = []
        for out in outputs:
            flat = out.reshape(-1)
            rows = []
            for k in range(flat.numel()):
                one = zeros(flat.shape, dtype=flat.dtype)
                one[k] = 1
                rows.append(_grads((flat,), leaves, (one,), create_graph))
            per_input = []
            for j, leaf in enumerate(leaves):
                if rows:
                    jac = stack([r[j] for r in rows]).reshape(*out.shape, *leaf.shape)
                else:
                    jac = zeros(*out.shape, *leaf.shape, dtype=leaf.dtype)
                per_input.append(_finish(jac, create_graph))
            blocks.append(tuple(per_input) if in_tuple else per_input[0])
    return tuple(blocks) if out_tuple else blocks[0]


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """Second derivatives of a scalar function, shaped ``input_i.shape + input_j.shape``."""
    in_tuple, inputs = _tuple(inputs, "inputs")

    def gradient(*xs):
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError(
                "The function given to hessian should return a single element Tensor, but it "
                f"returned a Tensor with {out.numel()} elements."
            )
        return _grads((out.reshape(()),), xs, (None,), create_graph=True)

    result = jacobian(gradient, inputs, create_graph=create_graph)
    return result if in_tuple else result[0][0]


def _check_v(v, inputs: tuple, what: str) -> tuple:
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                f"The vector v can only be None if the {what} is a single Tensor with a single "
                "element."
            )
        return (ones_like(inputs[0]),)
    _, vs = _tuple(v, "v")
    if len(vs) != len(inputs) or any(a.shape != b.shape for a, b in zip(vs, inputs)):
        raise RuntimeError(
            f"v has to have the same shapes as the {what}: got "
            f"{[list(a.shape) for a in vs]} for {[list(b.shape) for b in inputs]}"
        )
    return vs


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass."""
    in_tuple, inputs = _tuple(inputs, "inputs")
    with enable_grad():
        leaves = _leaves(inputs, create_graph)
        out_tuple, outputs = _tuple(func(*leaves), "outputs of the user-provided function")
        vs = _check_v(v, outputs, "output of the user-provided function")
        got = _grads(outputs, leaves, vs, create_graph)
    outs = tuple(_finish(o, create_graph) for o in outputs)
    got = tuple(_finish(g, create_graph) for g in got)
    return (outs if out_tuple else outs[0]), (got if in_tuple else got[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by differentiating a vjp in its vector."""
    _in_tuple, inputs = _tuple(inputs, "inputs")
    vs = _check_v(v, inputs, "inputs")
    with enable_grad():
        leaves = _leaves(inputs, create_graph)
        out_tuple, outputs = _tuple(func(*leaves), "outputs of the user-provided function")
        dummies = tuple(zeros_like(o).requires_grad_() for o in outputs)
        back = _grads(outputs, leaves, dummies, create_graph=True)
        got = _grads(back, dummies, vs, create_graph)
    outs = tuple(_finish(o, create_graph) for o in outputs)
    got = tuple(_finish(g, create_graph) for g in got)
    return (outs if out_tuple else outs[0]), (got if out_tuple else got[0])


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar function."""
    in_tuple, inputs = _tuple(inputs, "inputs")
    vs = _check_v(v, inputs, "inputs")
    with enable_grad():
        leaves = _leaves(inputs, create_graph)
        out = func(*leaves)
        if out.numel() != 1:
            raise RuntimeError(
                "The function given to vhp/hvp should return a single element Tensor, but it "
                f"returned a Tensor with {out.numel()} elements."
            )
        first = _grads((out.reshape(()),), leaves, (None,), create_graph=True)
        got = _grads(first, leaves, vs, create_graph)
    got = tuple(_finish(g, create_graph) for g in got)
    return _finish(out, create_graph), (got if in_tuple else got[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar function (H is symmetric, so this is vhp)."""
    return vhp(func, inputs, v, create_graph, strict)
