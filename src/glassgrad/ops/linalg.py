"""Matrix products: matmul in all its forms, and addmm (the op behind nn.Linear)."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad.ops import _dual as D
from glassgrad.ops._op import Op
from glassgrad.ops.elementwise import promoted_arrays
from glassgrad.tensor import Tensor


def _needs(ctx, i: int) -> bool:
    return ctx.next_functions[i][0] is not None


class Mm(Op):
    """(n, k) @ (k, m)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        grad_a = grad @ D.swap_last(b) if _needs(ctx, 0) else None
        grad_b = D.swap_last(a) @ grad if _needs(ctx, 1) else None
        return grad_a, grad_b


class Bmm(Mm):
    """Batched (b, n, k) @ (b, k, m)."""


class Matmul(Mm):
    """Broadcast batched matmul (>= 3-D operands)."""

    node_name = "UnsafeViewBackward0"


class Mv(Op):
    """(n, k) @ (k,)."""

    @staticmethod
    def forward(ctx, a, v):
        ctx.save(a, v)
        return a @ v

    @staticmethod
    def backward(ctx, grad):
        a, v = ctx.saved
        grad_a = _outer(grad, v) if _needs(ctx, 0) else None
        grad_v = D.swap_last(a) @ grad if _needs(ctx, 1) else None
        return grad_a, grad_v


class Vm(Op):
    """(k,) @ (k, m), recorded like PyTorch as a squeezed mm."""

    node_name = "SqueezeBackward4"

    @staticmethod
    def forward(ctx, v, b):
        ctx.save(v, b)
        return v @ b

    @staticmethod
    def backward(ctx, grad):
        v, b = ctx.saved
        grad_v = b @ grad if _needs(ctx, 0) else None
        grad_b = _outer(v, grad) if _needs(ctx, 1) else None
        return grad_v, grad_b


class Dot(Op):
    """(k,) @ (k,)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return xp.dot(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        return (grad * b if _needs(ctx, 0) else None), (grad * a if _needs(ctx, 1) else None)


class Outer(Op):
    """Outer product of two vectors."""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return xp.outer(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        return (grad @ b if _needs(ctx, 0) else None), (a @ grad if _needs(ctx, 1) else None)


def _outer(a, b):
    return a.reshape((-1, 1)) * b.reshape((1, -1))


class Addmm(Op):
    """beta * bias + alpha * (a @ b), the fused op behind nn.Linear."""

    @staticmethod
    def forward(ctx, bias, a, b, beta=1, alpha=1):
        ctx.save(a, b)
        ctx.scales = (beta, alpha)
        prod = a @ b
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return prod
        return prod + (bias if beta == 1 else bias * beta)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        beta, alpha = ctx.scales
        grad_bias = (grad if beta == 1 else grad * beta) if _needs(ctx, 0) else None
        g = grad if alpha == 1 else grad * alpha
        grad_a = g @ D.swap_last(b) if _needs(ctx, 1) else None
        grad_b = D.swap_last(a) @ g if _needs(ctx, 2) else None
        return grad_bias, grad_a, grad_b


# ----------------------------------------------------------------------------- public functions
def _shapes_error(what, a: Tensor, b: Tensor, detail: str) -> RuntimeError:
    return RuntimeError(
        f"{what}: mat1 and mat2 shapes cannot be multiplied ({detail}); got shapes "
        f"{list(a.shape)} and {list(b.shape)}. The last dimension of the first must equal the "
        "first (matrix) dimension of the second; transpose one (.T) or reshape."
    )


def _dtype_check(what, a: Tensor, b: Tensor):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"{what}: expected both operands to have the same dtype, but got {a.dtype!r} != "
            f"{b.dtype!r}; convert one, e.g. b.to(a.dtype)"
        )


def matmul(a, b) -> Tensor:
    from glassgrad.ops.elementwise import as_operand

    a, b = as_operand(a, "input"), as_operand(b)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{getattr(a, 'ndim', 0)}D and {getattr(b, 'ndim', 0)}D"
        )
    _dtype_check("matmul", a, b)
    na, nb = a.ndim, b.ndim
    k_a = a.shape[-1]
    k_b = b.shape[0] if nb == 1 else b.shape[-2]
    if k_a != k_b:
        if na == 1 and nb == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{k_a}] and src [{k_b}] to have the "
                f"same number of elements, but got {k_a} and {k_b} elements respectively"
            )
        rows = 1 if na == 1 else int(xp.prod(a.shape[:-1]))
        cols = 1 if nb == 1 else b.shape[-1]
        raise _shapes_error("matmul", a, b, f"{rows}x{k_a} and {k_b}x{cols}")
    if na == 1 and nb == 1:
        return Dot.apply(a, b)
    if na == 2 and nb == 2:
        return Mm.apply(a, b)
    if na == 2 and nb == 1:
        return Mv.apply(a, b)
    if na == 1 and nb == 2:
        return Vm.apply(a, b)
    try:
        xp.broadcast_shapes(a.shape[:-2] if na > 2 else (), b.shape[:-2] if nb > 2 else ())
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions {list(a.shape[:-2])} and {list(b.shape[:-2])} do not "
            "broadcast"
        ) from None
    if na == 3 and nb == 3 and a.shape[0] == b.shape[0]:
        return Bmm.apply(a, b)
    if nb == 1:
        return Matmul.apply(a, b.unsqueeze(-1)).squeeze(-1)
    if na == 1:
        return Matmul.apply(a.unsqueeze(0), b).squeeze(-2)
    return Matmul.apply(a, b)


def mm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(
            f"mm: both arguments must be 2-D matrices, got {a.ndim}-D and {b.ndim}-D"
            f" (shapes {list(a.shape)} and {list(b.shape)}); use matmul for other ranks"
        )
    if a.shape[1] != b.shape[0]:
        raise _shapes_error("mm", a, b, f"{a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]}")
    _dtype_check("mm", a, b)
    return Mm.apply(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (got {a.ndim}-D and {b.ndim}-D)")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
            f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    _dtype_check("bmm", a, b)
    return Bmm.apply(a, b)


def mv(a: Tensor, v: Tensor) -> Tensor:
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"mv: expected a matrix and a vector with matching sizes, got shapes "
            f"{list(a.shape)} and {list(v.shape)}"
        )
    return Mv.apply(a, v)


def dot(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, got {a.ndim}D and {b.ndim}D")
    da, db = promoted_arrays(a, b)
    return Outer.run((a, b), (da, db), {})


def addmm(bias: Tensor, a: Tensor, b: Tensor, *, beta=1, alpha=1) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"addmm: mat1 and mat2 must be matrices, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[1] != b.shape[0]:
        raise _shapes_error(
            "addmm", a, b, f"{a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]}"
        )
    _dtype_check("addmm", a, b)
    out_shape = (a.shape[0], b.shape[1])
    try:
        if xp.broadcast_shapes(bias.shape, out_shape) != out_shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(
            f"addmm: the bias of shape {list(bias.shape)} does not broadcast to the product's "
            f"shape {list(out_shape)}"
        ) from None
    return Addmm.apply(bias, a, b, beta=beta, alpha=alpha)
