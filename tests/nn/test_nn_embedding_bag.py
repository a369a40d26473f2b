"""``F.embedding_bag`` and ``nn.EmbeddingBag``: PyTorch's values and gradients bit for bit
(its summation order, its fused multiply-adds, its sort order in backward), its errors, its
initialisation, and a text-classification step as its tutorial writes it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from nn_oracle import raised_alike
from torch_oracle import torch

import glassgrad as gg
import glassgrad.nn.functional as F

ROWS, DIM = 9, 37
SETTINGS = [
    (mode, weighted, padding, by_freq, last)
    for mode, weighted, padding, by_freq, last in itertools.product(
        ("sum", "mean", "max"), (False, True), (None, 2, -1), (False, True), (False, True)
    )
    if not (weighted and mode != "sum") and not (mode == "max" and by_freq)
]


def _bags(rng, n=300, bags=40, last=False):
    offsets = np.concatenate([[0], np.sort(rng.choice(np.arange(1, n), bags, replace=False))])
    offsets[5] = offsets[4]  # an empty bag
    return rng.integers(0, ROWS, n), (np.append(offsets, n) if last else offsets)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("mode", "weighted", "padding", "by_freq", "last"), SETTINGS)
def test_values_and_gradients_match_torch_bit_for_bit(
    mode, weighted, padding, by_freq, last, dtype
):
    rng = np.random.default_rng(len(mode) * 7 + weighted + (padding or 0) + 3 * by_freq + last)
    weight = rng.standard_normal((ROWS, DIM)).astype(dtype)
    indices, offsets = _bags(rng, last=last)
    per_sample = rng.standard_normal(indices.shape).astype(dtype) if weighted else None
    settings = {
        "mode": mode,
        "padding_idx": padding,
        "scale_grad_by_freq": by_freq,
        "include_last_offset": last,
    }
    results = []
    for lib, functional in ((gg, F), (torch, torch.nn.functional)):
        w = lib.tensor(weight, requires_grad=True)
        p = None if per_sample is None else lib.tensor(per_sample, requires_grad=True)
        out = functional.embedding_bag(
            lib.tensor(indices), w, lib.tensor(offsets), per_sample_weights=p, **settings
        )
        out.backward(lib.tensor(np.linspace(-2, 2, out.numel()).reshape(out.shape).astype(dtype)))
        grads = [w.grad.numpy()] + ([] if p is None else [p.grad.numpy()])
        results.append((out.detach().numpy(), grads, type(out.grad_fn).__name__))
    (ours, our_grads, our_node), (theirs, their_grads, _) = results
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(our_grads[0], their_grads[0])
    if weighted:  # a dot product per sample: BLAS's order, not replayed
        np.testing.assert_allclose(our_grads[1], their_grads[1], rtol=1e-5, atol=1e-5)
    assert our_node == "EmbeddingBagBackward0"


def test_two_dimensional_input_is_one_bag_per_row():
    rng = np.random.default_rng(1)
    weight = rng.standard_normal((ROWS, 4)).astype(np.float32)
    rows = rng.integers(0, ROWS, (5, 3))
    for mode in ("sum", "mean", "max"):
        ours = F.embedding_bag(gg.tensor(rows), gg.tensor(weight), mode=mode)
        embedded = F.embedding(gg.tensor(rows), gg.tensor(weight))
        expected = {"sum": embedded.sum(1), "mean": embedded.mean(1), "max": embedded.amax(1)}
        np.testing.assert_allclose(ours.numpy(), expected[mode].numpy(), rtol=1e-6)


def test_modules_start_print_and_load_as_torch():
    for seed in (0, 42):
        torch.manual_seed(seed)
        gg.manual_seed(seed)
        theirs = torch.nn.EmbeddingBag(20, 5, mode="sum", padding_idx=3)
        ours = gg.nn.EmbeddingBag(20, 5, mode="sum", padding_idx=3)
        np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
        assert repr(ours) == repr(theirs)
    options = {"max_norm": 1.0, "norm_type": 1.0, "scale_grad_by_freq": True, "padding_idx": -2}
    assert repr(gg.nn.EmbeddingBag(10, 3, mode="max", **options)) == repr(
        torch.nn.EmbeddingBag(10, 3, mode="max", **options)
    )
    table = gg.tensor(np.eye(3, dtype=np.float32))
    frozen = gg.nn.EmbeddingBag.from_pretrained(table, mode="sum")
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(gg.tensor([[0, 2]])).numpy(), [[1.0, 0.0, 1.0]])


def _bad_calls(F, T):
    i, w = T([1, 2, 4, 5, 4, 3, 2, 9]), T(np.ones((10, 3), np.float32))
    return [
        lambda: F.embedding_bag(i, w, T([1, 4])),
        lambda: F.embedding_bag(i, w, T([0, 9])),
        lambda: F.embedding_bag(i, w),
        lambda: F.embedding_bag(i.view(2, 4), w, T([0, 2])),
        lambda: F.embedding_bag(i, w, T([[0, 4]])),
        lambda: F.embedding_bag(i.view(1, 2, 4), w),
        lambda: F.embedding_bag(i, w, T([0, 4]), mode="min"),
        lambda: F.embedding_bag(i, w, T([0, 4]), per_sample_weights=T(np.ones(8, np.float32))),
        lambda: F.embedding_bag(i, w, T([0, 4]), mode="max", scale_grad_by_freq=True),
        lambda: F.embedding_bag(i, w, T([0, 4]), per_sample_weights=T(np.ones(7, np.float32))),
        lambda: F.embedding_bag(i - 2, w, T([0, 4])),
        lambda: F.embedding_bag(T([1.0, 2.0]), w, T([0, 1])),
        lambda: F.embedding_bag(i, w[0], T([0, 4])),
        lambda: F.embedding_bag(i, w, T([0, 4]), padding_idx=10),
        lambda: F.embedding_bag(i, T(np.ones((10, 3), np.int64)), T([0, 4])),
    ]


def test_errors_say_what_pytorch_says():
    for ours, theirs in zip(
        _bad_calls(F, gg.tensor), _bad_calls(torch.nn.functional, torch.tensor)
    ):
        got, expected = raised_alike(ours, theirs)
        assert _unprefixed(got) == _unprefixed(expected.split("\n")[0])


def _unprefixed(message: str) -> str:
    """A message without the library's name (``torch.FloatTensor``, ``<class '...Tensor'>``)."""
    for prefix in ("glassgrad._tensor.", "glassgrad.", "torch."):
        message = message.replace(prefix, "")
    return message


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_bag_of_words_classifier_trains_as_torch(capsys, dtype):
    """A bag-of-words classifier (the bag's mean is the logits) trained with SGD after
    manual_seed: every loss and the final table print the same."""

    def run(T):
        T.manual_seed(0)
        bag = T.nn.EmbeddingBag(50, 4, mode="mean", dtype=getattr(T, dtype))
        bag.weight.data.uniform_(-0.5, 0.5)
        optimizer = T.optim.SGD(bag.parameters(), lr=5.0, momentum=0.9)
        text = T.randint(0, 50, (60,))
        offsets, labels = T.tensor([0, 7, 20, 21, 33, 41, 55]), T.randint(0, 4, (7,))
        for _ in range(5):
            optimizer.zero_grad()
            loss = T.nn.functional.cross_entropy(bag(text, offsets), labels)
            loss.backward()
            optimizer.step()
            print(f"{loss.item():.10f}")
        print(bag.weight[:5])

    run(torch)
    theirs = capsys.readouterr().out
    run(gg)
    assert capsys.readouterr().out == theirs
