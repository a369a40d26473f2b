"""Tensor creation functions: ``tensor``, ``zeros``, ``arange``, ``randn``, ``*_like``, ..."""

from __future__ import annotations

import math
import warnings
from numbers import Number
from typing import TYPE_CHECKING, cast

from glassgrad import _dtypes, _random
from glassgrad._backend import ndarray, xp
from glassgrad._kernels.simd import fuses_multiply_add
from glassgrad._tensor_base import TensorBase, _check_can_require_grad, _new_tensor

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from glassgrad._tensor import Tensor

__all__ = [
    "arange",
    "as_tensor",
    "asarray",
    "bernoulli",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "logspace",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "scalar_tensor",
    "tensor",
    "zeros",
    "zeros_like",
]


def _finish(array: ndarray, requires_grad: bool, device=None) -> Tensor:
    if device is not None:
        _dtypes.check_device(device)
    t = _new_tensor(array)
    if requires_grad:
        _check_can_require_grad(array)
        t._rg = True
    return t


def _infer_np_dtype(data):
    """PyTorch's inference: Python floats -> default float, ints -> int64, bools -> bool."""
    array = xp.asarray(data)
    kind = array.dtype.kind
    if kind == "f":
        return _dtypes.DEFAULTS.float_dtype.np
    if kind in "iu":
        return xp.int64
    if kind == "b":
        return xp.bool_
    raise TypeError(
        f"can't build a tensor from {type(data).__name__} data of NumPy kind {array.dtype}; "
        "use numbers, nested lists of numbers, or NumPy arrays"
    )


def _unwrap(data):
    if isinstance(data, TensorBase):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


def _ragged_check(data, depth=0):
    if isinstance(data, (list, tuple)) and data:
        lengths = {len(d) if isinstance(d, (list, tuple)) else -1 for d in data}
        if len(lengths) > 1:
            first = (
                next(d for d in data if isinstance(d, (list, tuple))) if -1 in lengths else data[0]
            )
            bad = next(
                d
                for d in data
                if (len(d) if isinstance(d, (list, tuple)) else -1)
                != (len(first) if isinstance(first, (list, tuple)) else -1)
            )
            got = len(bad) if isinstance(bad, (list, tuple)) else "a scalar"
            want = len(first) if isinstance(first, (list, tuple)) else 1
            raise ValueError(
                f"expected sequence of length {want} at dim {depth + 1} (got {got}): nested "
                "lists must be rectangular"
            )
        for d in data:
            _ragged_check(d, depth + 1)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """Build a tensor from data (copied), inferring the dtype as PyTorch does.

    Example:
        >>> torch.tensor([1, 2, 3])
        tensor([1, 2, 3])
        >>> torch.tensor(2.5, requires_grad=True)
        tensor(2.5000, requires_grad=True)
    """
    if isinstance(data, TensorBase):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
            "rather than torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        array = data._data
        np_dtype = array.dtype if dtype is None else _dtypes.to_dtype(dtype).np
        return _finish(array.astype(np_dtype, copy=True), requires_grad, device)
    if isinstance(data, (ndarray, xp.generic)):
        array = xp.asarray(data)
        if dtype is None:
            _dtypes.from_numpy_dtype(array.dtype)  # refuse unsupported dtypes clearly
            np_dtype = (
                array.dtype if array.dtype.kind != "u" or array.dtype == xp.uint8 else xp.int64
            )
        else:
            np_dtype = _dtypes.to_dtype(dtype).np
        return _finish(array.astype(np_dtype, copy=True), requires_grad, device)
    if isinstance(data, (list, tuple)):
        _ragged_check(data)
        data = _unwrap(data)
    elif data is None:
        raise RuntimeError(
            "Could not infer dtype of NoneType: torch.tensor needs a number, a (nested) list of "
            "numbers, a NumPy array or a tensor"
        )
    elif not isinstance(data, (Number, bool)):
        raise TypeError(
            f"Could not infer dtype of {type(data).__name__}: torch.tensor takes a number, a "
            "(nested) list or tuple of numbers, a NumPy array or a tensor"
        )
    np_dtype = _infer_np_dtype(data) if dtype is None else _dtypes.to_dtype(dtype).np
    try:
        array = xp.array(data, dtype=np_dtype)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"could not build a tensor from the given data: {exc}") from None
    return _finish(array, requires_grad, device)


