"""The Python protocol of Tensor (iteration, truth, format, pickling, NumPy) against torch."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg


def test_iteration_length_and_membership():
    for m in (torch, gg):
        x = m.arange(6).reshape(3, 2)
        assert len(x) == 3
        assert [row.tolist() for row in x] == [[0, 1], [2, 3], [4, 5]]
        assert 3 in x and 7 not in x and m.tensor(5) in x
    rows = list(gg.ones(2, 3, requires_grad=True))
    assert rows[0].grad_fn.name() == "UnbindBackward0"


def test_truth_value():
    for m in (torch, gg):
        assert bool(m.tensor([2.0])) and not bool(m.tensor(0))
        with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
            bool(m.ones(2))
        with pytest.raises(RuntimeError, match="no values is ambiguous"):
            bool(m.ones(0))


def test_item_int_float_index():
    x = gg.tensor([[2.5]])
    assert x.item() == 2.5 and float(x) == 2.5 and int(x) == 2
    assert [10, 20, 30][gg.tensor(2)] == 30
    assert type(gg.tensor(3).item()) is int and type(gg.tensor(True).item()) is bool
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        gg.ones(3).item()


def test_hash_is_identity():
    a, b = gg.ones(1), gg.ones(1)
    assert len({a, b}) == 2 and a in {a}


def test_numpy_shares_memory_and_array_protocol():
    t = gg.zeros(2)
    t.numpy()[0] = 5
    assert t.tolist() == [5.0, 0.0]
    assert np.asarray(t).dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(gg.ones(2, requires_grad=True))
    assert gg.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]


def test_legacy_constructor():
    assert gg.Tensor(2, 3).shape == torch.Tensor(2, 3).shape
    assert gg.Tensor([1, 2]).dtype is gg.float32
    assert gg.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert gg.Tensor(gg.Size([2])).shape == (2,)
    assert gg.Tensor().shape == torch.Tensor().shape
    assert gg.FloatTensor([1]).dtype is gg.float32
    source = gg.tensor([1, 2])
    alias = gg.Tensor(source)
    assert alias.dtype is gg.int64 and alias._version_counter is source._version_counter
    alias.add_(1)
    assert source.tolist() == [2, 3]
    for m in (torch, gg):
        with pytest.raises(TypeError, match="must be a sequence"):
            m.Tensor(3.5)
        with pytest.raises(ValueError, match="invalid type"):
            m.ones(1).type("torch.NotAType")


def test_deepcopy_and_pickle():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y.tolist() == x.tolist() and y.requires_grad and y.is_leaf
    assert y.grad.tolist() == [2.0, 2.0]
    y.data.add_(1)
    assert x.tolist() == [1.0, 2.0]
    z = pickle.loads(pickle.dumps(x))
    assert z.tolist() == [1.0, 2.0] and z.requires_grad
    p = pickle.loads(pickle.dumps(gg.nn.Parameter(gg.ones(2))))
    assert isinstance(p, gg.nn.Parameter) and p.requires_grad
    q = copy.deepcopy(gg.nn.Parameter(gg.ones(2)))
    assert isinstance(q, gg.nn.Parameter) and q.requires_grad
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)
