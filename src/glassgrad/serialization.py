"""``save``/``load`` in PyTorch's own checkpoint format, read without executing code.

``save`` writes what ``torch.save`` writes: a zip archive whose ``data.pkl`` (pickle protocol
2) references ``torch._utils._rebuild_tensor_v2`` and typed storages (``torch.FloatStorage``)
kept as 64-byte aligned records ``data/<key>``. Real PyTorch opens these files with
``torch.load(f, weights_only=True)`` (PyTorch >= 1.13; >= 1.6 without ``weights_only``), and
glassgrad opens files written by ``torch.save``.

``load`` reads the pickle through an interpreter that accepts exactly the globals of
PyTorch's ``weights_only=True`` allow-list (plus those registered with ``add_safe_globals``)
and builds glassgrad tensors from them: a hostile file is refused with an error naming the
file and what was refused, never run. ``load(f, weights_only=False)`` unpickles arbitrary
objects (whole modules saved with ``save(model)``); that runs code from the file, so use it
only for files you trust, as with PyTorch. Archives written by older glassgrad versions
(JSON manifest + .npy) still load.
"""

from __future__ import annotations

import io
import os
import pickle
import secrets
import sys
import tempfile
from typing import Any

from glassgrad import _dtypes
from glassgrad._checkpoint import SerializationError, legacy, refuse
from glassgrad._checkpoint.allowlist import (
    GLOBALS,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)
from glassgrad._checkpoint.archive import ArchiveReader, ArchiveWriter, folder_for, open_source
from glassgrad._checkpoint.pickler import CheckpointPickler
from glassgrad._checkpoint.rebuild import RebuildError, Storage, StorageType
from glassgrad._checkpoint.unpickler import load_pickle, unsafe_globals

__all__ = [
    "DEFAULT_PROTOCOL",
    "SerializationError",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "get_unsafe_globals_in_checkpoint",
    "load",
    "safe_globals",
    "save",
]

DEFAULT_PROTOCOL = 2
FILE_FORMAT_VERSION = 3  # the ``version`` record torch.save writes
_MAX_FORMAT_VERSION = 10  # the newest PyTorch reads (caffe2/serialize/versions.h)


# ---------------------------------------------------------------------------------- save
def save(
    obj: Any,
    f,
    pickle_module=None,
    pickle_protocol: int = DEFAULT_PROTOCOL,
    _use_new_zipfile_serialization: bool = True,
    _disable_byteorder_record: bool = False,
) -> None:
    """Write ``obj`` to a path or binary file object in PyTorch's checkpoint format.

    Tensors that view the same memory are stored once and share it again after loading.
    Saving a whole module (``save(model)``) pickles its class by reference: loading it needs
    ``load(f, weights_only=False)`` and the class importable. A path is written through a
    temporary file renamed over it, so a failed save never damages an existing file.

    Example:
        >>> torch.save({"model": model.state_dict(), "optim": opt.state_dict()}, "ckpt.pt")
        >>> state = torch.load("ckpt.pt")          # also works in real PyTorch
    """
    if pickle_module is not None:
        raise ValueError("glassgrad.save writes torch.save's own pickle; drop pickle_module")
    if pickle_protocol != DEFAULT_PROTOCOL:
        raise ValueError(
            f"pickle_protocol={pickle_protocol}: glassgrad writes protocol 2, the only one "
            "PyTorch's weights_only loader reads; drop the argument"
        )
    if not _use_new_zipfile_serialization:
        raise ValueError("glassgrad writes only the zip format (PyTorch >= 1.6)")
    payload = io.BytesIO()
    pickler = CheckpointPickler(payload)
    pickler.dump(obj)
    records: list[tuple[str, Any]] = [
        ("data.pkl", payload.getbuffer()),
        (".format_version", b"1"),
        (".storage_alignment", b"64"),
    ]
    if not _disable_byteorder_record:
        records.append(("byteorder", sys.byteorder.encode()))
    records += [(f"data/{s.key}", s.data) for s in pickler.storages.values()]
    records += [
        ("version", f"{FILE_FORMAT_VERSION}\n".encode()),
        (".data/serialization_id", f"{secrets.randbelow(10**40):040d}".encode()),
    ]
    if hasattr(f, "write"):
        if isinstance(f, io.TextIOBase):
            raise TypeError("glassgrad.save needs a binary file: open it with mode 'wb'")
        _write_records(f, folder_for(f), records)
        return
    _write_atomically(os.fspath(f), records)


def _write_records(stream, folder: str, records: list) -> None:
    writer = ArchiveWriter(stream, folder)
    try:
        for name, data in records:
            writer.write(name, data)
    finally:
        writer.close()


