"""Loss functions with PyTorch's checks and reductions.

Losses use fused ops where PyTorch fuses them (``NllLossBackward0``, ...) and compose
primitives where PyTorch composes them, so ``grad_fn`` names and numbers agree.
"""

from __future__ import annotations

import math
import warnings

from glassgrad import _dtypes
from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.nn.functional.activation import logsigmoid
from glassgrad.nn.functional.distance import pairwise_distance
from glassgrad.ops import _dispatch
from glassgrad.ops import elementwise as E
from glassgrad.ops import loss as LS
from glassgrad.ops import movement as M
from glassgrad.ops import reduce as R

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]


def _reduction(size_average, reduce, reduction: str) -> str:
    """The reduction string, honouring the deprecated size_average/reduce flags."""
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
        raise ValueError(
            f"{reduction} is not a valid value for reduction (use 'mean', 'sum' or 'none')"
        )
    return reduction


def _as_tensor(x, name: str) -> Tensor:
    x = _dispatch.as_operand(x, name)
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")
    return x


def _broadcast_pair(input, target, name: str = "loss"):
    """Warn like PyTorch when shapes differ, then broadcast both (an error if they can't)."""
    input, target = _as_tensor(input, "input"), _as_tensor(target, "target")
    if target._data.shape != input._data.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
        _dispatch._check_broadcast(name, input, target)
    return input, target


def _require_float(input: Tensor, name: str) -> None:
    """PyTorch's loss kernels exist for floating inputs only."""
    if not input.is_floating_point():
        raise NotImplementedError(
            f"\"{name}\" not implemented for '{_type_word(input)}' (convert the input with "
            ".float())"
        )


def _same_dtype(input: Tensor, other: Tensor, other_name: str) -> None:
    if other.dtype != input.dtype:
        raise RuntimeError(
            f"expected scalar type {_type_word(input)} but found {_type_word(other)} "
            f"({other_name} must have the input's dtype {input.dtype}, got {other.dtype})"
        )


def _check_weight_shape(weight, input) -> None:
    if weight.shape != input.shape:
        raise ValueError(
            f"Weights and input must have the same size. (weight {list(weight.shape)}, input "
            f"{list(input.shape)})"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted(loss: Tensor, weight: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """``_reduce(loss * weight)``; ``mean_by_weight``: the mean divides by the weights' sum."""
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error; warns, like PyTorch, when the shapes differ and broadcast."""
    if (
        isinstance(input, Tensor)
        and isinstance(target, Tensor)
        and size_average is None
        and reduce is None
        and weight is None
        and reduction in LS.REDUCTIONS
    ):  # the usual call: two tensors of one shape and float dtype
        da, db = input._data, target._data
        if da.shape == db.shape and da.dtype == db.dtype and da.dtype.kind == "f":
            return LS.MseLoss.run((input, target), (da, db, reduction), _dispatch._NO_PARAMS)
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target, "mse_loss")
    if not (input.is_floating_point() or target.is_floating_point()):
        _require_float(input, "mse_cpu")
    if weight is not None:
        _check_weight_shape(weight, input)
        return _weighted((input - target) ** 2, weight, reduction, True)
    da, db = _dispatch.promoted_arrays(input, target)
    return LS.MseLoss.run((input, target), (da, db), {"reduction": reduction})


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error (composed as in PyTorch: abs, then the reduction)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target, "l1_loss")
    if weight is not None:
        _check_weight_shape(weight, input)
        return _weighted((input - target).abs(), weight, reduction, True)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Quadratic below ``beta``, linear above; ``beta=0`` is the L1 loss."""
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta})")
    input, target = _broadcast_pair(input, target, "smooth_l1_loss")
    if beta == 0.0:
        return _reduce((input - target).abs(), reduction)
    da, db = _dispatch.promoted_arrays(input, target)
    return LS.SmoothL1Loss.run((input, target), (da, db), {"reduction": reduction, "beta": beta})


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """Quadratic below ``delta``, ``delta``-scaled linear above."""
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError(
            f"huber_loss does not support non-positive values for delta (got {delta})"
        )
    input, target = _broadcast_pair(input, target, "huber_loss")
    _require_float(input, "huber_cpu")
    da, db = input._data, target._data.astype(input._data.dtype, copy=False)
    if weight is not None:
        _check_weight_shape(weight, input)
        loss = LS.HuberLoss.run((input, target), (da, db), {"reduction": "none", "delta": delta})
        return _weighted(loss, weight, reduction, False)
    return LS.HuberLoss.run((input, target), (da, db), {"reduction": reduction, "delta": delta})


