"""Legacy typed constructors (``torch.FloatTensor``, ``torch.LongTensor``, ...).

Older lessons build tensors with ``torch.LongTensor(labels)`` and convert with
``x.type(torch.FloatTensor)``; each name makes a tensor of its dtype and matches tensors of
that dtype in ``isinstance``, as in PyTorch.
"""

from __future__ import annotations

from glassgrad import _dtypes
from glassgrad.tensor import Tensor

__all__ = ["LEGACY_TYPES"]


class _LegacyTypeMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor) and other.dtype == cls._legacy_dtype


def _make(name: str, dtype: _dtypes.dtype) -> type:
    def __new__(cls, *args, requires_grad: bool = False):
        return Tensor(*args, dtype=dtype, requires_grad=requires_grad)

    namespace = {
        "__new__": __new__,
        "__module__": "torch",
        "__doc__": f"``torch.{name}(data)`` or ``torch.{name}(*sizes)``: a {dtype} tensor.",
        "_legacy_dtype": dtype,
    }
    return _LegacyTypeMeta(name, (), namespace)


LEGACY_TYPES = {
    name: _make(name, dtype)
    for name, dtype in [
        ("FloatTensor", _dtypes.float32),
        ("DoubleTensor", _dtypes.float64),
        ("HalfTensor", _dtypes.float16),
        ("LongTensor", _dtypes.int64),
        ("IntTensor", _dtypes.int32),
        ("ShortTensor", _dtypes.int16),
        ("CharTensor", _dtypes.int8),
        ("ByteTensor", _dtypes.uint8),
        ("BoolTensor", _dtypes.bool_),
    ]
}
