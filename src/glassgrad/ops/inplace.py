"""In-place updates: ``x -= lr * g``, ``add_``, ``zero_``, ``copy_``, ``fill_``, ``x[i] = v``.

Outside the graph (``no_grad``, or tensors that need no gradient) they write into the
array itself. Inside the graph the op is recorded out of place on a private copy of the
old value, then the result is written into the tensor's memory and the tensor takes the
new ``grad_fn`` (PyTorch's history rebase). Writing into the same memory keeps views and
bases in sync; a view modified in place gives its base a ``CopySlices`` node and itself
an ``AsStridedBackward0`` node, as in PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassgrad import _dtypes
from glassgrad import _kernels as kernels
from glassgrad._backend import xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.autograd.grad_mode import STATE
from glassgrad.autograd.graph import AccumulateGrad
from glassgrad.ops import _dispatch, indexing
from glassgrad.ops import elementwise as E
from glassgrad.ops._op import Op
from glassgrad.ops.indexing import CopySlices, Index

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor

__all__ = [
    "assign",
    "check_inplace",
    "check_no_partial_overlap",
    "copy_",
    "fill_",
    "fill_random",
    "inplace",
    "inplace_fused_add",
    "inplace_unary",
]

LEAF_INPLACE = (
    "a leaf Variable that requires grad is being used in an in-place operation. Wrap the "
    "update in `with torch.no_grad():` (as optimizers do), or operate on a clone."
)
VIEW_OF_LEAF_INPLACE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation. "
    "Wrap the update in `with torch.no_grad():`, or clone() the view first."
)

_UFUNCS = {
    "add": xp.add,
    "sub": xp.subtract,
    "mul": xp.multiply,
    "div": xp.true_divide,
    "pow": xp.power,
}
_OUT_OF_PLACE = {"add": E.add, "sub": E.sub, "mul": E.mul, "div": E.div, "pow": E.pow}
_byte_bounds = xp.lib.array_utils.byte_bounds  # (first byte, one past the last) of an array


class Fill(Op):
    """``t.fill_(v)`` inside the graph: the old value gets a zero gradient."""

    node_name = "FillBackward2"

    @staticmethod
    def forward(ctx, a, value):
        return xp.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Zero(Fill):
    node_name = "ZeroBackward0"


class Normal(Fill):
    node_name = "NormalBackward0"


class Uniform(Fill):
    node_name = "UniformBackward0"


_FILL_NODES = {"fill": Fill, "zero": Zero, "normal": Normal, "uniform": Uniform}


class Copy(Op):
    """``dst.copy_(src)`` inside the graph: the gradient goes to ``src`` (summed, cast back)."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        return xp.broadcast_to(src, dst.shape).astype(dst.dtype)

    @staticmethod
    def backward(ctx, grad):
        grad_dst = grad * 0 if ctx.next_functions[0][0] is not None else None
        return grad_dst, grad


class AsStrided(Index):
    """The new history of a view whose base was modified in place: pick its elements.

    It counts as a view op, so a later in-place change of the view reaches the base again.
    """

    node_name = "AsStridedBackward0"
    is_view = True


def check_inplace(t: Tensor, recording: bool) -> None:
    """Refuse in-place changes PyTorch refuses: to a leaf (or its view) that requires grad."""
    if not t._data.flags.writeable:
        if t._data.size:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                f"a single memory location (an expanded tensor of shape {list(t.shape)}). Please "
                "clone() the tensor before performing the operation."
            )
        # an expanded empty tensor: nothing to write, nothing shared
        t._data = xp.empty(t._data.shape, t._data.dtype)
    if not recording:
        return
    if t._rg and t.grad_fn is None:
        raise RuntimeError(LEAF_INPLACE)
    node = t.grad_fn
    while node is not None and getattr(node, "is_view", False):  # a view of a view of ...
        node = node.next_functions[0][0]
        if type(node) is AccumulateGrad:
            raise RuntimeError(VIEW_OF_LEAF_INPLACE)


