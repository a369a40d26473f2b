"""Shape and movement ops: views, reshapes, joins, splits, indexing, copies."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from glassgrad import _dtypes
from glassgrad._backend import ndarray, xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad._warn import warn_at_user_line
from glassgrad.autograd.engine import sum_to
from glassgrad.autograd.grad_mode import is_grad_enabled
from glassgrad.ops import _dual as D
from glassgrad.ops._api import api
from glassgrad.ops._domain import Domain
from glassgrad.ops._explain import ExplainRule, Local, reshape_to, reshaped, signs
from glassgrad.ops._op import Op
from glassgrad.ops.elementwise import as_operand, where
from glassgrad.ops.reduce import norm_dims

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor


def _shape_arg(shape) -> tuple:
    """``view(2, 3)``, ``view((2, 3))`` and ``view(torch.Size([2, 3]))`` all mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _dim(dim: int, ndim: int) -> int:
    return norm_dims(dim, ndim)[0]  # a 0-d tensor accepts dims -1 and 0, as in PyTorch


class View(Op):
    """Same data, new shape."""

    keeps_ctx_arrays = False
    is_view = True

    explain = ExplainRule(local=reshaped, replay=reshape_to)

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Reshape(View):
    """``reshape`` of a non-contiguous tensor: a copy (PyTorch's clone + _unsafe_view)."""

    node_name = "UnsafeViewBackward0"
    is_view = False
    explain = ExplainRule(local=reshaped, replay=reshape_to)


def _transpose_replay(node, args, shape, dtype):
    """The forward again from the dimensions the node kept (``transpose`` and ``t()``)."""
    return xp.swapaxes(args[0], *node.dims).copy()


def _transpose_local(site) -> Local:
    """ḡ with the two dimensions swapped back."""
    d0, d1 = site.node.dims
    return Local(lambda g: xp.swapaxes(g, d0, d1), rule="ḡᵀ")


