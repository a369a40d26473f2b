"""The zip container of a PyTorch checkpoint: an aligned writer and a checked reader.

PyTorch (``PyTorchStreamWriter``) stores every record uncompressed under one top folder and
pads each local header with an ``FB`` extra field so that the record's bytes start at a
multiple of 64 in the file: a loader can then view them in place (``mmap=True``). The writer
here does the same with the standard library's ``zipfile``. The reader refuses, before
reading any record, what a hostile archive could use: compressed or encrypted entries (zip
bombs), entries claiming more bytes than the file holds, duplicate or path-traversing names,
and entries outside the archive's top folder.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from typing import BinaryIO

from glassgrad._backend import ndarray, xp
from glassgrad._checkpoint import SerializationError, refuse

__all__ = ["ALIGNMENT", "ArchiveReader", "ArchiveWriter", "folder_for"]

ALIGNMENT = 64
MAX_ENTRIES = 1_000_000
_PAD_TAG = 0x4246  # b"FB" read as a little-endian uint16: PyTorch's padding extra field
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's own layout of a local file header
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    struct.error,
)


def folder_for(f) -> str:
    """The archive's top folder as PyTorch derives it: the file's name without its last
    extension (``ckpt`` for ``runs/ckpt.pt``), or ``archive`` when saving to a file object."""
    if hasattr(f, "write"):
        return "archive"
    stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
    return stem or "archive"


class ArchiveWriter:
    """Writes uncompressed records whose bytes start at 64-byte offsets, as PyTorch does."""

    def __init__(self, stream: BinaryIO, folder: str) -> None:
        self._zip = zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED)
        self._start = self._zip.start_dir
        self._folder = folder

    def write(self, name: str, data) -> None:
        """Write one record; ``data`` is bytes or a C-contiguous array (written without a copy)."""
        view = memoryview(data).cast("B") if isinstance(data, ndarray) else memoryview(data)
        info = zipfile.ZipInfo(f"{self._folder}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
        info.file_size = view.nbytes
        zip64 = view.nbytes * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own rule for the header
        header = _LOCAL_HEADER.size + len(info.filename.encode()) + 4 + (20 if zip64 else 0)
        pad = -(self._zip.start_dir - self._start + header) % ALIGNMENT
        info.extra = struct.pack("<HH", _PAD_TAG, pad) + b"Z" * pad
        with self._zip.open(info, "w") as out:
            out.write(view)

    def close(self) -> None:
        self._zip.close()


class ArchiveReader:
    """A zip archive whose entries were checked; reads records into writable arrays."""

    def __init__(self, stream: BinaryIO, size: int, name: str) -> None:
        self.name = name
        self._stream = stream
        self._size = size
        try:
            self._zip = zipfile.ZipFile(stream)
        except _READ_ERRORS as err:
            raise refuse(name, f"the archive is truncated or corrupted ({err})") from None
        self.entries = self._check_entries()
        self.folder = next(iter(self.entries)).split("/", 1)[0] if self.entries else ""

    def _check_entries(self) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > MAX_ENTRIES:
            raise refuse(self.name, f"the archive has {len(infos)} entries (limit {MAX_ENTRIES})")
        entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            entry = info.filename
            if entry in entries:
                raise refuse(self.name, f"the archive holds entry {entry!r} twice (hostile)")
            _check_entry_name(self.name, entry)
            if info.flag_bits & 0x61:
                raise refuse(self.name, f"entry {entry!r} is encrypted or patched")
            if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
                raise refuse(
                    self.name,
                    f"entry {entry!r} is compressed (it declares {info.compress_size} stored "
                    f"bytes for {info.file_size}); checkpoints are stored uncompressed, so this "
                    "is refused as a possible zip bomb",
                )
            entries[entry] = info
            total += info.file_size
        if total > self._size:
            raise refuse(
                self.name,
                f"the entries claim {total} bytes but the file has only {self._size} "
                "(corrupted or hostile archive)",
            )
        folders = {entry.split("/", 1)[0] for entry in entries}
        if len(folders) > 1 or any("/" not in entry for entry in entries):
            raise refuse(
                self.name,
                f"the entries are not all under one top folder (found {sorted(folders)[:4]})",
            )
        return entries

    def has(self, record: str) -> bool:
        return f"{self.folder}/{record}" in self.entries

    def size(self, record: str) -> int:
        return self.entries[f"{self.folder}/{record}"].file_size

    def read(self, record: str, verify: bool = True) -> ndarray:
        """The record's bytes as a writable uint8 array, read straight into place (no copy
        through an intermediate bytes object). ``verify`` checks the stored CRC-32; tensor
        data skips it, as PyTorch's reader does: it would double the time to load, and a
        damaged number is not a danger the way a damaged pickle is."""
        entry = f"{self.folder}/{record}"
        info = self.entries.get(entry)
        if info is None:
            raise refuse(self.name, f"the archive has no record {entry!r}")
        try:
            start = self._data_start(info)
            out = xp.empty(info.file_size, dtype=xp.uint8)
            self._stream.seek(start)
            view, done = memoryview(out), 0
            while done < info.file_size:
                count = self._stream.readinto(view[done:])
                if not count:
                    raise EOFError(f"{info.file_size - done} bytes missing")
                done += count
        except SerializationError:
            raise
        except _READ_ERRORS as err:
            raise refuse(self.name, f"record {entry!r} is truncated ({err})") from None
        if verify and zlib.crc32(out) != info.CRC:
            raise refuse(self.name, f"record {entry!r} is corrupted (CRC-32 mismatch)")
        return out

    def map(self, record: str, path: str) -> ndarray:
        """The record's bytes mapped from ``path`` copy-on-write (``load(mmap=True)``): pages
        are read when first touched, and writes stay private to this process."""
        info = self.entries[f"{self.folder}/{record}"]
        try:
            start = self._data_start(info)
        except _READ_ERRORS as err:
            raise refuse(self.name, f"record {info.filename!r} is truncated ({err})") from None
        if info.file_size == 0:
            return xp.empty(0, dtype=xp.uint8)
        return xp.memmap(path, dtype=xp.uint8, mode="c", offset=start, shape=(info.file_size,))

    def _data_start(self, info: zipfile.ZipInfo) -> int:
        self._stream.seek(info.header_offset)
        header = self._stream.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise refuse(self.name, f"entry {info.filename!r} has no valid local header")
        fields = _LOCAL_HEADER.unpack(header)
        name_length, extra_length = fields[-2], fields[-1]
        stored_name = self._stream.read(name_length)
        if stored_name != info.orig_filename.encode("utf-8") and stored_name != (
            info.orig_filename.encode("cp437", errors="replace")
        ):
            raise refuse(
                self.name,
                f"entry {info.filename!r} is named {stored_name!r} in its local header "
                "(overlapping or forged entries)",
            )
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        if start + info.file_size > self._size:
            raise refuse(
                self.name,
                f"record {info.filename!r} claims {info.file_size} bytes at offset {start} but "
                f"the file ends at {self._size} (truncated archive)",
            )
        return start

    def close(self) -> None:
        self._zip.close()


def _check_entry_name(name: str, entry: str) -> None:
    parts = entry.split("/")
    if (
        entry.startswith("/")
        or "\\" in entry
        or "\x00" in entry
        or ":" in parts[0]
        or any(part in ("", "..") for part in parts)
    ):
        raise refuse(name, f"entry name {entry!r} is absolute or leaves the archive's folder")


def open_source(f, name: str) -> tuple[BinaryIO, int, bytes, bool]:
    """(seekable stream, its size in bytes, its first 8 bytes, whether we opened it)."""
    if isinstance(f, io.TextIOBase):
        raise TypeError("glassgrad.load needs a binary file: open it with mode 'rb'")
    if hasattr(f, "read"):
        if hasattr(f, "seekable") and f.seekable():
            start = f.tell()
            head = f.read(8)
            size = f.seek(0, os.SEEK_END)
            f.seek(start)
            return f, size, head, False
        data = f.read()
        return io.BytesIO(data), len(data), data[:8], True
    path = os.fspath(f)
    try:
        stream = open(path, "rb")  # noqa: SIM115  (returned open: the caller reads and closes it)
    except FileNotFoundError:
        raise FileNotFoundError(f"glassgrad.load: no such file {name}; check the path") from None
    size = os.fstat(stream.fileno()).st_size
    head = stream.read(8)
    stream.seek(0)
    return stream, size, head, True
