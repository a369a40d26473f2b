"""A corpus of hostile and broken checkpoints, generated here: each is refused with an error
naming the file and what was refused, and no payload ever runs (a canary file stays absent)."""

import io
import pickle
import struct
import zipfile

import pytest

import glassgrad
from glassgrad.serialization import SerializationError

CANARY_NAME = "CANARY"


def _s(text) -> bytes:
    raw = str(text).encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _int(value: int) -> bytes:
    if -(2**31) <= value < 2**31:
        return b"J" + struct.pack("<i", value)
    raw = pickle.encode_long(value)
    return b"\x8a" + bytes([len(raw)]) + raw


def _tuple(values) -> bytes:
    return b"(" + b"".join(_int(v) for v in values) + b"t"


def _tensor(
    size=(4,),
    stride=(1,),
    offset=0,
    numel=4,
    key="0",
    location="cpu",
    storage="FloatStorage",
    requires_grad=False,
    rebuild="_rebuild_tensor_v2",
):
    return (
        b"\x80\x02ctorch._utils\n" + rebuild.encode() + b"\n(("
        + _s("storage") + b"ctorch\n" + storage.encode() + b"\n" + _s(key) + _s(location)
        + _int(numel) + b"tQ" + _int(offset) + _tuple(size) + _tuple(stride)
        + (b"\x88" if requires_grad else b"\x89")
        + b"ccollections\nOrderedDict\n)RtR."
    )  # fmt: skip


def _archive(pickled: bytes, records=None, folder="archive", version=b"3\n", **zip_kwargs):
    """A checkpoint laid out as torch.save lays it out, with the given data.pkl."""
    buffer = io.BytesIO()
    entries = {"data.pkl": pickled, "byteorder": b"little", "data/0": bytes(16)}
    entries.update(records or {})
    if version is not None:
        entries["version"] = version
    with zipfile.ZipFile(buffer, "w", **zip_kwargs) as archive:
        for name, data in entries.items():
            if data is not None:
                archive.writestr(f"{folder}/{name}" if folder else name, data)
    return buffer.getvalue()


def _valid() -> bytes:
    buffer = io.BytesIO()
    glassgrad.save({"w": glassgrad.arange(4.0)}, buffer)
    return buffer.getvalue()


def _patch_central(raw: bytes, entry: bytes, offset: int, fmt: str, value) -> bytes:
    """Overwrite one field of ``entry``'s central-directory header."""
    at = raw.index(b"PK\x01\x02")
    while raw[at + 46 : at + 46 + len(entry)] != entry:
        at = raw.index(b"PK\x01\x02", at + 4)
    out = bytearray(raw)
    struct.pack_into(fmt, out, at + offset, value)
    return bytes(out)