class Transpose(Op):
    """Swap two dimensions."""

    keeps_ctx_arrays = False
    is_view = True

    explain = ExplainRule(local=_transpose_local, replay=_transpose_replay)

    @staticmethod
    def forward(ctx, a, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return a.swapaxes(dim0, dim1)

    @staticmethod
    def backward(ctx, grad):
        return D.transpose(grad, *ctx.dims)


class TransposeInplace(Transpose):
    """``transpose_`` as PyTorch records it (``TransposeBackward1``), applied to a fresh result.

    Used where PyTorch transposes an intermediate of its own in place (the batch-first output
    of its native RNN and GRU), so the graph shows the same node."""

    node_name = "TransposeBackward1"


def _t_local(site) -> Local:
    """ḡᵀ (a vector's ``t()`` is itself)."""
    return Local(lambda g: xp.swapaxes(g, -1, -2) if xp.ndim(g) >= 2 else g, rule="ḡᵀ")


class TransposeT(Transpose):
    """``t()`` of a matrix."""

    node_name = "TBackward0"
    explain = ExplainRule(local=_t_local, replay=_transpose_replay)


class TView(View):
    """``t()`` of a vector or scalar: the same data, recorded under PyTorch's name."""

    node_name = "TBackward0"
    gradcheck_domain = Domain(max_dims=1)  # t() of a vector or scalar


def _permute_replay(node, args, shape, dtype):
    """The forward again: the permutation is the inverse of the one the node kept."""
    return xp.transpose(args[0], xp.argsort(node.inverse)).copy()


def _permute_local(site) -> Local:
    """ḡ with the inverse permutation."""
    inverse = site.node.inverse
    return Local(lambda g: xp.transpose(g, inverse), rule="ḡ permuted back")


class Permute(Op):
    """Reorder dimensions."""

    is_view = True

    explain = ExplainRule(local=_permute_local, replay=_permute_replay)

    @staticmethod
    def forward(ctx, a, dims):
        ctx.inverse = tuple(int(i) for i in xp.argsort(dims))
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return D.permute(grad, ctx.inverse)


class Unsqueeze(Op):
    """Insert a dimension of size 1."""

    is_view = True

    explain = ExplainRule(local=reshaped, replay=reshape_to)

    @staticmethod
    def forward(ctx, a, dim):
        ctx.shape = a.shape
        return xp.expand_dims(a, dim)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Squeeze(Op):
    """Drop all dimensions of size 1."""

    is_view = True

    explain = ExplainRule(local=reshaped, replay=reshape_to)

    @staticmethod
    def forward(ctx, a, dims=None):
        ctx.shape = a.shape
        if dims is None:
            return a.squeeze()
        keep = tuple(d for d in dims if a.shape[d] == 1)
        return a.squeeze(keep) if keep else a.view()

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class SqueezeDim(Squeeze):
    """Drop the given dimension if of size 1."""

    node_name = "SqueezeBackward1"
    explain = ExplainRule(local=reshaped, replay=reshape_to)


class SqueezeDims(Squeeze):
    """Drop the given dimensions (a tuple) where of size 1."""

    node_name = "SqueezeBackward2"


def _expand_local(site) -> Local:
    """ḡ summed over the broadcast dimensions."""
    shape = site.in_shape
    return Local(lambda g: sum_to(g, shape), rule=f"ḡ summed to {list(shape)}")


class Expand(Op):
    """Broadcast to a larger shape without copying."""

    is_view = True

    explain = ExplainRule(
        local=_expand_local,
        replay=lambda node, args, shape, dtype: xp.broadcast_to(args[0], shape).copy(),
    )

    @staticmethod
    def forward(ctx, a, shape):
        return xp.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine sums it back to the input's shape


class Cat(Op):
    """Join tensors along an existing dimension."""

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        out = []
        start = 0
        lead = (slice(None),) * ctx.dim
        for size in ctx.sizes:
            out.append(grad[lead + (slice(start, start + size),)])
            start += size
        return tuple(out)


class Stack(Op):
    """Join tensors along a new dimension."""

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        ctx.dim = dim
        return xp.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.dim
        return tuple(grad[lead + (i,)] for i in range(grad.shape[ctx.dim]))


class Split(Op):
    """One piece of ``split``/``chunk``: a slice along a dimension."""

    is_view = True

    @staticmethod
    def forward(ctx, a, dim, start, stop):
        ctx.shape = a.shape
        ctx.index = index = (slice(None),) * dim + (slice(start, stop),)
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_with(grad, ctx.index, ctx.shape, accumulate=False)


class SplitWithSizes(Split):
    """One piece of ``split`` with a list of sizes."""


class UnsafeSplit(Split):
    """One piece of ``unsafe_chunk``: a slice PyTorch's autograd does not track as a view
    (its native LSTM and GRU cells split their gates this way)."""

    is_view = False


def unsafe_chunk(a: Tensor, chunks: int, dim=0):
    """``chunk`` whose pieces are recorded as ``UnsafeSplitBackward0`` (not as views)."""
    size = a.shape[_dim(dim, a.ndim)]
    step = -(-size // chunks)
    d = _dim(dim, a.ndim)
    return tuple(
        UnsafeSplit.apply(a, dim=d, start=s, stop=min(s + step, size)) for s in range(0, size, step)
    )


class Unbind(Op):
    """One slice of ``unbind``: the ``i``-th entry along a dimension."""

    is_view = True

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape = a.shape
        ctx.index = index
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_with(grad, ctx.index, ctx.shape, accumulate=False)


class Index(Op):
    """Advanced indexing (integer arrays, bool masks): a copy."""

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape = a.shape
        ctx.index = index
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_with(grad, ctx.index, ctx.shape, accumulate=True)


class Select(Index):
    """Integer indexing: a view."""

    is_view = True

    gradcheck_domain = Domain(min_dims=1)  # indexes a dimension

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape = a.shape
        ctx.index = index
        out = a[index]
        # x[0] of a vector is a NumPy scalar, a copy: index with ... too for a 0-d view
        return out if type(out) is ndarray else a[tuple(index) + (Ellipsis,)]

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_with(grad, ctx.index, ctx.shape, accumulate=False)


class Slice(Select):
    """Slicing: a view."""


class IndexUnsqueeze(Select):
    """Indexing whose last effective item is None: a view with a new size-1 dimension."""

    node_name = "UnsqueezeBackward0"
    gradcheck_domain = Domain()  # any shape, 0-d too (unlike Select)


class Alias(Select):
    """``x[...]``: the same data."""

    explain = ExplainRule(local=reshaped, replay=reshape_to)
    gradcheck_domain = Domain()  # any shape, 0-d too (unlike Select)


class IndexSelect(Index):
    """``index_select``: rows picked by an index vector (repeats accumulate)."""


class MaskedSelect(Index):
    """``masked_select``: the elements where a mask holds, as a vector."""


class CopySlices(Op):
    """``x[index] = value`` recorded in the graph (PyTorch's ``CopySlices``)."""

    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, a, value, index):
        ctx.index = index
        out = a.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_a = (
            D.where(_written_mask(ctx), 0.0, grad)
            if D.is_array(grad)
            else grad * _new_tensor((~_written_mask(ctx)).astype(grad._data.dtype))
        )
        grad_value = grad[ctx.index] if ctx.next_functions[1][0] is not None else None
        return grad_a, grad_value


class IndexPut(CopySlices):
    """``x[mask_or_int_array] = value`` recorded in the graph (PyTorch's ``index_put_``)."""

    node_name = "IndexPutBackward0"


def _written_mask(ctx):
    shape = ctx._in_meta[0][0]
    mask = xp.zeros(shape, dtype=bool)
    mask[ctx.index] = True
    return mask


class Clone(Op):
    """A copy in new memory."""

    explain = ExplainRule(local=signs(1))

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class ToCopy(Op):
    """A copy converted to another dtype."""

    explain = ExplainRule(
        local=signs(1), replay=lambda node, args, shape, dtype: xp.asarray(args[0]).astype(dtype)
    )

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        if D.is_array(grad):
            return grad.astype(ctx.dtype)
        return grad.to(_dtypes.from_numpy_dtype(ctx.dtype))


class Flip(Op):
    """Reverse the order along dimensions."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return xp.flip(a, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return D.flip(grad, ctx.dims)


class Repeat(Op):
    """Tile the tensor ``repeats`` times along each dimension."""

    @staticmethod
    def forward(ctx, a, repeats):
        lead = len(repeats) - a.ndim
        ctx.shape = shape = (1,) * lead + a.shape
        ctx.repeats = repeats
        ctx.in_shape = a.shape
        return xp.tile(a.reshape(shape), repeats)

    @staticmethod
    def backward(ctx, grad):
        split = []
        for r, s in zip(ctx.repeats, ctx.shape):
            split += [r, s]
        g = D.sum(grad.reshape(tuple(split)), axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.in_shape)


class Gather(Op):
    """Pick values along a dimension by an index tensor."""

    @staticmethod
    def forward(ctx, a, index, dim):
        ctx.save(a)  # PyTorch saves the input too: changing it in place breaks backward
        ctx.shape = a.shape
        ctx.where = where = _along_axis(index, dim)
        return a[where]

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_with(grad, ctx.where, ctx.shape, accumulate=True)


def _along_axis(index: ndarray, dim: int):
    if index.ndim == 0:  # a 0-d tensor: the one element
        return ()
    grids = list(xp.ogrid[tuple(slice(0, s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


class MaskedFill(Op):
    """Replace values where a mask holds."""

    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask = xp.broadcast_to(mask, a.shape) if mask.shape != a.shape else mask
        return xp.where(mask, xp.asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, grad):
        return D.where(ctx.mask, 0.0, grad)


class Tril(Op):
    """Lower triangle of the last two dimensions."""

    @staticmethod
    def forward(ctx, a, diagonal=0):
        ctx.diagonal = diagonal
        return xp.tril(a, diagonal)

    @staticmethod
    def backward(ctx, grad):
        n, m = grad.shape[-2:]
        return D.mask(grad, xp.tri(n, m, ctx.diagonal, dtype=bool))


class Triu(Op):
    """Upper triangle of the last two dimensions."""

    @staticmethod
    def forward(ctx, a, diagonal=0):
        ctx.diagonal = diagonal
        return xp.triu(a, diagonal)

    @staticmethod
    def backward(ctx, grad):
        n, m = grad.shape[-2:]
        return D.mask(grad, ~xp.tri(n, m, ctx.diagonal - 1, dtype=bool))


class Roll(Op):
    """Shift elements circularly along dimensions (all elements when no dims)."""

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:
            return xp.roll(a.reshape(-1), shifts).reshape(a.shape)
        return xp.roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts) if ctx.dims is not None else -ctx.shifts
        return D.roll(grad, back, ctx.dims)


def _scatter_where(index: ndarray, dim: int):
    """Positions ``scatter`` writes: ``index`` along ``dim``, the element's own index elsewhere."""
    return _along_axis(index, dim)


def _leading(shape: tuple):
    """The leading block of a source tensor that ``scatter`` reads (index's shape)."""
    return tuple(slice(0, s) for s in shape)


class Scatter(Op):
    """A copy of ``a`` with ``src`` values written at ``index`` along ``dim``."""

    @staticmethod
    def forward(ctx, a, src, index, dim):
        ctx.where = where = _scatter_where(index, dim)
        ctx.src_shape = src.shape
        ctx.block = block = _leading(index.shape)
        out = a.copy()
        out[where] = src[block]
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_a = grad_src = None
        if ctx.next_functions[0][0] is not None:
            written = xp.zeros(grad.shape, dtype=bool)
            written[ctx.where] = True
            grad_a = D.where(written, 0.0, grad)
        if ctx.next_functions[1][0] is not None:
            grad_src = D.zeros_with(grad[ctx.where], ctx.block, ctx.src_shape, accumulate=False)
        return grad_a, grad_src


class ScatterValue(Op):
    """A copy of ``a`` with one number written at ``index`` along ``dim``."""

    node_name = "ScatterBackward1"

    @staticmethod
    def forward(ctx, a, value, index, dim):
        ctx.where = where = _scatter_where(index, dim)
        out = a.copy()
        out[where] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        written = xp.zeros(grad.shape, dtype=bool)
        written[ctx.where] = True
        return D.where(written, 0.0, grad)


class ScatterAdd(Op):
    """A copy of ``a`` with ``src`` values added at ``index`` along ``dim`` (repeats add up)."""

    @staticmethod
    def forward(ctx, a, src, index, dim):
        ctx.where = where = _scatter_where(index, dim)
        ctx.src_shape = src.shape
        ctx.block = block = _leading(index.shape)
        out = a.copy()
        xp.add.at(out, where, src[block])
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_src = None
        if ctx.next_functions[1][0] is not None:
            grad_src = D.zeros_with(grad[ctx.where], ctx.block, ctx.src_shape, accumulate=False)
        return grad, grad_src


class IndexAdd(Op):
    """A copy of ``a`` with ``alpha * source`` added at rows ``index`` along ``dim``."""

    @staticmethod
    def forward(ctx, a, source, index, dim, alpha):
        ctx.where = where = (slice(None),) * dim + (index,)
        ctx.alpha = alpha
        out = a.copy()
        xp.add.at(out, where, source if alpha == 1 else source * alpha)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_source = None
        if ctx.next_functions[1][0] is not None:
            picked = grad[ctx.where]
            grad_source = picked if ctx.alpha == 1 else picked * ctx.alpha
        return grad, grad_source


# ----------------------------------------------------------------------------- public functions
@api(function=False)
def view(a: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], _dtypes.dtype):
        return _new_tensor(a._data.view(shape[0].np))
    shape = _shape_arg(shape)
    _check_numel(a, shape)
    data = a._data
    if not data.flags.c_contiguous and data.size > 1:
        probe = data.view()
        try:
            probe.shape = tuple(s if s != -1 else _infer(a, shape) for s in shape)
        except AttributeError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None
    return View.apply(a, shape=shape)


