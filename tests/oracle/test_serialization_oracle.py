"""Checkpoints against real PyTorch: glassgrad's files open in ``torch.load(weights_only=True)``
and PyTorch's files open in glassgrad, bit for bit, with strides, offsets and storage sharing."""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")

import glassgrad as gg  # noqa: E402
from glassgrad._checkpoint import allowlist  # noqa: E402

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _sample(m, dtype_name: str):
    """The same values in either library: extremes, a NaN/inf for floats, odd shapes."""
    dtype = getattr(m, dtype_name)
    if dtype_name == "bool":
        return m.tensor([[True, False, True], [False, False, True]])
    if dtype_name.startswith("float"):
        values = [[0.0, -0.0, 1.5, float("inf")], [float("nan"), -2.25, 1e-3, 65504.0]]
        return m.tensor(values, dtype=dtype)
    info = np.iinfo(dtype_name)
    return m.tensor([[info.min, -1 if info.min else 0, 7], [info.max, 0, 3]], dtype=dtype)


def _objects(m):
    """Everything a checkpoint holds, built the same way in torch and in glassgrad."""
    base = m.arange(24.0).reshape(2, 3, 4)
    param = m.nn.Parameter(m.tensor([[0.5, -1.0]]))
    return {
        **{name: _sample(m, name) for name in DTYPES},
        "base": base,
        "transposed": base.transpose(0, 2),
        "slice": base[1, :, 1:3],
        "row": base[0, 2],
        "expanded": m.tensor([1.0, 2.0]).expand(3, 2),
        "empty": m.zeros(0, 4),
        "empty_int": m.zeros(2, 0, dtype=m.int64),
        "scalar": m.tensor(3.5, dtype=m.float64),
        "param": param,
        "frozen": m.nn.Parameter(m.ones(2), requires_grad=False),
        "needs_grad": m.tensor([1.0, 2.0], requires_grad=True),
        "nested": [1, -2.5, "text", None, True, False, (1, (2, [3])), {"k": [m.ones(1)]}],
        "ints": {0: "zero", 10**20: "big", -3: "neg"},
        "od": OrderedDict([("z", 1), ("a", 2)]),
        "dtype": m.float16,
        "size": m.Size([2, 3]),
        "tied": param,
    }


def _same(ours, theirs, path="obj"):
    """Values, dtypes, bits, strides and offsets equal between a glassgrad and a torch object."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, gg.Tensor), path
        assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
        assert ours.stride() == theirs.stride(), path
        assert ours.requires_grad == theirs.requires_grad, path
        assert isinstance(ours, gg.nn.Parameter) == isinstance(theirs, torch.nn.Parameter), path
        mine = np.ascontiguousarray(ours.detach().numpy())
        other = np.ascontiguousarray(theirs.detach().numpy())
        assert mine.tobytes() == other.tobytes(), path
    elif isinstance(theirs, dict):
        assert type(ours).__name__ == type(theirs).__name__ and list(ours) == list(theirs), path
        for key in theirs:
            _same(ours[key], theirs[key], f"{path}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) or isinstance(theirs, torch.Size), path
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, torch.dtype):
        assert str(ours) == str(theirs), path
    else:
        assert type(ours) is type(theirs) and ours == theirs, path


def _ptr(t) -> int:
    return t.untyped_storage().data_ptr() if isinstance(t, torch.Tensor) else None


def _shared(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    return np.shares_memory(a.numpy(), b.numpy())


def _check_sharing(obj):
    assert _shared(obj["base"], obj["transposed"]) and _shared(obj["base"], obj["slice"])
    assert _shared(obj["base"], obj["row"]) and not _shared(obj["base"], obj["float32"])
    assert obj["tied"] is obj["param"]


def test_glassgrad_file_opens_in_torch_bit_identical(tmp_path):
    ours = _objects(gg)
    path = tmp_path / "gg.pt"
    gg.save(ours, path)
    theirs = torch.load(path, weights_only=True)
    _same(ours, theirs)
    _check_sharing(theirs)
    mapped = torch.load(path, weights_only=True, mmap=True)  # needs the 64-byte alignment
    _same(ours, mapped)
    _check_sharing(mapped)
    _same(gg.load(path, mmap=True), theirs)
    assert theirs["slice"].storage_offset() == 13 and theirs["expanded"].stride() == (0, 1)
    assert len([n for n in zipfile.ZipFile(path).namelist() if "/data/" in n]) == len(DTYPES) + 9


def test_torch_file_opens_in_glassgrad_bit_identical(tmp_path):
    theirs = _objects(torch)
    path = tmp_path / "torch.pt"
    torch.save(theirs, path)
    ours = gg.load(path)
    _same(ours, theirs)
    _check_sharing(ours)
    with gg.no_grad():
        ours["base"][1, 0, 1] = -7.0  # writes through every view, as in PyTorch
    assert ours["slice"][0, 0].item() == -7.0 and ours["transposed"][1, 0, 1].item() == -7.0


def test_round_trip_through_both_is_byte_identical_data(tmp_path):
    gg.save(_objects(gg), tmp_path / "a.pt")
    torch.save(torch.load(tmp_path / "a.pt", weights_only=True), tmp_path / "b.pt")
    gg.save(gg.load(tmp_path / "b.pt"), tmp_path / "c.pt")
    records = []
    for name in ("a.pt", "c.pt"):
        archive = zipfile.ZipFile(tmp_path / name)
        records.append(sorted(archive.read(n) for n in archive.namelist() if "/data/" in n))
    assert records[0] == records[1]


def test_same_pickle_and_layout_as_torch_save(tmp_path):
    """A state dict's data.pkl is byte-identical to torch.save's; records align the same."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    state = OrderedDict((k, v) for k, v in model.state_dict().items())  # without _metadata
    torch.save(state, tmp_path / "t.pt")
    ours = OrderedDict((k, gg.tensor(v.numpy())) for k, v in state.items())
    gg.save(ours, tmp_path / "t2.pt")
    theirs_zip, ours_zip = zipfile.ZipFile(tmp_path / "t.pt"), zipfile.ZipFile(tmp_path / "t2.pt")
    assert theirs_zip.read("t/data.pkl") == ours_zip.read("t2/data.pkl")
    strip = [n.split("/", 1)[1] for n in theirs_zip.namelist()]
    assert strip == [n.split("/", 1)[1] for n in ours_zip.namelist()]
    for name in strip[:-1]:
        assert theirs_zip.read(f"t/{name}") == ours_zip.read(f"t2/{name}"), name


