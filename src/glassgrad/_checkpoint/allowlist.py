"""Which pickle globals a checkpoint may name, and the glassgrad object each one becomes.

``TORCH_ALLOWED`` is, name for name, the allow-list of PyTorch 2.13's ``weights_only=True``
loader (``torch/_weights_only_unpickler.py``, ``_get_allowed_globals``). Names glassgrad
can build map to a glassgrad object in ``GLOBALS``; the rest (sparse, quantized and nested
tensors, dtypes glassgrad lacks) are accepted by the allow-list but refused with a message
saying what glassgrad lacks. Users extend the list with ``add_safe_globals``, as in PyTorch.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Any

from glassgrad import _dtypes
from glassgrad._checkpoint import rebuild
from glassgrad._tensor import Tensor
from glassgrad.nn.parameter import Parameter

__all__ = [
    "BLOCKED_MODULES",
    "GLOBALS",
    "TORCH_ALLOWED",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "safe_globals",
    "unsupported_reason",
    "user_globals",
]

_STORAGES = [
    "BFloat16",
    "Bool",
    "Byte",
    "Char",
    "ComplexDouble",
    "ComplexFloat",
    "Double",
    "Float",
    "Half",
    "Int",
    "Long",
    "Short",
]
_TENSORS = ["BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long", "Short"]
_SPARSE = ["BFloat16", "Byte", "Char", "Double", "Float", "Half", "Int", "Long", "Short"]
_DTYPES = [
    "bfloat16",
    "bits16",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "bits8",
    "bool",
    "complex128",
    "complex32",
    "complex64",
    "float16",
    "float32",
    "float4_e2m1fn_x2",
    "float64",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "int1",
    "int16",
    "int2",
    "int3",
    "int32",
    "int4",
    "int5",
    "int6",
    "int64",
    "int7",
    "int8",
    "qint32",
    "qint8",
    "quint2x4",
    "quint4x2",
    "quint8",
    "uint1",
    "uint16",
    "uint2",
    "uint3",
    "uint32",
    "uint4",
    "uint5",
    "uint6",
    "uint64",
    "uint7",
    "uint8",
]
_REBUILDS = [
    "device_tensor_from_cpu_tensor",
    "device_tensor_from_numpy",
    "meta_tensor_no_storage",
    "nested_tensor",
    "parameter",
    "parameter_with_state",
    "qtensor",
    "sparse_tensor",
    "tensor",
    "tensor_v2",
    "tensor_v3",
    "wrapper_subclass",
]
_QSCHEMES = [
    "per_channel_affine",
    "per_channel_affine_float_qparams",
    "per_channel_symmetric",
    "per_tensor_affine",
    "per_tensor_symmetric",
]

TORCH_ALLOWED = frozenset(
    [
        "_codecs.encode",
        "builtins.bytearray",
        "builtins.complex",
        "builtins.set",
        "collections.Counter",
        "collections.OrderedDict",
        "torch.Size",
        "torch.Tensor",
        "torch.device",
        "torch.nn.parameter.Parameter",
        "torch.serialization._get_layout",
        "torch._tensor._rebuild_from_type_v2",
        "torch.storage.TypedStorage",
        "torch.storage.UntypedStorage",
        "torch.QInt32Storage",
        "torch.QInt8Storage",
        "torch.QUInt2x4Storage",
        "torch.QUInt4x2Storage",
        "torch.QUInt8Storage",
    ]
    + [f"torch.{n}Storage" for n in _STORAGES]
    + [f"torch.cuda.{n}Storage" for n in _STORAGES]
    + [f"torch.{n}Tensor" for n in _TENSORS]
    + [f"torch.cuda.{n}Tensor" for n in _TENSORS]
    + [f"torch.sparse.{n}Tensor" for n in _SPARSE]
    + [f"torch.cuda.sparse.{n}Tensor" for n in _SPARSE]
    + [f"torch.{n}" for n in _DTYPES + _QSCHEMES]
    + [f"torch._utils._rebuild_{n}" for n in _REBUILDS]
)

BLOCKED_MODULES = ("sys", "os", "posix", "nt")

GLOBALS: dict[str, Any] = {
    "collections.OrderedDict": OrderedDict,
    "collections.Counter": Counter,
    "torch.nn.parameter.Parameter": Parameter,
    "torch.Tensor": Tensor,
    "torch.Size": rebuild.size,
    "torch.device": rebuild.device,
    "_codecs.encode": rebuild.encode_latin1,
    "builtins.bytearray": rebuild.make_bytearray,
    "builtins.set": rebuild.make_set,
    "builtins.complex": rebuild.make_complex,
    "torch.storage.UntypedStorage": rebuild.StorageType("uint8"),
    "torch._utils._rebuild_tensor": rebuild.rebuild_tensor,
    "torch._utils._rebuild_tensor_v2": rebuild.rebuild_tensor_v2,
    "torch._utils._rebuild_tensor_v3": rebuild.rebuild_tensor_v3,
    "torch._utils._rebuild_parameter": rebuild.rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": rebuild.rebuild_parameter_with_state,
    "torch._tensor._rebuild_from_type_v2": rebuild.rebuild_from_type_v2,
}
for _d in _dtypes.ALL_DTYPES:
    GLOBALS[f"torch.{_d.name}"] = _d
for _name, _short in _dtypes.SCALAR_TYPE_NAMES.items():
    GLOBALS[f"torch.{_short}Storage"] = rebuild.StorageType(_name)
    GLOBALS[f"torch.cuda.{_short}Storage"] = rebuild.StorageType(_name)
assert set(GLOBALS) <= TORCH_ALLOWED


def unsupported_reason(full_name: str) -> str:
    """Why an allow-listed PyTorch global has no glassgrad counterpart."""
    short = full_name.rsplit(".", 1)[1]
    if "sparse" in full_name or short in ("_rebuild_sparse_tensor", "_get_layout"):
        return "glassgrad has dense (strided) tensors only, no sparse layouts"
    if short.startswith(("Q", "q", "per_", "_rebuild_qtensor")):
        return "glassgrad has no quantized tensors"
    if short.endswith("Tensor"):
        return "glassgrad does not rebuild legacy typed tensor classes; re-save with torch.save"
    if short.endswith("Storage"):
        return f"glassgrad has no dtype for {short}"
    if short.startswith("_rebuild"):
        return "glassgrad rebuilds only plain CPU tensors and parameters"
    return f"glassgrad has no dtype torch.{short}"


_safe: dict[Any, None] = {}  # insertion-ordered set of what users registered


def add_safe_globals(safe_globals: list) -> None:
    """Mark globals as safe for ``load(weights_only=True)``, as PyTorch's function of this name.

    Each entry is a class or function (matched by ``module.qualname``) or a
    ``(obj, "module.name")`` pair matching another name in the file.

    Example:
        >>> torch.serialization.add_safe_globals([MyConfig])
    """
    for entry in safe_globals:
        _entry_name(entry)
        _safe[entry] = None


def get_safe_globals() -> list:
    """What ``add_safe_globals`` registered."""
    return list(_safe)


def clear_safe_globals() -> None:
    """Forget every global ``add_safe_globals`` registered."""
    _safe.clear()


class safe_globals:
    """Context manager registering globals for the ``with`` block only (as PyTorch's).

    Example:
        >>> with torch.serialization.safe_globals([MyConfig]):
        ...     cfg = torch.load("cfg.pt")
    """

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        self._added = [g for g in self.safe_globals if g not in _safe]
        add_safe_globals(self._added)

    def __exit__(self, *exc) -> None:
        for entry in self._added:
            _safe.pop(entry, None)


def user_globals() -> dict[str, Any]:
    """The registered globals by the name a pickle refers to them with."""
    return dict(_entry_name(entry) for entry in _safe)


def _entry_name(entry) -> tuple[str, Any]:
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError(
                "Expected tuple of length 2 (global, str of callable full path), but got "
                f"tuple of length: {len(entry)}"
            )
        if type(entry[1]) is not str:
            raise TypeError(
                "Expected second item in tuple to be str of callable full path, but got: "
                f"{type(entry[1])}"
            )
        return entry[1], entry[0]
    return f"{entry.__module__}.{entry.__qualname__}", entry