def _infer(a: Tensor, shape) -> int:
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    return a.numel() // known if known else 0


def _check_numel(a: Tensor, shape) -> None:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    n = a.numel()
    ok = (n == known) if -1 not in shape else (known != 0 and n % known == 0) or n == 0
    if not ok:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {n} (input shape "
            f"{list(a.shape)}); the number of elements must stay the same"
        )


@api()
def reshape(a: Tensor, *shape) -> Tensor:
    shape = _shape_arg(shape)
    _check_numel(a, shape)
    if a._data.flags.c_contiguous:
        return View.apply(a, shape=shape)
    return Reshape.apply(a, shape=shape)


@api()
def flatten(a: Tensor, start_dim=0, end_dim=-1) -> Tensor:
    if a.ndim == 0:
        return reshape(a, 1)
    s, e = _dim(start_dim, a.ndim), _dim(end_dim, a.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return a
    shape = a.shape
    merged = -1 if a.numel() else math.prod(shape[s : e + 1])
    new = tuple(shape[:s]) + (merged,) + tuple(shape[e + 1 :])
    return reshape(a, new)


@api()
def unflatten(a: Tensor, dim, sizes) -> Tensor:
    d = _dim(dim, a.ndim)
    return reshape(a, tuple(a.shape[:d]) + tuple(sizes) + tuple(a.shape[d + 1 :]))


@api("transpose", "swapaxes", "swapdims")
def transpose(a: Tensor, dim0, dim1) -> Tensor:
    n = a.ndim
    dim0, dim1 = _dim(dim0, n), _dim(dim1, n)
    if n == 0:
        return View.apply(a, shape=())
    return Transpose.apply(a, dim0=dim0, dim1=dim1)


@api()
def t(a: Tensor) -> Tensor:
    ndim = a._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    if ndim < 2:
        return TView.apply(a, shape=a.shape)
    return TransposeT.apply(a, dim0=0, dim1=1)


@api()
def permute(a: Tensor, *dims) -> Tensor:
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = _shape_arg(dims)
    if len(dims) != a.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {a.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    dims = tuple(_dim(d, a.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(
            f"permute(): duplicate dims are not allowed (got dims {list(dims)} for a tensor of "
            f"shape {list(a.shape)}); name each dimension exactly once"
        )
    return Permute.apply(a, dims=dims)


@api(prop=True, function=False)
def T(a: Tensor) -> Tensor:
    if a.ndim != 2:
        warn_at_user_line(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
            if a.ndim == 0
            else "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.",
        )
    return Permute.apply(a, dims=tuple(reversed(range(a.ndim))))


@api(prop=True, function=False)
def mT(a: Tensor) -> Tensor:
    if a.ndim < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    return transpose(a, -2, -1)


@api()
def unsqueeze(a: Tensor, dim) -> Tensor:
    n = a.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return Unsqueeze.apply(a, dim=dim % n)


@api()
def squeeze(a: Tensor, dim=None) -> Tensor:
    if dim is None:
        return Squeeze.apply(a)
    op = SqueezeDim if isinstance(dim, int) else SqueezeDims
    return op.apply(a, dims=norm_dims(dim, a.ndim) if a.ndim else ())


@api(function=False)
def expand(a: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    if len(sizes) < a.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({a.ndim})"
        )
    lead = len(sizes) - a.ndim
    shape = []
    for i, s in enumerate(sizes):
        own = a.shape[i - lead] if i >= lead else 1
        if s == -1:
            if i < lead:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = own
        elif own not in (1, s):
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({own}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(a.shape)}"
            )
        shape.append(s)
    return Expand.apply(a, shape=tuple(shape))


@api(function=False)
def expand_as(a: Tensor, other: Tensor) -> Tensor:
    return expand(a, *other.shape)


@api()
def broadcast_to(a: Tensor, shape) -> Tensor:
    return expand(a, *shape)


def _joinable(tensors, what: str):
    tensors = [as_operand(t) for t in tensors]
    if not tensors:
        if what == "cat":
            raise ValueError("torch.cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{what} expects a non-empty TensorList")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = _dtypes.promote(dtype, t.dtype)
    return tensors, dtype


@api("cat", "concat", "concatenate", method=False)
def cat(tensors, dim=0, *, axis=None) -> Tensor:
    dim = axis if axis is not None else dim
    tensors, dtype = _joinable(tensors, "cat")
    kept = [t for t in tensors if not (t.ndim == 1 and t.numel() == 0)]
    if not kept:  # only legacy empty 1-D tensors: PyTorch ignores them and dim
        kept, dim = tensors, 0
    elif kept[0].ndim == 1:
        kept = tensors  # 1-D with 1-D: empty ones join normally (and get gradients)
    tensors = kept
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated; use "
                "torch.stack, or unsqueeze(0) the tensors first"
            )
    d = _dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}"
            )
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list."
                )
    arrays = [t._data if t._data.dtype == dtype.np else t._data.astype(dtype.np) for t in tensors]
    return Cat.run(tuple(tensors), arrays, {"dim": d})


