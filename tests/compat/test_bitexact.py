"""Kernels whose rounding glassgrad copies from PyTorch's CPU code, checked bit for bit.

Lessons print ``loss.item()`` and ``tolist()`` at full precision, so sums, ``linspace`` and
the fused ``add_(alpha=...)`` update must round exactly as PyTorch does.
"""

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg
from glassgrad._kernels.sumorder import torch_order_sum

# bits that depend on PyTorch's SIMD build (fused multiply-adds, register widths)
pytestmark = pytest.mark.simd_bits

SHAPES_AND_DIMS = (
    [((n,), None) for n in (1, 2, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257, 1000, 4099)]
    + [
        (shape, dim)
        for shape in [(3, 5), (21, 4), (64, 10), (10, 64), (33, 33), (200, 40), (9, 1), (1, 9)]
        for dim in (None, 0, 1, -1)
    ]
    + [((4, 5, 6), dim) for dim in (None, 2, (1, 2), 0, (0, 1))]
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, dim", SHAPES_AND_DIMS)
def test_sum_and_mean_match_torch_bit_for_bit(shape, dim, dtype):
    x = np.random.default_rng(len(shape) * 100 + sum(shape)).standard_normal(shape).astype(dtype)
    ref = torch.from_numpy(x)
    t = gg.tensor(x)
    for op in ("sum", "mean"):
        want = getattr(ref, op)() if dim is None else getattr(ref, op)(dim)
        got = getattr(t, op)() if dim is None else getattr(t, op)(dim)
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=op)


def test_transposed_input_sums_in_memory_order():
    x = np.random.default_rng(0).standard_normal((13, 37)).astype(np.float32)
    for dim in (0, 1):
        want = torch.from_numpy(x).t().sum(dim).numpy()
        np.testing.assert_array_equal(torch_order_sum(x.T, dim), want)


def test_broadcast_gradient_is_summed_like_torch():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((50, 3)).astype(np.float32), rng.standard_normal(3)
    grads = []
    for m in (torch, gg):
        w = m.tensor(b.astype(np.float32), requires_grad=True)
        (m.tensor(a) * w).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("start, end", [(-1, 1), (0, 10), (-3.14159, 3.14159), (1, 0)])
@pytest.mark.parametrize("steps", [2, 7, 9, 21, 100, 1001])
def test_linspace_matches_torch_bit_for_bit(start, end, steps, dtype):
    want = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    got = gg.linspace(start, end, steps, dtype=getattr(gg, dtype)).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "update",
    [
        lambda m, a, b, c: a.add_(b, alpha=-0.37),
        lambda m, a, b, c: a.sub_(b, alpha=0.1),
        lambda m, a, b, c: a.addcmul_(b, c, value=0.3),
        lambda m, a, b, c: a.addcdiv_(b, c.abs() + 0.1, value=-0.01),
    ],
    ids=["add_alpha", "sub_alpha", "addcmul", "addcdiv"],
)
def test_fused_inplace_updates_match_torch(update):
    arrays = np.random.default_rng(2).standard_normal((3, 500)).astype(np.float32)
    results = [update(m, *(m.tensor(x) for x in arrays)).numpy() for m in (torch, gg)]
    np.testing.assert_array_equal(results[1], results[0])


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": 0.9},
        {"momentum": 0.9, "nesterov": True},
        {"momentum": 0.5, "dampening": 0.2, "weight_decay": 0.01},
    ],
)
def test_sgd_trajectory_matches_torch_bit_for_bit(options):
    rng = np.random.default_rng(3)
    init, target = rng.standard_normal((2, 64)).astype(np.float32)
    finals = []
    for m in (torch, gg):
        w = m.tensor(init, requires_grad=True)
        opt = m.optim.SGD([w], lr=0.05, **options)
        for _ in range(20):
            opt.zero_grad()
            ((w - m.tensor(target)) ** 2).mean().backward()
            opt.step()
        finals.append(w.detach().numpy())
    np.testing.assert_array_equal(finals[1], finals[0])