def _write_atomically(path: str, records: list) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"glassgrad.save: directory {directory!r} does not exist; create it first"
        )
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            _write_records(stream, folder_for(path), records)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ---------------------------------------------------------------------------------- load
def load(
    f,
    map_location=None,
    pickle_module=None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args,
) -> Any:
    """Read a checkpoint written by ``torch.save`` or ``glassgrad.save``.

    With ``weights_only=True`` (the default, as in PyTorch >= 2.6) only tensors, parameters,
    containers, numbers, strings and the other globals of PyTorch's allow-list are built;
    anything else is refused without running it. ``weights_only=False`` unpickles any
    object, which can execute code from the file: do it only for files you trust.
    ``map_location`` may be None, ``'cpu'``, a ``torch.device``, a dict of location tags or
    a callable ``(storage, location)``; glassgrad runs on the CPU only. ``mmap=True`` maps
    the tensors' bytes from the file (copy-on-write) instead of reading them.

    Example:
        >>> model.load_state_dict(torch.load("model.pt", weights_only=True))
    """
    if mmap and (hasattr(f, "read") or not isinstance(f, (str, os.PathLike))):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if pickle_module is not None:
        if weights_only:
            raise RuntimeError(
                "Can not safely load weights when explicit pickle_module is specified"
            )
        raise ValueError("glassgrad.load reads torch.save's pickle itself; drop pickle_module")
    weights_only = True if weights_only is None else bool(weights_only)
    name = _describe(f)
    resolve = _location_resolver(map_location, name)
    stream, size, head, owned = open_source(f, name)
    try:
        _sniff(name, head)
        reader = ArchiveReader(stream, size, name)
        try:
            mapped = os.fspath(f) if mmap else None
            return _load_archive(reader, name, resolve, weights_only, mapped, pickle_load_args)
        finally:
            reader.close()
    finally:
        if owned:
            stream.close()


def _load_archive(
    reader: ArchiveReader, name: str, resolve, weights_only: bool, mapped, pickle_load_args
) -> Any:
    if legacy.MANIFEST in reader.entries:
        return legacy.load_legacy(reader._zip, name)
    if not reader.has("data.pkl"):
        if reader.has("constants.pkl") or reader.has("code/__torch__.py"):
            raise refuse(name, "this is a TorchScript archive (torch.jit.save), not a checkpoint")
        raise refuse(name, "the archive has no data.pkl: it is not a PyTorch checkpoint")
    _check_version(reader, name)
    swap = reader.has("byteorder") and _byteorder(reader, name) != sys.byteorder
    storages = _StorageLoader(reader, resolve, swap, mapped)
    pickled = reader.read("data.pkl")
    if weights_only:  # (``.data``: the array's bytes as a memoryview, as memoryview() gives)
        return load_pickle(pickled.data, name, storages)
    return _TrustedUnpickler(io.BytesIO(pickled.data), storages, name, **pickle_load_args).load()


def get_unsafe_globals_in_checkpoint(f) -> list[str]:
    """The classes and functions a checkpoint names that ``load(weights_only=True)`` would
    refuse (not on PyTorch's allow-list nor added with ``add_safe_globals``), found by
    disassembling its pickle without running it; as PyTorch's function of this name.

    Example:
        >>> torch.serialization.get_unsafe_globals_in_checkpoint("model.pt")
        ['glassgrad.nn.linear.Linear', ...]
    """
    name = _describe(f)
    stream, size, head, owned = open_source(f, name)
    try:
        _sniff(name, head)
        reader = ArchiveReader(stream, size, name)
        try:
            if not reader.has("data.pkl"):
                raise refuse(name, "the archive has no data.pkl: it is not a PyTorch checkpoint")
            return unsafe_globals(reader.read("data.pkl").tobytes(), name)
        finally:
            reader.close()
    finally:
        if owned:
            stream.close()


def _check_version(reader: ArchiveReader, name: str) -> None:
    if not reader.has("version") or reader.size("version") > 16:
        raise refuse(name, "the archive has no readable 'version' record")
    text = reader.read("version").tobytes().strip()
    if not text.isdigit() or not 1 <= int(text) <= _MAX_FORMAT_VERSION:
        raise refuse(
            name,
            f"file format version {text[:16]!r} is not one PyTorch reads "
            f"(1..{_MAX_FORMAT_VERSION})",
        )


def _byteorder(reader: ArchiveReader, name: str) -> str:
    order = reader.read("byteorder").tobytes() if reader.size("byteorder") <= 8 else b""
    if order not in (b"little", b"big"):
        raise refuse(name, f"unknown byte order {order[:8]!r} in the 'byteorder' record")
    return order.decode()