def _const_array(t: Tensor | None, dtype, name: str, shape: tuple):
    """A weight's array in the loss's dtype, checked to broadcast to the input's ``shape``."""
    if t is None:
        return None
    t = _as_tensor(t, name)
    try:
        fits = xp.broadcast_shapes(t._data.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"{name} of shape {list(t.shape)} cannot be broadcast to the input's shape "
            f"{list(shape)}; give it the input's shape or one that broadcasts to it"
        )
    return t._data.astype(dtype, copy=False)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """BCE on probabilities; each log is clamped at -100, so 0 and 1 give finite losses."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _as_tensor(input, "input"), _as_tensor(target, "target")
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    data = input._data
    if data.size and not ((data >= 0) & (data <= 1)).all():
        raise RuntimeError(
            "all elements of input should be between 0 and 1 (binary_cross_entropy takes "
            "probabilities; for raw scores use binary_cross_entropy_with_logits)"
        )
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"Found dtype {_type_word(target)} but expected {_type_word(input)} (target "
            f"{target.dtype} must have the input's dtype {input.dtype})"
        )
    _require_float(input, "binary_cross_entropy")
    da, db = input._data, target._data
    w = _const_array(weight, da.dtype, "weight", da.shape)
    return LS.BinaryCrossEntropy.run(
        (input, target), (da, db), {"weight": w, "reduction": reduction}
    )


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + BCE in one numerically stable op (finite for logits of any size)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _as_tensor(input, "input"), _as_tensor(target, "target")
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    if not target.is_floating_point():
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_type_word(target)} "
            "(binary_cross_entropy_with_logits needs a floating-point target; use target.float())"
        )
    _require_float(input, "binary_cross_entropy_with_logits")
    # PyTorch computes in the target's dtype
    da, db = input._data.astype(target._data.dtype, copy=False), target._data
    return LS.BinaryCrossEntropyWithLogits.run(
        (input, target),
        (da, db),
        {
            "weight": _const_array(weight, da.dtype, "weight", da.shape),
            "pos_weight": _const_array(pos_weight, da.dtype, "pos_weight", da.shape),
            "reduction": reduction,
        },
    )


def _check_class_target(input: Tensor, target: Tensor, weight, what: str) -> None:
    """PyTorch's checks, in its order: batch size, target shape, target dtype, weight."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim > 1 and (target.ndim == 0 or target.shape[0] != input.shape[0]):
        got = target.shape[0] if target.ndim else 0
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({got})."
        )
    expected = (input.shape[0],) + tuple(input.shape[2:]) if input.ndim > 1 else ()
    if tuple(target.shape) != expected:
        if input.ndim <= 2:
            raise RuntimeError(
                "0D or 1D target tensor expected, multi-target not supported (input shape "
                f"{list(input.shape)}, target shape {list(target.shape)})"
            )
        raise RuntimeError(
            f"Expected target size {list(expected)}, got {list(target.shape)} (input shape "
            f"{list(input.shape)})"
        )
    kind = target._data.dtype
    if kind not in (xp.int64, xp.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_type_word(target)} "
            f"({what} takes class indices as int64; use target.long(), or pass class "
            "probabilities as a float tensor of the input's shape to cross_entropy)"
        )
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != classes):
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}"
        )


def _type_word(t: Tensor) -> str:
    """PyTorch's short scalar-type name (Float, Int, ...) used in dtype errors."""
    name = t._data.dtype.name
    return _dtypes.SCALAR_TYPE_NAMES.get(name, name)


def _check_target_bounds(target_arr, classes: int, ignore_index: int) -> None:
    if target_arr.size and target_arr.min() >= 0 and target_arr.max() < classes:
        return  # every target in range, ignored ones included: no need to pick them out
    valid = target_arr[target_arr != ignore_index]
    if valid.size:
        lo, hi = int(valid.min()), int(valid.max())
        if lo < 0 or hi >= classes:
            bad = lo if lo < 0 else hi
            raise IndexError(
                f"Target {bad} is out of bounds. (class indices must be in [0, {classes - 1}] "
                f"for an input with {classes} classes)"
            )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities (class dim 1)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _as_tensor(input, "input"), _as_tensor(target, "target")
    logp, labels = input._data, target._data
    if (
        weight is None
        and len(logp.shape) == 2
        and logp.dtype.kind == "f"
        and labels.dtype == xp.int64
        and labels.shape == logp.shape[:1]
    ):  # the usual call (a batch of log-probabilities, int64 labels), past every check
        _check_target_bounds(labels, logp.shape[1], ignore_index)
        return LS.NllLoss.run(
            (input,),
            (logp,),
            {
                "target": labels,
                "weight": None,
                "reduction": reduction,
                "ignore_index": ignore_index,
            },
        )
    _check_class_target(input, target, weight, "nll_loss")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    _check_target_bounds(target._data, classes, ignore_index)
    _require_float(input, "nll_loss")
    if weight is not None:
        _same_dtype(input, weight, "weight")
    w = None if weight is None else weight._data.astype(input._data.dtype, copy=False)
    op = LS.NllLoss
    spatial = input.ndim not in (1, 2, 4)
    if input.ndim > 2:
        op = LS.NllLoss2d
    indices = target._data.astype(xp.int64, copy=False)
    if spatial:  # PyTorch runs K-d inputs through the 2-D kernel via a view
        input = M.view(input, input.shape[0], classes, 1, -1)
        indices = indices.reshape(input.shape[:1] + input.shape[2:])
    out = op.apply(
        input,
        target=indices,
        weight=w,
        reduction=reduction,
        ignore_index=ignore_index,
    )
    if spatial and reduction == "none":
        out = M.view(out, *target.shape)
    return out


