"""nn.utils gradient clipping and parameter vectors against PyTorch."""

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad
from glassgrad.nn import utils as gutils

rng = np.random.default_rng(0)
GRADS = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]


def _params(lib, grads=GRADS):
    params = []
    for g in grads:
        p = lib.zeros(g.shape, requires_grad=True)
        p.grad = lib.tensor(g.copy())
        params.append(p)
    params.append(lib.zeros(2, requires_grad=True))  # no grad: skipped
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    mine, theirs = _params(glassgrad), _params(torch)
    total = gutils.clip_grad_norm_(mine, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.dtype == glassgrad.float32 and total.shape == ()
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    for p, q in zip(mine[:2], theirs[:2]):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)
    assert mine[2].grad is None


def test_clip_grad_norm_single_tensor_empty_and_nonfinite():
    w = glassgrad.zeros(2, requires_grad=True)
    w.grad = glassgrad.tensor([3.0, 4.0])
    assert gutils.clip_grad_norm_(w, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    assert gutils.clip_grad_norm_([], 1.0).item() == 0.0
    w.grad = glassgrad.tensor([1.0, float("nan")])
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
        gutils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    assert np.isnan(gutils.clip_grad_norm_([w], 1.0).item())


def test_clip_grad_value_matches_torch():
    mine, theirs = _params(glassgrad), _params(torch)
    assert gutils.clip_grad_value_(mine, 0.3) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.3)
    for p, q in zip(mine[:2], theirs[:2]):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
        assert p.grad.dtype == glassgrad.float32


def test_parameters_to_vector_round_trip():
    a = glassgrad.arange(6.0).reshape(2, 3).requires_grad_()
    b = glassgrad.tensor([7.0, 8.0], requires_grad=True)
    vec = gutils.parameters_to_vector([a, b])
    assert vec.tolist() == [0.0, 1, 2, 3, 4, 5, 7, 8] and vec.requires_grad
    vec.sum().backward()
    assert a.grad.tolist() == [[1.0] * 3] * 2
    gutils.vector_to_parameters(glassgrad.arange(8.0) * 10, [a, b])
    assert a.detach().tolist() == [[0.0, 10, 20], [30, 40, 50]] and b.detach().tolist() == [60, 70]
    with pytest.raises(RuntimeError, match="hold 8 values"):
        gutils.vector_to_parameters(glassgrad.zeros(3), [a, b])
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        gutils.vector_to_parameters([1.0], [a])
