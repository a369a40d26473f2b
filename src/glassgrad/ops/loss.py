"""Loss functions fused into single ops where PyTorch fuses them (same grad_fn names).

Each op takes its reduction (``'mean'``, ``'sum'`` or ``'none'``) as a parameter. Constant
inputs that PyTorch does not differentiate (class weights, integer targets) travel as
parameters, not as graph inputs.
"""

from __future__ import annotations

import math

from glassgrad import _kernels as kernels
from glassgrad._backend import xp
from glassgrad.ops import _dual as D
from glassgrad.ops._explain import ExplainRule, Local
from glassgrad.ops._op import Op, needs_grad
from glassgrad.ops.elementwise import _sigmoid

__all__ = [
    "REDUCTIONS",
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "HuberLoss",
    "MseLoss",
    "NllLoss",
    "NllLoss2d",
    "SmoothL1Loss",
]

REDUCTIONS = ("mean", "sum", "none")


def _reduce(x, reduction: str):
    """The loss's 'mean' / 'sum', added up in PyTorch's order (so values print identically)."""
    if reduction == "mean":
        return kernels.reduce_sum(x, None) / x.size if x.size else x.mean()
    if reduction == "sum":
        return kernels.reduce_sum(x, None)
    return x


def _norm(ctx, shape) -> float:
    """The factor the reduction applied to each element (1/N for a mean)."""
    return 1.0 / max(math.prod(shape), 1) if ctx.reduction == "mean" else 1.0


def _mse_local(site) -> Local:
    """``ḡ·2(a − b)/N`` for the input, its negative for the target (no /N for a sum)."""
    diff = site.value(0) - site.value(1)
    mean = site.node.reduction == "mean"
    norm = 2.0 / diff.size if mean else 2.0
    sign = 1.0 if site.index == 0 else -1.0
    rule = f"ḡ·{'' if site.index == 0 else '−'}2({site.name(0)} − {site.name(1)})" + (
        f"/{diff.size}" if mean else ""
    )
    return Local(lambda g: g * sign * norm * diff, rule=rule)


class MseLoss(Op):
    """mean((input - target) ** 2), or its sum / elementwise form."""

    keeps_ctx_arrays = False

    explain = ExplainRule(local=_mse_local)

    @staticmethod
    def forward(ctx, input, target, reduction="mean"):
        ctx.save(input, target)
        ctx.reduction = reduction
        diff = input - target
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved
        diff = input - target
        if ctx.reduction == "mean":  # (of the broadcast difference; empty: no gradient)
            norm = 2.0 / ((diff.size if D.is_array(diff) else diff.numel()) or 1)
        else:
            norm = 2.0
        g = norm * diff * grad
        if ctx.next_functions[1][0] is None:
            return g, None
        # PyTorch computes the target's side from (target - input), not as -g: the two differ
        # where input == target, whose zero difference is +0.0 either way round
        return g, norm * (target - input) * grad


def _pick(rows, target):
    """``rows[i, target[i]]`` for each row; a flat ``take`` where the rows are contiguous."""
    n, classes = rows.shape
    if rows.flags.c_contiguous:
        return rows.reshape(-1).take(xp.arange(0, n * classes, classes) + target)
    return rows[xp.arange(n), target]


class NllLoss(Op):
    """-weight[t] * logp[n, t] per sample; the mean divides by the summed weights.

    ``logp`` has the class dimension at axis 1 (or is 1-D); ``target`` is an integer
    array of ``logp``'s shape without that axis. Samples whose target is ``ignore_index``
    contribute nothing, also to the mean's denominator.
    """

    @staticmethod
    def forward(ctx, logp, target, weight=None, reduction="mean", ignore_index=-100):
        classes = logp.shape[1] if logp.ndim > 1 else logp.shape[0]
        if logp.ndim == 2:
            rows = logp  # already (samples, classes)
        else:
            rows = xp.moveaxis(logp, 1, -1).reshape(-1, classes) if logp.ndim > 1 else logp[None]
        flat = target.reshape(-1)
        keep = flat != ignore_index
        kept = int(xp.count_nonzero(keep))
        if kept == keep.size:
            keep, safe = None, flat  # every sample counts: no masking anywhere
        else:
            safe = xp.where(keep, flat, 0)
        w = None if weight is None else weight.take(safe)  # per-sample weights
        picked = _pick(rows, safe)
        terms = picked if w is None else w * picked  # PyTorch subtracts these: loss -= w * logp
        ctx.reduction = reduction
        ctx.layout = (logp.shape, rows.shape, safe, w, keep)
        if reduction == "none":
            losses = -terms
            if keep is not None:
                losses = D.masked_bits(losses, keep, out=losses)  # ignored samples: +0.0
            return losses.reshape(target.shape)
        batched = logp.ndim <= 2  # PyTorch's per-sample kernel; nll_loss2d sums differently
        dtype = logp.dtype
        if batched:
            # the kernel's running sums of -terms are exactly the negated sums of the terms
            total = -kernels.nll_sum(terms, keep) + dtype.type(0)
        else:
            total = xp.negative(terms if keep is None else D.masked_bits(terms, keep)).sum()
        if reduction == "sum":
            return total
        if w is None:  # PyTorch counts the kept samples
            total_weight = dtype.type(kept)
        elif batched:
            total_weight = kernels.nll_sum(w, keep)
        else:
            total_weight = (w if keep is None else D.masked_bits(w, keep)).sum()
        ctx.total_weight = total_weight
        if total_weight != 0:
            return total / total_weight
        with xp.errstate(invalid="ignore", divide="ignore"):
            return total / total_weight

    @staticmethod
    def backward(ctx, grad):
        # PyTorch: -w * grad[i] per sample ('none'), else w * -(grad / total_weight) for the
        # mean and w * -grad for the sum; ignored samples keep a zero gradient.
        shape, rows_shape, safe, w, keep = ctx.layout
        n, classes = rows_shape
        if ctx.reduction == "none":
            scaled = -grad.reshape((-1,)) if w is None else grad.reshape((-1,)) * -w
        else:
            if ctx.reduction == "sum":
                scalar = -grad
            elif ctx.total_weight != 0:
                scalar = -(grad / ctx.total_weight)
            else:  # every target ignored: the loss is nan, the gradient zero (as in PyTorch)
                scalar = grad * 0
            scaled = D.expand(scalar, (n,)) if w is None else scalar * w
        if keep is not None:
            scaled = D.mask(scaled, keep)
        flat_index = (xp.arange(0, n * classes, classes) + safe,)
        rows = D.zeros_with(scaled, flat_index, (n * classes,), False).reshape(rows_shape)
        if len(shape) == 1:
            return rows.reshape(shape)
        if len(shape) == 2:
            return rows
        moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
        order = (0, len(shape) - 1) + tuple(range(1, len(shape) - 1))
        return D.permute(rows.reshape(moved), order)


