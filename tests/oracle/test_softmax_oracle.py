"""softmax, log_softmax and cross_entropy against PyTorch, bit for bit.

PyTorch's softmax kernels take SLEEF's exp and log (AVX2, AVX-512) or glibc's (DEFAULT), add up
in SIMD lanes, split columns between threads and fuse multiply-adds; ``_kernels.vecmath`` and
``_kernels.softmax_order`` replay all of it, so float32 results carry no mismatching bit. Run
this module under ``ATEN_CPU_CAPABILITY=avx2`` and ``=default`` too: glassgrad follows the same
variable. Two known gaps are marked ``xfail`` with their reason.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg
from glassgrad import _kernels as kernels
from glassgrad._kernels.simd import capability

# (shape, dim): last dimension, first dimension, a middle dimension, one dimension
CASES = [
    ((64, 10), -1),
    ((64, 10), 0),
    ((8, 1000), -1),
    ((8, 1000), 0),
    ((3, 7), -1),
    ((3, 7), 0),
    ((2, 17), -1),
    ((2, 17), 0),
    ((5,), 0),
    ((4, 19, 21), 1),
    ((3, 40, 5), 1),
    ((256, 10), 1),
]
SEEDS = range(3)


def _inputs(shape, seed, dtype):
    """torch.randn * 3 in PyTorch's dtype, a few extremes after the first seed: large
    magnitudes, -inf entries, a row of equal values."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=gen, dtype=dtype) * 3
    grad = torch.randn(*shape, generator=gen, dtype=dtype)
    flat = x.view(-1)
    if seed == 1:
        flat[:: max(1, flat.numel() // 7)] = 4000.0  # large magnitudes
        flat[1 :: max(1, flat.numel() // 5)] = -float("inf")
    if seed == 2 and x.ndim == 2:
        x[0] = 1.25  # all equal
    return x, grad


def _mismatches(shape, dim, dtype, name):
    """Mismatching bits of ``name``'s forward and gradient over ``SEEDS``."""
    forward = backward = 0
    for seed in SEEDS:
        x, grad = _inputs(shape, seed, dtype)
        results = []
        for m in (torch, gg):
            t = m.tensor(x.numpy(), requires_grad=True)
            out = getattr(m, name)(t, dim)
            out.backward(m.tensor(grad.numpy()))
            results.append((out.detach().numpy(), t.grad.numpy()))
        (want, want_grad), (got, got_grad) = results
        forward += _bits(got, want)
        backward += _bits(got_grad, want_grad)
    return forward, backward


def _bits(got, want) -> int:
    assert got.dtype == want.dtype and got.shape == want.shape
    width = f"i{got.itemsize}"
    same_nan = np.isnan(got) & np.isnan(want)
    return int(((got.view(width) != want.view(width)) & ~same_nan).sum())


def _default_log():
    """glibc's ``logf`` (the DEFAULT build's log) is not replayed: a few sums round apart."""
    if capability() == "DEFAULT":
        return pytest.mark.xfail(reason="glibc logf is not emulated (DEFAULT build)", strict=True)
    return []


@pytest.mark.parametrize(("shape", "dim"), CASES)
def test_softmax_float32_bit_for_bit(shape, dim):
    assert _mismatches(shape, dim, torch.float32, "softmax") == (0, 0)


@pytest.mark.parametrize(("shape", "dim"), CASES)
def test_log_softmax_float32_gradient_bit_for_bit(shape, dim):
    """The gradient alone, from PyTorch's own forward output."""
    total = 0
    for seed in SEEDS:
        x, grad = _inputs(shape, seed, torch.float32)
        out = torch.log_softmax(x, dim)
        want = torch._log_softmax_backward_data(grad, out, dim % x.ndim, torch.float32)
        got = kernels.log_softmax_backward(grad.numpy(), out.numpy(), dim % x.ndim)
        total += _bits(got, want.numpy())
    assert total == 0


@pytest.mark.parametrize(
    "cases",
    [pytest.param(CASES, id="all", marks=_default_log())],
)
def test_log_softmax_float32_bit_for_bit(cases):
    counts = {case: _mismatches(*case, torch.float32, "log_softmax") for case in cases}
    assert all(c == (0, 0) for c in counts.values()), counts


@pytest.mark.xfail(
    reason="float64: PyTorch's AVX2/AVX-512 kernels take SLEEF's expd/logd and DEFAULT glibc's "
    "exp/log, not emulated (glassgrad rounds NumPy's)",
    strict=True,
)
def test_softmax_float64_bit_for_bit():
    counts = {case: _mismatches(*case, torch.float64, "softmax") for case in CASES[:4]}
    assert all(c == (0, 0) for c in counts.values()), counts


@pytest.mark.parametrize("shape", [(64, 10), (8, 1000), (3, 7), (2, 17), (5,)])
@pytest.mark.parametrize(
    "options",
    [{}, {"label_smoothing": 0.1}, {"weight": True}, {"reduction": "sum"}, {"reduction": "none"}],
)
def test_cross_entropy_float32_bit_for_bit(shape, options, request):
    if capability() == "DEFAULT":  # (a few cases come out exact by chance: not strict)
        request.applymarker(pytest.mark.xfail(reason="glibc logf is not emulated (DEFAULT)"))
    mismatches = 0
    for seed in SEEDS:
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(*shape, generator=gen) * 3
        classes = shape[-1] if len(shape) > 1 else shape[0]
        target = torch.randint(0, classes, shape[:-1], generator=gen)
        weight = torch.rand(classes, generator=gen) + 0.5
        results = []
        for m in (torch, gg):
            t = m.tensor(x.numpy(), requires_grad=True)
            kwargs = dict(options)
            if kwargs.pop("weight", False):
                kwargs["weight"] = m.tensor(weight.numpy())
            loss = m.nn.functional.cross_entropy(t, m.tensor(target.numpy()), **kwargs)
            loss.sum().backward()
            results.append((loss.detach().numpy(), t.grad.numpy()))
        mismatches += _bits(results[1][0], results[0][0]) + _bits(results[1][1], results[0][1])
    assert mismatches == 0


def _train(m, steps=50):
    """A float32 classifier (per-feature scale and bias, cross-entropy, SGD with momentum
    0.9): the losses and parameters after ``steps``. Its model is elementwise, so the only
    transcendental rounding on the way is the softmax family's."""
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((64, 10)).astype(np.float32))
    labels = m.tensor(rng.integers(0, 10, 64))
    w = m.tensor(rng.standard_normal(10).astype(np.float32), requires_grad=True)
    b = m.tensor(np.zeros(10, np.float32), requires_grad=True)
    optimizer = m.optim.SGD([w, b], lr=0.1, momentum=0.9)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = m.nn.functional.cross_entropy(x * w + b, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, w.detach().numpy(), b.detach().numpy()


def test_sgd_momentum_classification_run_matches_torch_bit_for_bit():
    """Issue 15: the drift of a float32 SGD-with-momentum lesson was the softmax's bits."""
    want_losses, want_w, want_b = _train(torch)
    got_losses, got_w, got_b = _train(gg)
    assert got_losses == want_losses
    assert _bits(got_w, want_w) == 0 and _bits(got_b, want_b) == 0


def test_vec_exp_is_torchs_vectorized_exp():
    """PyTorch's log_softmax backward with rows (out, grad) = ([x, 0], [0, 1]) returns
    -exp(x) through ``Vectorized<float>::exp()``: every float32 exponential, to the bit."""
    x = (np.random.default_rng(11).standard_normal(200_000) * 30).astype(np.float32)
    out = np.zeros((x.size, 2), np.float32)
    out[:, 0] = x
    grad = np.zeros_like(out)
    grad[:, 1] = 1
    got = torch._log_softmax_backward_data(
        torch.from_numpy(grad), torch.from_numpy(out), 1, torch.float32
    )
    want = np.abs(got.numpy()[:, 0])  # (-0.0 where exp underflows)
    assert _bits(kernels.vec_exp(x), want) == 0
