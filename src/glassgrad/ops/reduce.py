"""Reductions (sum, mean, max, var, norm, ...) and the normalising ops built on them."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from glassgrad import _dtypes
from glassgrad import _formula as F
from glassgrad import _kernels as kernels
from glassgrad._backend import xp
from glassgrad._kernels import sortorder
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad._warn import warn_at_user_line
from glassgrad.ops import _dual as D
from glassgrad.ops._api import api
from glassgrad.ops._dispatch import _NO_PARAMS
from glassgrad.ops._domain import Domain
from glassgrad.ops._explain import ExplainRule, Local, call
from glassgrad.ops._op import Op
from glassgrad.ops.elementwise import maximum, minimum

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor


def norm_dims(dim, ndim: int) -> tuple:
    """``dim`` (int, sequence or None) as a sorted tuple of non-negative axes, checked."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = ndim if ndim > 1 else 1
    out = []
    for d in dims:
        d = int(d)
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        out.append(d % n if ndim else 0)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {list(dims)} appears multiple times in the list of dims")
    return tuple(sorted(out))


def _axes(dims: tuple, ndim: int):
    return dims if ndim else None


def _restore(grad, ctx):
    """Broadcast a reduced gradient back over the input's shape."""
    if not ctx.keepdim and ctx.dims and len(ctx.shape) and grad.ndim:  # 0-d broadcasts as is
        grad = D.unsqueeze_dims(grad, ctx.dims, len(ctx.shape))
    return D.expand(grad, ctx.shape)


def _count(shape: tuple, dims: tuple) -> int:
    """How many elements each output of a reduction over ``dims`` combines."""
    count = 1
    for d in dims:
        if shape:
            count *= shape[d]
    return count


def _setup(ctx, a, dims, keepdim):
    ctx.shape = a.shape
    ctx.dims = dims
    ctx.keepdim = keepdim


def _whole_local(site, mean: bool) -> Local:
    """A sum (mean) to one number: every element's factor is 1 (1/N)."""
    if xp.size(site.output) != 1:
        return _spread_local(site, mean)
    n = int(xp.size(site.value(0)))
    factor = 1.0 / n if mean else 1.0
    shape = site.in_shape
    formula = (
        (lambda x, times: F.quotient(1, x.numel(0))) if mean else (lambda x, times: F.number(1))
    )
    return Local(
        lambda g: xp.broadcast_to(xp.asarray(g).reshape(()) * factor, shape), formula, reduce=True
    )


def _spread_local(site, mean: bool) -> Local:
    """ḡ (divided by the count for a mean) spread back over the reduced dimensions."""
    shape = site.in_shape
    count = int(xp.size(site.value(0))) // (int(xp.size(site.output)) or 1) or 1  # (max: ours)
    factor = 1.0 / count if mean else 1.0
    dims = {d % len(shape) for d in site.node.dims or range(len(shape))}
    kept = tuple(1 if i in dims else n for i, n in enumerate(shape))
    rule = f"ḡ/{count} broadcast back" if mean else "ḡ broadcast back"
    return Local(
        lambda g: xp.broadcast_to((xp.asarray(g) * factor).reshape(kept), shape), rule=rule
    )


