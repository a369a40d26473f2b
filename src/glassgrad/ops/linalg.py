"""Matrix products: matmul in all its forms, and addmm (the op behind nn.Linear)."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from glassgrad._backend import xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.ops import _dual as D
from glassgrad.ops._api import api
from glassgrad.ops._dispatch import _NO_PARAMS, as_operand, promoted_arrays
from glassgrad.ops._op import Op, needs_grad
from glassgrad.ops.inplace import _type_name
from glassgrad.ops.movement import TransposeT, expand

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor
from glassgrad.autograd.engine import sum_to
from glassgrad.ops._explain import ExplainRule, Local, transposed
from glassgrad.ops._op import NULL_CTX


def _transposed(x) -> bool:
    """A 2-D array laid out column by column (such as ``weight.t()``): PyTorch's own test in
    its mm backward (element strides ``(1, rows)``)."""
    if not D.is_array(x) or x.ndim != 2:
        return False
    step = x.itemsize
    row_step, column_step = x.strides
    return row_step == step and column_step == step * x.shape[0]


def _mat1_grad(grad, b, a):
    """d(a @ b)/da: ``grad @ b.T``, computed in ``a``'s layout as PyTorch's mm backward does."""
    if _transposed(a):
        return (b @ grad.T).T
    return grad @ D.swap_last(b)


def _mat2_grad(a, grad, b):
    """d(a @ b)/db: ``a.T @ grad``, computed in ``b``'s layout as PyTorch's mm backward does,
    so the gradient of a ``Linear`` weight (``b`` is ``weight.t()``) comes out row-major."""
    if _transposed(b):
        return (grad.T @ a).T
    return D.swap_last(a) @ grad


def _product_written(args, node):
    return f"{args[0]} @ {args[1]}" if len(args) == 2 else None


def _product_local(site, first: int, scale) -> Local:
    """``ḡ @ Bᵀ`` for the first factor of ``scale·(A @ B)``, ``Aᵀ @ ḡ`` for the second."""
    shape = site.in_shape
    a, b = site.value(first), site.value(first + 1)
    if site.index == first:

        def vjp(g):  # Mv/Dot have a vector second operand: the outer product with ḡ
            g = g * scale
            out = xp.multiply.outer(g, b) if b.ndim == 1 else g @ xp.swapaxes(b, -1, -2)
            return sum_to(out, shape)

        return Local(vjp, rule=f"ḡ @ {transposed(site.name(first + 1))}")

    def vjp(g):  # Dot: a vector first operand, a number ḡ
        g = g * scale
        out = g * a if a.ndim == 1 else xp.swapaxes(a, -1, -2) @ g
        return sum_to(out, shape)

    return Local(vjp, rule=f"{transposed(site.name(first))} @ ḡ")


class Mm(Op):
    """(n, k) @ (k, m)."""

    keeps_ctx_arrays = False
    saved_input_users = ((1,), (0,))

    explain = ExplainRule(
        written=_product_written, local=lambda site: _product_local(site, 0, 1), symbol="@"
    )

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        grad_a = _mat1_grad(grad, b, a) if needs_grad(ctx, 0) else None
        grad_b = _mat2_grad(a, grad, b) if needs_grad(ctx, 1) else None
        return grad_a, grad_b


class Bmm(Mm):
    """Batched (b, n, k) @ (b, k, m)."""


class Matmul(Op):
    """Broadcast batched matmul: an operand is >= 3-D, the other maybe 1-D."""

    keeps_ctx_arrays = False
    saved_input_users = ((1,), (0,))

    node_name = "UnsafeViewBackward0"

    explain = ExplainRule(
        written=_product_written, local=lambda site: _product_local(site, 0, 1), symbol="@"
    )

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return xp.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        a_vec, b_vec = len(a.shape) == 1, len(b.shape) == 1
        a2 = a.reshape((1, -1)) if a_vec else a
        b2 = b.reshape((-1, 1)) if b_vec else b
        g = grad
        if b_vec:
            g = g.reshape(tuple(g.shape) + (1,))
        if a_vec:
            g = g.reshape(tuple(g.shape[:-1]) + (1, g.shape[-1]))
        grad_a = grad_b = None
        if needs_grad(ctx, 0):
            grad_a = g @ D.swap_last(b2)
            if a_vec:
                grad_a = grad_a.reshape(tuple(grad_a.shape[:-2]) + (grad_a.shape[-1],))
        if needs_grad(ctx, 1):
            grad_b = D.swap_last(a2) @ g
            if b_vec:
                grad_b = grad_b.reshape(tuple(grad_b.shape[:-1]))
        return grad_a, grad_b


class Mv(Op):
    """(n, k) @ (k,)."""

    saved_input_users = ((1,), (0,))

    explain = ExplainRule(
        written=_product_written, local=lambda site: _product_local(site, 0, 1), symbol="@"
    )

    @staticmethod
    def forward(ctx, a, v):
        ctx.save(a, v)
        return a @ v

    @staticmethod
    def backward(ctx, grad):
        a, v = ctx.saved
        grad_a = _outer(grad, v) if needs_grad(ctx, 0) else None
        grad_v = D.swap_last(a) @ grad if needs_grad(ctx, 1) else None
        return grad_a, grad_v


class Vm(Op):
    """(k,) @ (k, m), recorded like PyTorch as a squeezed mm."""

    node_name = "SqueezeBackward4"
    saved_input_users = ((1,), (0,))

    @staticmethod
    def forward(ctx, v, b):
        ctx.save(v, b)
        return v @ b

    @staticmethod
    def backward(ctx, grad):
        v, b = ctx.saved
        grad_v = b @ grad if needs_grad(ctx, 0) else None
        grad_b = _outer(v, grad) if needs_grad(ctx, 1) else None
        return grad_v, grad_b


class Dot(Op):
    """(k,) @ (k,)."""

    saved_input_users = ((1,), (0,))

    explain = ExplainRule(
        written=_product_written, local=lambda site: _product_local(site, 0, 1), symbol="·"
    )

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return xp.dot(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        return (grad * b if needs_grad(ctx, 0) else None), (
            grad * a if needs_grad(ctx, 1) else None
        )


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
        return (grad @ b if needs_grad(ctx, 0) else None), (
            a @ grad if needs_grad(ctx, 1) else None
        )


def _outer(a, b):
    return a.reshape((-1, 1)) * b.reshape((1, -1))


def _addmm_written(args, node):
    return f"{args[1]} @ {args[2]} + {args[0]}" if len(args) == 3 else None


def _addmm_replay(node, args, shape, dtype):
    """The forward again with the scales the node kept as ``scales``."""
    beta, alpha = node.scales
    out = xp.asarray(type(node).forward(NULL_CTX, *args, beta=beta, alpha=alpha))
    return out if shape is None else xp.reshape(out, shape)


def _addmm_local(site) -> Local:
    """The bias gets ḡ summed to its shape; the factors as in ``a @ b``, scaled by alpha."""
    beta, alpha = site.node.scales
    if site.index == 0:
        shape = site.in_shape
        return Local(lambda g: sum_to(g * beta, shape), rule="ḡ summed to the bias shape")
    return _product_local(site, 1, alpha)


class Addmm(Op):
    """beta * bias + alpha * (a @ b), the fused op behind nn.Linear."""

    keeps_ctx_arrays = False

    explain = ExplainRule(
        written=_addmm_written, local=_addmm_local, replay=_addmm_replay, symbol="@ +"
    )

    @staticmethod
    def forward(ctx, bias, a, b, beta=1, alpha=1):
        ctx.save(a, b)
        ctx.scales = (beta, alpha)
        prod = a @ b
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return prod
        term = bias if beta == 1 else bias * beta
        if isinstance(term, xp.ndarray) and term.dtype == prod.dtype:  # one array fewer
            prod += term  # (addmm checked that the bias broadcasts to the product's shape)
            return prod
        return prod + term

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        beta, alpha = ctx.scales
        bias_edge, a_edge, b_edge = ctx.next_functions
        g = grad if alpha == 1 else grad * alpha
        return (
            ((grad if beta == 1 else grad * beta) if bias_edge[0] is not None else None),
            (_mat1_grad(g, b, a) if a_edge[0] is not None else None),
            (_mat2_grad(a, g, b) if b_edge[0] is not None else None),
        )


class MatmulExpanded(Matmul):
    """matrix @ batch where the matrix needs a gradient: PyTorch ends with an expand + clone."""

    node_name = "CloneBackward0"


def _diagonal_where(rows: int, cols: int, offset: int):
    """Row and column indices of diagonal ``offset`` of a rows x cols matrix."""
    if offset >= 0:
        n = max(0, min(rows, cols - offset))
        return xp.arange(n), xp.arange(n) + offset
    n = max(0, min(rows + offset, cols))
    return xp.arange(n) - offset, xp.arange(n)


class DiagEmbed(Op):
    """``diag`` of a vector: a square matrix with the vector on diagonal ``offset``."""

    @staticmethod
    def forward(ctx, v, offset=0):
        n = v.shape[0] + abs(offset)
        ctx.where = _diagonal_where(n, n, offset)
        return xp.diag(v, offset)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.where]


class Diagonal(Op):
    """``diag`` of a matrix: its diagonal ``offset`` as a vector (a copy)."""

    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, a, offset=0):
        ctx.shape = a.shape
        ctx.where = where = _diagonal_where(a.shape[0], a.shape[1], offset)
        return a[where]

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_with(grad, ctx.where, ctx.shape, accumulate=False)


class Trace(Op):
    """Sum of the main diagonal of a matrix."""

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        ctx.where = where = _diagonal_where(a.shape[0], a.shape[1], 0)
        return a[where].sum()

    @staticmethod
    def backward(ctx, grad):
        n = ctx.where[0].shape
        return D.zeros_with(D.expand(grad, n), ctx.where, ctx.shape, accumulate=False)


class Einsum(Op):
    """Einstein summation over explicit subscripts (ellipses already spelled out)."""

    @staticmethod
    def forward(ctx, *arrays, subs, out):
        ctx.save(*arrays)
        ctx.subs, ctx.out = subs, out
        return xp.einsum(",".join(subs) + "->" + out, *arrays)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved
        grads = []
        for i, sub in enumerate(ctx.subs):
            if ctx.next_functions[i][0] is None:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.subs) if j != i]
            unique = "".join(dict.fromkeys(sub))
            elsewhere = set(ctx.out).union(*others)
            keep = "".join(c for c in unique if c in elsewhere)
            rest = [o for j, o in enumerate(operands) if j != i]
            g = _einsum(",".join([ctx.out, *others]) + "->" + keep, grad, *rest)
            sizes = dict(zip(sub, operands[i].shape))
            if keep != unique:  # letters summed only within this operand: broadcast back
                g = g.reshape(tuple(sizes[c] if c in keep else 1 for c in unique))
                g = D.expand(g, tuple(sizes[c] for c in unique))
            if unique != sub:  # repeated letters (a diagonal): place on it
                grids = xp.ix_(*(xp.arange(sizes[c]) for c in unique))
                where = tuple(grids[unique.index(c)] for c in sub)
                g = D.zeros_with(g, where, tuple(operands[i].shape), accumulate=False)
            grads.append(g)
        return tuple(grads)


def _einsum(equation: str, *operands):
    if all(D.is_array(o) for o in operands):
        return xp.einsum(equation, *operands)
    return einsum(equation, *operands)


class Inverse(Op):
    """Matrix inverse (batched)."""

    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a):
        out = xp.linalg.inv(a)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (inv,) = ctx.saved
        inv_t = D.swap_last(inv)
        return -(inv_t @ (grad @ inv_t))


class Solve(Op):
    """X with A @ X = B; a vector B is solved as a one-column matrix."""

    node_name = "LinalgSolveExBackward0"
    differentiable_backward = False

    @staticmethod
    def forward(ctx, a, b, vector=False):
        out = xp.linalg.solve(a, b[..., None] if vector else b)
        ctx.save(a, out)
        ctx.vector = vector
        return out[..., 0] if vector else out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        grad_b = xp.linalg.solve(D.swap_last(a), grad[..., None] if ctx.vector else grad)
        grad_a = -(grad_b @ D.swap_last(out))
        return grad_a, grad_b[..., 0] if ctx.vector else grad_b


class Det(Op):
    """Determinant (batched); the gradient is the cofactor matrix, also when singular."""

    node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        out = xp.asarray(xp.linalg.det(a))
        ctx.save(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        if not D.is_array(a):  # create_graph: det(A) A^-T with recorded ops (A invertible)
            scaled = (grad * out).reshape(tuple(grad.shape) + (1, 1))
            return scaled * D.swap_last(inverse(a))
        # det(A) A^-T = det(U) det(V^T) U diag(prod_{j != i} s_j) V^T, with A = U S V^T.
        # In float64, so float32 results round like PyTorch's LU-based ones (3.0, not 2.9999995).
        u, s, vt = xp.linalg.svd(a.astype(xp.promote_types(a.dtype, xp.float64)))
        ones = xp.ones(s.shape[:-1] + (1,), dtype=s.dtype)
        left = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
        right = xp.flip(
            xp.cumprod(xp.concatenate([ones, xp.flip(s, -1)[..., :-1]], axis=-1), axis=-1), -1
        )
        sign = xp.linalg.det(u) * xp.linalg.det(vt)
        cofactor = (u * (left * right)[..., None, :]) @ vt
        cofactor = (cofactor * sign[..., None, None]).astype(a.dtype)
        return xp.asarray(grad)[..., None, None] * cofactor


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


@api()
def matmul(a, b) -> Tensor:
    a, b = as_operand(a, "input"), as_operand(b)
    if not isinstance(a, TensorBase) or not isinstance(b, TensorBase) or a.ndim == 0 or b.ndim == 0:
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
    if na == 2 and a._rg:
        return MatmulExpanded.apply(a, b)
    return Matmul.apply(a, b)


@api()
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


@api()
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


@api()
def mv(a: Tensor, v: Tensor) -> Tensor:
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"mv: expected a matrix and a vector with matching sizes, got shapes "
            f"{list(a.shape)} and {list(v.shape)}"
        )
    return Mv.apply(a, v)


@api("dot", "inner")
def dot(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)


@api("outer", "ger")
def outer(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, got {a.ndim}D and {b.ndim}D")
    da, db = promoted_arrays(a, b)
    return Outer.run((a, b), (da, db), {})


@api()
def addmm(bias: Tensor, a: Tensor, b: Tensor, *, beta=1, alpha=1) -> Tensor:
    sa, sb = a._data.shape, b._data.shape
    if len(sa) != 2 or len(sb) != 2:
        raise RuntimeError(f"addmm: mat1 and mat2 must be matrices, got {a.ndim}-D and {b.ndim}-D")
    if sa[1] != sb[0]:
        raise _shapes_error(
            "addmm", a, b, f"{a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]}"
        )
    _dtype_check("addmm", a, b)
    if isinstance(bias, TensorBase) and bias._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {_type_name(bias.dtype)} and "
            f"{_type_name(b.dtype)} (addmm's bias must have the matrices' dtype; convert it, "
            "e.g. bias.to(mat1.dtype))"
        )
    out_shape = (sa[0], sb[1])
    bias_shape = bias._data.shape if isinstance(bias, TensorBase) else ()
    if bias_shape != out_shape[2 - len(bias_shape) :] and (  # an exact match is the usual case
        len(bias_shape) > 2
        or any(s not in (1, o) for s, o in zip(reversed(bias_shape), reversed(out_shape)))
    ):
        raise RuntimeError(
            f"addmm: the bias of shape {list(bias.shape)} does not broadcast to the product's "
            f"shape {list(out_shape)}"
        ) from None
    return Addmm.apply(bias, a, b, beta=beta, alpha=alpha)


def linear(input: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """``addmm(bias, input, weight.t())``, nn.Linear's graph (``AddmmBackward0`` over
    ``TBackward0``), for a matrix ``input``. Arguments of the usual shapes and one dtype go
    straight to the two ops; anything else takes ``addmm``'s checks and error messages."""
    x, w = input._data, weight._data
    if isinstance(bias, TensorBase):
        b = bias._data
        dtype = x.dtype
        if (
            len(w.shape) == 2
            and b.shape == w.shape[:1]
            and x.shape[1] == w.shape[1]
            and w.dtype == dtype
            and b.dtype == dtype
        ):
            wt = TransposeT.run((weight,), (w, 0, 1), _NO_PARAMS)  # ``weight.t()``
            return Addmm.run((bias, input, wt), (b, x, wt._data), _NO_PARAMS)
    return addmm(bias, input, weight.t())


