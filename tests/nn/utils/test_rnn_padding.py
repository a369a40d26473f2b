"""``nn.utils.rnn.pad_sequence`` / ``unpad_sequence``: PyTorch's batches, printed the same,
gradients back into each sequence; packed sequences named as unsupported."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg
from glassgrad.nn.utils.rnn import pad_sequence, unpad_sequence

LAYOUTS = [
    {},
    {"batch_first": True},
    {"batch_first": True, "padding_side": "left", "padding_value": -1.0},
    {"padding_side": "left"},
]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_padded_batches_and_gradients_match_torch(layout):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((length, 2)).astype(np.float32) for length in (3, 1, 2)]
    ours = [gg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    padded = pad_sequence(ours, **layout)
    expected = torch.nn.utils.rnn.pad_sequence(theirs, **layout)
    assert str(padded) == str(expected)
    assert padded.is_contiguous() == expected.is_contiguous()
    upstream = rng.standard_normal(tuple(expected.shape)).astype(np.float32)
    (padded * gg.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    for mine, theirs_one in zip(ours, theirs):
        np.testing.assert_array_equal(mine.grad.numpy(), theirs_one.grad.numpy())


def test_unpad_gives_back_each_sequence():
    sequences = [gg.tensor([1, 2, 3]), gg.tensor([4]), gg.tensor([5, 6])]
    for batch_first in (False, True):
        padded = pad_sequence(sequences, batch_first=batch_first)
        back = unpad_sequence(padded, gg.tensor([3, 1, 2]), batch_first=batch_first)
        assert [s.tolist() for s in back] == [[1, 2, 3], [4], [5, 6]]
    assert pad_sequence(sequences, batch_first=True).tolist() == [[1, 2, 3], [4, 0, 0], [5, 6, 0]]


def test_bad_input_and_packed_sequences_are_named():
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right"):
        pad_sequence([gg.ones(2)], padding_side="middle")
    with pytest.raises(AttributeError, match="packed sequences are not supported"):
        gg.nn.utils.rnn.pack_padded_sequence  # noqa: B018
