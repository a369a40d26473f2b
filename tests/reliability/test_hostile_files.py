"""glassgrad.load on broken and hostile files: a clear error, nothing executed, nothing lost.

The archives built from a JSON manifest are in the format older glassgrad versions wrote,
which load still reads; tests/test_serialization_hostile.py covers PyTorch's format."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassgrad
from glassgrad import serialization
from glassgrad._checkpoint.legacy import FORMAT, MANIFEST, VERSION
from glassgrad.serialization import SerializationError


def _state():
    glassgrad.manual_seed(0)
    model = glassgrad.nn.Linear(4, 3)
    opt = glassgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(glassgrad.randn(2, 4)).sum().backward()
    opt.step()
    return {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}


def _saved_bytes() -> bytes:
    buffer = io.BytesIO()
    glassgrad.save(_state(), buffer)
    return buffer.getvalue()


VALID = _saved_bytes()


def _refused(data: bytes, tmp_path, match: str | None = None) -> SerializationError:
    """Load ``data`` from a file and from a stream: both must be refused the same way."""
    path = tmp_path / "hostile.gg"
    path.write_bytes(data)
    with pytest.raises(SerializationError, match=match) as from_path:
        glassgrad.load(path)
    assert "hostile.gg" in str(from_path.value), "the error must name the file"
    with pytest.raises(SerializationError, match=match):
        glassgrad.load(io.BytesIO(data))
    return from_path.value


def _archive(entries: dict, compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, payload in entries.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _manifest(root, arrays) -> bytes:
    return json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "root": root,
            "arrays": arrays,
        }
    ).encode()


def _nested_manifest(depth: int) -> bytes:
    root = '{"t": "list", "items": [' * depth + "]}" * depth
    head = f'{{"format": "{FORMAT}", "version": {VERSION}, '
    return (head + f'"arrays": [], "root": {root}}}').encode()


def _tensor_file(spec: dict, payload) -> bytes:
    """A one-tensor archive whose manifest says ``spec`` and whose entry holds ``payload``."""
    return _archive(
        {
            MANIFEST: _manifest({"t": "tensor", "array": 0}, [spec]),
            "glassgrad/arrays/0.npy": payload,
        }
    )


def test_the_valid_file_round_trips() -> None:
    loaded = glassgrad.load(io.BytesIO(VALID))
    original = _state()
    assert loaded["epoch"] == 3
    for key, value in original["model"].items():
        assert glassgrad.equal(loaded["model"][key], value)
    assert loaded["optim"]["param_groups"] == original["optim"]["param_groups"]


@pytest.mark.parametrize(
    "cut", [0, 1, 4, 30, len(VALID) // 3, len(VALID) // 2, len(VALID) - 23, len(VALID) - 1]
)
def test_truncated_files_are_refused(cut: int, tmp_path) -> None:
    error = _refused(VALID[:cut], tmp_path)
    assert any(w in str(error) for w in ("empty", "truncated", "corrupted", "not a checkpoint"))


@given(st.binary(max_size=512))
def test_random_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(SerializationError):
        glassgrad.load(io.BytesIO(data))


@given(st.binary(min_size=1, max_size=256))
def test_random_bytes_behind_a_zip_signature_are_refused(data: bytes) -> None:
    with pytest.raises(SerializationError):
        glassgrad.load(io.BytesIO(b"PK\x03\x04" + data))


@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(1, 255)), max_size=4))
def test_corrupted_bytes_never_escape_as_another_error(flips) -> None:
    """Flipped bytes either leave a readable file or give SerializationError, nothing else."""
    data = bytearray(VALID)
    for position, mask in flips:
        data[position] ^= mask
    try:
        loaded = glassgrad.load(io.BytesIO(bytes(data)))
    except SerializationError:
        return
    assert set(loaded) == {"model", "optim", "epoch"}


def test_zip_bomb_is_refused_without_inflating(tmp_path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, _manifest({"t": "none"}, []))
        with archive.open("glassgrad/arrays/0.npy", "w") as entry:
            zeros = bytes(2**20)
            for _ in range(256):  # 256 MB of zeros in a file of a few hundred KB
                entry.write(zeros)
    bomb = buffer.getvalue()
    assert len(bomb) < 2**20
    _refused(bomb, tmp_path, match="compressed|zip bomb")


def test_entry_lying_about_its_size_is_refused(tmp_path) -> None:
    data = bytearray(_tensor_file({"dtype": "<f8", "shape": [2]}, _npy([1.0, 2.0])))
    # Make the central directory claim a 64 GB entry: the bytes are not there.
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (2**32 - 1).to_bytes(4, "little")
    _refused(bytes(data), tmp_path)


def test_npy_header_claiming_a_huge_array_is_refused(tmp_path) -> None:
    """A 200-byte entry whose header claims 8 TB must not make load try to allocate it."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    payload = header.getvalue() + bytes(16)
    _refused(_tensor_file({"dtype": "<f8", "shape": [10**12]}, payload), tmp_path)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"GLASSGRAD-FILE\x00\x01", "not a checkpoint"),
        (b"\x93NUMPY\x01\x00", "NumPy"),
        (b"\x00" * 64, "not a checkpoint"),
        (_archive({"weights.bin": b"1234"}), "not all under one top folder"),
        (_archive({"weights/x.bin": b"1234"}), "no data.pkl"),
        (_archive({MANIFEST: b'{"format": "other", "version": 1}'}), "format marker"),
        (
            _archive(
                {MANIFEST: _manifest({"t": "none"}, []).replace(b'"version": 1', b'"version": 99')}
            ),
            "version",
        ),
        (_archive({MANIFEST: b"\xff\xfe not json"}), "manifest is unreadable"),
    ],
    ids=[
        "magic",
        "npy",
        "zeros",
        "loose-entry",
        "no-data-pkl",
        "other-format",
        "future-version",
        "bad-json",
    ],
)
def test_wrong_magic_and_foreign_archives_are_refused(data: bytes, match: str, tmp_path) -> None:
    _refused(data, tmp_path, match=match)