@api()
def diag(a: Tensor, diagonal: int = 0) -> Tensor:
    """A vector's diagonal matrix, or a matrix's diagonal vector."""
    if a.ndim == 1:
        return DiagEmbed.apply(a, offset=diagonal)
    if a.ndim == 2:
        return Diagonal.apply(a, offset=diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")


@api()
def trace(a: Tensor) -> Tensor:
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    if not a.is_floating_point():
        return _new_tensor(xp.asarray(xp.trace(a._data), dtype=xp.int64))
    return Trace.apply(a)


def _einsum_subscripts(equation: str, shapes: list) -> tuple:
    """Operand and output subscripts with ``...`` spelled out as letters; implicit output."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise RuntimeError(
            f"einsum(): {len(subs)} operands in the equation {equation!r} but {len(shapes)} "
            "tensors given"
        )
    spare = [c for c in string.ascii_letters if c not in eq]
    ell_dims = 0
    for sub, shape in zip(subs, shapes):
        if "..." in sub:
            ell_dims = max(ell_dims, len(shape) - (len(sub) - 3))
    ell = "".join(spare[:ell_dims])
    explicit = []
    for sub, shape in zip(subs, shapes):
        if "..." in sub:
            n = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_dims - n :])
        if len(sub) != len(shape) or not all(c.isalpha() for c in sub):
            raise RuntimeError(
                f"einsum(): the subscript {sub!r} does not fit an operand of shape {list(shape)} "
                f"in {equation!r}"
            )
        explicit.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(explicit)
        out = ell + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        )
    return explicit, out


@api(method=False, out=False)
def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum("bij,bjk->bik", a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    dtypes = {o.dtype for o in operands}
    if len(dtypes) > 1:
        raise RuntimeError(
            "einsum(): expected all operands to have the same dtype, got "
            f"{sorted(map(str, dtypes))}; convert them first, e.g. b.to(a.dtype)"
        )
    subs, out = _einsum_subscripts(equation, [o.shape for o in operands])
    sizes: dict = {}
    for sub, o in zip(subs, operands):
        for c, n in zip(sub, o.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise RuntimeError(
                    f"einsum(): operands do not broadcast: subscript {c!r} has size {sizes[c]} "
                    f"and {n} in {equation!r}"
                )
    missing = set(out) - set("".join(subs))
    if missing:
        raise RuntimeError(
            f"einsum(): output subscript {sorted(missing)[0]!r} does not appear in any operand"
        )
    operands = tuple(
        expand(o, *(sizes[c] for c in sub)) if tuple(o.shape) != tuple(sizes[c] for c in sub) else o
        for sub, o in zip(subs, operands)
    )
    return Einsum.apply(*operands, subs=tuple(subs), out=out)


def _square_check(a: Tensor, what: str) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"linalg.{what}: A must be batches of square matrices, but they are "
            f"{a.shape[-2] if a.ndim >= 2 else a.numel()} by {a.shape[-1] if a.ndim else 1} "
            f"matrices (shape {list(a.shape)})"
        )
    if not a.is_floating_point():
        raise RuntimeError(
            f"linalg.{what}: Expected a floating point tensor as input. Got {a.dtype!r}"
        )


@api()
def inverse(a: Tensor) -> Tensor:
    _square_check(a, "inv")
    try:
        return Inverse.apply(a)
    except xp.linalg.LinAlgError:
        raise RuntimeError(
            "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
            "because the input matrix is singular."
        ) from None


def solve(a: Tensor, b: Tensor) -> Tensor:
    """``torch.linalg.solve``: b is a vector when 1-D or shaped like A without its last dim."""
    _square_check(a, "solve")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if b.ndim == 0 or b.shape[-1 if vector else -2] != a.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"(A is {list(a.shape)}, B is {list(b.shape)})"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{a.dtype} and B of type {b.dtype} instead; convert one with .to()"
        )
    try:
        return Solve.apply(a, b, vector=vector)
    except xp.linalg.LinAlgError:
        raise RuntimeError(
            "torch.linalg.solve: The solver failed because the input matrix is singular."
        ) from None


@api()
def det(a: Tensor) -> Tensor:
    _square_check(a, "det")
    return Det.apply(a)
