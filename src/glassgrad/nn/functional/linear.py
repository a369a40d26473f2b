"""``F.linear`` and the reshaping helpers ``flatten`` / ``unflatten``."""

from __future__ import annotations

from glassgrad._tensor import Tensor
from glassgrad.ops import linalg as L
from glassgrad.ops import movement as M

__all__ = ["flatten", "linear", "unflatten"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias; a 2-D input goes through the fused addmm (AddmmBackward0)."""
    if input._data.ndim == 0 or weight._data.ndim == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
            f"{weight.ndim}D; give the input a feature dimension, e.g. x.reshape(-1, 1)"
        )
    if input._data.shape[-1] != weight._data.shape[-1]:
        rows = input.numel() // max(input.shape[-1], 1) if input.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
            f"{weight.shape[-1]}x{weight.shape[0] if weight.ndim > 1 else 1}): the input's last "
            "dimension "
            f"({input.shape[-1]}) must equal in_features ({weight.shape[-1]}); input shape "
            f"{list(input.shape)}, weight shape {list(weight.shape)}"
        )
    if bias is not None:
        if input._data.ndim == 2:
            return L.linear(input, weight, bias)
        # like PyTorch: fold the leading dims into one, addmm, view back (ViewBackward0)
        rows = M.reshape(input, -1, input.shape[-1])
        out = L.addmm(bias, rows, weight.t())
        return M.view(out, *input.shape[:-1], weight.shape[0])
    return L.matmul(input, weight.t())


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    return M.flatten(input, start_dim, end_dim)


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes``."""
    return M.unflatten(input, dim, sizes)
