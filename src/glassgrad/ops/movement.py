"""Shape and movement ops: views, reshapes, joins, splits, indexing, copies."""

from __future__ import annotations

from glassgrad import _dtypes
from glassgrad._backend import ndarray, xp
from glassgrad.ops import _dual as D
from glassgrad.ops._op import Op
from glassgrad.ops.reduce import norm_dims
from glassgrad.tensor import Tensor, _new_tensor


def _shape_arg(shape) -> tuple:
    """``view(2, 3)``, ``view((2, 3))`` and ``view(torch.Size([2, 3]))`` all mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _dim(dim: int, ndim: int) -> int:
    return norm_dims(dim, ndim)[0] if ndim else 0


class View(Op):
    """Same data, new shape."""

    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Reshape(View):
    """``reshape``: a view when the layout allows it, else a copy (PyTorch names both View)."""

    node_name = "ViewBackward0"
    is_view = False


class Transpose(Op):
    """Swap two dimensions."""

    is_view = True

    @staticmethod
    def forward(ctx, a, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return a.swapaxes(dim0, dim1)

    @staticmethod
    def backward(ctx, grad):
        return D.transpose(grad, *ctx.dims)


class Permute(Op):
    """Reorder dimensions."""

    is_view = True

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
    """Drop the given dimension(s) if of size 1."""

    node_name = "SqueezeBackward1"


class Expand(Op):
    """Broadcast to a larger shape without copying."""

    is_view = True

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
        ctx.index = (slice(None),) * dim + (slice(start, stop),)
        return a[ctx.index]

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

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_with(grad, ctx.index, ctx.shape, accumulate=False)


class Slice(Select):
    """Slicing: a view."""


class Alias(Select):
    """Indexing with only None/Ellipsis: a view with new size-1 dimensions."""

    node_name = "UnsqueezeBackward0"


class IndexPutZeros(Op):
    """Scatter ``x`` into zeros at ``index`` (the gradient of indexing, itself differentiable)."""

    @staticmethod
    def forward(ctx, x, index, shape, accumulate):
        ctx.index = index
        out = xp.zeros(shape, dtype=x.dtype)
        if accumulate:
            xp.add.at(out, index, x)
        else:
            out[index] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index]


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


def _written_mask(ctx):
    shape = ctx._in_meta[0][0]
    mask = xp.zeros(shape, dtype=bool)
    mask[ctx.index] = True
    return mask


class Clone(Op):
    """A copy in new memory."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class ToCopy(Op):
    """A copy converted to another dtype."""

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

    differentiable_backward = False

    @staticmethod
    def forward(ctx, a, repeats):
        lead = len(repeats) - a.ndim
        ctx.shape = (1,) * lead + a.shape
        ctx.repeats = repeats
        ctx.in_shape = a.shape
        return xp.tile(a.reshape(ctx.shape), repeats)

    @staticmethod
    def backward(ctx, grad):
        split = []
        for r, s in zip(ctx.repeats, ctx.shape):
            split += [r, s]
        g = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.in_shape)


class Gather(Op):
    """Pick values along a dimension by an index tensor."""

    @staticmethod
    def forward(ctx, a, index, dim):
        ctx.shape = a.shape
        ctx.where = _along_axis(index, dim)
        return a[ctx.where]

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_with(grad, ctx.where, ctx.shape, accumulate=True), None


