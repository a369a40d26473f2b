"""Activations far out: the true limits, never a NaN from a formula's inf * 0 (no PyTorch
needed: these are the mathematics, not PyTorch's bits)."""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_is_right_far_out(approximate, dtype):
    """gelu(x) -> x and slope 1 as x -> inf, -0.0 and slope 0 as x -> -inf: no NaN from the
    formulas' inf * 0 (which PyTorch returns at +-inf, and in the tanh form's gradient
    wherever x * x overflows)."""
    big = np.finfo(dtype).max
    values = [np.inf, big, 1e30 if dtype == "float64" else 1e19, -1e19, -big, -np.inf]
    x = gg.tensor(values, dtype=getattr(gg, dtype), requires_grad=True)
    y = gg.nn.functional.gelu(x, approximate=approximate)
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), np.array(values[:3] + [0.0] * 3, dtype))
    assert np.signbit(y.detach().numpy()[3:]).all()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 1, 0, 0, 0])
