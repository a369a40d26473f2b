"""``nn.functional``: the functional form of layers and losses."""

from __future__ import annotations

import warnings

from glassgrad.ops import activation as A
from glassgrad.ops import elementwise as E
from glassgrad.ops import linalg as L
from glassgrad.ops import loss as LS
from glassgrad.ops import reduce as R
from glassgrad.tensor import Tensor

__all__ = [
    "linear",
    "mse_loss",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "leaky_relu",
    "elu",
    "gelu",
    "softplus",
    "silu",
    "hardtanh",
]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """input @ weight.T + bias; a 2-D input goes through the fused addmm (AddmmBackward0)."""
    if input.shape[-1] != weight.shape[-1]:
        rows = input.numel() // max(input.shape[-1], 1) if input.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
            f"{weight.shape[1]}x{weight.shape[0]}): the input's last dimension "
            f"({input.shape[-1]}) must equal in_features ({weight.shape[-1]}); input shape "
            f"{list(input.shape)}, weight shape {list(weight.shape)}"
        )
    if input.ndim == 2 and bias is not None:
        return L.addmm(bias, input, weight.t())
    out = L.matmul(input, weight.t())
    return out + bias if bias is not None else out


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(
            "size_average and reduce args will be deprecated, please use reduction='"
            f"{reduction}' instead.",
            UserWarning,
            stacklevel=3,
        )
    if reduction not in LS.REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,  # noqa: A002
    reduction: str = "mean",
    weight=None,
) -> Tensor:
    """Mean squared error; warns, like PyTorch, when the shapes differ and broadcast."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = E.as_operand(input, "input"), E.as_operand(target, "target")  # noqa: A001
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=2,
        )
        E._check_broadcast(LS.MseLoss, input, target)
    da, db = E.promoted_arrays(input, target)
    return LS.MseLoss.run((input, target), (da, db), {"reduction": reduction})


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu_() if inplace else E.Relu.apply(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


def softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:  # noqa: A002
    return R.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:  # noqa: A002
    return R.log_softmax(input, dim, dtype)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    return A.LeakyRelu.apply(input, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return A.Elu.apply(input, alpha=alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    return A.Gelu.apply(input, approximate=approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    return A.Softplus.apply(input, beta=beta, threshold=threshold)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return A.Silu.apply(input)


def hardtanh(
    input: Tensor,
    min_val: float = -1.0,
    max_val: float = 1.0,  # noqa: A002
    inplace: bool = False,
) -> Tensor:
    return A.Hardtanh.apply(input, min_val=min_val, max_val=max_val)