concat = concatenate = cat


@api(method=False)
def stack(tensors, dim=0) -> Tensor:
    tensors, dtype = _joinable(tensors, "stack")
    ref = tensors[0]
    d = _dim(dim, ref.ndim + 1)
    for i, t in enumerate(tensors):
        if t.shape != ref.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref.shape)} at entry "
                f"0 and {list(t.shape)} at entry {i}"
            )
    arrays = [t._data if t._data.dtype == dtype.np else t._data.astype(dtype.np) for t in tensors]
    return Stack.run(tuple(tensors), arrays, {"dim": d})


@api(method=False, out=False)
def hstack(tensors) -> Tensor:
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


@api(method=False, out=False)
def vstack(tensors) -> Tensor:
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def _at_least_1d(a: Tensor, what: str) -> None:
    if a.ndim == 0:
        raise RuntimeError(f"{what} expects at least a 1-dimensional tensor (got a 0-d tensor)")


@api()
def split(a: Tensor, split_size_or_sections, dim=0):
    _at_least_1d(a, "split")
    d = _dim(dim, a.ndim)
    size = a.shape[d]
    op = Split
    if isinstance(split_size_or_sections, TensorBase):
        split_size_or_sections = split_size_or_sections.tolist()
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={step}"
            )
        bounds = [(s, min(s + step, size)) for s in range(0, size, step)] or [(0, 0)]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sections}"
            )
        op = SplitWithSizes
        bounds, start = [], 0
        for s in sections:
            bounds.append((start, start + s))
            start += s
    return tuple(op.apply(a, dim=d, start=b0, stop=b1) for b0, b1 in bounds)


