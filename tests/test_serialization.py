"""glassgrad.save/load: round trips, atomic writes, and refusal of hostile or broken files."""

import io
import os
import pickle
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassgrad
from glassgrad import nn
from glassgrad.serialization import SerializationError


def test_round_trip_nested_structure(tmp_path):
    w = nn.Parameter(glassgrad.tensor([[1.0, 2.0]]))
    obj = {
        "tensor": glassgrad.arange(6).reshape(2, 3),
        "f64": glassgrad.tensor([1.5, -2.0], dtype=glassgrad.float64, requires_grad=True),
        "param": w,
        "tied": w,
        "od": OrderedDict([("b", 1), ("a", 2)]),
        "int_keys": {0: {"step": glassgrad.tensor(3.0)}, 1: {}},
        "counter": Counter([3, 3, 5]),
        "list": [1, 2.5, "x", None, True, float("inf"), (1, (2, 3))],
        "array": np.array([1, 2], dtype=np.int16),
        "scalar": glassgrad.tensor(7, dtype=glassgrad.int32),
        "empty": glassgrad.zeros(0, 3),
        "dtype": glassgrad.float16,
        "size": glassgrad.Size([2, 3]),
        2.5: "float key",
        (1, "a"): "tuple key",
    }
    path = tmp_path / "obj.gg"
    glassgrad.save(obj, path)
    back = glassgrad.load(path)
    assert list(back) == list(obj)
    assert back["tensor"].dtype == glassgrad.int64 and back["tensor"].tolist() == [
        [0, 1, 2],
        [3, 4, 5],
    ]
    assert back["f64"].dtype == glassgrad.float64 and back["f64"].requires_grad
    assert isinstance(back["param"], nn.Parameter) and back["param"].requires_grad
    assert back["tied"] is back["param"]
    assert type(back["od"]) is OrderedDict and list(back["od"]) == ["b", "a"]
    assert back["int_keys"][0]["step"].item() == 3.0 and back["int_keys"][1] == {}
    assert type(back["counter"]) is Counter and back["counter"][3] == 2
    assert back["list"][:5] == [1, 2.5, "x", None, True] and back["list"][5] == float("inf")
    assert back["list"][6] == (1, (2, 3))
    assert back["array"].dtype == np.int16 and back["array"].tolist() == [1, 2]
    assert back["scalar"].dtype == glassgrad.int32 and back["scalar"].shape == ()
    assert back["empty"].shape == (0, 3)
    assert back["dtype"] is glassgrad.float16 and back["size"] == glassgrad.Size([2, 3])
    assert back[2.5] == "float key" and back[(1, "a")] == "tuple key"


def test_file_objects_and_pathlike(tmp_path):
    buffer = io.BytesIO()
    glassgrad.save([glassgrad.ones(2)], buffer)
    buffer.seek(0)
    assert glassgrad.load(buffer)[0].tolist() == [1.0, 1.0]
    glassgrad.save({"a": 1}, str(tmp_path / "s.gg"))
    with open(tmp_path / "s.gg", "rb") as fh:
        assert glassgrad.load(fh) == {"a": 1}


def test_model_and_optimizer_checkpoint_resume(tmp_path):
    glassgrad.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = glassgrad.optim.Adam(model.parameters(), lr=0.1)
    x, y = glassgrad.randn(8, 3), glassgrad.randn(8, 2)

    def train(m, o, steps):
        for _ in range(steps):
            o.zero_grad()
            ((m(x) - y) ** 2).mean().backward()
            o.step()

    train(model, opt, 5)
    glassgrad.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "ck.gg")
    train(model, opt, 5)
    fresh = nn.Linear(3, 2)
    fresh_opt = glassgrad.optim.Adam(fresh.parameters(), lr=0.1)
    ck = glassgrad.load(tmp_path / "ck.gg")
    fresh.load_state_dict(ck["model"])
    fresh_opt.load_state_dict(ck["opt"])
    train(fresh, fresh_opt, 5)
    assert np.array_equal(fresh.weight.detach().numpy(), model.weight.detach().numpy())


def test_unsupported_object_is_refused_before_touching_the_file(tmp_path):
    path = tmp_path / "keep.gg"
    glassgrad.save({"v": 1}, path)
    with pytest.raises(TypeError, match="can't store obj\\['bad'\\] of type object"):
        glassgrad.save({"bad": object()}, path)
    assert glassgrad.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["keep.gg"]


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.gg"
    glassgrad.save({"v": 1}, path)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(OSError, match="disk full"):
        glassgrad.save({"v": glassgrad.ones(3)}, path)
    monkeypatch.undo()
    assert glassgrad.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["keep.gg"]


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _refused(path, match):
    with pytest.raises(SerializationError, match=match) as info:
        glassgrad.load(path)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)
    assert str(path) in str(info.value)


def test_pickle_payload_never_runs(tmp_path):
    marker = tmp_path / "PWNED"
    raw = tmp_path / "evil.pt"
    raw.write_bytes(pickle.dumps(_Payload(str(marker))))
    _refused(raw, "pickle")
    # the same payload inside a zip named like a torch checkpoint
    zipped = tmp_path / "evil_zip.pt"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Payload(str(marker))))
    _refused(zipped, "PyTorch checkpoint")
    assert not marker.exists()


def test_real_torch_checkpoint_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    _refused(path, "PyTorch checkpoint")
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    _refused(legacy, "pickle")


