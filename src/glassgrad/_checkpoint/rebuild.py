"""The glassgrad objects that PyTorch's rebuild functions and allow-listed builtins become.

Every function checks its arguments before building anything: a hostile pickle can call
these with any values, so sizes, strides and offsets must describe memory inside the loaded
storage, and no call may allocate more than the file itself holds.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from numbers import Integral

from glassgrad import _dtypes
from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.nn.parameter import Parameter

MAX_DIMS = 64  # NumPy's limit on dimensions


class RebuildError(ValueError):
    """A rebuild call whose arguments do not describe a valid object (the loader adds the file)."""


class StorageType:
    """Stands for a typed storage class (``torch.FloatStorage``): the dtype of its elements."""

    __slots__ = ("dtype",)

    def __init__(self, dtype_name: str) -> None:
        self.dtype = _dtypes.to_dtype(dtype_name)

    def __repr__(self) -> str:
        return f"<storage type of {self.dtype!r}>"


class Storage:
    """A loaded storage: a 1-D array over the record's bytes, shared by the tensors viewing it."""

    __slots__ = ("array", "location")

    def __init__(self, array: ndarray, location: str) -> None:
        self.array = array
        self.location = location

    @property
    def dtype(self):
        return _dtypes.from_numpy_dtype(self.array.dtype)

    def __repr__(self) -> str:
        return f"<storage of {self.array.size} {self.dtype!r} on {self.location}>"


def _int(value, what: str) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise RebuildError(f"{what} is {value!r}, not an integer")
    return int(value)


def _strided_view(storage, offset, size, stride) -> ndarray:
    """The view of ``storage`` a tensor describes, refusing anything reaching outside it."""
    if not isinstance(storage, Storage):
        raise RebuildError(f"a tensor's storage is {type(storage).__name__}, not a storage")
    if not isinstance(size, (tuple, list)) or not isinstance(stride, (tuple, list)):
        raise RebuildError(f"size {size!r} and stride {stride!r} must be tuples")
    if len(size) != len(stride) or len(size) > MAX_DIMS:
        raise RebuildError(f"size {size!r} and stride {stride!r} differ in length or exceed 64")
    offset = _int(offset, "storage_offset")
    shape = tuple(_int(s, "a size") for s in size)
    steps = tuple(_int(s, "a stride") for s in stride)
    if offset < 0 or any(s < 0 for s in shape) or any(s < 0 for s in steps):
        raise RebuildError(
            f"negative size, stride or offset (size {shape}, stride {steps}, offset {offset})"
        )
    available = storage.array.size
    last = offset + sum((n - 1) * s for n, s in zip(shape, steps))
    if 0 in shape:  # touches no memory: only the offset must lie within the storage
        if offset > available:
            raise RebuildError(f"storage offset {offset} is past the storage's {available} items")
    elif last >= available:
        raise RebuildError(
            f"a tensor of size {list(shape)}, stride {list(steps)} at offset {offset} reaches "
            f"element {last}, past the storage's {available} elements"
        )
    itemsize = storage.array.itemsize
    # a view whose .base is the storage array, so a later save finds the shared block again
    return xp.ndarray(
        shape,
        dtype=storage.array.dtype,
        buffer=storage.array,
        offset=offset * itemsize,
        strides=tuple(s * itemsize for s in steps),
    )


def _tensor(array: ndarray, requires_grad) -> Tensor:
    t = _new_tensor(array)
    if requires_grad:
        if array.dtype.kind != "f":
            raise RebuildError(f"a {t.dtype!r} tensor is marked requires_grad")
        t.requires_grad_(True)
    return t


def _no_hooks(hooks) -> None:
    if hooks:
        raise RebuildError("the file stores backward hooks; PyTorch never saves hooks")


def rebuild_tensor(storage, storage_offset, size, stride) -> Tensor:
    return _tensor(_strided_view(storage, storage_offset, size, stride), False)


def rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None
) -> Tensor:
    _no_hooks(backward_hooks)
    if metadata:
        raise RebuildError(f"tensor metadata {metadata!r} (conjugate/negative bits) is unsupported")
    view = _strided_view(storage, storage_offset, size, stride)
    return _tensor(view, requires_grad is True)


def rebuild_tensor_v3(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
) -> Tensor:
    if not isinstance(dtype, _dtypes.dtype) or not isinstance(storage, Storage):
        raise RebuildError(f"_rebuild_tensor_v3 got dtype {dtype!r}")
    if storage.array.nbytes % dtype.itemsize:
        raise RebuildError(f"a storage of {storage.array.nbytes} bytes can't hold {dtype!r}")
    typed = Storage(storage.array.view(xp.uint8).view(dtype.np), storage.location)
    return rebuild_tensor_v2(
        typed, storage_offset, size, stride, requires_grad, backward_hooks, metadata
    )