class _StorageLoader:
    """Reads each ``data/<key>`` record once; every tensor naming the key views that memory."""

    def __init__(self, reader: ArchiveReader, resolve, swap: bool, mapped: str | None) -> None:
        self.reader, self.resolve, self.swap, self.mapped = reader, resolve, swap, mapped
        self.raw: dict[str, Any] = {}
        self.typed: dict[tuple[str, str], Storage] = {}

    def __call__(self, dtype: _dtypes.dtype, key: str, location: str, numel: int) -> Storage:
        cached = self.typed.get((key, dtype.name))
        if cached is not None:
            self._check_size(cached.array.nbytes, key, dtype, numel)
            return cached
        record = f"data/{key}"
        if not self.reader.has(record):
            raise RebuildError(f"the pickle names storage {key!r} but there is no record {record}")
        self._check_size(self.reader.size(record), key, dtype, numel)
        if key not in self.raw:
            if self.mapped:
                self.raw[key] = self.reader.map(record, self.mapped)
            else:
                self.raw[key] = self.reader.read(record, verify=False)
        array = self.raw[key].view(dtype.np)
        if self.swap and dtype.itemsize > 1:
            array = array.byteswap().view(dtype.np)
        storage = self.resolve(Storage(array, location), location)
        self.typed[(key, dtype.name)] = storage
        return storage

    @staticmethod
    def _check_size(nbytes: int, key: str, dtype, numel: int) -> None:
        if nbytes != numel * dtype.itemsize:
            raise RebuildError(
                f"storage {key!r} holds {nbytes} bytes but the pickle claims {numel} "
                f"{dtype!r} elements ({numel * dtype.itemsize} bytes)"
            )


def _location_resolver(map_location, name: str):
    """A function (storage, saved location) -> the CPU storage to use, or an error."""

    def require_cpu(target, saved: str) -> None:
        if not isinstance(target, str) or target.split(":")[0] != "cpu":
            where = f"saved on {saved!r}" + ("" if target == saved else f", mapped to {target!r}")
            raise RebuildError(
                f"the file's tensors were {where}; glassgrad runs on the CPU only: pass "
                "map_location='cpu' (or torch.device('cpu'))"
            )

    def default(storage: Storage, location: str) -> Storage:
        require_cpu(location, location)
        return storage

    if map_location is None:
        return default
    if isinstance(map_location, dict):

        def mapped(storage: Storage, location: str) -> Storage:
            require_cpu(map_location.get(location, location), location)
            return storage

        return mapped
    if callable(map_location) and not isinstance(map_location, (str, _dtypes.device)):

        def call(storage: Storage, location: str) -> Storage:
            result = map_location(storage, location)
            if result is None:
                return default(storage, location)
            if not isinstance(result, Storage):
                raise RebuildError(
                    f"map_location returned {type(result).__name__}; return the storage it "
                    "was given (glassgrad keeps every storage on the CPU) or None"
                )
            return result

        return call
    target = str(map_location)
    if target.split(":", maxsplit=1)[0] != "cpu":
        raise RuntimeError(
            f"glassgrad.load({name}): map_location={target!r}, but glassgrad runs on the CPU "
            "only; use map_location='cpu' (or torch.device('cpu'))"
        )
    return lambda storage, location: storage


class _TrustedUnpickler(pickle.Unpickler):
    """``weights_only=False``: any importable global, as plain pickle (runs the file's code)."""

    def __init__(self, file, storages: _StorageLoader, name: str, **pickle_load_args) -> None:
        super().__init__(file, **pickle_load_args)
        self.storages, self.name = storages, name

    def find_class(self, module: str, name: str):
        full = f"{module}.{name}"
        if full in GLOBALS:
            return GLOBALS[full]
        if module == "torch" or module.startswith("torch."):
            raise refuse(
                self.name,
                f"the file needs PyTorch's {full}, which glassgrad does not provide; load it "
                "with PyTorch and save the model's state_dict() instead",
            )
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) != 5 or pid[0] not in ("storage", b"storage"):
            raise refuse(self.name, f"unsupported persistent id {pid!r:.80}")
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, StorageType):
            raise refuse(self.name, f"a storage's type is {storage_type!r}")
        try:
            return self.storages(storage_type.dtype, key, location, numel)
        except RebuildError as err:
            raise refuse(self.name, str(err)) from None


def _describe(f) -> str:
    if hasattr(f, "read"):
        return repr(getattr(f, "name", f"<{type(f).__name__}>"))
    return repr(os.fspath(f))


def _sniff(name: str, head: bytes) -> None:
    """Name the common wrong inputs before trying to read them as an archive."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return
    if not head:
        raise refuse(name, "the file is empty")
    if head[:2] == b"\x80\x02" or head[:1] in (b"(", b"}", b"]", b"c", b"\x80"):
        raise refuse(
            name,
            "this is PyTorch's legacy (pre-1.6, non-zip) format, which glassgrad does not "
            "read; open it in PyTorch and save it again with torch.save (the zip format)",
        )
    if head[:6] == b"\x93NUMPY":
        raise refuse(name, "this is a single NumPy .npy file; read it with numpy.load")
    raise refuse(name, f"not a checkpoint (it starts with {head[:8]!r}, not a zip archive)")
