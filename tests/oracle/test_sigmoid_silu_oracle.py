"""float32 sigmoid and silu, forward and backward, bit for bit with PyTorch: its vectorised
exp (SLEEF's, or glibc's on the default build) in the SIMD part, std::exp in the
element-at-a-time tail and on strided tensors, and the fused multiply-add of silu's
backward where its build fuses. Run under each ``ATEN_CPU_CAPABILITY``."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg

SHAPES = [(1,), (5,), (16,), (17,), (33,), (1000,), (3, 9), (3, 40), (4096,)]


@pytest.mark.parametrize("name", ["sigmoid", "silu"])
@pytest.mark.parametrize("shape", SHAPES)
def test_values_and_gradients_match_torch(name, shape):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    x.reshape(-1)[: min(x.size, 3)] = [100.0, -100.0, 0.0][: min(x.size, 3)]  # e**-x overflows
    upstream = rng.standard_normal(shape).astype(np.float32)
    results = []
    for lib in (gg, torch):
        fn = getattr(lib.nn.functional, name)
        t = lib.tensor(x, requires_grad=True)
        out = fn(t)
        out.backward(lib.tensor(upstream))
        strided = fn(lib.tensor(x).reshape(-1)[::2])  # every element one at a time
        results.append((out.detach().numpy(), t.grad.numpy(), strided.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
