"""Fused neural-network primitives: batch / layer normalisation, embedding lookup, padding.

They are single ops in PyTorch too (``NativeBatchNormBackward0``, ...), so ``grad_fn``
prints the same, and normalisation keeps its statistics from one pass over the input.
"""

from __future__ import annotations

from glassgrad import _kernels as kernels
from glassgrad._backend import xp
from glassgrad.ops import _dual as D
from glassgrad.ops._op import Op, needs_grad
from glassgrad.ops.conv import add_into_planes, named_op

__all__ = [
    "PAD_OPS",
    "UPSAMPLE_NEAREST_OPS",
    "ConstantPadNd",
    "Embedding",
    "EmbeddingBag",
    "LogSigmoid",
    "NativeBatchNorm",
    "NativeLayerNorm",
    "PixelShuffle",
    "PixelUnshuffle",
]


def _normalise_backward(ctx, grad, axes, param_axes):
    """Gradients of ``(x - mean) * invstd * w + b`` where mean/invstd came from ``x``.

    ``axes`` are the reduced axes (statistics), ``param_axes`` the axes summed for the
    weight and bias gradients.
    """
    xhat, invstd, w = ctx.saved_norm
    grad_w = (grad * xhat).sum(axis=param_axes) if needs_grad(ctx, 1) else None
    grad_b = grad.sum(axis=param_axes) if needs_grad(ctx, 2) else None
    grad_x = None
    if needs_grad(ctx, 0):
        dxhat = grad * w if w is not None else grad
        mean_d = dxhat.mean(axis=axes, keepdims=True)
        mean_dx = (dxhat * xhat).mean(axis=axes, keepdims=True)
        grad_x = (dxhat - mean_d - xhat * mean_dx) * invstd
    return grad_x, grad_w, grad_b


