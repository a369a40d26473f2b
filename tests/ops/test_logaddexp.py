"""``torch.logaddexp`` against PyTorch: values, gradients, node name, special values."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg

SPECIAL_A = [0.5, -3.0, 100.0, -100.0, np.inf, -np.inf, np.inf, np.nan, 1e-8, 20.0, -np.inf]
SPECIAL_B = [0.25, 2.0, 99.0, -100.0, np.inf, -np.inf, 1.0, 1.0, 3e-8, -30.0, 2.0]


def _within_ulps(x, y, scale, ulps: int = 2) -> bool:
    """``x`` and ``y`` equal, or apart by at most ``ulps`` units in the last place of
    ``scale`` (the inputs' size: a result cancelled near zero keeps their rounding error)."""
    x, y = np.asarray(x), np.asarray(y)
    same = (x == y) | (np.isnan(x) & np.isnan(y))
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: ``same`` covers it
        close = _close(x, y, scale, ulps)
    return bool(np.all(same | close))


def _close(x, y, scale, ulps: int):
    size = np.maximum(np.abs(scale), np.abs(x)).astype(x.dtype)  # ulps of x's own dtype
    return np.abs(x - y) <= ulps * np.spacing(size)


def test_special_values_and_broadcasting():
    a = gg.tensor(SPECIAL_A, dtype=gg.float64)
    out = gg.logaddexp(a, gg.tensor(SPECIAL_B, dtype=gg.float64)).tolist()
    assert out[4] == np.inf and out[5] == -np.inf and out[6] == np.inf and np.isnan(out[7])
    assert out[10] == 2.0 and out[3] == pytest.approx(-100 + np.log(2))
    assert gg.tensor([[0.0], [1.0]]).logaddexp(gg.tensor([0.0, 1.0])).shape == (2, 2)
    assert gg.logaddexp(gg.tensor([1, 2]), gg.tensor([1, 2])).dtype == gg.float32


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_gradients_and_node_match_pytorch(dtype):
    rng = np.random.default_rng(0)
    a = np.concatenate([SPECIAL_A, rng.normal(0, 5, 1000)]).astype(dtype)
    b = np.concatenate([SPECIAL_B, rng.normal(0, 5, 1000)]).astype(dtype)
    ga, gb = gg.tensor(a, requires_grad=True), gg.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours, theirs = gg.logaddexp(ga, gb), torch.logaddexp(ta, tb)
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__ == "LogaddexpBackward0"
    # PyTorch's vectorised loop uses SLEEF's exp and log1p (1-ulp functions): most values
    # are bit-identical, a few differ in the last place of the inputs' size
    scale = np.maximum(np.abs(a), np.abs(b))
    assert _within_ulps(ours.detach().numpy(), theirs.detach().numpy(), scale)
    assert (ours.detach().numpy() == theirs.detach().numpy()).mean() > 0.98
    ours.sum().backward()
    theirs.sum().backward()
    assert _within_ulps(ga.grad.numpy(), ta.grad.numpy(), 1.0)
    assert _within_ulps(gb.grad.numpy(), tb.grad.numpy(), 1.0)
