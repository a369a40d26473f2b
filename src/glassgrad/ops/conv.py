"""Convolution and pooling over 1-3 spatial dimensions, on strided window views.

The input's sliding windows are a view (no copy); the forward is one ``einsum`` over them
and the input gradient adds one shifted slice per kernel tap. Node names follow PyTorch
(``ConvolutionBackward0``, ``MaxPool2DWithIndicesBackward0``, ``AvgPool2DBackward0``).
"""

from __future__ import annotations

import itertools
import math
import string

from glassgrad._backend import xp
from glassgrad.ops import _dual as D
from glassgrad.ops._domain import Domain
from glassgrad.ops._op import Op

__all__ = [
    "ADAPTIVE_OPS",
    "POOL_OPS",
    "UNPOOL_OPS",
    "Col2Im",
    "Convolution",
    "ConvolutionTranspose",
    "Im2Col",
    "adaptive_bins",
    "adaptive_max",
    "add_into_planes",
    "block_counts",
    "max_pool_indices",
    "named_op",
]

_window_view = xp.lib.stride_tricks.sliding_window_view


def _windows(x, kernel, stride, dilation):
    """(N, C, *S) -> (N, C, *O, *K) view of the dilated, strided sliding windows."""
    k = len(kernel)
    spatial = tuple(range(2, 2 + k))
    span = tuple(d * (s - 1) + 1 for s, d in zip(kernel, dilation))
    view = _window_view(x, span, axis=spatial)
    index = (slice(None), slice(None))
    index += tuple(slice(None, None, s) for s in stride)
    index += tuple(slice(None, None, d) for d in dilation)
    return view[index]


def _pad(x, pads, value=0.0):
    """Pad the spatial dims by ``pads`` = ((left, right), ...)."""
    if not any(p for pair in pads for p in pair):
        return x
    return xp.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def _letters(k: int):
    o = string.ascii_lowercase[8 : 8 + k]  # i j k ...
    w = string.ascii_lowercase[15 : 15 + k]  # p q r ...
    return o, w


def _tap_slices(tap, out_shape, stride, dilation):
    """Where kernel tap ``tap`` reads in the padded input, for every output position."""
    return tuple(
        slice(t * d, t * d + s * (o - 1) + 1, s)
        for t, o, s, d in zip(tap, out_shape, stride, dilation)
    )


def add_into_planes(grad, targets, shape, spatial: int):
    """Zeros of ``shape`` with each of ``grad``'s values added at its flat position
    ``targets`` in its plane (the last ``spatial`` dims): ``targets`` gives one position per
    output (the same in every plane) or one per plane and output. The values are added
    output after output in row-major order, as ATen's backward loops add them, so a point
    that receives several rounds as in PyTorch."""
    planes = math.prod(shape[: len(shape) - spatial])
    out = xp.zeros((planes, math.prod(shape[len(shape) - spatial :])), dtype=grad.dtype)
    if targets.ndim == 1:
        xp.add.at(out, (slice(None), targets), grad.reshape(planes, -1))
    else:
        rows = xp.arange(planes)[:, None]
        xp.add.at(out, (rows, targets.reshape(planes, -1)), grad.reshape(planes, -1))
    return out.reshape(shape)


