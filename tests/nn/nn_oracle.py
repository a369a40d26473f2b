"""Helpers shared by the nn tests: move arrays between glassgrad and PyTorch and compare."""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad

TOL = {np.float32: 1e-5, np.float64: 1e-6}


def g_tensor(array, requires_grad: bool = False):
    return glassgrad.tensor(np.array(array), requires_grad=requires_grad)


def t_tensor(torch, array, requires_grad: bool = False):
    return torch.tensor(np.array(array), requires_grad=requires_grad)


def assert_close(actual, expected, dtype=np.float32, scale: float = 1.0) -> None:
    """Values agree to 1e-5 (float32) / 1e-6 (float64), relative to their magnitude."""
    a = actual.detach().numpy() if hasattr(actual, "detach") else np.asarray(actual)
    e = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert a.shape == e.shape, (a.shape, e.shape)
    tol = TOL[np.dtype(dtype).type] * scale
    np.testing.assert_allclose(a, e, rtol=tol, atol=tol, equal_nan=True)


def copy_module(gmodule, tmodule) -> None:
    """Load the torch module's parameters and buffers into the glassgrad module."""
    state = {
        k: glassgrad.tensor(v.detach().numpy().copy()) for k, v in tmodule.state_dict().items()
    }
    gmodule.load_state_dict(state)


def raised_alike(ours, theirs) -> tuple[str, str]:
    """Call ``theirs`` (PyTorch), which must raise, then ``ours``, which must raise the same
    exception type: (our message, PyTorch's)."""
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as got:
        ours()
    return str(got.value), str(expected.value)