MISMATCHED = {
    "dtype differs": _tensor_file({"dtype": "<f4", "shape": [2]}, _npy(np.ones(2))),
    "shape differs": _tensor_file({"dtype": "<f8", "shape": [3, 1]}, _npy(np.ones(2))),
    "entry missing": _archive(
        {MANIFEST: _manifest({"t": "tensor", "array": 0}, [{"dtype": "<f8", "shape": [2]}])}
    ),
    "array index out of range": _archive({MANIFEST: _manifest({"t": "tensor", "array": 7}, [])}),
    "object dtype": _tensor_file({"dtype": "|O", "shape": [1]}, b""),
    "pickled npy": _tensor_file(
        {"dtype": "<f8", "shape": [1]},
        np.lib.format.magic(1, 0)
        + b"\x46\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
        + b" " * 13
        + b"\n"
        + pickle.dumps([1]),
    ),
    "unknown node": _archive({MANIFEST: _manifest({"t": "function", "v": "os.system"}, [])}),
    "untyped node": _archive({MANIFEST: _manifest([1, 2, 3], [])}),
    "bad dict item": _archive(
        {MANIFEST: _manifest({"t": "dict", "items": [[{"t": "int", "v": 1}]]}, [])}
    ),
    "int node holding a string": _archive(
        {MANIFEST: _manifest({"t": "int", "v": "__import__('os')"}, [])}
    ),
    "deep nesting": _archive({MANIFEST: _nested_manifest(300)}),
    "nesting beyond the JSON parser": _archive({MANIFEST: _nested_manifest(100_000)}),
}


@pytest.mark.parametrize("name", list(MISMATCHED))
def test_archive_with_mismatched_manifest_is_refused(name: str, tmp_path) -> None:
    _refused(MISMATCHED[name], tmp_path)


