"""``F.embedding`` and ``F.one_hot``."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.ops import nn_ops as N

__all__ = ["embedding", "one_hot"]


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` for integer indices; rows over ``max_norm`` are renormed in place."""
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            "embedding)"
        )
    if sparse:
        raise NotImplementedError(
            "embedding(sparse=True): sparse gradients are not supported by glassgrad; use "
            "sparse=False (the dense gradient has the same values)"
        )
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % rows
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(
            f"index out of range in self: embedding index {bad} is outside [0, {rows - 1}] "
            f"for a table of {rows} rows"
        )
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return N.Embedding.apply(
        weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


def _renorm_rows(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Scale the looked-up rows whose norm exceeds ``max_norm`` (in place, not recorded)."""
    rows = xp.unique(idx.reshape(-1))
    data = weight._data
    norms = xp.linalg.norm(data[rows].astype(xp.float64), ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        scale = max_norm / (norms[over] + 1e-7)
        data[rows[over]] = (data[rows[over]] * scale[:, None]).astype(data.dtype)
        weight._version_counter[0] += 1


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices to a ``(..., num_classes)`` int64 tensor of zeros and ones."""
    data = tensor._data
    if data.dtype != xp.int64:
        raise RuntimeError(
            "one_hot is only applicable to index tensor of type LongTensor. (got "
            f"{tensor.dtype}); convert with .long()"
        )
    if data.size and data.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    elif data.size and data.max() >= num_classes:
        raise RuntimeError(
            f"Class values must be smaller than num_classes. (got {int(data.max())} with "
            f"num_classes={num_classes})"
        )
    return _new_tensor((data[..., None] == xp.arange(num_classes)).astype(xp.int64))