def check_no_partial_overlap(target, source) -> None:
    """Refuse, as PyTorch does, an in-place write into ``target`` (an array) from ``source``
    when the two share some memory but not all of it in the same layout (``x.add_(x[0])``,
    ``x[1:] = x[:-1]``): the result would depend on the order of the writes. Like PyTorch,
    only arrays without gaps are compared (others are too hard to tell, and allowed)."""
    if target is source or not xp.may_share_memory(target, source):
        return
    if not (_dense(target) and _dense(source)):
        return
    same_bounds = _byte_bounds(target) == _byte_bounds(source)
    if same_bounds and target.strides == source.strides:
        return  # the very same elements: each is read before it is written
    raise RuntimeError(
        "unsupported operation: some elements of the input tensor and the written-to tensor "
        "refer to a single memory location. Please clone() the tensor before performing the "
        "operation."
    )


def _dense(a) -> bool:
    """Whether ``a``'s elements fill a block of memory without gaps or repeats (any order)."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return True
    step = a.itemsize
    for stride, size in sorted((abs(st), n) for st, n in zip(a.strides, a.shape) if n != 1):
        if stride != step:
            return False
        step *= size
    return True


def _cast_error(t: Tensor, result: _dtypes.dtype, op: str) -> RuntimeError:
    return RuntimeError(
        f"result type {_type_name(result)} can't be cast to the desired output type "
        f"{_type_name(t.dtype)} (in-place {op} on a {t.dtype!r} tensor); use an out-of-place "
        "op, or convert the tensor first (e.g. x = x.float())"
    )


def _type_name(d: _dtypes.dtype) -> str:
    return _dtypes.SCALAR_TYPE_NAMES[d.name]


def inplace(t: Tensor, op: str, other) -> Tensor:
    """``t <op>= other``."""
    other = _dispatch.as_operand(other)
    recording = STATE.enabled and (t._rg or (isinstance(other, TensorBase) and other._rg))
    check_inplace(t, recording)
    dtype = t._data.dtype
    if isinstance(other, TensorBase) or dtype.kind != "f" or op in ("div", "pow"):
        result = _dtypes.result_dtype(t, other)
        if op == "div" and not result.is_floating_point:
            result = _dtypes.DEFAULTS.float_dtype
        if result._kind > t.dtype._kind:  # a narrower float or int is fine, as in PyTorch
            raise _cast_error(t, result, op)
    if isinstance(other, TensorBase):
        _check_inplace_shape(t, other, op)
        check_no_partial_overlap(t._data, other._data)
    if recording:
        assign(t, _OUT_OF_PLACE[op](_old_value(t), other))
        return t
    o = other._data if isinstance(other, TensorBase) else other
    _UFUNCS[op](t._data, o, out=t._data, casting="unsafe")
    t._version_counter[0] += 1
    return t


def inplace_fused_add(t: Tensor, x, y) -> Tensor:
    """``t += x * y`` as ``add_(x, alpha=y)`` / ``addcmul_`` do: rounded as PyTorch's CPU
    kernels round it (once, a fused multiply-add, on AVX2/AVX-512; see ``_kernels/fma.py``) when
    nothing is recorded and the operands are tensors or numbers of ``t``'s float dtype;
    otherwise the plain recorded product and sum."""
    operands = [v for v in (x, y) if isinstance(v, TensorBase)]
    for v in operands:
        check_no_partial_overlap(t._data, v._data)
    recording = STATE.enabled and (t._rg or any(v._rg for v in operands))
    dtype = t._data.dtype
    if recording or dtype.kind != "f" or any(v._data.dtype != dtype for v in operands):
        return inplace(t, "add", x * y)
    check_inplace(t, False)
    for v in operands:
        _check_inplace_shape(t, v, "add")
    x_, y_ = (xp.asarray(v._data if isinstance(v, TensorBase) else v, dtype=dtype) for v in (x, y))
    kernels.add_product_(t._data, x_, y_)
    t._version_counter[0] += 1
    return t


def _check_inplace_shape(t: Tensor, other: Tensor, op: str) -> None:
    try:
        shape = xp.broadcast_shapes(t._data.shape, other._data.shape)
    except ValueError:
        shape = None
    if shape != t._data.shape:
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(shape) if shape else [list(t.shape), list(other.shape)]} (in-place {op}); "
            "an in-place op cannot change the tensor's shape"
        )


def _old_value(t: Tensor) -> Tensor:
    """``t``'s current value in a private copy, at ``t``'s place in the graph.

    The recorded op saves this copy, so writing the result into ``t``'s memory does not
    corrupt what its own backward needs.
    """
    old = _new_tensor(t._data.copy())
    old.grad_fn = t.grad_fn
    old._out_idx = t._out_idx
    old._rg = t._rg
    old._accum = t._accum
    return old


def _view_base(t: Tensor) -> Tensor | None:
    """The tensor ``t`` is a view of, when ``t`` was made by a view op inside the graph."""
    node = t.grad_fn
    if node is None or not getattr(node, "is_view", False) or t._data.base is None:
        return None
    inputs = node._inputs
    if not inputs or not isinstance(inputs[0], TensorBase):
        return None
    return inputs[0]


def _positions_in(base, view):
    """Index arrays locating every element of ``view`` (an array view) inside ``base``.

    Works for any strides: the flat index of each of ``base``'s elements is written at
    that element's address in a scratch buffer, then read back through ``view``'s layout.
    ``None`` when ``view`` does not lie in ``base``'s memory (a copy, not a view).
    """
    item = base.itemsize
    low, high = _byte_bounds(base)
    view_low, view_high = _byte_bounds(view)
    if not view.size or view_low < low or view_high > high or view.itemsize != item:
        return None
    scratch = xp.full((high - low) // item, -1, dtype=xp.int64)

    def laid_out_like(array):
        start = (array.__array_interface__["data"][0] - low) // item
        strides = tuple(s // item * scratch.itemsize for s in array.strides)
        return xp.lib.stride_tricks.as_strided(scratch[start:], shape=array.shape, strides=strides)

    laid_out_like(base)[...] = xp.arange(base.size).reshape(base.shape)
    pos = laid_out_like(view).copy()
    if pos.min() < 0:  # in base's memory span but not on its elements
        return None
    return xp.unravel_index(pos, base.shape)


def _refresh_views(t: Tensor) -> None:
    """Views of ``t`` made before ``t`` changed in place now read from its new history."""
    refs = t._extra.get("views") if t._extra else None
    if not refs:
        return
    alive = []
    for ref in tuple(refs):  # AsStrided below is a view op too: it appends to ``refs``
        view = ref()
        if view is None or view._version_counter is not t._version_counter:
            continue
        index = _positions_in(t._data, view._data)
        if index is None:
            continue
        alive.append(ref)
        picked = AsStrided.apply(t, index=index)
        view.grad_fn = picked.grad_fn
        view._out_idx = 0
        view._rg = picked._rg
        _refresh_views(view)
    t._extra["views"] = alive


def assign(t: Tensor, new: Tensor) -> None:
    """Make ``t`` hold ``new``'s value and history, in ``t``'s own memory.

    ``new`` is the out-of-place result of an in-place op on ``t``. When ``t`` is a view,
    its base is rebased too (``CopySlices``), so both give PyTorch's gradients.
    """
    data = new._data
    if data.shape != t._data.shape:
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(data.shape)}"
        )
    base = _view_base(t)
    index = None if base is None else _positions_in(base._data, t._data)
    if index is not None:
        value = new if data.dtype == base._data.dtype else new.to(base.dtype)
        assign(base, CopySlices.apply(base, value, index=index))  # refreshes t's history too
        return
    t._data[...] = data
    t.grad_fn = new.grad_fn
    t._out_idx = new._out_idx
    t._rg = new._rg
    t._version_counter[0] += 1
    _refresh_views(t)


def inplace_unary(t: Tensor, fn) -> Tensor:
    """Apply ``fn`` (an out-of-place op) and store the result into ``t``."""
    recording = STATE.enabled and t._rg
    check_inplace(t, recording)
    if recording:
        assign(t, fn(_old_value(t)))
        return t
    new = fn(t.detach())
    if STATE.enabled and new._rg:  # the written values need a gradient (a src or value that does)
        assign(t, fn(_old_value(t)))
        return t
    new = new._data
    if new.shape != t._data.shape:
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(new.shape)}; an in-place op cannot change the tensor's shape"
        )
    t._data[...] = new
    t._version_counter[0] += 1
    return t


def fill_(t: Tensor, value, kind: str = "fill") -> Tensor:
    """``fill_(value)`` / ``zero_()`` (``kind`` names the node PyTorch records)."""
    if isinstance(value, TensorBase):
        if value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        value = value.item()
    recording = STATE.enabled and t._rg
    check_inplace(t, recording)
    if recording:
        assign(t, _FILL_NODES[kind].apply(t, value=value))
        return t
    t._data[...] = value
    t._version_counter[0] += 1
    return t


def copy_(t: Tensor, src) -> Tensor:
    src = _dispatch.as_operand(src)
    if not isinstance(src, TensorBase):
        return fill_(t, src)
    recording = STATE.enabled and (t._rg or src._rg)
    check_inplace(t, recording)
    try:
        xp.broadcast_to(src._data, t._data.shape)
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {list(src.shape)} can't be broadcast to the "
            f"destination's shape {list(t.shape)}"
        ) from None
    check_no_partial_overlap(t._data, src._data)
    if recording:
        assign(t, Copy.apply(t, src))
        return t
    t._data[...] = src._data
    t._version_counter[0] += 1
    return t


def fill_random(t: Tensor, values, kind: str = "normal") -> Tensor:
    """Write freshly drawn values (``normal_``, ``uniform_``): no gradient flows through them."""
    recording = STATE.enabled and t._rg
    check_inplace(t, recording)
    if recording:
        assign(t, _FILL_NODES[kind].apply(t, value=values))
        return t
    t._data[...] = values
    t._version_counter[0] += 1
    return t


def setitem(a: Tensor, index, value) -> None:
    """``a[index] = value``: in place, or recorded as CopySlices when it joins the graph."""
    idx, advanced, _, _ = indexing._convert_index(index)
    indexing._check_bounds(a, idx)
    value_is_tensor = isinstance(value, TensorBase)
    v = value._data if value_is_tensor else xp.asarray(value)
    if v.ndim and v.shape[0] == 1:  # PyTorch drops a value's leading size-1 dimensions first
        kept = v.shape
        while kept and kept[0] == 1:
            kept = kept[1:]
        if value_is_tensor:
            value = value.reshape(kept)  # (recorded, when the value is in the graph)
        v = v.reshape(kept)
    if v.dtype != a._data.dtype:
        v = v.astype(a._data.dtype)
    elif value_is_tensor and xp.may_share_memory(a._data, v):  # ``x[1:] = x[:-1]``
        check_no_partial_overlap(a._data if advanced else a._data[idx], v)
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
        a._version_counter[0] += 1
        return
    value_t = value if value_is_tensor else _new_tensor(v)
    op = indexing.IndexPut if advanced else CopySlices
    try:
        result = op.run((a, value_t), (a._data, v), {"index": idx})
    except ValueError as exc:
        raise RuntimeError(
            f"could not assign a value of shape {list(v.shape)} to tensor{list(a.shape)}"
            f"[{index!r}]: {exc}"
        ) from None
    assign(a, result)  # into a's memory, so views and bases stay in sync