@pytest.mark.parametrize("cut", [10, 100, -30, -5])
def test_truncated_file(tmp_path, cut):
    path = tmp_path / "t.gg"
    glassgrad.save({"w": glassgrad.ones(100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    _refused(path, "truncated or corrupted|corrupted")


def test_bit_flip_in_array_data_is_detected(tmp_path):
    path = tmp_path / "t.gg"
    glassgrad.save({"w": glassgrad.ones(100)}, path)
    data = bytearray(path.read_bytes())
    at = data.index(b"\x00\x00\x80\x3f")  # a float32 1.0
    data[at + 3] ^= 0xFF
    path.write_bytes(bytes(data))
    _refused(path, "corrupted|CRC")


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "empty"),
        (os.urandom(256), "not a glassgrad file|pickle"),
        (b"\x93NUMPY\x01\x00", "NumPy .npy"),
    ],
)
def test_garbage(tmp_path, content, match):
    path = tmp_path / "g.gg"
    path.write_bytes(content)
    _refused(path, match)


def _zip(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)


def test_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.gg"
    _zip(
        path,
        {"glassgrad/manifest.json": "{}", "glassgrad/arrays/0.npy": b"\0" * 50_000_000},
        zipfile.ZIP_DEFLATED,
    )
    assert path.stat().st_size < 1_000_000
    _refused(path, "zip bomb")


def test_wrong_magic_and_mismatched_manifest(tmp_path):
    import json

    path = tmp_path / "m.gg"
    _zip(path, {"glassgrad/manifest.json": json.dumps({"format": "other"})})
    _refused(path, "format marker")
    _zip(path, {"other.txt": "hi"})
    _refused(path, "not a file written by glassgrad.save")

    glassgrad.save({"w": glassgrad.ones(2)}, path)
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("glassgrad/manifest.json"))
        array = z.read("glassgrad/arrays/0.npy")
    for change, match in [
        (lambda m: m["arrays"][0].update(shape=[3]), "manifest says"),
        (lambda m: m["arrays"][0].update(dtype="|O"), "unsupported dtype"),
        (lambda m: m["root"]["items"][0][1].update(array=5), "only 1 exist"),
        (lambda m: m["root"].update(t="module"), "unknown node type"),
        (lambda m: m.update(version=99), "version 99"),
    ]:
        broken = json.loads(json.dumps(manifest))
        change(broken)
        _zip(path, {"glassgrad/manifest.json": json.dumps(broken), "glassgrad/arrays/0.npy": array})
        _refused(path, match)


def test_object_array_entry_is_refused(tmp_path):
    """An .npy entry holding a pickled object array is never unpickled."""
    import json

    marker = tmp_path / "PWNED"
    buf = io.BytesIO()
    np.save(buf, np.array([_Payload(str(marker))], dtype=object), allow_pickle=True)
    manifest = {
        "format": "glassgrad.save",
        "version": 1,
        "arrays": [{"dtype": "<f4", "shape": [1]}],
        "root": {"t": "ndarray", "array": 0},
    }
    path = tmp_path / "o.gg"
    _zip(
        path,
        {"glassgrad/manifest.json": json.dumps(manifest), "glassgrad/arrays/0.npy": buf.getvalue()},
    )
    _refused(path, "corrupted")
    assert not marker.exists()


@pytest.mark.parametrize("depth", [300, 100_000])
def test_deep_nesting_is_refused(tmp_path, depth):
    root = '{"t":"list","items":[' * depth + '{"t":"none"}' + "]}" * depth
    text = '{"format":"glassgrad.save","version":1,"arrays":[],"root":' + root + "}"
    path = tmp_path / "deep.gg"
    _zip(path, {"glassgrad/manifest.json": text})
    _refused(path, "nest|unreadable")


def test_missing_file_directory_and_text_mode(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        glassgrad.load("/nonexistent/dir/x.gg")
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        glassgrad.save({}, tmp_path / "missing" / "x.gg")
    with open(tmp_path / "t.txt", "w") as fh, pytest.raises(TypeError, match="mode 'wb'"):
        glassgrad.save({}, fh)
    glassgrad.save({}, tmp_path / "t.txt")
    with open(tmp_path / "t.txt") as fh, pytest.raises(TypeError, match="mode 'rb'"):
        glassgrad.load(fh)


def _equal(a, b):
    if isinstance(a, glassgrad.Tensor):
        return (
            isinstance(b, glassgrad.Tensor)
            and a.dtype == b.dtype
            and np.array_equal(a.numpy(), b.numpy())
        )
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    return a == b and type(a) is type(b)


_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.floats(-1e6, 1e6, width=32), max_size=6).map(
        lambda v: glassgrad.tensor(v, dtype=glassgrad.float32)
    ),
    st.lists(st.integers(-100, 100), min_size=1, max_size=6).map(glassgrad.tensor),
)
_structures = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(0, 9)), inner, max_size=4),
    ),
    max_leaves=12,
)


@given(_structures)
def test_round_trip_property(obj):
    buffer = io.BytesIO()
    glassgrad.save(obj, buffer)
    buffer.seek(0)
    assert _equal(obj, glassgrad.load(buffer))


@given(st.data())
def test_any_single_byte_corruption_is_detected_or_harmless(data):
    obj = {"w": glassgrad.arange(12.0).reshape(3, 4), "n": [1, 2.5, "s"], 0: {"step": 3}}
    buffer = io.BytesIO()
    glassgrad.save(obj, buffer)
    raw = bytearray(buffer.getvalue())
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] ^= data.draw(st.integers(1, 255))
    try:
        back = glassgrad.load(io.BytesIO(bytes(raw)))
    except SerializationError:
        return
    assert _equal(obj, back)  # only bytes nobody reads (e.g. zip metadata) may change silently
