"""``F.embedding``, ``F.embedding_bag`` and ``F.one_hot``."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.ops import nn_ops as N

__all__ = ["embedding", "embedding_bag", "one_hot"]


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


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """The sum, mean or max of bags of rows of ``weight``, without the (bags, length, dim)
    tensor ``embedding`` would make. A 2-D ``input`` is one bag per row; a 1-D one is cut
    into bags where ``offsets`` (each bag's first position) say. Indices equal to
    ``padding_idx`` are left out (and not counted by the mean); an empty bag gives zeros."""
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    starts, input, per_sample_weights = _bag_starts(input, offsets, per_sample_weights)
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    _check_bag_types(input, weight, per_sample_weights, starts)
    if sparse:
        raise NotImplementedError(
            "embedding_bag(sparse=True): sparse gradients are not supported by glassgrad; use "
            "sparse=False (the dense gradient has the same values)"
        )
    idx = input._data
    padding = _padding_row(padding_idx, weight)
    bags = _bags(idx, starts._data, include_last_offset, padding, weight.shape[0])
    if max_norm is not None:
        _renorm_rows(weight, bags[0], max_norm, norm_type)
    return N.EmbeddingBag.apply(
        weight,
        per_sample_weights,
        bags=bags,
        mode=mode,
        by_freq=scale_grad_by_freq,
        padding=padding,
    )


def _bag_starts(input: Tensor, offsets, per_sample_weights):
    """Each bag's first position, the input as one row, its per-sample weights likewise."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        starts = _new_tensor(xp.arange(0, input.numel(), max(input.shape[1], 1)))
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        return starts, input.reshape(-1), per_sample_weights
    if input.ndim != 1:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    return offsets, input, per_sample_weights


def _check_bag_types(input: Tensor, weight: Tensor, per_sample_weights, offsets: Tensor) -> None:
    for tensor in (input, offsets):
        if tensor._data.dtype.kind not in "iu":
            raise RuntimeError(
                "Expected tensor for argument #1 'indices' to have one of the following scalar "
                f"types: Long, Int; but got {tensor.type()} instead (while checking arguments "
                "for embedding_bag)"
            )
    if not weight.is_floating_point():
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have one of the following scalar "
            f"types: Half, BFloat16, Float, Double; but got {weight.type()} instead (while "
            "checking arguments for embedding_bag)"
        )
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for "
            f"argument #1 'per_sample_weights'; but type {weight.type()} does not equal "
            f"{per_sample_weights.type()} (while checking arguments for embedding_bag)"
        )


def _padding_row(padding_idx, weight: Tensor):
    """``padding_idx`` as a row number (None: no padding)."""
    if padding_idx is None:
        return None
    rows = weight.shape[0]
    if not -rows <= padding_idx < rows:
        raise RuntimeError(
            f"padding_idx must be within the number of embeddings, -{rows} through {rows - 1}, "
            f"but got {padding_idx}"
        )
    return padding_idx % rows


def _bags(idx, starts, include_last_offset: bool, padding, rows: int):
    """``EmbeddingBag``'s bags, checked as PyTorch checks them: (each used position's row,
    its bag, the size of each bag without padding, the input's length)."""
    idx, starts = idx.astype(xp.int64), starts.astype(xp.int64)
    length = idx.shape[0]
    if starts.shape[0] and starts[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(starts[0])}"
        )
    if starts.shape[0] and starts[-1] > length:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {length} but got "
            f"offsets[-1] of {int(starts[-1])}"
        )
    if (xp.diff(starts) < 0).any():
        raise RuntimeError(f"offsets must not decrease, got {starts.tolist()}")
    outside = (idx < 0) | (idx >= rows)
    if outside.any():
        where = int(xp.argmax(outside))
        raise RuntimeError(
            f"Index {where} of input takes value {int(idx[where])} which is not in the valid "
            f"range [0, {rows})"
        )
    n_bags = max(starts.shape[0] - 1, 0) if include_last_offset else starts.shape[0]
    used = length if n_bags else 0  # (elements after a last offset go into the last bag)
    bag_of = xp.searchsorted(starts[:n_bags], xp.arange(used), side="right") - 1
    counted = bag_of if padding is None else bag_of[idx[:used] != padding]
    return idx[:used], bag_of, xp.bincount(counted, minlength=n_bags), length


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