def _pickles(canary: str) -> dict:
    """Pickle payloads: code execution attempts and malformed streams."""
    return {
        "os.system": (b"\x80\x02cos\nsystem\n" + _s(f"touch {canary}") + b"\x85R.", "blocked"),
        "builtins.open": (
            b"\x80\x02cbuiltins\nopen\n" + _s(canary) + _s("w") + b"\x86R.",
            "GLOBAL builtins.open was not an allowed global",
        ),
        "py2 eval": (
            b"\x80\x02c__builtin__\neval\n" + _s(f"open({canary!r}, 'w')") + b"\x85R.",
            "GLOBAL builtins.eval was not an allowed",
        ),
        "INST": (b"(" + _s(canary) + _s("w") + b"ibuiltins\nopen\n.", "Unsupported operand INST"),
        "OBJ": (b"(ccollections\nOrderedDict\no.", "Unsupported operand OBJ"),
        "STACK_GLOBAL": (
            b"\x80\x04" + _s("builtins") + _s("open") + b"\x93" + _s(canary) + b"\x85R.",
            "Unsupported operand STACK_GLOBAL",
        ),
        "NEWOBJ Popen": (
            b"\x80\x02csubprocess\nPopen\n" + _s(f"touch {canary}") + b"\x85\x81.",
            "GLOBAL subprocess.Popen was not an allowed",
        ),
        "NEWOBJ Tensor": (b"\x80\x02ctorch\nTensor\n)\x81.", "Can only create new object"),
        "REDUCE dtype": (b"\x80\x02ctorch\nfloat32\n)R.", "unrecognized function"),
        "REDUCE Tensor": (b"\x80\x02ctorch\nTensor\n)R.", "can't be called"),
        "bytearray bomb": (b"\x80\x02cbuiltins\nbytearray\n" + _int(10**12) + b"\x85R.",
                           "not a bytes copy"),
        "codecs rot13": (b"\x80\x02c_codecs\nencode\n" + _s("x") + _s("rot13") + b"\x86R.",
                         "only latin1"),
        "BUILD dunder": (b"\x80\x02ccollections\nOrderedDict\n)R}" + _s("__class__") + b"Nsb.",
                         "plain attribute names"),
        "BUILD list": (b"\x80\x02]}b.", "Can only build OrderedDict"),
        "duplicate key": (b"\x80\x02}(" + _s("a") + b"K\x01" + _s("a") + b"K\x02u.",
                          "duplicate key 'a'"),
        "unhashable key": (b"\x80\x02}]K\x01s.", "unhashable dict key"),
        "memo before put": (b"\x80\x02h\x05.", "memo entry 5 is read before"),
        "stack underflow": (b"\x80\x02R.", "empty stack"),
        "tuple without mark": (b"\x80\x02t.", "never opened"),
        "no STOP": (b"\x80\x02}", "ends early"),
        "string past end": (b"\x80\x02X\xff\xff\xff\x7f", "ends early"),
        "unbalanced STOP": (b"\x80\x02NN.", "unbalanced"),
        "persistent id not storage": (b"\x80\x02" + _s("evil") + b"\x85Q.", "Only persistent_load"),
        "negative size": (_tensor(size=(-1,)), "negative size"),
        "negative stride": (_tensor(size=(2,), stride=(-1,)), "negative size, stride"),
        "oversized size": (_tensor(size=(2**40,)), "past the storage's 4 elements"),
        "offset past end": (_tensor(size=(1,), offset=10), "past the storage's 4 elements"),
        "stride past end": (_tensor(size=(2,), stride=(4,)), "reaches element 4"),
        "empty offset past end": (_tensor(size=(0,), offset=99), "offset 99 is past"),
        "numel lie": (_tensor(numel=2**40), "holds 16 bytes but the pickle claims"),
        "negative numel": (_tensor(numel=-4), "claims -4 elements"),
        "missing record": (_tensor(key="7"), "no record data/7"),
        "cuda location": (_tensor(location="cuda:0"), "saved on 'cuda:0'.*CPU only"),
        "bfloat16 storage": (_tensor(storage="BFloat16Storage"), "no dtype for BFloat16Storage"),
        "sparse": (b"\x80\x02ctorch._utils\n_rebuild_sparse_tensor\n.", "sparse"),
        "int requires_grad": (_tensor(storage="IntStorage", requires_grad=True),
                              "torch.int32 tensor is marked requires_grad"),
        "too many dims": (_tensor(size=(1,) * 65, stride=(1,) * 65), "exceed 64"),
    }  # fmt: skip