def _along_axis(index: ndarray, dim: int):
    grids = list(xp.ogrid[tuple(slice(0, s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


class MaskedFill(Op):
    """Replace values where a mask holds."""

    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = xp.broadcast_to(mask, a.shape) if mask.shape != a.shape else mask
        return xp.where(ctx.mask, xp.asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, grad):
        return D.mask(grad, ~ctx.mask), None


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


# ----------------------------------------------------------------------------- public functions
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


def reshape(a: Tensor, *shape) -> Tensor:
    shape = _shape_arg(shape)
    _check_numel(a, shape)
    if a._data.flags.c_contiguous:
        return View.apply(a, shape=shape)
    return Reshape.apply(a, shape=shape)


def flatten(a: Tensor, start_dim=0, end_dim=-1) -> Tensor:
    if a.ndim == 0:
        return reshape(a, 1)
    s, e = _dim(start_dim, a.ndim), _dim(end_dim, a.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return a
    shape = a.shape
    new = tuple(shape[:s]) + (-1 if a.numel() else _prod(shape[s : e + 1]),) + tuple(shape[e + 1 :])
    return reshape(a, new)


def _prod(xs) -> int:
    n = 1
    for x in xs:
        n *= x
    return n


def unflatten(a: Tensor, dim, sizes) -> Tensor:
    d = _dim(dim, a.ndim)
    return reshape(a, tuple(a.shape[:d]) + tuple(sizes) + tuple(a.shape[d + 1 :]))


def transpose(a: Tensor, dim0, dim1) -> Tensor:
    n = a.ndim
    if n == 0:
        return View.apply(a, shape=())
    return Transpose.apply(a, dim0=_dim(dim0, n), dim1=_dim(dim1, n))


def t(a: Tensor) -> Tensor:
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return transpose(a, 0, 1) if a.ndim == 2 else a


def permute(a: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    if len(dims) != a.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {a.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    return Permute.apply(a, dims=tuple(_dim(d, a.ndim) for d in dims))


def T(a: Tensor) -> Tensor:
    return Permute.apply(a, dims=tuple(reversed(range(a.ndim))))


def mT(a: Tensor) -> Tensor:
    if a.ndim < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    return transpose(a, -2, -1)


def unsqueeze(a: Tensor, dim) -> Tensor:
    n = a.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return Unsqueeze.apply(a, dim=dim % n)


def squeeze(a: Tensor, dim=None) -> Tensor:
    if dim is None:
        return Squeeze.apply(a)
    return SqueezeDim.apply(a, dims=norm_dims(dim, a.ndim) if a.ndim else ())


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
        elif own != 1 and own != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({own}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(a.shape)}"
            )
        shape.append(s)
    return Expand.apply(a, shape=tuple(shape))


def expand_as(a: Tensor, other: Tensor) -> Tensor:
    return expand(a, *other.shape)


def broadcast_to(a: Tensor, shape) -> Tensor:
    return expand(a, *shape)


def _joinable(tensors, what: str):
    from glassgrad.ops.elementwise import as_operand

    tensors = [as_operand(t) for t in tensors]
    if not tensors:
        raise RuntimeError(f"{what}(): expected a non-empty list of Tensors")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = _dtypes.promote(dtype, t.dtype)
    return tensors, dtype


def cat(tensors, dim=0, *, axis=None) -> Tensor:
    dim = axis if axis is not None else dim
    tensors, dtype = _joinable(tensors, "cat")
    tensors = [t for t in tensors if not (t.ndim == 1 and t.numel() == 0)] or tensors[:1]
    ref = tensors[0]
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


def stack(tensors, dim=0) -> Tensor:
    tensors, dtype = _joinable(tensors, "stack")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != ref.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref.shape)} at entry "
                f"0 and {list(t.shape)} at entry {i}"
            )
    d = _dim(dim, ref.ndim + 1)
    arrays = [t._data if t._data.dtype == dtype.np else t._data.astype(dtype.np) for t in tensors]
    return Stack.run(tuple(tensors), arrays, {"dim": d})


def hstack(tensors) -> Tensor:
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def split(a: Tensor, split_size_or_sections, dim=0):
    d = _dim(dim, a.ndim)
    size = a.shape[d]
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
        bounds, start = [], 0
        for s in sections:
            bounds.append((start, start + s))
            start += s
    return tuple(Split.apply(a, dim=d, start=b0, stop=b1) for b0, b1 in bounds)


def chunk(a: Tensor, chunks: int, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = a.shape[_dim(dim, a.ndim)]
    step = -(-size // chunks) if size else 1
    return split(a, step, dim)


def unbind(a: Tensor, dim=0):
    d = _dim(dim, a.ndim)
    lead = (slice(None),) * d
    return tuple(getitem(a, lead + (i,)) for i in range(a.shape[d]))


def narrow(a: Tensor, dim, start, length) -> Tensor:
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
        if isinstance(item, Tensor):
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
        elif isinstance(item, (list, ndarray)):
            advanced = True
            arr = xp.asarray(item)
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
    if isinstance(p, Tensor):
        return int(p.item())
    return int(p.__index__())


def _consumed(item) -> int:
    """How many tensor dimensions an index item uses up."""
    if item is None or item is Ellipsis:
        return 0
    if isinstance(item, ndarray) and item.dtype == bool:
        return max(item.ndim, 1)
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
    idx, advanced, has_int, has_slice = _convert_index(index)
    _check_bounds(a, idx)
    if advanced:
        return Index.apply(a, index=idx)
    if has_int:
        return Select.apply(a, index=idx)
    if has_slice:
        return Slice.apply(a, index=idx)
    return Alias.apply(a, index=idx)


def setitem(a: Tensor, index, value) -> None:
    """``a[index] = value``: in place, or recorded as CopySlices when it joins the graph."""
    from glassgrad.autograd.grad_mode import STATE
    from glassgrad.ops.inplace import check_inplace

    idx, _, _, _ = _convert_index(index)
    _check_bounds(a, idx)
    value_is_tensor = isinstance(value, Tensor)
    v = value._data if value_is_tensor else xp.asarray(value)
    if v.dtype != a._data.dtype:
        v = v.astype(a._data.dtype)
    needs_graph = STATE.enabled and (a._rg or (value_is_tensor and value._rg))
    check_inplace(a, needs_graph)
    if not needs_graph:
        try:
            a._data[idx] = v
        except ValueError as exc:
            raise RuntimeError(
                f"could not assign a value of shape {list(v.shape)} to tensor{list(a.shape)}"
                f"[{index!r}]: {exc}"
            ) from None
        a._version[0] += 1
        return
    value_t = value if value_is_tensor else _new_tensor(v)
    result = CopySlices.run((a, value_t), (a._data, v), {"index": idx})
    a._data = result._data
    a.grad_fn = result.grad_fn
    a._rg = True
    a._version[0] += 1


# ----------------------------------------------------------------------------- other copies
def clone(a: Tensor) -> Tensor:
    return Clone.apply(a)


def flip(a: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    return Flip.apply(a, dims=tuple(_dim(d, a.ndim) for d in dims))


def repeat(a: Tensor, *repeats) -> Tensor:
    repeats = _shape_arg(repeats)
    if len(repeats) < a.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    return Repeat.apply(a, repeats=repeats)


def gather(a: Tensor, dim, index: Tensor) -> Tensor:
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {index.dtype!r}")
    return Gather.apply(a, index=index._data, dim=_dim(dim, a.ndim))


def index_select(a: Tensor, dim, index: Tensor) -> Tensor:
    d = _dim(dim, a.ndim)
    return getitem(a, (slice(None),) * d + (index,))


def masked_fill(a: Tensor, mask: Tensor, value) -> Tensor:
    m = mask._data
    if m.dtype != bool:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype!r}"
        )
    if isinstance(value, Tensor):
        value = value.item()
    return MaskedFill.apply(a, mask=m, value=value)


def tril(a: Tensor, diagonal=0) -> Tensor:
    return Tril.apply(a, diagonal=diagonal)


def triu(a: Tensor, diagonal=0) -> Tensor:
    return Triu.apply(a, diagonal=diagonal)


def nonzero(a: Tensor, *, as_tuple=False):
    idx = xp.nonzero(a._data) if a.ndim else xp.nonzero(a._data.reshape(1))
    if as_tuple:
        return tuple(_new_tensor(i.astype(xp.int64)) for i in idx)
    return _new_tensor(
        xp.stack(idx, axis=1).astype(xp.int64) if idx else xp.zeros((0, 0), xp.int64)
    )


def masked_select(a: Tensor, mask: Tensor) -> Tensor:
    return getitem(a, mask.expand_as(a) if mask.shape != a.shape else mask)


def roll(a: Tensor, shifts, dims=None) -> Tensor:
    if dims is None:
        flat = flatten(a)
        n = flat.numel()
        s = shifts % n if n else 0
        return cat([flat[n - s :], flat[: n - s]]).reshape(a.shape) if s else flat.reshape(a.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    out = a
    for s, d in zip(shifts, dims):
        d = _dim(d, a.ndim)
        n = a.shape[d]
        s = s % n if n else 0
        if s:
            lead = (slice(None),) * d
            out = cat([out[lead + (slice(n - s, None),)], out[lead + (slice(0, n - s),)]], d)
    return out
