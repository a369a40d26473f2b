"""Writes ``data.pkl`` as ``torch.save`` does, without importing torch.

PyTorch pickles (protocol 2) a tensor as ``torch._utils._rebuild_tensor_v2(storage,
storage_offset, size, stride, requires_grad, OrderedDict())`` and a parameter as
``torch._utils._rebuild_parameter(tensor, requires_grad, OrderedDict())``; the storage is a
persistent id ``('storage', torch.FloatStorage, key, 'cpu', numel)`` whose bytes are the
record ``data/<key>``. The names in torch's namespace are written by ``TorchName`` stand-ins
(the standard pickler would insist on importing them). Each storage is the whole memory block
a tensor views, saved once however many tensors view it, as PyTorch does: views that share
memory share it again after loading, in glassgrad or in PyTorch.
"""

from __future__ import annotations

import functools
import pickle
from collections import OrderedDict
from typing import Any

from glassgrad import _dtypes
from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad.nn.parameter import Parameter

__all__ = ["STORAGE_NAMES", "CheckpointPickler", "TorchName", "memory_block", "torch_name"]

#: PyTorch's typed storage class for each glassgrad dtype.
STORAGE_NAMES = {name: f"{word}Storage" for name, word in _dtypes.SCALAR_TYPE_NAMES.items()}


class TorchName:
    """Stands for the global ``module.name`` in a pickle (a name in torch's namespace)."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args):
        """Never called: the pickler only checks that a reduce function is callable."""
        raise TypeError(f"{self.module}.{self.name} only names a PyTorch global in a pickle")


@functools.cache
def torch_name(module: str, name: str) -> TorchName:
    """One stand-in per name, so the pickle memoizes it (``BINGET``) as torch's does."""
    return TorchName(module, name)


class _Storage:
    """One saved storage: its key, typed-storage name, element count and bytes."""

    __slots__ = ("data", "key", "numel", "type_name")

    def __init__(self, key: str, dtype_name: str, data: ndarray) -> None:
        self.key = key
        self.type_name = torch_name("torch", STORAGE_NAMES[dtype_name])
        self.numel = data.nbytes // _dtypes.to_dtype(dtype_name).itemsize
        self.data = data


class _ParameterData:
    """A parameter's tensor without its Parameter class (what ``param.data`` pickles as)."""

    __slots__ = ("param",)

    def __init__(self, param: Parameter) -> None:
        self.param = param


class CheckpointPickler(pickle._Pickler):
    """Protocol-2 pickler writing tensors, dtypes, sizes and devices as torch.save does.

    The pure-Python pickler is used because only it lets a stand-in write a ``GLOBAL`` for a
    module that is not importable here; the bulk of a checkpoint (the storages) never passes
    through it.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file) -> None:
        super().__init__(file, protocol=2)
        self.storages: dict[tuple[int, str], _Storage] = {}
        self._keep_alive: list[Any] = []

    def persistent_id(self, obj):
        if type(obj) is _Storage:
            return ("storage", obj.type_name, obj.key, "cpu", obj.numel)
        return None

    def reducer_override(self, obj):
        kind = type(obj)
        if kind is _ParameterData:
            return self._reduce_tensor(obj.param, requires_grad=False)
        if isinstance(obj, Parameter):
            args = (_ParameterData(obj), obj.requires_grad, OrderedDict())
            return torch_name("torch._utils", "_rebuild_parameter"), args
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj, obj.requires_grad)
        if kind is _dtypes.Size:
            return torch_name("torch", "Size"), (tuple(int(s) for s in obj),)
        if kind is _dtypes.device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return torch_name("torch", "device"), args
        return NotImplemented

    def _reduce_tensor(self, tensor: Tensor, requires_grad: bool):
        array = tensor._data
        storage, offset = self._storage_of(array, tensor.dtype.name)
        strides = tuple(s // array.itemsize for s in array.strides)
        args = (storage, offset, tuple(array.shape), strides, requires_grad, OrderedDict())
        return torch_name("torch._utils", "_rebuild_tensor_v2"), args

    def _storage_of(self, array: ndarray, dtype_name: str) -> tuple[_Storage, int]:
        """The storage holding ``array`` (the whole memory block it views) and its element
        offset in it; an array that cannot be described so (negative or misaligned strides)
        gets a contiguous copy of its own, as ``torch.Tensor`` never has such strides."""
        root, block, byte_offset = memory_block(array)
        if root is None:
            root = xp.ascontiguousarray(array)
            block, byte_offset = root.reshape(-1).view(xp.uint8), 0
        key = (id(root), dtype_name)
        storage = self.storages.get(key)
        if storage is None:
            storage = _Storage(str(len(self.storages)), dtype_name, block)
            self.storages[key] = storage
            self._keep_alive.append(root)  # its id must not be reused while pickling
        return storage, byte_offset // array.itemsize

    def save_torch_name(self, obj: TorchName) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def save_dtype(self, obj: _dtypes.dtype) -> None:
        self.save(torch_name("torch", obj.name))

    dispatch[TorchName] = save_torch_name
    dispatch[_dtypes.dtype] = save_dtype


def memory_block(array: ndarray) -> tuple[ndarray | None, ndarray | None, int]:
    """(the array owning the memory ``array`` views, that whole block as uint8, ``array``'s
    byte offset in it), or Nones when ``array`` can't be a strided view of a torch storage."""
    itemsize = array.itemsize
    if any(s < 0 or s % itemsize for s in array.strides):
        return None, None, 0
    root = array
    while isinstance(root.base, ndarray):
        root = root.base
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None, None, 0
    block = root.ravel(order="K").view(xp.uint8)
    byte_offset = array.__array_interface__["data"][0] - block.__array_interface__["data"][0]
    if byte_offset % itemsize or block.nbytes % itemsize:
        return None, None, 0
    return root, block, byte_offset
