"""Padding, resampling (``interpolate``) and pixel (un)shuffling."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.nn.functional.conv import _ntuple
from glassgrad.ops import indexing
from glassgrad.ops import nn_ops as N

__all__ = ["interpolate", "pad", "pixel_shuffle", "pixel_unshuffle"]


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad trailing dimensions: ``pad = (left_last, right_last, left_prev, right_prev, ...)``."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    if mode != "constant":
        return _index_pad(input, pad, mode, value)
    for i in range(len(pad) // 2):
        size = input.shape[input.ndim - 1 - i]
        if size + pad[2 * i] + pad[2 * i + 1] < 0:
            raise RuntimeError(
                f"The input size {size}, plus negative padding {pad[2 * i]} and "
                f"{pad[2 * i + 1]} resulted in a negative output size, which is invalid. "
                f"Check dimension {input.ndim - 1 - i} of your input."
            )
    return N.ConstantPadNd.apply(input, pad=pad, value=0.0 if value is None else value)


def _index_pad(input: Tensor, pad: tuple, mode: str, value) -> Tensor:
    """reflect / replicate / circular padding of the last 1-3 dimensions."""
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if not k <= input.ndim - 1 <= k + 1:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    gathers = []
    for i in range(k):
        axis = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        size = input.shape[axis]
        if mode == "reflect" and (left >= size or right >= size):
            raise RuntimeError(
                "Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({left}, {right}) at dimension {axis} of input "
                f"{list(input.shape)}"
            )
        if mode == "circular" and (left > size or right > size):
            raise RuntimeError(
                "Padding value causes wrapping around more than once. (padding "
                f"({left}, {right}) at dimension {axis} of size {size})"
            )
        source = xp.arange(-left, size + right)
        if mode == "reflect":
            source = xp.abs(source)
            source = xp.where(source >= size, 2 * (size - 1) - source, source)
        elif mode == "replicate":
            source = xp.clip(source, 0, size - 1)
        else:
            source = source % size
        gathers.append((axis, source))
    return N.PAD_OPS[(mode, k)].apply(input, gathers=tuple(gathers))


_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims (all but N, C) with 'nearest' or (bi/tri)linear sampling."""
    dims = input.ndim - 2
    _check_interpolate(input, size, scale_factor, mode, align_corners, antialias)
    in_sizes = input.shape[2:]
    out_sizes, scales = _resize_plan(in_sizes, dims, size, scale_factor, recompute_scale_factor)
    if mode == "nearest":
        if size is not None or recompute_scale_factor:  # (PyTorch: in / out in float32)
            scales = [xp.float32(i) / xp.float32(o) for i, o in zip(in_sizes, out_sizes)]
        gathers = tuple(
            (2 + axis, _nearest(*plan))
            for axis, plan in enumerate(zip(in_sizes, out_sizes, scales))
        )
        return N.UPSAMPLE_NEAREST_OPS[dims].apply(input, gathers=gathers)
    out = input
    for axis_offset, (n_in, n_out, scale) in enumerate(zip(in_sizes, out_sizes, scales)):
        out = _resample_axis(out, 2 + axis_offset, n_in, n_out, scale, mode, align_corners)
    return out


def _check_interpolate(input, size, scale_factor, mode, align_corners, antialias) -> None:
    dims = input.ndim - 2
    if mode not in ("nearest", *_LINEAR_MODES):
        raise NotImplementedError(f"interpolate mode '{mode}' is not supported by glassgrad yet")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != dims:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR_MODES[mode] + 2}D input"
        )
    if mode == "nearest" and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    if (size is None) == (scale_factor is None):
        raise ValueError(
            "either size or scale_factor should be defined"
            if size is None
            else "only one of size or scale_factor should be defined"
        )
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported by glassgrad")


def _resize_plan(in_sizes, dims: int, size, scale_factor, recompute_scale_factor):
    """The output sizes and, per axis, the input step per output step (PyTorch's scales)."""
    if size is not None:
        out_sizes = _ntuple(size, dims, "size")
        scales = [i / o for i, o in zip(in_sizes, out_sizes)]
    else:
        factors = [float(f) for f in _float_tuple(scale_factor, dims)]
        out_sizes = tuple(int(i * f) for i, f in zip(in_sizes, factors))
        if recompute_scale_factor:
            scales = [i / o for i, o in zip(in_sizes, out_sizes)]
        else:
            scales = [1.0 / f for f in factors]
    return out_sizes, scales


def _nearest(n_in: int, n_out: int, scale: float):
    """ATen's ``nearest_idx``: the same index, every other one for twice the size, else
    floor(i * scale) with the scale and the product in float32."""
    if n_out == n_in:
        return xp.arange(n_out)
    if n_out == 2 * n_in:
        return xp.arange(n_out) >> 1
    product = xp.arange(n_out, dtype=xp.float32) * xp.float32(scale)
    return xp.minimum(xp.floor(product).astype(xp.int64), n_in - 1)


def _resample_axis(out, axis, n_in, n_out, scale, mode, align_corners):
    """``out`` resampled along ``axis`` from ``n_in`` to ``n_out`` points: linear
    interpolation between the two source points around each."""
    dst = xp.arange(n_out, dtype=xp.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = xp.maximum((dst + 0.5) * scale - 0.5, 0.0)
    low = xp.minimum(xp.floor(src).astype(xp.int64), n_in - 1)
    high = xp.minimum(low + 1, n_in - 1)
    shape = [1] * out.ndim
    shape[axis] = n_out
    frac = _new_tensor((src - low).astype(out._data.dtype).reshape(shape))
    lo = indexing.index_select(out, axis, _new_tensor(low))
    hi = indexing.index_select(out, axis, _new_tensor(high))
    return lo + (hi - lo) * frac


def _float_tuple(value, n: int):
    if isinstance(value, (int, float)):
        return (value,) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(
            f"Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {n} and scale_factor of shape {list(value)}."
        )
    return value


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r ** 2, H, W) -> (*, C, H * r, W * r)."""
    r = upscale_factor
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    return N.PixelShuffle.apply(input, factor=r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r ** 2, H, W)."""
    r = downscale_factor
    h, w = input.shape[-2:]
    if h % r or w % r:
        raise RuntimeError(
            "pixel_unshuffle expects height and width to be divisible by downscale_factor, but "
            f"got height={h}, width={w} and downscale_factor={r}"
        )
    return N.PixelUnshuffle.apply(input, factor=r)
