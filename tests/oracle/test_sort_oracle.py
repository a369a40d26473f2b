"""``sort``/``argsort`` return PyTorch's indices for equal values: its CPU sort is not stable,
and which of two equal values comes first is printed by every program that sorts labels,
lengths or scores with ties."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg


def test_ties_come_out_in_pytorchs_order_without_torch():
    """Recorded from torch 2.13 (CPU): std::sort's introsort on 20 alternating values."""
    x = gg.tensor([1, 0] * 10)
    assert gg.sort(x).indices.tolist() == [1, 19, 17, 15, 13, 11, 9, 7, 5, 3, 8, 6, 10, 12, 4,
                                           14, 16, 2, 18, 0]  # fmt: skip
    assert x.argsort(descending=True).tolist() == [0, 2, 18, 4, 6, 16, 8, 10, 14, 12, 19, 17,
                                                   15, 13, 11, 9, 7, 5, 3, 1]  # fmt: skip
    assert gg.sort(x, stable=True).indices.tolist() == list(range(1, 20, 2)) + list(range(0, 20, 2))


def _data(kind: str, n: int, rng):
    if kind == "labels":
        return rng.integers(0, 4, n)
    if kind == "float ties":
        return rng.integers(-2, 3, n).astype(np.float32)
    if kind == "nan and zeros":
        x = rng.choice([np.nan, 0.0, -0.0, 1.0, np.inf], n)
        return x
    if kind == "bool":
        return rng.random(n) < 0.5
    if kind == "sorted runs":  # organ pipes: the introsort's depth limit and heap sort
        half = np.arange(n // 2) % 5
        return np.concatenate([half, half[::-1]])
    return rng.standard_normal(n)  # no ties


KINDS = ["labels", "float ties", "nan and zeros", "bool", "sorted runs", "distinct"]


@pytest.mark.parametrize("n", [0, 1, 16, 17, 64, 1000, 40000])
@pytest.mark.parametrize("kind", KINDS)
def test_sort_and_argsort_indices_match_torch(kind, n):
    rng = np.random.default_rng(n + len(kind))
    x = _data(kind, n, rng)
    for descending in (False, True):
        for stable in (False, True):
            got = gg.sort(gg.tensor(x), descending=descending, stable=stable)
            want = torch.sort(torch.tensor(x), descending=descending, stable=stable)
            np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
            np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        got = gg.tensor(x).argsort(descending=descending).numpy()
        np.testing.assert_array_equal(got, torch.tensor(x).argsort(descending=descending))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_rows_of_a_matrix_match_torch(dim):
    x = np.random.default_rng(7).integers(0, 3, (20, 30, 3))
    for descending in (False, True):
        got = gg.sort(gg.tensor(x), dim=dim, descending=descending).indices.numpy()
        want = torch.sort(torch.tensor(x), dim=dim, descending=descending).indices.numpy()
        np.testing.assert_array_equal(got, want)
