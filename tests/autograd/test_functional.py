"""autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) against real PyTorch."""

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad

X = [0.5, -1.25, 2.0]
Y = [1.5, 0.25]


def vector_fn(lib):
    return lambda x: lib.stack([x[0] ** 2 * x[1], x.sin().sum(), x.exp()[2] * x[0]])


def two_input_fn(lib):
    return lambda x, y: (x.unsqueeze(1) * y).tanh()


def scalar_fn(lib):
    return lambda x: (x**3).sum() + x[0] * x[1] * x[2]


def _same(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def _both(call):
    return call(glassgrad), call(torch)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.autograd.functional.jacobian(vector_fn(lib), lib.tensor(X)),
        lambda lib: lib.autograd.functional.jacobian(
            two_input_fn(lib), (lib.tensor(X), lib.tensor(Y))
        ),
        lambda lib: lib.autograd.functional.jacobian(lambda x: (x, 2 * x), lib.tensor(Y)),
        lambda lib: lib.autograd.functional.jacobian(lambda x: lib.ones(2), lib.tensor(Y)),
        lambda lib: lib.autograd.functional.hessian(scalar_fn(lib), lib.tensor(X)),
        lambda lib: lib.autograd.functional.hessian(
            lambda x, y: (x * y.sum()).pow(2).sum(), (lib.tensor(X), lib.tensor(Y))
        ),
        lambda lib: lib.autograd.functional.vjp(
            vector_fn(lib), lib.tensor(X), lib.tensor([1.0, -1.0, 0.5])
        ),
        lambda lib: lib.autograd.functional.jvp(
            vector_fn(lib), lib.tensor(X), lib.tensor([0.2, 1.0, -1.0])
        ),
        lambda lib: lib.autograd.functional.vhp(scalar_fn(lib), lib.tensor(X), lib.tensor(X)),
        lambda lib: lib.autograd.functional.hvp(scalar_fn(lib), lib.tensor(X), lib.tensor(X)),
    ],
    ids=[
        "jac",
        "jac_two_inputs",
        "jac_two_outputs",
        "jac_unused",
        "hess",
        "hess_two",
        "vjp",
        "jvp",
        "vhp",
        "hvp",
    ],
)
def test_matches_torch(call):
    _same(*_both(call))


def test_create_graph_keeps_the_result_differentiable():
    x = glassgrad.tensor(X, requires_grad=True)
    jac = glassgrad.autograd.functional.jacobian(lambda t: t**3, x, create_graph=True)
    jac.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array(X, dtype=np.float32), rtol=1e-6)


def test_bad_inputs_are_named():
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        glassgrad.autograd.functional.jacobian(lambda t: t, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="single element"):
        glassgrad.autograd.functional.hessian(lambda t: t * 2, glassgrad.tensor(Y))
    with pytest.raises(RuntimeError, match="same shapes"):
        glassgrad.autograd.functional.vjp(lambda t: t * 2, glassgrad.tensor(Y), glassgrad.ones(3))