class NllLoss2d(NllLoss):
    """The same loss for (N, C, H, W) inputs (PyTorch's separate 2-D kernel and node name)."""

    node_name = "NllLoss2DBackward0"


class BinaryCrossEntropy(Op):
    """-w * (t * log(x) + (1 - t) * log(1 - x)), each log clamped at -100 as in PyTorch."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, input, target, weight=None, reduction="mean"):
        ctx.save(input, target)
        ctx.reduction = reduction
        ctx.weight = weight
        with xp.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(input), -100)
            log_1mx = xp.maximum(xp.log1p(-input), -100)
        loss = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            loss = loss * weight
        return _reduce(loss.astype(input.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved
        norm = _norm(ctx, xp.broadcast_shapes(x.shape, t.shape))
        g = grad * norm
        if ctx.weight is not None:
            g = g * ctx.weight
        grad_x = grad_t = None
        if needs_grad(ctx, 0):
            grad_x = (g * (x - t) / xp.maximum((1 - x) * x, 1e-12)).astype(x.dtype, copy=False)
        if needs_grad(ctx, 1):
            with xp.errstate(divide="ignore"):
                log_ratio = xp.log1p(-x) - xp.log(x)
            grad_t = (g * log_ratio).astype(x.dtype, copy=False)
        return grad_x, grad_t


def _log_sigmoid(x):
    """log(sigmoid(x)) without overflow: min(x, 0) - log1p(exp(-|x|))."""
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


class BinaryCrossEntropyWithLogits(Op):
    """(1 - t) * x - lw * log(sigmoid(x)), lw = 1 + (pos_weight - 1) * t; stable for any x."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, input, target, weight=None, pos_weight=None, reduction="mean"):
        ctx.save(input, target)
        ctx.reduction = reduction
        ctx.weights = (weight, pos_weight)
        log_sig = _log_sigmoid(input)
        if pos_weight is not None:
            log_sig = log_sig * ((pos_weight - 1) * target + 1)
        loss = (1 - target) * input - log_sig
        if weight is not None:
            loss = loss * weight
        return _reduce(loss.astype(input.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved
        weight, pos_weight = ctx.weights
        shape = xp.broadcast_shapes(x.shape, t.shape)
        if weight is not None:
            shape = xp.broadcast_shapes(shape, weight.shape)
        if pos_weight is not None:
            shape = xp.broadcast_shapes(shape, pos_weight.shape)
        g = grad * _norm(ctx, shape)
        if weight is not None:
            g = g * weight
        grad_x = grad_t = None
        if needs_grad(ctx, 0):
            if pos_weight is None:
                local = _sigmoid(x) - t
            else:
                local = ((pos_weight - 1) * t + 1) * _sigmoid(x) - pos_weight * t
            grad_x = (g * local).astype(x.dtype, copy=False)
        if needs_grad(ctx, 1):
            local = -x if pos_weight is None else -x - (pos_weight - 1) * _log_sigmoid(x)
            grad_t = (g * local).astype(x.dtype, copy=False)
        return grad_x, grad_t


class SmoothL1Loss(Op):
    """0.5 * d ** 2 / beta where |d| < beta, else |d| - 0.5 * beta (d = input - target)."""

    @staticmethod
    def forward(ctx, input, target, reduction="mean", beta=1.0):
        ctx.save(input, target)
        ctx.reduction = reduction
        ctx.beta = beta
        d = input - target
        ad = xp.abs(d)
        loss = xp.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
        return _reduce(loss.astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved
        d = x - t
        dv = d if D.is_array(d) else d._data
        beta = ctx.beta
        g = grad * _norm(ctx, dv.shape)
        local = D.where(dv < -beta, -1.0, D.where(dv > beta, 1.0, d / beta))
        g = g * local
        return g, -g if needs_grad(ctx, 1) else None


class HuberLoss(Op):
    """0.5 * d ** 2 where |d| < delta, else delta * (|d| - 0.5 * delta)."""

    @staticmethod
    def forward(ctx, input, target, reduction="mean", delta=1.0):
        ctx.save(input, target)
        ctx.reduction = reduction
        ctx.delta = delta
        d = input - target
        ad = xp.abs(d)
        loss = xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
        return _reduce(loss.astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved
        d = x - t
        dv = d if D.is_array(d) else d._data
        delta = ctx.delta
        g = grad * _norm(ctx, dv.shape)
        local = D.where(dv < -delta, -delta, D.where(dv > delta, delta, d))
        g = g * local
        return g, -g if needs_grad(ctx, 1) else None