class NativeBatchNorm(Op):
    """Normalise over every axis but 1 with the batch statistics or the given running ones."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, weight, bias, mean=None, var=None, eps=1e-5):
        """``mean``/``var`` given: evaluation with running statistics; else batch statistics."""
        axes = (0,) + tuple(range(2, x.ndim))
        shape = [1] * x.ndim
        shape[1] = x.shape[1]
        shape = tuple(shape)
        ctx.training = mean is None
        if mean is None:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
        invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat = (x - mean.reshape(shape).astype(x.dtype)) * invstd.reshape(shape)
        w = weight.reshape(shape) if weight is not None else None
        out = xhat * w if w is not None else xhat
        if bias is not None:
            out = out + bias.reshape(shape)
        ctx.saved_norm = (xhat, invstd.reshape(shape), w)
        ctx.axes = axes
        ctx.batch_stats = (mean, var)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        if ctx.training:
            return _normalise_backward(ctx, grad, ctx.axes, ctx.axes)
        xhat, invstd, w = ctx.saved_norm
        grad_w = (grad * xhat).sum(axis=ctx.axes) if needs_grad(ctx, 1) else None
        grad_b = grad.sum(axis=ctx.axes) if needs_grad(ctx, 2) else None
        grad_x = None
        if needs_grad(ctx, 0):
            grad_x = (grad * w if w is not None else grad) * invstd
        return grad_x, grad_w, grad_b


class NativeLayerNorm(Op):
    """Normalise over the last ``ndims`` axes; weight and bias have those axes' shape."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, weight, bias, ndims=1, eps=1e-5):
        axes = tuple(range(x.ndim - ndims, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
        invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat = (x - mean) * invstd
        out = xhat * weight if weight is not None else xhat
        if bias is not None:
            out = out + bias
        ctx.saved_norm = (xhat, invstd, weight)
        ctx.axes = axes
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        lead = tuple(range(grad.ndim - len(ctx.axes)))
        return _normalise_backward(ctx, grad, ctx.axes, lead)


class Embedding(Op):
    """Rows of ``weight`` picked by integer ``indices``; the ``padding_idx`` row gets no grad."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None, scale_grad_by_freq=False):
        ctx.lookup = (weight.shape, indices, padding_idx, scale_grad_by_freq)
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        shape, indices, padding_idx, by_freq = ctx.lookup
        flat = indices.reshape(-1)
        rows = grad.reshape((flat.shape[0], shape[1]))
        if padding_idx is not None:
            rows = D.mask(rows, (flat != padding_idx)[:, None])
        if by_freq:  # each row's gradient is divided by how often it was looked up
            counts = xp.bincount(flat, minlength=shape[0])
            rows = rows * (1.0 / counts[flat])[:, None].astype(rows.dtype)
        return D.zeros_with(rows, flat, shape, True)


class EmbeddingBag(Op):
    """The sum, mean or max of each bag of rows of ``weight`` (``F.embedding_bag``); inputs:
    ``weight`` and the per-sample weights (a tensor or None: ``mode="sum"`` only)."""

    node_name = "EmbeddingBagBackward0"
    differentiable_backward = False

    @staticmethod
    def forward(ctx, weight, per_sample, bags=(), mode="mean", by_freq=False, padding=None):
        """``bags``: (each used position's row, its bag (non-decreasing), the size of each
        bag, the input's length); rows equal to ``padding`` are left out."""
        indices, bag_of, sizes, _ = bags
        ctx.bags, ctx.mode, ctx.by_freq, ctx.padding = bags, mode, by_freq, padding
        ctx.rows = weight.shape[0]
        keep = slice(None) if padding is None else indices != padding
        if mode == "max":
            out, ctx.argmax = _bag_max(weight, indices[keep], bag_of[keep], sizes.shape[0])
            return out
        ctx.per_sample = per_sample
        if per_sample is not None:
            ctx.save(weight)
            per_sample = per_sample[: indices.shape[0]][keep]
        out = kernels.bag_sum(
            weight, indices[keep], bag_of[keep], sizes.shape[0], per_sample, padding is not None
        )
        if mode == "mean":
            out /= xp.maximum(sizes, 1).astype(out.dtype)[:, None]
        return out

    @staticmethod
    def backward(ctx, grad):
        indices, bag_of, sizes, length = ctx.bags
        if ctx.mode == "max":
            return _bag_max_grad(grad, ctx.argmax, ctx.rows), None
        per_sample = ctx.per_sample
        used = None if per_sample is None else per_sample[: indices.shape[0]]
        grad_weight = kernels.bag_grad(
            grad,
            indices,
            bag_of,
            ctx.rows,
            used,
            sizes if ctx.mode == "mean" else None,
            ctx.by_freq,
            ctx.padding,
        )
        grad_per_sample = None
        if needs_grad(ctx, 1):  # d(out[bag]) / d(per_sample[i]) = weight[indices[i]]
            (weight,) = ctx.saved
            grad_per_sample = xp.zeros(length, dtype=grad.dtype)
            used_part = (grad[bag_of] * weight[indices]).sum(axis=1)
            if ctx.padding is not None:
                used_part[indices == ctx.padding] = 0
            grad_per_sample[: indices.shape[0]] = used_part
        return grad_weight, grad_per_sample


def _bag_max(weight, indices, bags, n_bags: int):
    """Each bag's largest value per column and the row it came from (the first of equal
    ones; an empty bag gives zeros)."""
    out = xp.zeros((n_bags, weight.shape[1]), dtype=weight.dtype)
    argmax = xp.full(out.shape, -1, dtype=xp.int64)
    for positions in kernels.bag_rounds(bags):
        rows, targets = weight[indices[positions]], bags[positions]
        best, where = out[targets], argmax[targets]
        better = (rows > best) | (where < 0)
        out[targets] = xp.where(better, rows, best)
        argmax[targets] = xp.where(better, indices[positions, None], where)
    return out, argmax


def _bag_max_grad(grad, argmax, rows: int):
    """Each bag's gradient goes to the row its maximum came from."""
    grad_weight = xp.zeros((rows, grad.shape[1]), dtype=grad.dtype)
    bag, column = xp.nonzero(argmax >= 0)
    xp.add.at(grad_weight, (argmax[bag, column], column), grad[bag, column])
    return grad_weight


class PixelShuffle(Op):
    """(*, C * r ** 2, H, W) -> (*, C, H * r, W * r): each channel block of r * r becomes an
    r-by-r patch (a copy, as in PyTorch; its gradient is the unshuffle)."""

    @staticmethod
    def forward(ctx, a, factor=1):
        ctx.factor = factor
        return _shuffled(a, factor)

    @staticmethod
    def backward(ctx, grad):
        if not D.is_array(grad):
            return PixelUnshuffle.apply(grad, factor=ctx.factor)
        return _unshuffled(grad, ctx.factor)


class PixelUnshuffle(Op):
    """(*, C, H * r, W * r) -> (*, C * r ** 2, H, W): the inverse of ``PixelShuffle``."""

    @staticmethod
    def forward(ctx, a, factor=1):
        ctx.factor = factor
        return _unshuffled(a, factor)

    @staticmethod
    def backward(ctx, grad):
        if not D.is_array(grad):
            return PixelShuffle.apply(grad, factor=ctx.factor)
        return _shuffled(grad, ctx.factor)


def _shuffled(a, r: int):
    *lead, c, h, w = a.shape
    n = len(lead)
    x = a.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def _unshuffled(a, r: int):
    *lead, c, h, w = a.shape
    n = len(lead)
    x = a.reshape(*lead, c, h // r, r, w // r, r)
    x = x.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


class ConstantPadNd(Op):
    """Pad (or, for negative amounts, crop) trailing dimensions with a constant value."""

    @staticmethod
    def forward(ctx, a, pad=(), value=0.0):
        out_shape = list(a.shape)
        src = [slice(None)] * a.ndim
        dst = [slice(None)] * a.ndim
        for i in range(len(pad) // 2):
            axis = a.ndim - 1 - i
            left, right = pad[2 * i], pad[2 * i + 1]
            size = a.shape[axis]
            out_shape[axis] = size + left + right
            kept = size - max(-left, 0) - max(-right, 0)
            src[axis] = slice(max(-left, 0), max(-left, 0) + kept)
            dst[axis] = slice(max(left, 0), max(left, 0) + kept)
        out = xp.full(tuple(out_shape), value, dtype=a.dtype)
        out[tuple(dst)] = a[tuple(src)]
        ctx.slices = (a.shape, tuple(src), tuple(dst))
        return out

    @staticmethod
    def backward(ctx, grad):
        shape, src, dst = ctx.slices
        return D.zeros_with(grad[dst], src, shape, False)


class _IndexPad(Op):
    """Gather along each trailing axis with a precomputed source index: reflection and
    replication padding, and nearest upsampling."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, a, gathers=()):
        """``gathers``: ``(axis, index)`` pairs; output position j reads input ``index[j]``."""
        ctx.gathers = gathers
        ctx.shape = a.shape
        out = a
        for axis, index in gathers:
            out = xp.take(out, index, axis=axis)
        return out

    @staticmethod
    def backward(ctx, grad):
        """Each output's gradient added into the input point it copied, output after output
        in row-major order (ATen's loop: the points copied more than once add up in that
        order). The padded axes are the last ones."""
        shape = ctx.shape
        sources = dict(ctx.gathers)
        first = min(sources)
        picks = [sources.get(axis, xp.arange(shape[axis])) for axis in range(first, len(shape))]
        targets = xp.ravel_multi_index(xp.ix_(*picks), shape[first:]).reshape(-1)
        return add_into_planes(grad, targets, shape, len(shape) - first)


#: spatial dims -> nearest upsampling (``F.interpolate``): each output copies the input point
#: its per-axis source index says, a gather like padding's, named as PyTorch names its node
UPSAMPLE_NEAREST_OPS = {d: named_op(_IndexPad, f"UpsampleNearest{d}D", __name__) for d in (1, 2, 3)}


#: (mode, number of padded dims) -> op class, named as PyTorch names the node
PAD_OPS = {
    (mode, k): named_op(_IndexPad, f"{prefix}Pad{k}D", __name__)
    for mode, prefix in (("reflect", "Reflection"), ("replicate", "Replication"))
    for k in (1, 2, 3)
}


class _CircularPad(_IndexPad):
    """Circular padding. PyTorch 2.13 builds it from slice copies (its node prints as
    ``CopySlices``), so its gradient adds up one padded axis at a time."""

    @staticmethod
    def backward(ctx, grad):
        shape = list(ctx.shape)
        for axis, index in reversed(ctx.gathers):
            moved = xp.moveaxis(grad, axis, 0)
            acc = xp.zeros((shape[axis],) + moved.shape[1:], dtype=grad.dtype)
            xp.add.at(acc, index, moved)
            grad = xp.moveaxis(acc, 0, axis)
        return grad


PAD_OPS.update(
    {
        ("circular", k): type(
            f"CircularPad{k}D",
            (_CircularPad,),
            {"node_name": "CopySlices", "__module__": __name__},  # (as PyTorch prints it)
        )
        for k in (1, 2, 3)
    }
)


class LogSigmoid(Op):
    """log(sigmoid(a)) = min(a, 0) - log1p(exp(-|a|)), finite for any a."""

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return (xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        # d/da log(sigmoid(a)) = sigmoid(-a) = 1 - sigmoid(a)
        return grad * (1 - a.sigmoid()) if not D.is_array(a) else grad * _sigmoid_neg(a)


def _sigmoid_neg(a):
    """sigmoid(-a) without overflow."""
    z = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, z / (1 + z), 1 / (1 + z)).astype(a.dtype, copy=False)