class Sum(Op):
    """Sum of all elements."""

    keeps_ctx_arrays = False

    explain = ExplainRule(call("sum"), lambda site: _whole_local(site, mean=False))

    @staticmethod
    def forward(ctx, a, dims=(), keepdim=False, dtype=None):
        _setup(ctx, a, dims, keepdim)
        if dtype is None or xp.dtype(dtype) == a.dtype:
            return kernels.reduce_sum(a, _axes(dims, a.ndim), keepdim)
        return a.sum(axis=_axes(dims, a.ndim), keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        return _restore(grad, ctx)


class SumDim(Sum):
    """Sum over chosen dimensions."""

    node_name = "SumBackward1"
    explain = ExplainRule(local=lambda site: _spread_local(site, mean=False))


class Mean(Op):
    """Mean of all elements."""

    keeps_ctx_arrays = False

    explain = ExplainRule(call("mean"), lambda site: _whole_local(site, mean=True))

    @staticmethod
    def forward(ctx, a, dims=(), keepdim=False, dtype=None):
        _setup(ctx, a, dims, keepdim)
        whole = len(dims) == a.ndim or not a.ndim  # (``dims`` has no repeats; 0-d: dim 0)
        ctx.count = count = a.size if whole else _count(a.shape, dims)
        if dtype is not None:
            a = a.astype(dtype)
        axes = None if whole else dims
        if 0 < count < 1 << 24 and a.dtype.kind == "f" and a.dtype.itemsize >= 4:
            # Sum (in PyTorch's order), then divide, as PyTorch's CPU mean does.
            return kernels.reduce_sum(a, axes, keepdim) / count
        return a.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        if D.is_array(grad) and not grad.ndim:
            # every element is grad / count: one scalar division (same rounding), then a fill
            return D.expand(grad[()] / ctx.count, ctx.shape)
        return _restore(grad, ctx) / ctx.count


class MeanDim(Mean):
    """Mean over chosen dimensions."""

    node_name = "MeanBackward1"
    explain = ExplainRule(local=lambda site: _spread_local(site, mean=True))


class Prod(Op):
    """Product of elements; exact with zeros (products of the other elements)."""

    gradcheck_domain = Domain("away")  # a zero factor takes another formula

    @staticmethod
    def forward(ctx, a, dims=(), keepdim=False):
        _setup(ctx, a, dims, keepdim)
        out = xp.asarray(a.prod(axis=_axes(dims, a.ndim), keepdims=keepdim))
        ctx.save(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        g = _restore(grad, ctx)
        if a.ndim == 0 or a.size == 0:
            return g
        if (D.value(a) != 0).all():  # PyTorch's formula without zeros: grad * (result / input)
            return g * (_restore(out, ctx) / a)
        _no_double_backward_with_zeros(a, "prod")
        axes = ctx.dims
        moved = xp.moveaxis(a, axes, tuple(range(-len(axes), 0)))
        flat = moved.reshape(moved.shape[: a.ndim - len(axes)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=a.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.flip(
            xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1
        )
        others = (left * right).reshape(moved.shape)
        others = xp.moveaxis(others, tuple(range(-len(axes), 0)), axes)
        return g * others


class ProdDim(Prod):
    """Product over one dimension."""

    node_name = "ProdBackward1"


class MaxAll(Op):
    """Max of all elements; ties share the gradient evenly (PyTorch)."""

    node_name = "MaxBackward1"

    gradcheck_domain = Domain("distinct")  # a tie splits the gradient

    @staticmethod
    def forward(ctx, a):
        out = a.max()
        ctx.save(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _even_backward(ctx, grad)


class MinAll(Op):
    """Min of all elements; ties share the gradient evenly (PyTorch)."""

    node_name = "MinBackward1"

    gradcheck_domain = Domain("distinct")  # a tie splits the gradient

    @staticmethod
    def forward(ctx, a):
        out = a.min()
        ctx.save(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _even_backward(ctx, grad)


def _even_backward(ctx, grad):
    a, out = (s._data if isinstance(s, TensorBase) else s for s in ctx.saved)
    hit = (a == out) | (xp.isnan(a) & xp.isnan(out))
    share = (hit / hit.sum()).astype(a.dtype)
    return D.mask(grad * (share if D.is_array(grad) else _new_tensor(share)), hit)


class MaxDim(Op):
    """Max along a dimension (values); the gradient goes to the index PyTorch returns."""

    node_name = "MaxBackward0"

    gradcheck_domain = Domain("distinct")  # a tie splits the gradient

    @staticmethod
    def forward(ctx, a, dim=0, keepdim=False, reducer=xp.argmax):
        _setup(ctx, a, (dim,) if a.ndim else (), keepdim)
        idx = _first_index(reducer, a, dim)
        ctx.indices = idx
        values = xp.take_along_axis(a, idx, axis=dim) if a.ndim else a.copy()
        return values if keepdim or not a.ndim else values.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        g = (
            grad
            if ctx.keepdim or not ctx.dims
            else D.unsqueeze_dims(grad, ctx.dims, len(ctx.shape))
        )
        if not ctx.dims:
            return g
        dim = ctx.dims[0]
        index = _along_axis_index(ctx.indices, dim, ctx.shape)
        return D.zeros_with(g, index, ctx.shape, accumulate=False)


class MinDim(MaxDim):
    """Min along a dimension (values)."""

    node_name = "MinBackward0"


def _first_index(reducer, a, dim):
    if not a.ndim:
        return xp.zeros((), dtype=xp.int64)
    if xp.issubdtype(a.dtype, xp.floating) and xp.isnan(a).any():
        # PyTorch propagates NaN: the first NaN wins.
        nan = xp.isnan(a)
        idx = xp.where(
            nan.any(axis=dim, keepdims=True),
            xp.argmax(nan, axis=dim, keepdims=True),
            reducer(xp.where(nan, 0, a), axis=dim, keepdims=True),
        )
        return idx
    return reducer(a, axis=dim, keepdims=True)


def _along_axis_index(idx, dim, shape):
    grids = list(xp.ogrid[tuple(slice(0, s) for s in idx.shape)])
    grids[dim] = idx
    return tuple(grids)


class Amax(Op):
    """Max over dimensions; ties share the gradient evenly."""

    gradcheck_domain = Domain("distinct")  # a tie splits the gradient

    @staticmethod
    def forward(ctx, a, dims=(), keepdim=False):
        _setup(ctx, a, dims, keepdim)
        out = a.max(axis=_axes(dims, a.ndim), keepdims=keepdim)
        ctx.save(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _amax_backward(ctx, grad)


class Amin(Amax):
    """Min over dimensions; ties share the gradient evenly."""

    @staticmethod
    def forward(ctx, a, dims=(), keepdim=False):
        _setup(ctx, a, dims, keepdim)
        out = a.min(axis=_axes(dims, a.ndim), keepdims=keepdim)
        ctx.save(a, out)
        return out


def _amax_backward(ctx, grad):
    a, out = (s._data if isinstance(s, TensorBase) else s for s in ctx.saved)
    full_out = out if ctx.keepdim or not ctx.dims else xp.expand_dims(out, ctx.dims)
    hit = a == full_out
    count = hit.sum(axis=_axes(ctx.dims, a.ndim), keepdims=True)
    share = (hit / count).astype(a.dtype)
    return _restore(grad, ctx) * (share if D.is_array(grad) else _new_tensor(share))


class Var(Op):
    """Variance with Bessel's correction by default."""

    gradcheck_domain = Domain(min_dims=1, min_side=2)  # one element: 0 degrees of freedom

    @staticmethod
    def forward(ctx, a, dims=(), correction=1, keepdim=False):
        _setup(ctx, a, dims, keepdim)
        ctx.save(a)
        ctx.correction = correction
        return a.var(axis=_axes(dims, a.ndim), ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return _var_backward(ctx, _restore(grad, ctx), a)


class Std(Op):
    """Standard deviation with Bessel's correction by default."""

    gradcheck_domain = Domain(
        "distinct", min_dims=1, min_side=2
    )  # √ of a zero variance has no slope

    @staticmethod
    def forward(ctx, a, dims=(), correction=1, keepdim=False):
        _setup(ctx, a, dims, keepdim)
        out = a.std(axis=_axes(dims, a.ndim), ddof=correction, keepdims=keepdim)
        ctx.save(a, out)
        ctx.correction = correction
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        scaled = D.where(D.value(out) == 0, 0.0, grad / (out * 2))
        return _var_backward(ctx, _restore(scaled, ctx), a)


def _var_backward(ctx, grad, a):
    """PyTorch's ``var_backward``: (2 / (N - correction)) * grad * (a - mean)."""
    count = _count(ctx.shape, ctx.dims)
    mean = D.sum(a, axis=_axes(ctx.dims, len(ctx.shape)), keepdims=True) / count
    dof = count - ctx.correction
    scale = 2.0 / dof if dof else float("inf")  # as C++'s 2.0 / 0: NaN gradients follow
    with xp.errstate(invalid="ignore"):
        return scale * grad * (a - mean)


class Norm(Op):
    """Vector p-norm over dimensions (``torch.linalg.vector_norm``)."""

    node_name = "LinalgVectorNormBackward0"

    gradcheck_domain = Domain("distinct")  # ‖x‖∞ ties; ‖x‖₁ kinks at 0

    @staticmethod
    def forward(ctx, a, p=2.0, dims=(), keepdim=False):
        _setup(ctx, a, dims, keepdim)
        axes = _axes(dims, a.ndim)
        ctx.p = p
        if p == float("inf"):
            out = xp.abs(a).max(axis=axes, keepdims=keepdim)
        elif p == float("-inf"):
            out = xp.abs(a).min(axis=axes, keepdims=keepdim)
        elif p == 2:
            out = xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            out = xp.abs(a).sum(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=keepdim)
        else:
            out = (xp.abs(a) ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        out = xp.asarray(out, dtype=a.dtype)
        ctx.save(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's norm_backward, term by term.
        a, out = ctx.saved
        p = ctx.p
        g = _restore(grad, ctx)
        if p == 0:
            return g * 0
        if p == 1:
            return D.sign(a) * g
        o = _restore(out, ctx)
        if p in (float("inf"), float("-inf")):
            av = D.value(a)
            hit = xp.abs(av) == D.value(o)
            count = hit.sum(axis=_axes(ctx.dims, av.ndim), keepdims=True)
            return D.sign(a) * (g / _const_like(count, g)) * _const_like(hit, g)
        zero = D.value(o) == 0
        if zero.any():  # the gradient at a zero norm is 0; divide by 1 there instead
            o = D.where(zero, 1.0, o)
        if p == 2:  # grad * (a / norm), 0 where the norm is
            return g * D.where(zero, 0.0, a / o)
        if p < 2:
            scaled = D.sign(a) * D.abs(a) ** (p - 1)
        else:
            scaled = a * D.abs(a) ** (p - 2)
        return scaled * D.where(zero, 0.0, g / o ** (p - 1))


class AtenNorm(Norm):
    """``at::norm``, which ``pairwise_distance`` calls: the same norm, named as PyTorch names
    that op's node."""

    node_name = "NormBackward1"


def _const_like(array, like):
    """A constant array (or tensor, in create_graph mode) of ``like``'s dtype."""
    if D.is_array(like):
        return array.astype(like.dtype)
    return _new_tensor(array.astype(like._data.dtype))


class Logsumexp(Op):
    """log(sum(exp(a))) over dimensions, shifted by the max for stability."""

    @staticmethod
    def forward(ctx, a, dims=(), keepdim=False):
        _setup(ctx, a, dims, keepdim)
        axes = _axes(dims, a.ndim)
        m = a.max(axis=axes, keepdims=True, initial=-xp.inf)  # an empty sum: log 0 = -inf
        m = xp.where(xp.isfinite(m), m, 0)
        with xp.errstate(divide="ignore"):
            out = kernels.log(kernels.exp(a - m).sum(axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.squeeze(axes) if axes is not None else out.reshape(())
        out = xp.asarray(out, dtype=a.dtype)
        ctx.save(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        return _restore(grad, ctx) * D.exp(a - _restore(out, ctx))


class Softmax(Op):
    """exp(a) / sum(exp(a)) along a dimension."""

    @staticmethod
    def forward(ctx, a, dim):
        out = kernels.softmax(a, dim)
        ctx.dim = dim
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        if D.is_array(grad) and D.is_array(out):
            return kernels.softmax_backward(grad, out, ctx.dim)
        return out * (grad - D.sum(grad * out, axis=ctx.dim, keepdims=True))


class LogSoftmax(Op):
    """a - logsumexp(a) along a dimension."""

    @staticmethod
    def forward(ctx, a, dim):
        out = kernels.log_softmax(a, dim)
        ctx.dim = dim
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        if D.is_array(grad) and D.is_array(out):
            return kernels.log_softmax_backward(grad, out, ctx.dim)
        return grad - D.exp(out) * D.sum(grad, axis=ctx.dim, keepdims=True)


class Cumsum(Op):
    """Running sum along a dimension."""

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return xp.cumsum(a, axis=dim) if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, grad):
        if ctx.dim is None:
            return grad
        return _reversed_cumsum(grad, ctx.dim)


def _no_double_backward_with_zeros(a, what: str) -> None:
    if not D.is_array(a):
        raise RuntimeError(
            f"double backward (create_graph=True) through {what} of a tensor containing zeros is "
            "not supported by glassgrad yet; compute the first derivative without create_graph"
        )


def _reversed_cumsum(x, dim):
    return D.flip(D.cumsum(D.flip(x, dim), dim), dim)


class Cumprod(Op):
    """Running product along a dimension; exact gradient also where inputs are zero."""

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        out = xp.cumprod(a, axis=dim) if a.ndim else a.copy()
        ctx.save(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        dim = ctx.dim
        if dim is None:
            return grad
        if (D.value(a) != 0).all():
            return _reversed_cumsum(grad * out, dim) / a
        _no_double_backward_with_zeros(a, "cumprod")
        # With zeros, d out_j / d a_i is the product of a_k for k <= j, k != i.
        result = xp.empty_like(a)
        n = a.shape[dim]
        for i in range(n):
            lead = (slice(None),) * dim
            held = a.copy()
            held[lead + (i,)] = 1
            partial = xp.cumprod(held, axis=dim)[lead + (slice(i, n),)]
            picked = (grad[lead + (slice(i, n),)] * partial).sum(axis=dim)
            result[lead + (i,)] = picked
        return result


class Sort(Op):
    """Values of ``sort`` (indices computed by the caller); the gradient goes back by index."""

    gradcheck_domain = Domain("distinct")  # a tie makes the order, so the gradient, ambiguous

    @staticmethod
    def forward(ctx, a, indices, dim):
        ctx.shape = a.shape
        if not a.ndim:
            ctx.where = ()
            return a.copy()
        ctx.where = where = _along_axis_index(indices, dim, a.shape)
        return a[where]

    @staticmethod
    def backward(ctx, grad):
        if not ctx.where:
            return grad
        return D.zeros_with(grad, ctx.where, ctx.shape, accumulate=False)


class Topk(Sort):
    """Values of ``topk``."""


class MedianAll(Sort):
    """The median of all elements; the gradient goes to the element picked."""

    node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.where = a.shape, index
        return xp.asarray(a[index]).copy()


class Median(Sort):
    """Values of ``median`` along a dimension (indices computed by the caller)."""

    node_name = "MedianBackward1"

    @staticmethod
    def forward(ctx, a, indices, dim, keepdim):
        squeezed = (dim,) if a.ndim and not keepdim else ()
        ctx.squeezed = squeezed
        out = Sort.forward(ctx, a, indices, dim)
        return out.squeeze(squeezed) if squeezed else out

    @staticmethod
    def backward(ctx, grad):
        if ctx.squeezed:
            grad = D.unsqueeze_dims(grad, ctx.squeezed, len(ctx.shape))
        return Sort.backward(ctx, grad)


# ----------------------------------------------------------------------------- public functions
def _int_to_long(a: Tensor, dtype):
    if dtype is not None:
        return _dtypes.to_dtype(dtype).np
    if a._data.dtype.kind in "biu":
        return xp.int64
    return None


@api()
def sum(a: Tensor, dim=None, keepdim=False, *, dtype=None, axis=None):
    dim = axis if dim is None else dim
    np_dtype = _int_to_long(a, dtype)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        # (``run`` with the settings as positional forward arguments: no keyword dict)
        return Sum.run((a,), (a._data, tuple(range(a.ndim)), False, np_dtype), _NO_PARAMS)
    return SumDim.apply(a, dims=norm_dims(dim, a.ndim), keepdim=keepdim, dtype=np_dtype)


_TYPE_NAMES = {
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


def _float_only(a: Tensor, what: str, dtype=None):
    if dtype is None and a._data.dtype.kind != "f":
        raise RuntimeError(
            f"{what}(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {_TYPE_NAMES.get(a.dtype.name, a.dtype.name)}. "
            f"Convert first, e.g. x.float().{what}()"
        )


@api()
def mean(a: Tensor, dim=None, keepdim=False, *, dtype=None, axis=None):
    dim = axis if dim is None else dim
    _float_only(a, "mean", dtype)
    np_dtype = None if dtype is None else _dtypes.to_dtype(dtype).np
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return Mean.run((a,), (a._data, tuple(range(a.ndim)), False, np_dtype), _NO_PARAMS)
    return MeanDim.apply(a, dims=norm_dims(dim, a.ndim), keepdim=keepdim, dtype=np_dtype)


@api()
def prod(a: Tensor, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return Prod.apply(a, dims=tuple(range(a.ndim)), keepdim=False)
    return ProdDim.apply(a, dims=norm_dims(dim, a.ndim), keepdim=keepdim)


class _MinMaxResult(tuple):
    """(values, indices) with named fields, as ``torch.return_types.max``."""

    __slots__ = ()

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


class _MaxResult(_MinMaxResult):
    __slots__ = ()
    _name = "max"


class _MinResult(_MinMaxResult):
    __slots__ = ()
    _name = "min"


def _empty_check(a: Tensor, what: str):
    if a.numel() == 0:
        raise RuntimeError(
            f"{what}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
            "the reduction dim with the 'dim' argument."
        )


def _nonzero_dims(a: Tensor, dims: tuple, what: str, all_dims: bool = False) -> None:
    """max/min-like reductions have no identity: refuse empty reductions as PyTorch does."""
    if all_dims:
        _empty_check(a, what)
    for d in dims:
        if a.ndim and a.shape[d] == 0:
            raise IndexError(
                f"{what}(): Expected reduction dim {d} to have non-zero size (input shape "
                f"{list(a.shape)}); there is no {what} of an empty set."
            )


@api()
def max(a: Tensor, dim=None, keepdim=False):
    if isinstance(dim, TensorBase):
        return maximum(a, dim)
    if dim is None:
        _empty_check(a, "max")
        return MaxAll.apply(a)
    d = norm_dims(dim, a.ndim)[0]
    _nonzero_dims(a, (d,), "max")
    values = MaxDim.apply(a, dim=d, keepdim=keepdim)
    return _MaxResult((values, _indices(a, d, keepdim, xp.argmax)))


@api()
def min(a: Tensor, dim=None, keepdim=False):
    if isinstance(dim, TensorBase):
        return minimum(a, dim)
    if dim is None:
        _empty_check(a, "min")
        return MinAll.apply(a)
    d = norm_dims(dim, a.ndim)[0]
    _nonzero_dims(a, (d,), "min")
    values = MinDim.apply(a, dim=d, keepdim=keepdim, reducer=xp.argmin)
    return _MinResult((values, _indices(a, d, keepdim, xp.argmin)))


def _indices(a: Tensor, dim: int, keepdim: bool, reducer):
    if not a.ndim:
        return _new_tensor(xp.zeros((), dtype=xp.int64))
    idx = _first_index(reducer, a._data, dim)
    return _new_tensor(idx if keepdim else idx.squeeze(dim))


@api()
def argmax(a: Tensor, dim=None, keepdim=False):
    if dim is None:
        return _new_tensor(xp.asarray(xp.argmax(a._data.reshape(-1)), dtype=xp.int64))
    return _indices(a, norm_dims(dim, a.ndim)[0], keepdim, xp.argmax)


@api()
def argmin(a: Tensor, dim=None, keepdim=False):
    if dim is None:
        return _new_tensor(xp.asarray(xp.argmin(a._data.reshape(-1)), dtype=xp.int64))
    return _indices(a, norm_dims(dim, a.ndim)[0], keepdim, xp.argmin)


@api()
def amax(a: Tensor, dim=(), keepdim=False):
    dims = norm_dims(dim if dim != () else None, a.ndim)
    _nonzero_dims(a, dims, "amax", dim == () or dim is None)
    return Amax.apply(a, dims=dims, keepdim=keepdim)


@api()
def amin(a: Tensor, dim=(), keepdim=False):
    dims = norm_dims(dim if dim != () else None, a.ndim)
    _nonzero_dims(a, dims, "amin", dim == () or dim is None)
    return Amin.apply(a, dims=dims, keepdim=keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _spread(op, what: str, a: Tensor, dim, unbiased, keepdim, correction):
    """var / std: PyTorch warns (and gives NaN or inf) when there are too few elements."""
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    _float_only(a, what)
    dims = norm_dims(dim, a.ndim)
    correction = _correction(unbiased, correction)
    if _count(a.shape, dims) - correction > 0:
        return op.apply(a, dims=dims, correction=correction, keepdim=keepdim)
    warn_at_user_line(
        f"{what}(): degrees of freedom is <= 0. Correction should be strictly less than the "
        "reduction factor (input numel divided by output numel).",
    )
    with warnings.catch_warnings(), xp.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own DoF warning: said above
        return op.apply(a, dims=dims, correction=correction, keepdim=keepdim)


@api()
def var(a: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _spread(Var, "var", a, dim, unbiased, keepdim, correction)


@api()
def std(a: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _spread(Std, "std", a, dim, unbiased, keepdim, correction)


@api(method=False, out=False)
def std_mean(input: Tensor, dim=None, **kwargs) -> tuple:
    """``(std, mean)`` over ``dim``, as ``torch.std_mean``."""
    keepdim = kwargs.get("keepdim", False)
    return std(input, dim, **kwargs), mean(input, dim, keepdim=keepdim)


@api(method=False, out=False)
def var_mean(input: Tensor, dim=None, **kwargs) -> tuple:
    """``(var, mean)`` over ``dim``, as ``torch.var_mean``."""
    keepdim = kwargs.get("keepdim", False)
    return var(input, dim, **kwargs), mean(input, dim, keepdim=keepdim)


@api()
def norm(a: Tensor, p="fro", dim=None, keepdim=False, dtype=None):
    if p == "fro" or p is None:
        p = 2.0
    if isinstance(p, str):
        raise ValueError(f"norm: unsupported p={p!r}; use a number, 'fro' or float('inf')")
    _float_only(a, "norm")
    return Norm.apply(a, p=float(p), dims=norm_dims(dim, a.ndim), keepdim=keepdim)


@api()
def dist(a: Tensor, other, p=2.0) -> Tensor:
    """The ``p``-norm of ``a - other`` (broadcast)."""
    return norm(a - other, p)


@api()
def logsumexp(a: Tensor, dim, keepdim=False):
    return Logsumexp.apply(a, dims=norm_dims(dim, a.ndim), keepdim=keepdim)


def _softmax_dim(a: Tensor, dim, what: str) -> int:
    if dim is None:
        warn_at_user_line(
            f"Implicit dimension choice for {what} has been deprecated. Change the call to "
            "include dim=X as an argument.",
        )
        dim = 0 if a.ndim in (0, 1, 3) else 1
    d = norm_dims(dim, a.ndim)[0]  # checked for 0-d tensors too
    return d if a.ndim else None


@api()
def softmax(a: Tensor, dim=None, dtype=None, _stacklevel=3):
    if dtype is not None:
        a = a.to(_dtypes.to_dtype(dtype))
    return Softmax.apply(a, dim=_softmax_dim(a, dim, "softmax"))


@api()
def log_softmax(a: Tensor, dim=None, dtype=None, _stacklevel=3):
    if dtype is not None:
        a = a.to(_dtypes.to_dtype(dtype))
    return LogSoftmax.apply(a, dim=_softmax_dim(a, dim, "log_softmax"))


def _dim_or_none(dim, ndim: int):
    d = norm_dims(dim, ndim)[0]  # checked for 0-d tensors too
    return d if ndim else None


@api()
def cumsum(a: Tensor, dim, *, dtype=None):
    if dtype is not None:
        a = a.to(_dtypes.to_dtype(dtype))
    elif a._data.dtype.kind in "biu":
        a = a.to(_dtypes.int64)
    return Cumsum.apply(a, dim=_dim_or_none(dim, a.ndim))


@api()
def cumprod(a: Tensor, dim, *, dtype=None):
    if dtype is not None:
        a = a.to(_dtypes.to_dtype(dtype))
    elif a._data.dtype.kind in "biu":
        a = a.to(_dtypes.int64)
    return Cumprod.apply(a, dim=_dim_or_none(dim, a.ndim))


class _SortResult(_MinMaxResult):
    __slots__ = ()
    _name = "sort"


class _TopkResult(_MinMaxResult):
    __slots__ = ()
    _name = "topk"


@api()
def sort(a: Tensor, dim=-1, descending=False, stable=False):
    """Values in order along ``dim`` and where they were; equal values in the order PyTorch's
    CPU sort leaves them (its sort is not stable unless ``stable=True``)."""
    d = norm_dims(dim, a.ndim)[0]
    idx = _sort_order(a._data, d, descending, stable)
    values = Sort.apply(a, indices=idx, dim=d)
    return _SortResult((values, _new_tensor(idx)))


@api()
def argsort(a: Tensor, dim=-1, descending=False, stable=False) -> Tensor:
    d = norm_dims(dim, a.ndim)[0]
    return _new_tensor(_sort_order(a._data, d, descending, stable))


def _sort_order(data, dim: int, descending: bool, stable: bool):
    if stable:
        return sortorder.plain_sort_order(data, dim, descending)
    return kernels.sort_order(data, dim, descending)


@api()
def topk(a: Tensor, k: int, dim=-1, largest=True, sorted=True):
    d = norm_dims(dim, a.ndim)[0]
    size = a.shape[d] if a.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(
            f"topk: selected index k={k} out of range for dimension {d} of size {size}"
        )
    idx = sortorder.plain_sort_order(a._data, d, largest)  # (ties: not topk's own order)
    if a.ndim:
        idx = xp.take(idx, xp.arange(k), axis=d)
    values = Topk.apply(a, indices=idx, dim=d)
    return _TopkResult((values, _new_tensor(idx)))


class _MedianResult(_MinMaxResult):
    __slots__ = ()
    _name = "median"


def _median_index(data, dim: int):
    """Index (keepdim) of the lower middle value along ``dim``; the first NaN if any (PyTorch)."""
    if not data.ndim:
        return xp.zeros((), dtype=xp.int64)
    order = sortorder.plain_sort_order(data, dim, False)
    idx = xp.take(order, [(data.shape[dim] - 1) // 2], axis=dim)
    if data.dtype.kind == "f":
        nan = xp.isnan(data)
        idx = xp.where(
            nan.any(axis=dim, keepdims=True), xp.argmax(nan, axis=dim, keepdims=True), idx
        )
    return idx.astype(xp.int64)


@api()
def median(a: Tensor, dim=None, keepdim=False):
    """The lower of the two middle values (no averaging), as PyTorch; NaN if any is NaN."""
    if dim is None:
        _empty_check(a, "median")
        flat = a._data.reshape(-1)
        index = xp.unravel_index(int(_median_index(flat, 0)[0]), a.shape)
        return MedianAll.apply(a, index=index)
    d = norm_dims(dim, a.ndim)[0]
    _nonzero_dims(a, (d,), "median")
    idx = _median_index(a._data, d)
    values = Median.apply(a, indices=idx, dim=d, keepdim=keepdim)
    if a.ndim and not keepdim:
        idx = idx.squeeze(d)
    return _MedianResult((values, _new_tensor(idx)))


@api()
def bincount(a: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, 2, ... occurs in a 1-D non-negative integer tensor."""
    data = a._data
    if data.dtype.kind not in "biu":
        raise NotImplementedError(f'"bincount_cpu" not implemented for {a.dtype!r}')
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError(
            f"bincount only supports 1-d non-negative integral inputs (got shape {list(a.shape)})."
        )
    w = None if weights is None else weights._data
    out = xp.bincount(data, weights=w, minlength=minlength)
    return _new_tensor(out.astype(xp.int64 if w is None else w.dtype))


@api()
def unique(
    a: Tensor,
    sorted: bool = True,
    return_inverse=False,
    return_counts=False,
    dim=None,
):
    """The distinct values (sorted), optionally with inverse indices and counts."""
    axis = None if dim is None else norm_dims(dim, a.ndim)[0]
    values, inverse, counts = xp.unique(a._data, return_inverse=True, return_counts=True, axis=axis)
    out = [_new_tensor(values)]
    if return_inverse:
        shape = a.shape if axis is None else (a.shape[axis],)
        out.append(_new_tensor(inverse.reshape(shape).astype(xp.int64)))
    if return_counts:
        out.append(_new_tensor(counts.astype(xp.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@api()
def all(a: Tensor, dim=None, keepdim=False):
    axes = None if dim is None else norm_dims(dim, a.ndim)
    return _new_tensor(xp.asarray(a._data.all(axis=axes, keepdims=keepdim)))


@api()
def any(a: Tensor, dim=None, keepdim=False):
    axes = None if dim is None else norm_dims(dim, a.ndim)
    return _new_tensor(xp.asarray(a._data.any(axis=axes, keepdims=keepdim)))


@api()
def count_nonzero(a: Tensor, dim=None):
    axes = None if dim is None else norm_dims(dim, a.ndim)
    return _new_tensor(xp.asarray(xp.count_nonzero(a._data, axis=axes), dtype=xp.int64))
