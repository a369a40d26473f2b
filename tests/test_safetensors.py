"""glassgrad.safetensors: round trips, refusals as safetensors.torch's, and interchange with it."""

import sys

import numpy as np
import pytest

import glassgrad
from glassgrad import nn

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _tensors():
    out = {name: glassgrad.arange(6).reshape(2, 3).to(getattr(glassgrad, name)) for name in DTYPES}
    out["empty"] = glassgrad.zeros(0, 3)
    out["scalar"] = glassgrad.tensor(2.5)
    return out


def test_missing_package_names_the_extra(monkeypatch):
    from glassgrad import safetensors as st

    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "glassgrad\[safetensors\]"'):
        st.save({"a": glassgrad.ones(1)})


def test_round_trip_file_and_bytes(tmp_path):
    pytest.importorskip("safetensors", reason="the optional safetensors extra is not installed")
    from glassgrad.safetensors import load, load_file, save, save_file

    tensors = _tensors()
    save_file(tensors, tmp_path / "t.safetensors", metadata={"format": "pt"})
    for back in (load_file(tmp_path / "t.safetensors"), load(save(tensors))):
        assert sorted(back) == sorted(tensors)  # the format orders tensors its own way
        for key, value in tensors.items():
            assert back[key].dtype == value.dtype and back[key].shape == value.shape
            assert back[key].numpy().tobytes() == value.numpy().tobytes()
    back["float32"].add_(1)  # loaded tensors are writable
    model = nn.Linear(3, 2)
    save_file(model.state_dict(), tmp_path / "m.safetensors")
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(load_file(tmp_path / "m.safetensors"))
    assert glassgrad.equal(fresh.weight, model.weight)


def test_refusals_match_safetensors_torch(tmp_path):
    pytest.importorskip("safetensors", reason="the optional safetensors extra is not installed")
    from glassgrad.safetensors import load_file, save, save_file

    base = glassgrad.ones(4, 4)
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        save({"a": base, "b": base[0]})
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        save({"t": glassgrad.ones(2, 3).t()})
    with pytest.raises(ValueError, match="expected torch.Tensor"):
        save({"x": np.ones(2)})
    with pytest.raises(ValueError, match="Expected a dict"):
        save([glassgrad.ones(1)])
    save_file({"a": base}, tmp_path / "a.safetensors")
    with pytest.raises(RuntimeError, match="CPU only"):
        load_file(tmp_path / "a.safetensors", device="cuda")


def test_interchangeable_with_safetensors_torch(tmp_path):
    pytest.importorskip("safetensors", reason="the optional safetensors extra is not installed")
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for this test")
    from safetensors import torch as st_torch

    from glassgrad.safetensors import load_file, save_file

    tensors = _tensors()
    save_file(tensors, tmp_path / "gg.safetensors")
    theirs = st_torch.load_file(tmp_path / "gg.safetensors")
    for key, value in tensors.items():
        assert str(theirs[key].dtype) == str(value.dtype)
        assert theirs[key].numpy().tobytes() == value.numpy().tobytes()
    st_torch.save_file(theirs, tmp_path / "torch.safetensors")
    assert (tmp_path / "torch.safetensors").read_bytes() == (
        tmp_path / "gg.safetensors"
    ).read_bytes()
    ours = load_file(tmp_path / "torch.safetensors")
    for key, value in theirs.items():
        assert ours[key].numpy().tobytes() == value.numpy().tobytes()
    assert torch.equal(theirs["int64"], torch.arange(6).reshape(2, 3))
