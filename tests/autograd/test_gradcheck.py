"""gradcheck / gradgradcheck: analytic vs finite-difference Jacobians."""

import warnings

import pytest

import glassgrad as torch
from glassgrad.autograd import gradcheck, gradgradcheck
from glassgrad.autograd.gradcheck import GradcheckError


def double(*shape):
    torch.manual_seed(0)
    return torch.randn(*shape, dtype=torch.float64, requires_grad=True)


class WrongSquare(torch.autograd.Function):
    """x² with a backward that forgot the factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class RightSquare(WrongSquare):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * grad * x


def test_correct_functions_pass():
    x, y = double(3), double(3, 2)
    assert gradcheck(lambda a: (a * a.sin()).sum(), (x,))
    assert gradcheck(lambda a, b: (a @ b).tanh(), (x, y))
    assert gradcheck(RightSquare.apply, (x,))


def test_wrong_custom_backward_is_caught_with_both_jacobians():
    x = double(3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, (x,))
    text = str(info.value)
    assert "Jacobian mismatch for output 0 with respect to input 0" in text
    assert "numerical:tensor(" in text and "analytical:tensor(" in text
    assert "Worst entry" in text
    assert isinstance(info.value, RuntimeError)
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradgradcheck():
    x = double(4)
    assert gradgradcheck(lambda a: a.sin() * a, (x,))
    assert gradgradcheck(lambda a: (a**3).sum(), (x,))


def test_float32_inputs_warn_and_no_grad_inputs_are_refused():
    x = torch.randn(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradcheck(lambda a: a * 2, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)
    assert any("double precision" in str(w.message) for w in caught)
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda a: a * 2, (torch.randn(2, dtype=torch.float64),))