class _Payload:
    """Unpickling this calls ``open(marker, 'w')``: the file appears if anything unpickles."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _payload_files(marker: str, tmp_path) -> dict:
    torch = pytest.importorskip("torch")
    files = {}
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        files[f"raw pickle protocol {protocol}"] = pickle.dumps(
            {"weight": _Payload(marker)}, protocol=protocol
        )
    buffer = io.BytesIO()
    torch.save({"weight": torch.ones(2), "evil": _Payload(marker)}, buffer)
    files["torch.save zip"] = buffer.getvalue()
    buffer = io.BytesIO()
    torch.save({"evil": _Payload(marker)}, buffer, _use_new_zipfile_serialization=False)
    files["torch.save legacy"] = buffer.getvalue()
    return files


def test_pickle_payloads_are_never_executed(tmp_path) -> None:
    marker = tmp_path / "PWNED"
    files = _payload_files(str(marker), tmp_path)
    assert not marker.exists()
    for name, data in files.items():
        error = _refused(data, tmp_path)
        assert "open was not an allowed global" in str(error) or "legacy" in str(error)
        if not data.startswith(b"PK"):  # not a zip: refused even when the caller trusts it
            with pytest.raises(SerializationError):
                glassgrad.load(io.BytesIO(data), weights_only=False)
        assert not marker.exists(), f"{name}: loading executed the payload"
    pickle.loads(files["raw pickle protocol 2"])  # the payload is real: unpickling runs it
    assert marker.exists()


def test_payload_hidden_inside_a_glassgrad_archive_is_not_executed(tmp_path) -> None:
    marker = tmp_path / "PWNED"
    data = _archive(
        {
            MANIFEST: _manifest({"t": "none"}, []),
            "glassgrad/arrays/0.npy": pickle.dumps(_Payload(str(marker))),
        }
    )
    assert glassgrad.load(io.BytesIO(data)) is None  # the extra entry is never read
    data = _archive({**{MANIFEST: _manifest({"t": "none"}, [])},
                     "data.pkl": pickle.dumps(_Payload(str(marker)))})  # fmt: skip
    _refused(data, tmp_path, match="one top folder")
    assert not marker.exists()


class _FailingWrite(Exception):
    pass


@pytest.mark.parametrize("failure", [OSError("No space left on device"), KeyboardInterrupt()])
def test_interrupted_save_leaves_the_previous_file_intact(failure, tmp_path, monkeypatch) -> None:
    path = tmp_path / "checkpoint.gg"
    glassgrad.save(_state(), path)
    before = path.read_bytes()
    real_write = serialization._write_records

    def write_half_then_fail(stream, folder, records):
        scratch = io.BytesIO()
        real_write(scratch, folder, records)
        stream.write(scratch.getvalue()[: len(scratch.getvalue()) // 2])
        raise failure

    monkeypatch.setattr(serialization, "_write_records", write_half_then_fail)
    new_state = {"model": glassgrad.nn.Linear(4, 3).state_dict(), "epoch": 4}
    with pytest.raises(type(failure)):
        glassgrad.save(new_state, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["checkpoint.gg"], "the temporary file was left behind"
    assert glassgrad.load(path)["epoch"] == 3


def test_save_of_an_unsaveable_object_leaves_the_previous_file_intact(tmp_path) -> None:
    path = tmp_path / "checkpoint.gg"
    glassgrad.save({"epoch": 1}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        glassgrad.save({"epoch": 2, "callback": lambda: None}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["checkpoint.gg"]


class _Pipe(io.RawIOBase):
    """A non-seekable reader, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_non_seekable_streams_load_and_refuse_like_files() -> None:
    assert glassgrad.load(_Pipe(VALID))["epoch"] == 3
    with pytest.raises(SerializationError):
        glassgrad.load(_Pipe(VALID[: len(VALID) // 2]))