def _archives() -> dict:
    """Archive-level attacks and damage."""
    valid = _valid()
    legit = _tensor()
    pkl_at = valid.index(b"archive/data.pkl")
    forged_local = valid[:pkl_at] + b"archive/data.pk!" + valid[pkl_at + 16 :]
    flipped = bytearray(valid)
    at = zipfile.ZipFile(io.BytesIO(valid)).getinfo("archive/data.pkl").header_offset
    name_length, extra_length = struct.unpack("<HH", valid[at + 26 : at + 30])
    flipped[at + 30 + name_length + extra_length + 20] ^= 1  # a byte of the pickle
    return {
        "zip bomb (deflated)": (
            _archive(legit, {"data/0": bytes(10**6)}, compression=zipfile.ZIP_DEFLATED),
            "compressed.*zip bomb",
        ),
        "sizes beyond the file": (
            _patch_central(valid, b"archive/data/0", 24, "<I", 2**31),
            "claim .* bytes but the file has only|compressed",
        ),
        "path traversal": (_archive(legit, folder="archive/../../etc"), "leaves the archive"),
        "absolute name": (_archive(legit, folder="/abs"), "absolute"),
        "backslash name": (_archive(legit, folder="a\\..\\b"), "absolute or leaves"),
        "two top folders": (_archive(legit).replace(b"archive/byteorder", b"archivx/byteorder"),
                            "not all under one top folder"),
        "duplicate entries": (_archive(legit, {"dupl.pkl": b"N."})
                              .replace(b"archive/dupl.pkl", b"archive/data.pkl"), "twice"),
        "forged local header": (forged_local, "local header"),
        "bit flip in data.pkl": (bytes(flipped), "CRC-32 mismatch"),
        "encrypted flag": (_patch_central(valid, b"archive/data/0", 8, "<H", 1), "encrypted"),
        "missing version": (_archive(legit, version=None), "no readable 'version'"),
        "future version": (_archive(legit, version=b"99\n"), "version b'99' is not one"),
        "bad byteorder": (_archive(legit, {"byteorder": b"middle"}), "unknown byte order"),
        "no data.pkl": (_archive(legit).replace(b"data.pkl", b"other.pk"), "no data.pkl"),
        "torchscript": (_archive(legit, {"constants.pkl": b""}).replace(b"data.pkl", b"datx.pkl"),
                        "TorchScript"),
        "legacy pickle file": (pickle.dumps({"a": 1}, protocol=2), "legacy .*non-zip"),
        "empty file": (b"", "empty"),
        "npy file": (b"\x93NUMPY\x01\x00", "numpy.load"),
        "garbage": (b"hello world, not a zip", "not a checkpoint"),
        "truncated 10": (valid[:10], "truncated or corrupted"),
        "truncated half": (valid[: len(valid) // 2], "truncated or corrupted"),
        "truncated tail": (valid[:-5], "truncated or corrupted"),
    }  # fmt: skip


def _corpus(canary: str) -> dict:
    cases = {name: (_archive(p), match) for name, (p, match) in _pickles(canary).items()}
    cases.update(_archives())
    return cases


_NAMES = list(_corpus("/nonexistent/" + CANARY_NAME))


@pytest.mark.parametrize("case", _NAMES)
def test_hostile_file_is_refused(tmp_path, case):
    canary = tmp_path / CANARY_NAME
    content, match = _corpus(str(canary))[case]
    path = tmp_path / "hostile.pt"
    path.write_bytes(content)
    for source in (path, io.BytesIO(content)):
        with pytest.raises(SerializationError, match=match) as info:
            glassgrad.load(source)
        assert isinstance(info.value, pickle.UnpicklingError)
        assert isinstance(info.value, RuntimeError)
    assert str(path) in str(info.value) or "BytesIO" in str(info.value)
    with pytest.raises(SerializationError):
        glassgrad.load(path, weights_only=True)
    assert not canary.exists()


def test_the_canary_payload_is_real(tmp_path):
    """The open() payload does create the canary under plain pickle: the test above means it."""
    canary = tmp_path / CANARY_NAME
    pickle.loads(_pickles(str(canary))["builtins.open"][0]).close()
    assert canary.exists()


def test_trusted_load_still_refuses_torch_classes_and_damage(tmp_path):
    path = tmp_path / "t.pt"
    path.write_bytes(_archive(b"\x80\x02ctorch.nn.modules.linear\nLinear\n)\x81."))
    with pytest.raises(SerializationError, match="PyTorch's torch.nn.modules.linear.Linear"):
        glassgrad.load(path, weights_only=False)
    path.write_bytes(_archive(_tensor(numel=2**40)))
    with pytest.raises(SerializationError, match="holds 16 bytes"):
        glassgrad.load(path, weights_only=False)