class Convolution(Op):
    """Cross-correlation of (N, C_in, *S) with (C_out, C_in / groups, *K), plus bias."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, weight, bias, stride=(1,), pads=((0, 0),), dilation=(1,), groups=1):
        kernel = weight.shape[2:]
        k = len(kernel)
        xpad = _pad(x, pads)
        win = _windows(xpad, kernel, stride, dilation)
        n, c = x.shape[:2]
        out_shape = win.shape[2 : 2 + k]
        cg = c // groups
        og = weight.shape[0] // groups
        win_g = win.reshape((n, groups, cg) + out_shape + tuple(kernel))
        w_g = weight.reshape((groups, og, cg) + tuple(kernel))
        o, w = _letters(k)
        out = xp.einsum(f"ngc{o}{w},gdc{w}->ngd{o}", win_g, w_g, optimize=True)
        out = out.reshape((n, groups * og) + out_shape)
        if bias is not None:
            out = out + bias.reshape((1, -1) + (1,) * k)
        ctx.save(x, weight)
        ctx.geometry = (stride, pads, dilation, groups, xpad.shape, out_shape)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        stride, pads, dilation, groups, padded_shape, out_shape = ctx.geometry
        kernel = weight.shape[2:]
        k = len(kernel)
        n, c = x.shape[:2]
        cg, og = c // groups, weight.shape[0] // groups
        o, w = _letters(k)
        g = grad.reshape((n, groups, og) + out_shape)
        w_g = weight.reshape((groups, og, cg) + tuple(kernel))
        grad_x = grad_w = grad_b = None
        if ctx.next_functions[0][0] is not None:
            gx = xp.zeros((n, groups, cg) + tuple(padded_shape[2:]), dtype=grad.dtype)
            for tap in itertools.product(*(range(s) for s in kernel)):
                part = xp.einsum(f"ngd{o},gdc->ngc{o}", g, w_g[(Ellipsis,) + tap], optimize=True)
                gx[(slice(None),) * 3 + _tap_slices(tap, out_shape, stride, dilation)] += part
            gx = gx.reshape(padded_shape)
            crop = tuple(
                slice(left, size - right) for (left, right), size in zip(pads, padded_shape[2:])
            )
            grad_x = gx[(slice(None), slice(None)) + crop]
        if ctx.next_functions[1][0] is not None:
            win = _windows(_pad(x, pads), kernel, stride, dilation)
            win_g = win.reshape((n, groups, cg) + out_shape + tuple(kernel))
            gw = xp.einsum(f"ngc{o}{w},ngd{o}->gdc{w}", win_g, g, optimize=True)
            grad_w = gw.reshape(weight.shape)
        if len(ctx.next_functions) > 2 and ctx.next_functions[2][0] is not None:
            grad_b = grad.sum(axis=(0,) + tuple(range(2, 2 + k)))
        return grad_x, grad_w, grad_b


class ConvolutionTranspose(Op):
    """The adjoint of ``Convolution``: (N, C_in, *S) with (C_in, C_out / groups, *K)."""

    node_name = "ConvolutionBackward0"
    differentiable_backward = False

    @staticmethod
    def forward(
        ctx,
        x,
        weight,
        bias,
        stride=(1,),
        padding=(0,),
        output_padding=(0,),
        dilation=(1,),
        groups=1,
    ):
        kernel = weight.shape[2:]
        k = len(kernel)
        n, c = x.shape[:2]
        cg, og = c // groups, weight.shape[1]
        in_shape = x.shape[2:]
        full = tuple(
            (s_in - 1) * s + d * (kk - 1) + 1 + op
            for s_in, s, d, kk, op in zip(in_shape, stride, dilation, kernel, output_padding)
        )
        x_g = x.reshape((n, groups, cg) + in_shape)
        w_g = weight.reshape((groups, cg, og) + tuple(kernel))
        o, _ = _letters(k)
        out = xp.zeros((n, groups, og) + full, dtype=x.dtype)
        for tap in itertools.product(*(range(s) for s in kernel)):
            part = xp.einsum(f"ngc{o},gcd->ngd{o}", x_g, w_g[(Ellipsis,) + tap], optimize=True)
            out[(slice(None),) * 3 + _tap_slices(tap, in_shape, stride, dilation)] += part
        out = out.reshape((n, groups * og) + full)
        crop = tuple(slice(p, f - p) for p, f in zip(padding, full))  # output = full - 2 * pad
        out = out[(slice(None), slice(None)) + crop]
        if bias is not None:
            out = out + bias.reshape((1, -1) + (1,) * k)
        ctx.save(x, weight)
        ctx.geometry = (stride, padding, dilation, groups, full)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        stride, padding, dilation, groups, full = ctx.geometry
        kernel = weight.shape[2:]
        k = len(kernel)
        n, c = x.shape[:2]
        cg, og = c // groups, weight.shape[1]
        in_shape = x.shape[2:]
        gfull = xp.zeros(grad.shape[:2] + full, dtype=grad.dtype)
        place = tuple(slice(p, p + s) for p, s in zip(padding, grad.shape[2:]))
        gfull[(slice(None), slice(None)) + place] = grad
        win = _windows(gfull, kernel, stride, dilation)
        win = win[(slice(None), slice(None)) + tuple(slice(0, s) for s in in_shape)]
        win_g = win.reshape((n, groups, og) + tuple(in_shape) + tuple(kernel))
        w_g = weight.reshape((groups, cg, og) + tuple(kernel))
        x_g = x.reshape((n, groups, cg) + in_shape)
        o, w = _letters(k)
        grad_x = grad_w = grad_b = None
        if ctx.next_functions[0][0] is not None:
            gx = xp.einsum(f"ngd{o}{w},gcd{w}->ngc{o}", win_g, w_g, optimize=True)
            grad_x = gx.reshape(x.shape)
        if ctx.next_functions[1][0] is not None:
            gw = xp.einsum(f"ngc{o},ngd{o}{w}->gcd{w}", x_g, win_g, optimize=True)
            grad_w = gw.reshape(weight.shape)
        if len(ctx.next_functions) > 2 and ctx.next_functions[2][0] is not None:
            grad_b = grad.sum(axis=(0,) + tuple(range(2, 2 + k)))
        return grad_x, grad_w, grad_b


class _MaxPool(Op):
    """Maximum over each window (padding counts as -inf); the gradient goes to the argmax."""

    differentiable_backward = False

    gradcheck_domain = Domain("distinct")  # a tie in a window splits the gradient

    @staticmethod
    def forward(ctx, x, kernel=(1,), stride=(1,), pads=((0, 0),), dilation=(1,)):
        xpad = _pad(x, pads, -xp.inf)
        win = _windows(xpad, kernel, stride, dilation)
        k = len(kernel)
        out_shape = win.shape[2 : 2 + k]
        flat = win.reshape(win.shape[: 2 + k] + (-1,))
        arg = flat.argmax(axis=-1)
        ctx.geometry = (x.shape, xpad.shape, kernel, stride, pads, dilation, out_shape, arg)
        return xp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    @staticmethod
    def backward(ctx, grad):
        """Each output's gradient added where its maximum was, output after output in
        row-major order (ATen's loop: overlapping windows add up in that order)."""
        _shape, padded_shape, kernel, stride, pads, dilation, out_shape, arg = ctx.geometry
        taps = xp.unravel_index(arg, tuple(kernel))
        flat = 0
        for axis in range(len(kernel)):
            shape = [1] * arg.ndim
            shape[2 + axis] = out_shape[axis]
            start = (xp.arange(out_shape[axis]) * stride[axis]).reshape(shape)
            flat = flat * padded_shape[2 + axis] + start + taps[axis] * dilation[axis]
        gx = add_into_planes(grad, flat, padded_shape, len(kernel))
        crop = tuple(
            slice(left, size - right) for (left, right), size in zip(pads, padded_shape[2:])
        )
        return gx[(slice(None), slice(None)) + crop]


def max_pool_indices(x, kernel, stride, pads, dilation):
    """Where each window's maximum sits, as a flat index into the input's spatial plane."""
    win = _windows(_pad(x, pads, -xp.inf), kernel, stride, dilation)
    k = len(kernel)
    out_shape = win.shape[2 : 2 + k]
    arg = win.reshape(win.shape[: 2 + k] + (-1,)).argmax(axis=-1)
    taps = xp.unravel_index(arg, tuple(kernel))
    flat = xp.zeros(arg.shape, dtype=xp.int64)
    for axis in range(k):
        shape = [1] * (2 + k)
        shape[2 + axis] = out_shape[axis]
        start = (xp.arange(out_shape[axis]) * stride[axis] - pads[axis][0]).reshape(shape)
        flat = flat * x.shape[2 + axis] + start + taps[axis] * dilation[axis]
    return flat


class _AvgPool(Op):
    """Mean over each window (zero padding included in the count, as by default in PyTorch)."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, kernel=(1,), stride=(1,), pads=((0, 0),), divisor=None):
        xpad = _pad(x, pads)
        k = len(kernel)
        win = _windows(xpad, kernel, stride, (1,) * k)
        count = divisor
        if count is None:
            count = 1
            for s in kernel:
                count *= s
        out_shape = win.shape[2 : 2 + k]
        ctx.geometry = (xpad.shape, kernel, stride, pads, out_shape, count)
        axes = tuple(range(2 + k, 2 + 2 * k))
        return (win.sum(axis=axes) / count).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        padded_shape, kernel, stride, pads, out_shape, count = ctx.geometry
        gx = xp.zeros(padded_shape, dtype=grad.dtype)
        part = grad / count
        ones = (1,) * len(kernel)
        for tap in itertools.product(*(range(s) for s in kernel)):
            gx[(slice(None), slice(None)) + _tap_slices(tap, out_shape, stride, ones)] += part
        crop = tuple(
            slice(left, size - right) for (left, right), size in zip(pads, padded_shape[2:])
        )
        return gx[(slice(None), slice(None)) + crop]


def named_op(base: type[Op], name: str, module: str = __name__) -> type[Op]:
    """A subclass of ``base`` called ``name``, its node named ``<name>Backward0`` (the ops
    that differ only in the name PyTorch prints: a rank, a padding mode)."""
    return type(name, (base,), {"node_name": name + "Backward0", "__module__": module})


#: (kind, spatial dims) -> op class named as PyTorch names the node
POOL_OPS = {("max", d): named_op(_MaxPool, f"MaxPool{d}DWithIndices") for d in (1, 2, 3)}
POOL_OPS.update({("avg", d): named_op(_AvgPool, f"AvgPool{d}D") for d in (1, 2, 3)})


class _MaxUnpool(Op):
    """The inverse of max pooling: each value goes where its index says in a zero image of
    ``size`` (an unbatched (C, *S) input is a batch of one inside the op)."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, indices=None, size=()):
        batched = x.ndim == len(size) + 2
        x4, idx = (x, indices) if batched else (x[None], indices[None])
        flat = idx.reshape(idx.shape[:2] + (-1,))
        out = xp.zeros(x4.shape[:2] + (math.prod(size),), dtype=x.dtype)
        xp.put_along_axis(out, flat, x4.reshape(flat.shape), axis=2)
        ctx.unpool = (flat, x.shape)
        out = out.reshape(x4.shape[:2] + tuple(size))
        return out if batched else out[0]

    @staticmethod
    def backward(ctx, grad):
        flat, shape = ctx.unpool
        rows = grad.reshape(flat.shape[:2] + (-1,))
        return xp.take_along_axis(rows, flat, axis=2).reshape(shape)


#: spatial dims -> the unpooling op, named as PyTorch names its node (1-D is 2-D in PyTorch)
UNPOOL_OPS = {d: named_op(_MaxUnpool, f"MaxUnpool{d}D") for d in (2, 3)}


def adaptive_bins(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows along one dim: [floor(i*S/O), ceil((i+1)*S/O))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _window_reads(x, bins_per_axis):
    """For each offset inside the windows, row-major (the order ATen's loops read a window):
    the input values at that offset of every window, and where a window has no such offset."""
    lead = x.ndim - len(bins_per_axis)
    starts = [xp.array([b[0] for b in bins]) for bins in bins_per_axis]
    extents = [xp.array([b[1] - b[0] for b in bins]) for bins in bins_per_axis]
    for offset in itertools.product(*(range(int(e.max())) for e in extents)):
        index, inside = [slice(None)] * lead, True
        for axis, (start, extent, step) in enumerate(zip(starts, extents, offset)):
            shape = [1] * len(offset)
            shape[axis] = -1
            at = xp.minimum(start + step, x.shape[lead + axis] - 1).reshape(shape)
            index.append(at)
            inside = inside & (step < extent).reshape(shape)
        yield x[tuple(index)], ~inside, offset


class _AdaptiveAvg(Op):
    """The mean of each adaptive window: ATen adds its elements in row-major order onto 0,
    then divides by each dim's window size in turn; the gradient adds ``grad / kh / kw``
    into each window, window after window."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, bins=()):
        ctx.adaptive = (x.shape, bins)
        total = None
        for values, outside, _ in _window_reads(x, bins):
            values = xp.where(outside, x.dtype.type(0), values)  # (+0 keeps a sum from +0)
            total = values + x.dtype.type(0) if total is None else total + values
        return _per_window_divided(total, bins)

    @staticmethod
    def backward(ctx, grad):
        shape, bins = ctx.adaptive
        delta = _per_window_divided(grad, bins)
        out = xp.zeros(shape, dtype=grad.dtype)
        for where in itertools.product(*(range(len(b)) for b in bins)):
            window = tuple(slice(*bins[axis][i]) for axis, i in enumerate(where))
            out[(Ellipsis, *window)] += delta[(Ellipsis, *where)][(...,) + (None,) * len(where)]
        return out


def _per_window_divided(values, bins):
    """``values / kh / kw`` (one division per dim, in order) with each window's sizes."""
    for axis, axis_bins in enumerate(bins):
        sizes = xp.array([end - start for start, end in axis_bins], dtype=values.dtype)
        shape = [1] * len(bins)
        shape[axis] = -1
        values = values / sizes.reshape(shape)
    return values


class _AdaptiveMax(Op):
    """The maximum of each adaptive window (a later NaN wins, as ATen compares) and where it
    is in the input's plane; the gradient goes there, window after window."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, bins=()):
        best, where = adaptive_max(x, bins)
        ctx.argmax = (x.shape, where, len(bins))
        return best

    @staticmethod
    def backward(ctx, grad):
        shape, where, spatial = ctx.argmax
        return add_into_planes(grad, where, shape, spatial)


def adaptive_max(x, bins):
    """Each adaptive window's maximum and its flat index in the input's plane."""
    plane = x.shape[x.ndim - len(bins) :]
    best = where = None
    for values, outside, offset in _window_reads(x, bins):
        flat = 0
        for axis, axis_bins in enumerate(bins):
            shape = [1] * len(bins)
            shape[axis] = -1
            start = xp.array([b[0] for b in axis_bins]).reshape(shape)
            flat = flat * plane[axis] + start + offset[axis]
        if best is None:
            best, where = values.copy(), xp.broadcast_to(flat, values.shape).astype(xp.int64)
            continue
        better = ((values > best) | xp.isnan(values)) & ~outside
        best = xp.where(better, values, best)
        where = xp.where(better, flat, where)
    return best, where


#: (kind, spatial dims) -> the adaptive pooling op, named as PyTorch names its node
ADAPTIVE_OPS = {("avg", d): named_op(_AdaptiveAvg, f"AdaptiveAvgPool{d}D") for d in (2, 3)}
ADAPTIVE_OPS.update({("max", d): named_op(_AdaptiveMax, f"AdaptiveMaxPool{d}D") for d in (2, 3)})


# ---------------------------------------------------------------------------- unfold, fold
def _im2col(x, kernel, stride, padding, dilation):
    """(N, C, H, W) -> (N, C*kh*kw, L): each sliding block a column, channel-major then
    kernel row then kernel column, the blocks in row-major order (PyTorch's ``im2col``)."""
    n, c = x.shape[:2]
    win = _windows(_pad(x, tuple((p, p) for p in padding)), kernel, stride, dilation)
    blocks = win.shape[2] * win.shape[3]  # win: (N, C, oh, ow, kh, kw)
    columns = xp.moveaxis(win, (4, 5), (2, 3))
    return columns.reshape(n, c * kernel[0] * kernel[1], blocks)


def _col2im(cols, size, kernel, stride, padding, dilation, blocks):
    """(N, C*kh*kw, L) -> (N, C, H, W): each column added back where its block came from.
    A pixel's contributions are added in kernel-tap order onto zeros, as ATen's ``col2im``
    loop adds them (so overlapping sums round as in PyTorch)."""
    n = cols.shape[0]
    c = cols.shape[1] // (kernel[0] * kernel[1])
    taps = cols.reshape((n, c) + tuple(kernel) + tuple(blocks))
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    image = xp.zeros((n, c) + padded, dtype=cols.dtype)
    for tap in itertools.product(range(kernel[0]), range(kernel[1])):
        where = (slice(None), slice(None)) + _tap_slices(tap, blocks, stride, dilation)
        image[where] += taps[(slice(None), slice(None)) + tap]
    crop = tuple(slice(p, p + s) for s, p in zip(size, padding))
    return image[(slice(None), slice(None)) + crop]


class Im2Col(Op):
    """``F.unfold``: the sliding blocks of images as columns; an unbatched (C, H, W) image is
    a batch of one inside the op, as in PyTorch (one node, no squeeze)."""

    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, kernel=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
        batched = x if x.ndim == 4 else x[None]
        blocks = block_counts(x.shape[-2:], kernel, stride, padding, dilation)
        ctx.geometry = (x.shape[-2:], kernel, stride, padding, dilation, blocks)
        cols = _im2col(batched, kernel, stride, padding, dilation)
        return cols if x.ndim == 4 else cols[0]

    @staticmethod
    def backward(ctx, grad):
        if not D.is_array(grad):  # create_graph: the adjoint op, recorded
            size, kernel, stride, padding, dilation, _ = ctx.geometry
            return Col2Im.apply(
                grad, size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation
            )
        if grad.ndim == 3:
            return _col2im(grad, *ctx.geometry)
        return _col2im(grad[None], *ctx.geometry)[0]


class Col2Im(Op):
    """``F.fold``: columns of sliding blocks summed back into images (unbatched columns,
    (C * kh * kw, L), a batch of one inside the op)."""

    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(
        ctx, cols, size=(1, 1), kernel=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1)
    ):
        batched = cols if cols.ndim == 3 else cols[None]
        blocks = block_counts(size, kernel, stride, padding, dilation)
        ctx.geometry = (kernel, stride, padding, dilation)
        image = _col2im(batched, size, kernel, stride, padding, dilation, blocks)
        return image if cols.ndim == 3 else image[0]

    @staticmethod
    def backward(ctx, grad):
        if not D.is_array(grad):  # create_graph: the adjoint op, recorded
            kernel, stride, padding, dilation = ctx.geometry
            return Im2Col.apply(
                grad, kernel=kernel, stride=stride, padding=padding, dilation=dilation
            )
        if grad.ndim == 4:
            return _im2col(grad, *ctx.geometry)
        return _im2col(grad[None], *ctx.geometry)[0]


def block_counts(size, kernel, stride, padding, dilation) -> tuple:
    """How many sliding blocks fit along each spatial dim."""
    return tuple(
        (s + 2 * p - d * (k - 1) - 1) // st + 1
        for s, k, st, p, d in zip(size, kernel, stride, padding, dilation)
    )