def _class_shape(weight: Tensor, ndim: int) -> Tensor:
    """``weight`` (C,) viewed to broadcast along dim 1 of an ``ndim``-d input."""
    shape = [1] * ndim
    shape[1 if ndim > 1 else 0] = weight.shape[0]
    return weight.reshape(*shape)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """log_softmax over dim 1 then NLL; the target holds class indices or probabilities."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _as_tensor(input, "input"), _as_tensor(target, "target")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    _require_float(input, "log_softmax_lastdim_kernel_impl")
    if weight is not None:
        _same_dtype(input, weight, "weight")
    class_dim = 1 if input._data.ndim > 1 else 0
    classes = input._data.shape[class_dim]
    logp = R.LogSoftmax.run((input,), (input._data,), {"dim": class_dim})  # (dim is valid)
    if target._data.dtype.kind == "f" and target._data.shape == input._data.shape:
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim)
    loss = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return loss
    if weight is not None:
        smooth = -(logp * _class_shape(weight, input.ndim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    ignored = target == ignore_index
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        kept = target._data[~ignored._data]
        if weight is not None:
            denom = _new_tensor(weight._data[kept].sum(dtype=input._data.dtype))
        else:
            denom = _new_tensor(xp.asarray(kept.size, dtype=input._data.dtype))
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * loss + smooth * (label_smoothing / classes)


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim):
    classes = logp.shape[class_dim]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != classes):
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}"
        )
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    prod = logp * target
    if weight is not None:
        prod = prod * _class_shape(weight, logp.ndim)
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum() / (logp.numel() // classes if logp.numel() else math.nan)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || exp(input)) pointwise: ``input`` holds log-probabilities."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, "mean")
    elif reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(
            f"{reduction} is not a valid value for reduction (use 'mean', 'batchmean', 'sum' or "
            "'none')"
        )
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    input, target = _as_tensor(input, "input"), _as_tensor(target, "target")
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError(
            f"kl_div: Integral inputs not supported. (input {input.dtype}, target "
            f"{target.dtype}; convert with .float())"
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """log(1 + exp(-target * input)) for targets in {-1, 1}."""
    reduction = _reduction(size_average, reduce, reduction)
    if input.is_floating_point() and target.is_floating_point():
        target = target.to(input.dtype)  # PyTorch's kernel works in the input's dtype
    return _reduce((-(input * target)).exp().log1p(), reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood of ``target`` given the rate ``input`` (or its log)."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (target * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """0.5 * (log(var) + (input - target) ** 2 / var), var clamped below at ``eps``."""
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _new_tensor(xp.full(tuple(input.shape), var, dtype=input._data.dtype))
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError(
                f"var is of incorrect size (input shape {list(input.shape)}, var shape "
                f"{list(var.shape)})"
            )
    if reduction not in LS.REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    # clamp without recording, as PyTorch does: the gradient reaches var unchanged
    var = var + _new_tensor(xp.maximum(var._data, eps) - var._data)
    loss = (var.log() + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    reduction = _reduction(size_average, reduce, reduction)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    margin_part = E.where(target != 1, (margin - input).clamp_min(0), 0.0)
    self_part = E.where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where target is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    dim = input1.ndim - 1
    tiny = 1e-12
    dot = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + tiny
    mag2 = (input2 * input2).sum(dim) + tiny
    cos = dot / (mag1 * mag2).sqrt()
    loss = E.where(target == 1, 1 - cos, 0.0) + E.where(
        target == -1, (cos - margin).clamp_min(0), 0.0
    )
    return _reduce(loss, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm distance."""
    reduction = _reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = E.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss averaged over the classes (last dim), for 0/1 targets."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: sum over j != y of max(0, margin - x[y] + x[j]) ** p, over C."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    y = target.reshape(-1, 1)
    picked = x.gather(1, y)
    hinge = (margin - picked + x).clamp_min(0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[y._data]
    others = _new_tensor(xp.arange(x.shape[1])[None, :] != y._data)
    loss = (hinge * others.to(hinge.dtype)).sum(1) / x.shape[1]
    if input.ndim != 2:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)
