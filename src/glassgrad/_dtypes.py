"""Tensor dtypes, devices, sizes and PyTorch's type-promotion rules."""

from __future__ import annotations

from numbers import Integral
from typing import Any

from glassgrad._backend import xp

__all__ = [
    "DeviceUnavailableError",
    "Size",
    "check_device",
    "device",
    "dtype",
    "finfo",
    "from_numpy_dtype",
    "get_default_dtype",
    "iinfo",
    "promote",
    "result_dtype",
    "set_default_dtype",
    "to_dtype",
    "unavailable",
]


class dtype:
    """A tensor element type; prints as PyTorch does (``torch.float32``)."""

    __slots__ = ("_kind", "is_complex", "is_floating_point", "is_signed", "itemsize", "name", "np")

    def __init__(self, name: str, np_dtype, kind: int):
        self.name = name
        self.np = xp.dtype(np_dtype)
        self._kind = kind  # 0 bool, 1 integer, 2 floating point
        self.is_floating_point = kind == 2
        self.is_complex = False
        self.is_signed = kind == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> dtype:
        return self


float32 = dtype("float32", "float32", 2)
float64 = dtype("float64", "float64", 2)
float16 = dtype("float16", "float16", 2)
int64 = dtype("int64", "int64", 1)
int32 = dtype("int32", "int32", 1)
int16 = dtype("int16", "int16", 1)
int8 = dtype("int8", "int8", 1)
uint8 = dtype("uint8", "uint8", 1)
bool_ = dtype("bool", "bool", 0)

ALL_DTYPES = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_BY_NP = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}


#: PyTorch's scalar type names (``Float``, ``Long``, ...: error messages, ``torch.FloatTensor``,
#: ``torch.FloatStorage``), by dtype name.
SCALAR_TYPE_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}
#: PyTorch's legacy tensor type names (``x.type()``, error messages), by dtype name.
LEGACY_TYPE_NAMES = {name: f"torch.{word}Tensor" for name, word in SCALAR_TYPE_NAMES.items()}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


class _Defaults:
    """Process-wide defaults PyTorch lets users change."""

    float_dtype = float32


DEFAULTS = _Defaults()


def get_default_dtype() -> dtype:
    return DEFAULTS.float_dtype


def set_default_dtype(d: dtype) -> None:
    if not isinstance(d, dtype) or not d.is_floating_point or d is float16:
        raise TypeError(
            f"only floating-point types are supported as the default type (got {d!r}); use "
            "torch.float32 or torch.float64"
        )
    DEFAULTS.float_dtype = d


def from_numpy_dtype(np_dtype) -> dtype:
    """Map a NumPy dtype to ours; clear error for the ones glassgrad has no tensor type for."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        pass
    np_dtype = xp.dtype(np_dtype)
    if np_dtype in _BY_NP:
        return _BY_NP[np_dtype]
    if np_dtype.kind == "u":
        return int64
    raise TypeError(
        f"can't convert an array of dtype {np_dtype} to a tensor: glassgrad supports "
        "float64, float32, float16, int64, int32, int16, int8, uint8 and bool"
    )


def to_dtype(d) -> dtype:
    """Accept our dtype objects, NumPy dtypes and Python types (``float``, ``int``, ``bool``)."""
    if type(d) is dtype:
        return d
    if d is None:
        return DEFAULTS.float_dtype
    import builtins

    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if isinstance(d, str):
        name = d.removeprefix("torch.")
        if name in _BY_NAME:
            return _BY_NAME[name]
        aliases = {
            "float": float32,
            "double": float64,
            "long": int64,
            "int": int32,
            "half": float16,
        }
        if name in aliases:
            return aliases[name]
        raise TypeError(f"unknown dtype {d!r}")
    try:
        return from_numpy_dtype(xp.dtype(d))
    except TypeError as exc:
        raise TypeError(
            f"dtype must be a glassgrad dtype such as torch.float32, got {d!r}"
        ) from exc


def promote(a: dtype, b: dtype) -> dtype:
    """PyTorch's dtype promotion: a higher category (bool < int < float) wins, else the wider."""
    if a is b:
        return a
    if a._kind != b._kind:
        return a if a._kind > b._kind else b
    return _BY_NP[xp.promote_types(a.np, b.np)]


