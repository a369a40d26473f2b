"""``save``/``load`` in a data-only format: loading a file never executes code.

A file is an uncompressed zip archive holding one JSON manifest (the nested structure) and
one ``.npy`` file per tensor, written and read with ``allow_pickle=False``. No pickle is
involved anywhere, so a hostile file can at worst be refused with a clear error.

Stored values: tensors (dtype, requires_grad, ``nn.Parameter``), NumPy arrays, ``None``,
bools, ints, floats, strings, and dicts (including ``OrderedDict``, ``Counter`` and non-string
keys such as an optimizer state dict's parameter indices), lists and tuples of them.
A tensor stored twice in one object (tied weights) comes back as one tensor.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import zipfile
from collections import Counter, OrderedDict
from typing import Any, BinaryIO

from glassgrad import _dtypes
from glassgrad._backend import ndarray, xp
from glassgrad.tensor import Tensor, _new_tensor

__all__ = ["save", "load", "SerializationError"]

MANIFEST = "glassgrad/manifest.json"
FORMAT = "glassgrad.save"
VERSION = 1
MAX_ENTRIES = 1_000_000
MAX_MANIFEST_BYTES = 256 * 2**20
MAX_DEPTH = 200
_ALLOWED_KINDS = "fiub"
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
    struct.error,
)


class SerializationError(RuntimeError, ValueError):
    """A file that ``load`` refuses (not a glassgrad file, truncated, corrupted or hostile).

    Subclasses both RuntimeError (what ``torch.load`` raises) and ValueError.
    """


# ---------------------------------------------------------------------------------- save
class _Encoder:
    """Turns an object into a JSON-able manifest and a list of arrays to write."""

    def __init__(self) -> None:
        self.arrays: list[ndarray] = []
        self.tensor_ids: dict[int, int] = {}
        self.keep_alive: list[Any] = []

    def _array(self, obj, array: ndarray, where: str) -> int:
        if id(obj) in self.tensor_ids:
            return self.tensor_ids[id(obj)]
        if array.dtype.kind not in _ALLOWED_KINDS:
            raise TypeError(
                f"glassgrad.save: {where} has dtype {array.dtype}, which the data-only format "
                "can't store; convert it to a numeric or bool dtype"
            )
        self.arrays.append(array if array.flags.c_contiguous else array.copy(order="C"))
        self.tensor_ids[id(obj)] = len(self.arrays) - 1
        self.keep_alive.append(obj)
        return len(self.arrays) - 1

    def encode(self, obj: Any, where: str = "obj", depth: int = 0) -> dict:
        if depth > MAX_DEPTH:
            raise ValueError(f"glassgrad.save: {where} is nested more than {MAX_DEPTH} deep")
        if isinstance(obj, Tensor):
            from glassgrad.nn.parameter import Parameter

            return {
                "t": "tensor",
                "array": self._array(obj, obj._data, where),
                "requires_grad": bool(obj.requires_grad),
                "parameter": isinstance(obj, Parameter),
            }
        if isinstance(obj, ndarray):
            return {"t": "ndarray", "array": self._array(obj, obj, where)}
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": int(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": repr(float(obj))}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, xp.generic) and obj.dtype.kind in _ALLOWED_KINDS:
            return self.encode(obj.item(), where, depth)
        if isinstance(obj, _dtypes.dtype):
            return {"t": "dtype", "v": obj.name}
        if isinstance(obj, _dtypes.Size):
            return {"t": "size", "v": [int(s) for s in obj]}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {
                "t": kind,
                "items": [self.encode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)],
            }
        if isinstance(obj, dict):
            kind = (
                "counter"
                if isinstance(obj, Counter)
                else "ordered_dict"
                if isinstance(obj, OrderedDict)
                else "dict"
            )
            items = []
            for k, v in obj.items():
                _check_key(k, where)
                items.append(
                    [self.encode(k, where, depth + 1), self.encode(v, f"{where}[{k!r}]", depth + 1)]
                )
            return {"t": kind, "items": items}
        raise TypeError(
            f"glassgrad.save can't store {where} of type {type(obj).__name__}: the data-only "
            "format holds tensors, NumPy arrays, numbers, strings, None and dicts/lists/tuples "
            "of them (save model.state_dict() rather than the model object)"
        )


def _check_key(key, where: str) -> None:
    if isinstance(key, tuple):
        for k in key:
            _check_key(k, where)
    elif key is not None and not isinstance(key, (str, int, float)):
        raise TypeError(
            f"glassgrad.save: dict key {key!r} in {where} has type {type(key).__name__}; keys "
            "must be strings, numbers, None or tuples of them"
        )


def _write_archive(stream: BinaryIO, manifest: dict, arrays: list[ndarray]) -> None:
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, allow_nan=False))
        for i, array in enumerate(arrays):
            with archive.open(f"glassgrad/arrays/{i}.npy", "w", force_zip64=True) as entry:
                xp.lib.format.write_array(entry, array, allow_pickle=False)


def save(obj: Any, f, pickle_module=None, pickle_protocol=None, **kwargs) -> None:
    """Write ``obj`` to a path or a binary file object.

    The whole file is built in a temporary file in the same directory, flushed to disk, then
    renamed over ``f``: a failed save never damages an existing file.

    Example:
        >>> torch.save({"model": model.state_dict(), "optim": opt.state_dict()}, "ckpt.gg")
        >>> state = torch.load("ckpt.gg")
    """
    if pickle_module is not None:
        raise ValueError("glassgrad.save never pickles; pickle_module is not supported")
    encoder = _Encoder()
    manifest = {"format": FORMAT, "version": VERSION, "root": encoder.encode(obj)}
    manifest["arrays"] = [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in encoder.arrays]
    if hasattr(f, "write"):
        if isinstance(f, io.TextIOBase):
            raise TypeError("glassgrad.save needs a binary file: open it with mode 'wb'")
        _write_archive(f, manifest, encoder.arrays)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"glassgrad.save: directory {directory!r} does not exist; create it first"
        )
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            _write_archive(stream, manifest, encoder.arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ---------------------------------------------------------------------------------- load
def _describe(f) -> str:
    if hasattr(f, "read"):
        return repr(getattr(f, "name", f"<{type(f).__name__}>"))
    return repr(os.fspath(f))


def _refuse(name: str, problem: str) -> SerializationError:
    return SerializationError(f"glassgrad.load({name}): {problem}")


def _sniff(name: str, head: bytes) -> None:
    """Name the common wrong inputs before trying to read them as an archive."""
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return
    if not head:
        raise _refuse(name, "the file is empty")
    if head[:1] == b"\x80" or head[:1] in (b"(", b"}", b"]", b"c"):
        raise _refuse(
            name,
            "this looks like a pickle file (e.g. a legacy PyTorch .pt); glassgrad never unpickles "
            "because that can run arbitrary code. Load it with PyTorch and save the tensors as "
            "NumPy arrays, then build glassgrad tensors from them",
        )
    if head[:6] == b"\x93NUMPY":
        raise _refuse(name, "this is a single NumPy .npy file; read it with numpy.load")
    raise _refuse(name, f"not a glassgrad file (it starts with {head[:8]!r}, not a zip archive)")


def _open_archive(f, name: str) -> tuple[zipfile.ZipFile, int]:
    """The archive and the number of bytes it occupies (bounds what its entries may claim)."""
    if isinstance(f, io.TextIOBase):
        raise TypeError("glassgrad.load needs a binary file: open it with mode 'rb'")
    if hasattr(f, "read"):
        if hasattr(f, "seekable") and f.seekable():
            start = f.tell()
            head = f.read(8)
            size = f.seek(0, os.SEEK_END) - start
            f.seek(start)
            stream = f
        else:
            data = f.read()
            head, size, stream = data[:8], len(data), io.BytesIO(data)
    else:
        path = os.fspath(f)
        try:
            with open(path, "rb") as probe:
                head = probe.read(8)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"glassgrad.load: no such file {name}; check the path"
            ) from None
        size, stream = os.path.getsize(path), path
    _sniff(name, head)
    try:
        return zipfile.ZipFile(stream), size
    except _READ_ERRORS as err:
        raise _refuse(name, f"the archive is truncated or corrupted ({err})") from None


def _check_entries(archive: zipfile.ZipFile, name: str, size_limit: int) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _refuse(name, f"the archive has {len(infos)} entries (limit {MAX_ENTRIES})")
    names = {i.filename for i in infos}
    if MANIFEST not in names:
        if any(n.endswith("data.pkl") for n in names):
            raise _refuse(
                name,
                "this is a PyTorch checkpoint (a zip holding a pickle); glassgrad never unpickles "
                "because that can run arbitrary code. Load it with PyTorch and save the tensors "
                "as NumPy arrays, then build glassgrad tensors from them",
            )
        raise _refuse(name, f"no {MANIFEST} in the archive: not a file written by glassgrad.save")
    total = 0
    for info in infos:
        if info.flag_bits & 0x61:
            raise _refuse(
                name,
                f"entry {info.filename!r} is encrypted or patched; glassgrad never writes that",
            )
        if info.compress_type != zipfile.ZIP_STORED:
            raise _refuse(
                name,
                f"entry {info.filename!r} is compressed; glassgrad files are stored uncompressed "
                "(refusing possible zip bomb)",
            )
        total += info.file_size
    if total > size_limit:
        raise _refuse(
            name,
            f"the entries claim {total} bytes but the file has only {size_limit} (corrupted or "
            "hostile archive)",
        )


def _read_manifest(archive: zipfile.ZipFile, name: str) -> dict:
    info = archive.getinfo(MANIFEST)
    if info.file_size > MAX_MANIFEST_BYTES:
        raise _refuse(name, f"the manifest is {info.file_size} bytes (limit {MAX_MANIFEST_BYTES})")
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError) as err:
        raise _refuse(name, f"the manifest is unreadable ({type(err).__name__}: {err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(name, "the manifest does not start with the glassgrad format marker")
    if manifest.get("version") != VERSION:
        raise _refuse(
            name,
            f"format version {manifest.get('version')!r} is not supported (this glassgrad reads "
            f"version {VERSION}); upgrade glassgrad",
        )
    if not isinstance(manifest.get("arrays"), list) or "root" not in manifest:
        raise _refuse(name, "the manifest lacks its 'arrays' or 'root' entry")
    return manifest


class _Decoder:
    def __init__(self, archive: zipfile.ZipFile, manifest: dict, name: str) -> None:
        self.archive = archive
        self.specs = manifest["arrays"]
        self.name = name
        self.arrays: dict[int, ndarray] = {}
        self.tensors: dict[int, Tensor] = {}

    def fail(self, problem: str) -> SerializationError:
        return _refuse(self.name, f"mismatched manifest: {problem}")

    def array(self, index) -> ndarray:
        if not isinstance(index, int) or isinstance(index, bool):
            raise self.fail(f"array reference {index!r} is not an integer")
        if not 0 <= index < len(self.specs):
            raise self.fail(f"array {index} is referenced but only {len(self.specs)} exist")
        if index in self.arrays:
            return self.arrays[index]
        spec = self.specs[index]
        entry = f"glassgrad/arrays/{index}.npy"
        try:
            dtype = xp.dtype(spec["dtype"])
            shape = tuple(int(s) for s in spec["shape"])
        except (TypeError, KeyError, ValueError) as err:
            raise self.fail(f"array {index} has a bad description {spec!r} ({err})") from None
        if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None:
            raise self.fail(f"array {index} has unsupported dtype {dtype}")
        try:
            with self.archive.open(entry) as stream:
                self.check_header(stream, entry)
            with self.archive.open(entry) as stream:
                data = xp.lib.format.read_array(stream, allow_pickle=False)
        except KeyError:
            raise self.fail(f"entry {entry!r} is missing") from None
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
            raise _refuse(self.name, f"entry {entry!r} is corrupted ({err})") from None
        if data.dtype != dtype or data.shape != shape:
            raise self.fail(
                f"entry {entry!r} holds {data.dtype} {list(data.shape)} but the manifest says "
                f"{dtype} {list(shape)}"
            )
        self.arrays[index] = data
        return data

    def check_header(self, stream, entry: str) -> None:
        """Refuse a .npy header claiming more bytes than its entry holds, before NumPy
        allocates the array it describes (a 200-byte entry could ask for terabytes)."""
        fmt = xp.lib.format
        version = fmt.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy format version {version}")
        read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, _, dtype = read_header(stream)
        claimed = dtype.itemsize
        for s in shape:
            claimed *= s
        size = self.archive.getinfo(entry).file_size
        if claimed > size:
            raise self.fail(
                f"entry {entry!r} claims a {dtype} array of shape {list(shape)} ({claimed} bytes) "
                f"but holds only {size} bytes"
            )

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH}")
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            raise self.fail(f"expected a typed node, got {str(node)[:80]}")
        kind = node["t"]
        try:
            if kind == "tensor":
                return self.tensor(node)
            if kind == "ndarray":
                return self.array(node["array"]).copy()
            if kind == "none":
                return None
            if kind in ("bool", "int", "str"):
                value = node["v"]
                expected = {"bool": bool, "int": int, "str": str}[kind]
                if type(value) is not expected:
                    raise self.fail(f"a {kind} node holds {type(value).__name__}")
                return value
            if kind == "float":
                if not isinstance(node["v"], str):
                    raise self.fail("a float node does not hold its text form")
                return float(node["v"])
            if kind == "dtype":
                return _dtypes.to_dtype(node["v"])
            if kind == "size":
                return _dtypes.Size(int(s) for s in node["v"])
            if kind in ("list", "tuple"):
                items = [self.decode(v, depth + 1) for v in self.items(node)]
                return items if kind == "list" else tuple(items)
            if kind in ("dict", "ordered_dict", "counter"):
                out = {"dict": dict, "ordered_dict": OrderedDict, "counter": Counter}[kind]()
                for pair in self.items(node):
                    if not isinstance(pair, list) or len(pair) != 2:
                        raise self.fail("a dict item is not a [key, value] pair")
                    key = self.decode(pair[0], depth + 1)
                    try:
                        out[key] = self.decode(pair[1], depth + 1)
                    except TypeError:
                        raise self.fail(f"unhashable dict key {key!r}") from None
                return out
        except (KeyError, ValueError, TypeError) as err:
            if isinstance(err, SerializationError):
                raise
            raise self.fail(f"bad {kind!r} node ({type(err).__name__}: {err})") from None
        raise self.fail(f"unknown node type {kind!r}")

    def items(self, node) -> list:
        items = node["items"]
        if not isinstance(items, list):
            raise self.fail("'items' is not a list")
        return items

    def tensor(self, node) -> Tensor:
        index = node["array"]
        if index in self.tensors:
            return self.tensors[index]
        array = self.array(index)
        requires_grad = node.get("requires_grad", False) is True
        if node.get("parameter") is True:
            from glassgrad.nn.parameter import Parameter

            t = Parameter(_new_tensor(array), requires_grad=requires_grad)
        else:
            t = _new_tensor(array)
            if requires_grad:
                t.requires_grad_(True)
        self.tensors[index] = t
        return t


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kwargs):
    """Read what ``save`` wrote, from a path or a binary file object.

    Never executes code from the file. Anything that is not an intact glassgrad file
    (a PyTorch pickle, truncated or corrupted bytes, a zip bomb, a manifest that does not
    match its arrays) raises ``SerializationError`` (a RuntimeError and ValueError) naming the
    file and the problem. ``map_location`` is accepted; everything loads on the CPU.

    Example:
        >>> model.load_state_dict(torch.load("model.gg"))
    """
    if pickle_module is not None:
        raise ValueError("glassgrad.load never unpickles; pickle_module is not supported")
    name = _describe(f)
    archive, size_limit = _open_archive(f, name)
    with archive:
        try:
            _check_entries(archive, name, size_limit)
            manifest = _read_manifest(archive, name)
            return _Decoder(archive, manifest, name).decode(manifest["root"])
        except SerializationError:
            raise
        except RecursionError:
            raise _refuse(name, "the structure is nested too deeply") from None
        except _READ_ERRORS as err:
            # whatever a damaged archive makes zipfile/NumPy raise is reported the same way
            raise _refuse(name, f"the archive is corrupted ({type(err).__name__}: {err})") from None