@api()
def chunk(a: Tensor, chunks: int, dim=0):
    _at_least_1d(a, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = a.shape[_dim(dim, a.ndim)]
    step = -(-size // chunks) if size else 1
    return split(a, step, dim)


@api()
def unbind(a: Tensor, dim=0):
    if a.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _dim(dim, a.ndim)
    lead = (slice(None),) * d
    return tuple(Unbind.apply(a, index=lead + (i,)) for i in range(a.shape[d]))


@api()
def narrow(a: Tensor, dim, start, length) -> Tensor:
    if a.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, a.ndim)
    return getitem(a, (slice(None),) * d + (slice(start, start + length),))


# ----------------------------------------------------------------------------- indexing
def _convert_index(index):
    """Turn tensors inside an index into arrays; say whether the index is advanced."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    advanced = False
    has_int = False
    has_slice = False
    for item in index:
        if isinstance(item, TensorBase):
            arr = item._data
            if arr.dtype.kind == "f":
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors "
                    f"(got {item.dtype!r}); convert with .long()"
                )
            if arr.ndim == 0 and arr.dtype.kind in "iu":
                out.append(int(arr))
                has_int = True
                continue
            advanced = True
            out.append(arr)
        elif isinstance(item, (list, ndarray, range)):
            advanced = True
            arr = xp.arange(item.start, item.stop, item.step) if type(item) is range else item
            arr = xp.asarray(arr)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
        elif isinstance(item, bool):
            advanced = True
            out.append(item)
        elif isinstance(item, slice):
            has_slice = True
            out.append(slice(*(_slice_part(p) for p in (item.start, item.stop, item.step))))
        elif item is None or item is Ellipsis:
            out.append(item)
        else:
            try:
                out.append(int(item.__index__()))
            except (AttributeError, TypeError):
                raise IndexError(
                    f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                    f"Variables are valid indices (got {type(item).__name__})"
                ) from None
            has_int = True
    return tuple(out), advanced, has_int, has_slice


def _slice_part(p):
    if p is None:
        return None
    if isinstance(p, TensorBase):
        return int(p.item())
    return int(p.__index__())


def _consumed(item) -> int:
    """How many tensor dimensions an index item uses up."""
    if item is None or item is Ellipsis:
        return 0
    if isinstance(item, ndarray) and item.dtype == bool:
        return item.ndim  # a 0-d mask, like True, adds a dimension and uses none
    if item is True or item is False:
        return 0
    return 1


def _check_bounds(a: Tensor, index) -> None:
    """Name the dimension and size on out-of-range indices, as PyTorch does."""
    used = sum(_consumed(i) for i in index)
    if used > a.ndim:
        raise IndexError(
            f"too many indices for tensor of dimension {a.ndim} (shape {list(a.shape)}, "
            f"got {used} indices)"
        )
    dim = 0
    for item in index:
        if item is Ellipsis:
            dim += a.ndim - used
            continue
        if isinstance(item, int) and not isinstance(item, bool):
            size = a.shape[dim]
            if not -size <= item < size:
                raise IndexError(
                    f"index {item} is out of bounds for dimension {dim} with size {size}"
                )
        elif isinstance(item, ndarray) and item.dtype.kind in "iu" and item.size:
            size = a.shape[dim]
            bad = item[(item >= size) | (item < -size)]
            if bad.size:
                raise IndexError(
                    f"index {int(bad.flat[0])} is out of bounds for dimension {dim} "
                    f"with size {size}"
                )
        elif isinstance(item, ndarray) and item.dtype == bool:
            expected = a.shape[dim : dim + item.ndim]
            if item.shape != expected:
                raise IndexError(
                    f"The shape of the mask {list(item.shape)} at index {dim} does not match the "
                    f"shape of the indexed tensor {list(expected)}"
                )
        dim += _consumed(item)


def getitem(a: Tensor, index) -> Tensor:
    idx, advanced, _, _ = _convert_index(index)
    _check_bounds(a, idx)
    if advanced:
        return Index.apply(a, index=idx)
    return _basic_op(a, idx, not isinstance(index, tuple)).apply(a, index=idx)


def _basic_op(a: Tensor, idx: tuple, single: bool):
    """The node PyTorch records for basic indexing: that of the last step that did anything.

    PyTorch applies the items one by one and skips full slices inside a tuple.
    """
    op = Alias
    dim = 0
    used = sum(_consumed(i) for i in idx)
    for item in idx:
        if item is Ellipsis:
            dim += a.ndim - used
            continue
        if item is None:
            op = IndexUnsqueeze
            continue
        if isinstance(item, slice):
            if single or item.indices(a.shape[dim]) != (0, a.shape[dim], 1):
                op = Slice
        else:
            op = Select
        dim += 1
    return op


# ----------------------------------------------------------------------------- other copies
@api(method=False, out=False)
def clone(a: Tensor) -> Tensor:
    return Clone.apply(a)


@api()
def flip(a: Tensor, *args, dims=None) -> Tensor:
    dims = tuple(_dim(d, a.ndim) for d in _shape_arg(args if dims is None else (dims,)))
    return Flip.apply(a, dims=dims if a.ndim else ())


@api(function=False)
def repeat(a: Tensor, *repeats) -> Tensor:
    repeats = _shape_arg(repeats)
    if len(repeats) < a.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    return Repeat.apply(a, repeats=repeats)


@api()
def gather(a: Tensor, dim, index: Tensor) -> Tensor:
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {index.dtype!r}")
    d = _dim(dim, a.ndim)
    idx = index._data
    size = a.shape[d] if a.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(
            f"index {bad} is out of bounds for dimension {d} with size {size} (gather on "
            f"a tensor of shape {list(a.shape)}); indices must be in [0, {size - 1}]"
        )
    return Gather.apply(a, index=idx, dim=d)


@api()
def index_select(a: Tensor, dim, index: Tensor) -> Tensor:
    d = _dim(dim, a.ndim)
    idx = index._data if isinstance(index, TensorBase) else xp.asarray(index)
    if idx.ndim > 1 or idx.dtype.kind not in "iu":
        raise IndexError(
            f"index_select(): Index is supposed to be a vector of int64 (got shape "
            f"{list(idx.shape)}, dtype {_dtypes.from_numpy_dtype(idx.dtype)!r})"
        )
    if a.ndim == 0:  # a scalar: its one element, picked by one index 0
        if idx.size != 1:
            raise RuntimeError(
                f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)"
            )
        if int(idx.reshape(-1)[0]) != 0:
            raise IndexError("index out of range in self")
        return IndexSelect.apply(a, index=())
    if a.shape[d] == 0 and idx.size:
        if a.ndim == 1:  # PyTorch's error type differs for vectors
            raise IndexError(
                f"index out of range in self (indexing an empty tensor {list(a.shape)})"
            )
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    where = (slice(None),) * d + (idx.reshape(-1),)
    _check_bounds(a, where)
    return IndexSelect.apply(a, index=where)


@api()
def masked_fill(a: Tensor, mask: Tensor, value) -> Tensor:
    m = mask._data
    if m.dtype != bool:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype!r}"
        )
    if isinstance(value, TensorBase):
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        if value.requires_grad and is_grad_enabled():  # the filled entries' gradient reaches it
            return where(mask, value.to(a.dtype), a)
        value = value.item()
    try:
        shape = xp.broadcast_shapes(m.shape, a._data.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: the mask of shape {list(m.shape)} does not broadcast with the tensor "
            f"of shape {list(a.shape)}; the size of tensor a must match the size of tensor b at "
            "every non-singleton dimension"
        ) from None
    if shape != a._data.shape:
        a = expand(a, *shape)  # out of place, the result takes the broadcast shape
    return MaskedFill.apply(a, mask=m, value=value)


def _check_matrix(a: Tensor, what: str) -> None:
    if a.ndim < 2:
        raise RuntimeError(
            f"{what}: input tensor must have at least 2 dimensions (got shape {list(a.shape)})"
        )


@api()
def tril(a: Tensor, diagonal=0) -> Tensor:
    _check_matrix(a, "tril")
    return Tril.apply(a, diagonal=diagonal)


@api()
def triu(a: Tensor, diagonal=0) -> Tensor:
    _check_matrix(a, "triu")
    return Triu.apply(a, diagonal=diagonal)


@api()
def nonzero(a: Tensor, *, as_tuple=False):
    idx = xp.nonzero(a._data) if a.ndim else xp.nonzero(a._data.reshape(1))
    if as_tuple:
        return tuple(_new_tensor(i.astype(xp.int64)) for i in idx)
    return _new_tensor(
        xp.stack(idx, axis=1).astype(xp.int64) if idx else xp.zeros((0, 0), xp.int64)
    )


@api()
def masked_select(a: Tensor, mask: Tensor) -> Tensor:
    m = mask._data
    if m.dtype != bool:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype!r}")
    shape = xp.broadcast_shapes(a.shape, m.shape)
    if shape != a.shape:
        a = expand(a, *shape)
    return MaskedSelect.apply(a, index=(xp.broadcast_to(m, shape),))


@api()
def roll(a: Tensor, shifts, dims=None) -> Tensor:
    if dims is None:
        if not isinstance(shifts, int):
            (shifts,) = shifts
        return Roll.apply(a, shifts=int(shifts), dims=None)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if a.ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    return Roll.apply(a, shifts=shifts, dims=tuple(_dim(d, a.ndim) for d in dims))


def _index_tensor(index, what: str) -> ndarray:
    idx = index._data if isinstance(index, TensorBase) else xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx


def _check_scatter(a: Tensor, dim: int, idx: ndarray, src_shape, what: str) -> None:
    if idx.ndim != a.ndim:
        raise RuntimeError(
            f"{what}(): Index tensor must have the same number of dimensions as self tensor "
            f"(index shape {list(idx.shape)}, self shape {list(a.shape)})"
        )
    for k in range(idx.ndim):
        if (k != dim and idx.shape[k] > a.shape[k]) or (
            src_shape is not None and idx.shape[k] > src_shape[k]
        ):
            raise RuntimeError(
                f"{what}(): Expected index {list(idx.shape)} to be smaller than self "
                f"{list(a.shape)} apart from dimension {dim}"
                + (f" and to be smaller size than src {list(src_shape)}" if src_shape else "")
            )
    if idx.size and (idx.min() < -a.shape[dim] or idx.max() >= a.shape[dim]):
        raise RuntimeError(
            f"{what}(): index {int(idx.max())} is out of bounds for dimension {dim} with size "
            f"{a.shape[dim]}"
        )


@api()
def scatter(a: Tensor, dim, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """Out of place ``scatter``: ``src`` (a tensor or a number) written at ``index``."""
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not supported by glassgrad yet")
    src = value if src is None else src
    d = _dim(dim, a.ndim)
    idx = _index_tensor(index, "scatter")
    src = as_operand(src, "src")
    if isinstance(src, TensorBase):
        _check_scatter(a, d, idx, src.shape, "scatter")
        s_data = src._data.astype(a._data.dtype, copy=False)
        return Scatter.run((a, src), (a._data, s_data), {"index": idx, "dim": d})
    _check_scatter(a, d, idx, None, "scatter")
    return ScatterValue.apply(a, value=src, index=idx, dim=d)


@api()
def scatter_add(a: Tensor, dim, index: Tensor, src: Tensor) -> Tensor:
    d = _dim(dim, a.ndim)
    idx = _index_tensor(index, "scatter_add")
    _check_scatter(a, d, idx, src.shape, "scatter_add")
    s_data = src._data.astype(a._data.dtype, copy=False)
    return ScatterAdd.run((a, src), (a._data, s_data), {"index": idx, "dim": d})


@api()
def index_add(a: Tensor, dim, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    d = _dim(dim, a.ndim)
    idx = _index_tensor(index, "index_add").reshape(-1)
    expected = a.shape[:d] + (idx.size,) + a.shape[d + 1 :] if a.ndim else ()
    if tuple(source.shape) != tuple(expected):
        raise RuntimeError(
            f"index_add_(): source of shape {list(source.shape)} does not match the expected "
            f"shape {list(expected)} (self {list(a.shape)} with {idx.size} indices along dim {d})"
        )
    _check_bounds(a, (slice(None),) * d + (idx,))
    s_data = source._data.astype(a._data.dtype, copy=False)
    return IndexAdd.run((a, source), (a._data, s_data), {"index": idx, "dim": d, "alpha": alpha})


@api()
def repeat_interleave(a, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or one count per element)."""
    if repeats is None:  # torch.repeat_interleave(counts): each index repeated counts[i] times
        counts = a._data if isinstance(a, TensorBase) else xp.asarray(a)
        return _new_tensor(xp.repeat(xp.arange(counts.size), counts).astype(xp.int64))
    if dim is None:
        a, d = flatten(a), 0
    else:
        d = _dim(dim, a.ndim)
    if isinstance(repeats, TensorBase) and repeats.numel() == 1 and repeats.ndim <= 1:
        repeats = int(repeats.item())
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        shape = list(a.shape)
        wide = unsqueeze(a, d + 1)
        target = shape[: d + 1] + [repeats] + shape[d + 1 :]
        shape[d] *= repeats
        return view(clone(expand(wide, *target)), *shape)
    counts = repeats._data if isinstance(repeats, TensorBase) else xp.asarray(repeats)
    if counts.shape != (a.shape[d],):
        raise RuntimeError(
            f"repeat_interleave: repeats must have the same size as input along dim {d}: got "
            f"{counts.size} repeats for size {a.shape[d]}"
        )
    index = _new_tensor(xp.repeat(xp.arange(a.shape[d]), counts).astype(xp.int64))
    return index_select(a, d, index)


@api(function=False)
def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, *other.shape)


@api(function=False)
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, *other.shape)