def test_model_and_optimizer_state_dicts_cross_over(tmp_path):
    gg.manual_seed(0)
    model = gg.nn.Sequential(gg.nn.Linear(3, 4), gg.nn.Tanh(), gg.nn.Linear(4, 1))
    for opt_class in ("SGD", "Adam", "AdamW"):
        kwargs = {"momentum": 0.9} if opt_class == "SGD" else {}
        opt = getattr(gg.optim, opt_class)(model.parameters(), lr=0.01, **kwargs)
        model(gg.ones(2, 3)).sum().backward()
        opt.step()
        buffer = io.BytesIO()
        gg.save({"model": model.state_dict(), "optim": opt.state_dict()}, buffer)
        buffer.seek(0)
        ckpt = torch.load(buffer, weights_only=True)
        twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
        twin.load_state_dict(ckpt["model"])
        twin_opt = getattr(torch.optim, opt_class)(twin.parameters(), lr=0.5, **kwargs)
        twin_opt.load_state_dict(ckpt["optim"])
        _same(opt.state_dict(), twin_opt.state_dict())
        back = io.BytesIO()
        torch.save({"model": twin.state_dict(), "optim": twin_opt.state_dict()}, back)
        back.seek(0)
        again = gg.load(back)
        assert again["model"]._metadata[""] == {"version": 1}
        _same(again["optim"], twin_opt.state_dict())
        _same(again["model"], twin.state_dict())


def test_allow_list_is_torch_allow_list():
    from torch._weights_only_unpickler import _get_allowed_globals

    assert frozenset(_get_allowed_globals()) == allowlist.TORCH_ALLOWED


def test_whole_module_guidance_matches_torch(tmp_path):
    torch.save(torch.nn.Linear(2, 3), tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(tmp_path / "m.pt")
    with pytest.raises(gg.serialization.SerializationError) as ours:
        gg.load(tmp_path / "m.pt")
    for part in ("Weights only load failed", "weights_only` set to `False`", "trusted source",
                 "GLOBAL torch.nn.modules.linear.Linear was not an allowed global by default",
                 "torch.serialization.add_safe_globals([Linear])"):  # fmt: skip
        assert part in str(ours.value)
        assert part.replace("[Linear]", "[torch.nn.modules.linear.Linear]") in str(theirs.value)
    with pytest.raises(gg.serialization.SerializationError, match="PyTorch's torch.nn"):
        gg.load(tmp_path / "m.pt", weights_only=False)
    theirs_unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "m.pt")
    ours_unsafe = gg.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "m.pt")
    assert sorted(theirs_unsafe) == ours_unsafe == ["torch.nn.modules.linear.Linear"]


def test_saved_on_another_device_needs_map_location(tmp_path):
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buffer)
    raw = buffer.getvalue()
    path = tmp_path / "mps.pt"
    entries = {i.filename: zipfile.ZipFile(io.BytesIO(raw)).read(i) for i in
               zipfile.ZipFile(io.BytesIO(raw)).infolist()}  # fmt: skip
    entries["archive/data.pkl"] = entries["archive/data.pkl"].replace(
        b"\x03\x00\x00\x00cpu", b"\x03\x00\x00\x00mps"
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(gg.serialization.SerializationError, match="saved on 'mps'.*CPU only"):
        gg.load(path)
    assert gg.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]
    assert gg.load(path, map_location={"mps": "cpu"})["w"].tolist() == [1.0, 1.0]
    assert gg.load(path, map_location=torch.device("cpu"))["w"].tolist() == [1.0, 1.0]
