"""Anomaly mode names the op and the forward line behind a NaN gradient."""

import pytest

import glassgrad as torch
from glassgrad.autograd import graph as autograd_graph

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy on log(0), 0/0


def test_log_zero_times_zero_names_op_and_line():
    x = torch.tensor(0.0, requires_grad=True)
    with (
        pytest.warns(UserWarning, match="Anomaly Detection has been enabled"),
        torch.autograd.detect_anomaly(),
    ):
        y = torch.log(x) * 0  # the line anomaly mode must point at
        with pytest.raises(RuntimeError) as info:
            y.backward()
    text = str(info.value)
    assert text.startswith("Function 'LogBackward0' returned nan values in its 0th output.")
    assert "test_anomaly.py" in text
    assert "y = torch.log(x) * 0  # the line anomaly mode must point at" in text
    assert not autograd_graph.DETECT_ANOMALY and not autograd_graph.RECORD_HOOKS


def test_off_by_default_and_inf_only_on_request():
    x = torch.tensor(0.0, requires_grad=True)
    (torch.log(x) * 0).backward()  # NaN gradient, but no anomaly mode: no error (as PyTorch)
    assert x.grad.isnan().item()
    x = torch.tensor(0.0, requires_grad=True)
    with torch.autograd.set_detect_anomaly(True):
        torch.sqrt(x).backward()  # inf, not NaN: PyTorch does not stop here either
    x = torch.tensor(0.0, requires_grad=True)
    with (
        torch.autograd.set_detect_anomaly(True, check_inf=True),
        pytest.raises(RuntimeError, match="'SqrtBackward0' returned inf values"),
    ):
        torch.sqrt(x).backward()
    assert not autograd_graph.DETECT_ANOMALY


def test_set_detect_anomaly_as_a_call():
    torch.autograd.set_detect_anomaly(True)
    try:
        assert torch.autograd.anomaly.is_anomaly_enabled()
    finally:
        torch.autograd.set_detect_anomaly(False)
    assert not autograd_graph.DETECT_ANOMALY


class BadSqrt(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.sqrt()

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


def test_custom_function_backward_is_named_with_its_line():
    x = torch.tensor(4.0, requires_grad=True)
    with torch.autograd.set_detect_anomaly(True):
        y = BadSqrt.apply(x) * 2  # custom function line
        with pytest.raises(RuntimeError) as info:
            y.backward()
    assert "Function 'BadSqrtBackward' returned nan values in its 0th output." in str(info.value)
    assert "y = BadSqrt.apply(x) * 2  # custom function line" in str(info.value)