def rebuild_parameter(data, requires_grad, backward_hooks) -> Parameter:
    if type(data) is not Tensor:
        raise RebuildError(f"a parameter's data is {type(data).__name__}, not a tensor")
    _no_hooks(backward_hooks)
    if requires_grad is True and not data.is_floating_point():
        raise RebuildError(f"a {data.dtype!r} parameter is marked requires_grad")
    return Parameter(data, requires_grad=requires_grad is True)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state) -> Parameter:
    if state:
        raise RebuildError(
            f"the parameter carries Python attributes {sorted(state)[:5]}, which glassgrad "
            "parameters can't hold"
        )
    return rebuild_parameter(data, requires_grad, backward_hooks)


def rebuild_from_type_v2(func, new_type, args, state):
    """A tensor saved with its subclass or Python attributes: only plain tensors and
    parameters without attributes exist in glassgrad."""
    if func not in (rebuild_tensor, rebuild_tensor_v2, rebuild_tensor_v3, rebuild_parameter):
        raise RebuildError(f"_rebuild_from_type_v2 asked to call {func!r}")
    if new_type not in (Tensor, Parameter):
        raise RebuildError(f"tensor subclass {new_type!r} is not a glassgrad type")
    if state:
        raise RebuildError(
            f"the tensor carries Python attributes {sorted(state)[:5]}, which glassgrad "
            "tensors can't hold"
        )
    if not isinstance(args, tuple):
        raise RebuildError("_rebuild_from_type_v2's arguments are not a tuple")
    result = func(*args)
    return Parameter(result, result.requires_grad) if new_type is Parameter else result


def size(dims=()) -> _dtypes.Size:
    if not isinstance(dims, (tuple, list)) or len(dims) > MAX_DIMS:
        raise RebuildError(f"torch.Size({dims!r}) is not a short tuple")
    return _dtypes.Size(_int(d, "a torch.Size entry") for d in dims)


def device(kind, index=None) -> _dtypes.device:
    if not isinstance(kind, str) or not (index is None or isinstance(index, int)):
        raise RebuildError(f"torch.device({kind!r}, {index!r}) is not a device")
    try:
        return _dtypes.device(kind, index)
    except RuntimeError as err:
        raise RebuildError(str(err)) from None


def encode_latin1(text, encoding="latin1") -> bytes:
    """``_codecs.encode``, which protocol 2 uses for bytes; only its Latin-1 form."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise RebuildError(f"_codecs.encode with encoding {encoding!r} (only latin1 is written)")
    return text.encode("latin1")


def make_bytearray(data=b"", encoding=None) -> bytearray:
    """``bytearray`` from bytes or text, never from a length (which could ask for terabytes)."""
    if isinstance(data, str) and encoding in ("latin1", "latin-1"):
        return bytearray(data, "latin1")
    if not isinstance(data, (bytes, list)) or encoding is not None:
        raise RebuildError(f"bytearray({type(data).__name__}) is not a bytes copy")
    try:
        return bytearray(data)
    except (TypeError, ValueError) as err:
        raise RebuildError(f"bytearray of {data!r:.60}: {err}") from None


def make_set(items=()) -> set:
    if not isinstance(items, (list, tuple)):
        raise RebuildError(f"set({type(items).__name__}) is not a set of listed items")
    try:
        return set(items)
    except TypeError as err:
        raise RebuildError(f"a set item is unhashable ({err})") from None


def make_complex(real=0.0, imag=0.0) -> complex:
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (real, imag)):
        raise RebuildError(f"complex({real!r}, {imag!r}) needs two numbers")
    return complex(real, imag)


def ordered_dict(items=()) -> OrderedDict:
    if not isinstance(items, (list, tuple, dict)):
        raise RebuildError(f"OrderedDict({type(items).__name__}) is not a dict of listed items")
    try:
        return OrderedDict(items)
    except (TypeError, ValueError) as err:
        raise RebuildError(f"OrderedDict of {type(items).__name__}: {err}") from None


def counter(items=()) -> Counter:
    return Counter(ordered_dict(items))


def parameter(data=None, requires_grad=True) -> Parameter:
    """``nn.Parameter(data, requires_grad)`` called from a pickle: data must be a tensor."""
    if type(data) is not Tensor:
        raise RebuildError(f"Parameter({type(data).__name__}) needs a tensor")
    return rebuild_parameter(data, requires_grad is True, None)