def _scalar_kind(value) -> int:
    if value is True or value is False:
        return 0
    return 1 if isinstance(value, Integral) else 2


def result_dtype(a, b) -> dtype:
    """dtype of a binary op on tensors / Python numbers, following PyTorch's three tiers.

    Dimensioned tensors decide; a zero-dim tensor or a Python number only changes the
    result when it is of a higher category (an int tensor times 2.5 is float32, but a
    float32 tensor times a float64 zero-dim tensor stays float32).
    """
    # python scalar kind (an int), zero-dim dtype, dimensioned dtype
    tiers: list[Any] = [None, None, None]
    for operand in (a, b):
        d = getattr(operand, "dtype", None)
        if d is None:
            kind = _scalar_kind(operand)
            tiers[0] = kind if tiers[0] is None else max(tiers[0], kind)
        else:
            tier = 2 if operand.ndim else 1
            tiers[tier] = d if tiers[tier] is None else promote(tiers[tier], d)
    result = tiers[2]
    if tiers[1] is not None:
        if result is None or tiers[1]._kind > result._kind:
            result = tiers[1]
    if tiers[0] is not None:
        if result is None or tiers[0] > result._kind:
            result = (bool_, int64, DEFAULTS.float_dtype)[tiers[0]]
    return result


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")


class DeviceUnavailableError(AssertionError, RuntimeError):
    """A tensor was asked to live on a device other than the CPU.

    PyTorch builds without CUDA raise ``AssertionError`` here; deriving from
    ``RuntimeError`` too lets code that catches either keep working.
    """


class device:
    """Where a tensor lives (``torch.device``).

    Any PyTorch device type can be named, as in PyTorch, but glassgrad computes on the
    CPU only: placing a tensor on another device raises ``DeviceUnavailableError``.
    """

    __slots__ = ("index", "type")

    def __init__(self, type: str | int = "cpu", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, Integral) and not isinstance(type, bool):
            type, index = "cuda", int(type)
        elif isinstance(type, str) and ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device "
                f"string: {type}"
            )
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return other.type == self.type and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self) -> device:
        """``with torch.device('cpu'):`` (the only device there is) changes nothing."""
        check_device(self)
        return self

    def __exit__(self, *exc) -> None:
        return None


def check_device(where) -> None:
    """Refuse, clearly, any device but the CPU (``device=`` arguments, ``.to(...)``)."""
    d = where if type(where) is device else device(where)
    if d.type != "cpu":
        raise unavailable(d)


def unavailable(where) -> DeviceUnavailableError:
    """The error for asking for a device glassgrad does not have."""
    return DeviceUnavailableError(
        f"Torch not compiled with CUDA enabled: glassgrad runs on the CPU only, so device "
        f"'{where}' is not available. Use device='cpu', or pick the device with "
        "torch.device('cuda' if torch.cuda.is_available() else 'cpu')."
    )


CPU = device("cpu")


class Size(tuple):
    """A tensor shape: a tuple that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__


class finfo:
    """Limits of a floating-point dtype (``torch.finfo``)."""

    def __init__(self, type: dtype | None = None):
        d = DEFAULTS.float_dtype if type is None else to_dtype(type)
        if not d.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type, got {d!r}")
        info = xp.finfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer dtype (``torch.iinfo``)."""

    def __init__(self, type: dtype):
        d = to_dtype(type)
        if d.is_floating_point or d is bool_:
            raise TypeError(f"{d!r} is not supported by torch.iinfo; pass an integer dtype")
        info = xp.iinfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.max = int(info.max)
        self.min = int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