def scalar_tensor(value, dtype=None, device=None, requires_grad=False) -> Tensor:
    d = _dtypes.DEFAULTS.float_dtype if dtype is None else _dtypes.to_dtype(dtype)
    return _finish(xp.array(value, dtype=d.np), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array / tensor when the dtype allows."""
    if isinstance(data, TensorBase):
        t = cast("Tensor", data)  # (this layer sees TensorBase; every tensor is a Tensor)
        return t if dtype is None else t.to(_dtypes.to_dtype(dtype))
    if isinstance(data, ndarray) and (dtype is None or _dtypes.to_dtype(dtype).np == data.dtype):
        _dtypes.from_numpy_dtype(data.dtype)
        return _finish(data, False, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(array: ndarray) -> Tensor:
    """A tensor sharing memory with the array."""
    if not isinstance(array, ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtypes.from_numpy_dtype(array.dtype)
    return _new_tensor(array)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        shape = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"size must be ints or a tuple of ints, got {size!r}") from None
    for s in shape:
        if s < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(shape)}"
            )
    return shape


def _float_dtype(dtype):
    return (_dtypes.DEFAULTS.float_dtype if dtype is None else _dtypes.to_dtype(dtype)).np


def _random_float_dtype(dtype, what: str):
    """Random floats can only be drawn into floating-point tensors (as in PyTorch)."""
    d = _dtypes.DEFAULTS.float_dtype if dtype is None else _dtypes.to_dtype(dtype)
    if not d.is_floating_point:
        raise NotImplementedError(
            f"{what} is not implemented for dtype {d!r}: it draws floating-point values; "
            "use torch.randint for integers, or a float dtype"
        )
    return d.np


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(xp.zeros(_size(size), dtype=_float_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(xp.ones(_size(size), dtype=_float_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    np_dtype: DTypeLike
    if dtype is None:
        if isinstance(fill_value, bool):
            np_dtype = xp.bool_
        elif isinstance(fill_value, int):
            np_dtype = xp.int64
        else:
            np_dtype = _dtypes.DEFAULTS.float_dtype.np
    else:
        np_dtype = _dtypes.to_dtype(dtype).np
    fill_value = _number(fill_value)
    return _finish(xp.full(_size((size,)), fill_value, dtype=np_dtype), requires_grad, device)


def _number(value):
    """A tensor given for a number (a fill value, arange's bounds) as its Python number."""
    return cast("Tensor", value).item() if isinstance(value, TensorBase) else value


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(xp.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start to end (exclusive); int64 unless an argument is a float."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v) for v in (start, end, step))
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign (start={start}, "
            f"end={end}, step={step})"
        )
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        d = _dtypes.DEFAULTS.float_dtype if is_float else _dtypes.int64
    else:
        d = _dtypes.to_dtype(dtype)
    if d is _dtypes.int64:  # PyTorch truncates the bounds to integers first for int64
        start, end, step = int(start), int(end), int(step)
    count = max(0, math.ceil((end - start) / step))
    if d.is_floating_point or d is _dtypes.int64:
        values = start + step * xp.arange(count, dtype=xp.float64 if d.is_floating_point else None)
    else:
        values = xp.trunc(start + step * xp.arange(count, dtype=xp.float64))
    return _finish(values.astype(d.np), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    np_dtype = xp.dtype(_float_dtype(dtype))
    if np_dtype.kind != "f" or int(steps) < 2:
        array = xp.linspace(start, end, int(steps)).astype(np_dtype)
    else:
        array = _linspace_like_torch(start, end, int(steps), np_dtype)
    return _finish(array, requires_grad, device)


def _linspace_like_torch(start, end, steps: int, np_dtype):
    """PyTorch's CPU linspace, bit for bit: a step in the tensor's dtype, the first half
    counted up from ``start`` and the rest down from ``end``, each as one fused multiply-add
    (emulated by computing in a wider float and rounding once) where PyTorch's build fuses
    (``_kernels.simd.fuses_multiply_add``), else with the product rounded first."""
    lo, hi = np_dtype.type(start), np_dtype.type(end)
    step = (hi - lo) / np_dtype.type(steps - 1)
    wide = xp.float64 if np_dtype.itemsize < 8 else xp.longdouble
    if not fuses_multiply_add():
        wide = np_dtype.type
    i = xp.arange(steps)
    up = wide(lo) + wide(step) * i.astype(wide)
    down = wide(hi) - wide(step) * (steps - 1 - i).astype(wide)
    return xp.where(i < steps // 2, up, down).astype(np_dtype)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(
        xp.logspace(start, end, int(steps), base=base).astype(_float_dtype(dtype)),
        requires_grad,
        device,
    )


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    array = xp.empty(_size(size), _random_float_dtype(dtype, "rand"))
    return _finish(_random.fill_uniform(array, 0.0, 1.0, generator), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    array = xp.empty(_size(size), _random_float_dtype(dtype, "randn"))
    return _finish(_random.fill_normal(array, 0.0, 1.0, generator), requires_grad, device)


def randint(
    low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    np_dtype = xp.int64 if dtype is None else _dtypes.to_dtype(dtype).np
    array = xp.empty(_size((size,)), np_dtype)
    return _finish(_random.fill_random(array, low, high, generator), requires_grad, device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    np_dtype = xp.int64 if dtype is None else _dtypes.to_dtype(dtype).np
    values = _random.randperm(_random.gen(generator), _size((n,))[0])
    return _finish(values.astype(np_dtype, copy=False), requires_grad, device)


def normal(
    mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Normal samples: tensor mean and/or std (elementwise, drawn as ``normal_(0, 1)`` on the
    broadcast shape, then ``* std + mean``, as ATen does) or numbers with a size."""
    if isinstance(mean, TensorBase) or isinstance(std, TensorBase):
        return _normal_tensor(mean, std, generator)
    if size is None:
        raise TypeError("normal() with float mean and std needs a size")
    array = xp.empty(_size((size,)), _float_dtype(dtype))
    values = _random.fill_normal(array, mean, std, generator)
    return _finish(values, requires_grad, device)


def _normal_tensor(mean, std, generator) -> Tensor:
    m = mean._data if isinstance(mean, TensorBase) else mean
    s = std._data if isinstance(std, TensorBase) else std
    if isinstance(std, TensorBase) and (s < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not isinstance(std, TensorBase) and s < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {s}")
    ref = mean if isinstance(mean, TensorBase) else std
    shape = xp.broadcast_shapes(xp.shape(m), xp.shape(s))
    noise = _random.fill_normal(xp.empty(shape, ref._data.dtype), 0.0, 1.0, generator)
    dtype = ref._data.dtype
    return _new_tensor(noise * xp.asarray(s, dtype) + xp.asarray(m, dtype))


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """0/1 draws: probabilities from ``input`` (or the number ``p``), shaped like ``input``."""
    target = xp.empty(input.shape, input._data.dtype)
    probs = input._data if p is None else float(p)
    return _new_tensor(_random.fill_bernoulli(target, probs, generator))


def multinomial(input: Tensor, num_samples: int, replacement=False, *, generator=None) -> Tensor:
    values = _random.multinomial(input._data, int(num_samples), replacement, generator)
    return _new_tensor(values)


def _like(fn):
    def like(
        input: Tensor,
        *,
        dtype=None,
        device=None,
        requires_grad=False,
        memory_format=None,
        **kwargs,
    ) -> Tensor:
        d = input.dtype if dtype is None else _dtypes.to_dtype(dtype)
        return fn(*input.shape, dtype=d, device=device, requires_grad=requires_grad, **kwargs)

    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape (and dtype) of ``input``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def _random_like(fill, what: str):
    """``rand_like`` / ``randn_like``: like ``empty_like``, the result keeps a permuted input's
    memory layout, so the draws land in PyTorch's order (and a transposed input's normal draws
    take ATen's one-at-a-time path, as its result is not contiguous)."""

    def like(input: Tensor, *, dtype=None, device=None, requires_grad=False, memory_format=None):
        d = input.dtype if dtype is None else _dtypes.to_dtype(dtype)
        array = xp.empty_like(input._data, dtype=_random_float_dtype(d, what))
        return _finish(fill(array), requires_grad, device)

    like.__name__ = what
    like.__doc__ = f"``{what[:-5]}`` with the shape, dtype and memory layout of ``input``."
    return like


rand_like = _random_like(lambda a: _random.fill_uniform(a, 0.0, 1.0), "rand_like")
randn_like = _random_like(lambda a: _random.fill_normal(a, 0.0, 1.0), "randn_like")


def full_like(
    input: Tensor,
    fill_value,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    memory_format=None,
) -> Tensor:
    d = input.dtype if dtype is None else _dtypes.to_dtype(dtype)
    return full(input.shape, fill_value, dtype=d, device=device, requires_grad=requires_grad)


def randint_like(
    input: Tensor,
    low=0,
    high=None,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
) -> Tensor:
    if high is None:
        low, high = 0, low
    d = input.dtype if dtype is None else _dtypes.to_dtype(dtype)
    array = xp.empty_like(input._data, dtype=d.np)  # a permuted input's layout, as empty_like
    return _finish(_random.fill_random(array, low, high), requires_grad, device)
