"""Shape and movement ops: views, reshapes, joins, splits, indexing, copies."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from glassgrad import _dtypes
from glassgrad._backend import xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad._warn import warn_at_user_line
from glassgrad.autograd.engine import sum_to
from glassgrad.ops import _dual as D
from glassgrad.ops._api import api
from glassgrad.ops._dispatch import as_operand
from glassgrad.ops._domain import Domain
from glassgrad.ops._explain import ExplainRule, Local, reshape_to, reshaped, signs
from glassgrad.ops._op import Op
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


@api(function=False)
def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, *other.shape)


@api(function=False)
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, *other.shape)
