"""Indexing: reading and writing tensors at positions.

``x[i]`` (``getitem``: basic indexing makes views, ``Select``/``Slice``; advanced indexing
copies, ``Index``), ``x[i] = v`` recorded as ``CopySlices``/``IndexPut`` (the in-place
write itself is ``ops.inplace.setitem``), and the functions that pick or place by an index
tensor or a mask: gather, scatter, index_select, index_add, masked_fill, masked_select,
nonzero, narrow, repeat_interleave.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassgrad import _dtypes
from glassgrad._backend import ndarray, xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.autograd.grad_mode import is_grad_enabled
from glassgrad.ops import _dual as D
from glassgrad.ops._api import api
from glassgrad.ops._dispatch import as_operand
from glassgrad.ops._domain import Domain
from glassgrad.ops._explain import ExplainRule, reshape_to, reshaped
from glassgrad.ops._op import Op
from glassgrad.ops.elementwise import where
from glassgrad.ops.movement import _dim, clone, expand, flatten, unsqueeze, view

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor


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


@api()
def narrow(a: Tensor, dim, start, length) -> Tensor:
    if a.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, a.ndim)
    return getitem(a, (slice(None),) * d + (slice(start, start + length),))


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
