"""Activation functions (``F.relu``, ``F.gelu``, ``F.softmax``, ...) and their in-place forms."""

from __future__ import annotations

from glassgrad._tensor import Tensor
from glassgrad.ops import activation as A
from glassgrad.ops import elementwise as E
from glassgrad.ops import movement as M
from glassgrad.ops import nn_ops as N
from glassgrad.ops import reduce as R
from glassgrad.ops.inplace import inplace_unary

__all__ = [
    "celu",
    "celu_",
    "elu",
    "elu_",
    "gelu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0); ``inplace`` overwrites ``input``."""
    return input.relu_() if inplace else E.Relu.apply(input)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return input.relu_()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-input))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """exp(input) normalised to sum to 1 along ``dim``."""
    return R.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """log(softmax(input)) along ``dim``, computed without overflow."""
    return R.log_softmax(input, dim, dtype)


def _maybe_inplace(input: Tensor, inplace: bool, fn) -> Tensor:
    return inplace_unary(input, fn) if inplace else fn(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where positive, else negative_slope * input."""
    op = A.LeakyReluResult if inplace else A.LeakyRelu
    return _maybe_inplace(input, inplace, lambda t: op.apply(t, negative_slope=negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, else alpha * (exp(input) - 1)."""
    op = A.EluResult if inplace else A.Elu
    return _maybe_inplace(input, inplace, lambda t: op.apply(t, alpha=alpha))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """input * Phi(input): exact (erf) or ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"approximate argument must be either none or tanh (got {approximate!r})"
        )
    return A.Gelu.apply(input, approximate=approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta, linear where beta * input > threshold."""
    return A.Softplus.apply(input, beta=beta, threshold=threshold)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """input * sigmoid(input)."""
    return _maybe_inplace(input, inplace, A.Silu.apply)


def hardtanh(
    input: Tensor,
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    """input clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(
        input, inplace, lambda t: A.Hardtanh.apply(t, min_val=min_val, max_val=max_val)
    )


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), finite for large |x|."""
    return N.LogSigmoid.apply(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6) (a hardtanh, as in PyTorch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def softsign(input: Tensor) -> Tensor:
    """input / (1 + |input|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """input - tanh(input)."""
    return input - input.tanh()


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input))."""
    return _maybe_inplace(input, inplace, A.Mish.apply)


_SELU_ALPHA = 1.6732632423543772848170429916717


_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with the self-normalising constants."""
    op = A.EluResult if inplace else A.Elu
    return _maybe_inplace(
        input, inplace, lambda t: op.apply(t, alpha=_SELU_ALPHA, scale=_SELU_SCALE)
    )


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, else alpha * (exp(input / alpha) - 1)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    op = A.CeluResult if inplace else A.Celu
    return _maybe_inplace(input, inplace, lambda t: op.apply(t, alpha=alpha))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(input + 3) / 6: a piecewise-linear sigmoid."""
    return _maybe_inplace(input, inplace, A.Hardsigmoid.apply)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * relu6(input + 3) / 6."""
    return _maybe_inplace(input, inplace, A.Hardswish.apply)


def softmin(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """softmax(-input) along ``dim``."""
    return R.softmax(-input, dim, dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """input where positive, else weight * input (one weight, or one per channel of dim 1)."""
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim > 1 else input.shape[0]
        if weight.ndim != 1 or weight.shape[0] != channels:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {channels}."
            )
        if input.ndim > 1:
            weight = weight.reshape(channels, *([1] * (input.ndim - 2)))
    return A.PreluKernel.apply(input, weight)


def threshold(
    input: Tensor,
    threshold: float,
    value: float,
    inplace: bool = False,
) -> Tensor:
    """input where input > threshold, else value."""
    op = A.ThresholdResult if inplace else A.Threshold
    return _maybe_inplace(input, inplace, lambda t: op.apply(t, threshold=threshold, value=value))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) where a and b are the two halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size "
            f"{input.shape[dim]}"
        )
    a, b = M.chunk(input, 2, dim)
    return a * b.sigmoid()


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """input where |input| > lambd, else 0."""
    return A.Hardshrink.apply(input, lambd=lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """input -/+ lambd outside [-lambd, lambd], 0 inside."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return A.Softshrink.apply(input, lambd=lambd)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``."""
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return selu(input, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``."""
    return inplace_unary(
        input, lambda t: A.ThresholdResult.apply(t, threshold=threshold, value=value)
    )
