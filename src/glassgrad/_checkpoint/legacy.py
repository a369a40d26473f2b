"""Reads the archives glassgrad wrote before it wrote PyTorch's format (read-only).

Those files are a zip holding ``glassgrad/manifest.json`` (the nested structure, typed JSON
nodes) and one ``.npy`` per array, read with ``allow_pickle=False``; files users already saved
keep loading. ``save`` no longer writes them.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter, OrderedDict

from glassgrad import _dtypes
from glassgrad._backend import ndarray, xp
from glassgrad._checkpoint import SerializationError, refuse
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.nn.parameter import Parameter

__all__ = ["MANIFEST", "load_legacy"]

MANIFEST = "glassgrad/manifest.json"
FORMAT = "glassgrad.save"
VERSION = 1
MAX_MANIFEST_BYTES = 256 * 2**20
MAX_DEPTH = 200
_ALLOWED_KINDS = "fiub"
_READ_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
)


def load_legacy(archive: zipfile.ZipFile, name: str):
    """The object stored in an old glassgrad archive (entries already checked by the caller)."""
    try:
        manifest = _read_manifest(archive, name)
        return _Decoder(archive, manifest, name).decode(manifest["root"])
    except SerializationError:
        raise
    except RecursionError:
        raise refuse(name, "the structure is nested too deeply") from None
    except _READ_ERRORS as err:
        # whatever a damaged archive makes zipfile/NumPy raise is reported the same way
        raise refuse(name, f"the archive is corrupted ({type(err).__name__}: {err})") from None


def _read_manifest(archive: zipfile.ZipFile, name: str) -> dict:
    info = archive.getinfo(MANIFEST)
    if info.file_size > MAX_MANIFEST_BYTES:
        raise refuse(name, f"the manifest is {info.file_size} bytes (limit {MAX_MANIFEST_BYTES})")
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError) as err:
        raise refuse(name, f"the manifest is unreadable ({type(err).__name__}: {err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise refuse(name, "the manifest does not start with the glassgrad format marker")
    if manifest.get("version") != VERSION:
        raise refuse(
            name,
            f"format version {manifest.get('version')!r} is not supported (this glassgrad reads "
            f"version {VERSION}); upgrade glassgrad",
        )
    if not isinstance(manifest.get("arrays"), list) or "root" not in manifest:
        raise refuse(name, "the manifest lacks its 'arrays' or 'root' entry")
    return manifest


class _Decoder:
    def __init__(self, archive: zipfile.ZipFile, manifest: dict, name: str) -> None:
        self.archive = archive
        self.specs = manifest["arrays"]
        self.name = name
        self.arrays: dict[int, ndarray] = {}
        self.tensors: dict[int, Tensor] = {}

    def fail(self, problem: str) -> SerializationError:
        return refuse(self.name, f"mismatched manifest: {problem}")

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
            raise refuse(self.name, f"entry {entry!r} is corrupted ({err})") from None
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
            t = Parameter(_new_tensor(array), requires_grad=requires_grad)
        else:
            t = _new_tensor(array)
            if requires_grad:
                t.requires_grad_(True)
        self.tensors[index] = t
        return t
