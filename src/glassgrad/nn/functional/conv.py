"""Convolutions and transposed convolutions, 1-D to 3-D, and the sliding blocks a 2-D
convolution is made of (``unfold``/``fold``), with PyTorch's argument checks."""

from __future__ import annotations

from glassgrad import _dtypes
from glassgrad._tensor import Tensor
from glassgrad.nn.functional.normalization import _check_mixed
from glassgrad.ops import conv as C

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "fold",
    "unfold",
]


def _ntuple(value, n: int, name: str) -> tuple:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values")
    return value


def _unbatched(fn, input: Tensor, dims: int, expected: str):
    """``fn(input)`` for a batched input of ``dims`` spatial dims; an unbatched one (no batch
    dim) gets a batch of one for the call, removed again from the result (or results)."""
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {expected}, but got input of size: {list(input.shape)}")
    if input.ndim == dims + 2:
        return fn(input)
    out = fn(input.unsqueeze(0))
    if isinstance(out, tuple):
        return tuple(o.squeeze(0) for o in out)
    return out.squeeze(0)


def _conv(input, weight, bias, stride, padding, dilation, groups, dims: int) -> Tensor:
    return _unbatched(
        lambda x: _conv_batched(x, weight, bias, stride, padding, dilation, groups, dims),
        input,
        dims,
        f"{dims + 1}D (unbatched) or {dims + 2}D (batched) input to conv{dims}d",
    )


def _conv_batched(input, weight, bias, stride, padding, dilation, groups, dims: int) -> Tensor:
    stride = _ntuple(stride, dims, "stride")
    dilation = _ntuple(dilation, dims, "dilation")
    kernel = tuple(weight.shape[2:])
    channels = input.shape[1]
    if weight.ndim != dims + 2 or channels != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{channels} channels instead"
        )
    if weight.shape[0] % groups:
        raise RuntimeError("out_channels must be divisible by groups")
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * dims
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
            pads = tuple((t // 2, t - t // 2) for t in totals)
        else:
            raise RuntimeError(
                f"Invalid padding string '{padding}', should be one of ['valid', 'same']"
            )
    else:
        pads = tuple((p, p) for p in _ntuple(padding, dims, "padding"))
    for size, (left, right), k, d in zip(input.shape[2:], pads, kernel, dilation):
        if size + left + right < d * (k - 1) + 1:
            raise RuntimeError(
                f"Calculated padded input size per channel: ({size + left + right}). Kernel "
                f"size: ({d * (k - 1) + 1}). Kernel size can't be greater than actual input size"
            )
    _check_mixed(input, weight, bias)
    return C.Convolution.apply(
        input, weight, bias, stride=stride, pads=pads, dilation=dilation, groups=groups
    )


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D cross-correlation of (N, C_in, L) with (C_out, C_in / groups, K)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D cross-correlation of (N, C_in, H, W) with (C_out, C_in / groups, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D cross-correlation of (N, C_in, D, H, W) with (C_out, C_in / groups, kD, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)


def _conv_transpose(
    input, weight, bias, stride, padding, output_padding, groups, dilation, dims: int
) -> Tensor:
    return _unbatched(
        lambda x: _conv_transpose_batched(
            x, weight, bias, stride, padding, output_padding, groups, dilation, dims
        ),
        input,
        dims,
        f"{dims + 1}D (unbatched) or {dims + 2}D (batched) input to conv_transpose{dims}d",
    )


def _conv_transpose_batched(
    input, weight, bias, stride, padding, output_padding, groups, dilation, dims: int
) -> Tensor:
    stride = _ntuple(stride, dims, "stride")
    padding = _ntuple(padding, dims, "padding")
    output_padding = _ntuple(output_padding, dims, "output_padding")
    dilation = _ntuple(dilation, dims, "dilation")
    if weight.ndim != dims + 2 or input.shape[1] != weight.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[1]} "
            "channels instead"
        )
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError(
                "output padding must be smaller than either stride or dilation, but got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
    _check_mixed(input, weight, bias)
    return C.ConvolutionTranspose.apply(
        input,
        weight,
        bias,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )


def conv_transpose1d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
) -> Tensor:
    """Transposed 1-D convolution (the gradient of conv1d with respect to its input)."""
    return _conv_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 1
    )


def conv_transpose2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input)."""
    return _conv_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 2
    )


def conv_transpose3d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
) -> Tensor:
    """Transposed 3-D convolution (the gradient of conv3d with respect to its input)."""
    return _conv_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 3
    )


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The sliding blocks of a batch of images as columns: (N, C, H, W) -> (N, C * kh * kw,
    L), L the number of blocks; each column is one block, channel by channel. ``fold`` is its
    adjoint; ``unfold`` then a matrix product is a 2-D convolution."""
    kernel, dilation, padding, stride = _sliding_geometry(
        kernel_size, dilation, padding, stride, "im2col", input
    )
    shape = list(input.shape)
    if input.ndim not in (3, 4) or 0 in shape[-3:]:
        # (an IndexError below 3-D, as PyTorch's, which only says dimension 2 is out of range)
        error = IndexError if input.ndim < 3 else RuntimeError
        raise error(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {shape}"
        )
    blocks = C.block_counts(shape[-2:], kernel, stride, padding, dilation)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {tuple(shape[-2:])}, kernel_size={kernel}, "
            f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding "
            f"blocks as {blocks}, but its components must be at least one."
        )
    return C.Im2Col.apply(input, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Columns of sliding blocks summed back into a batch of images: (N, C * kh * kw, L) ->
    (N, C, *output_size); where blocks overlap their values add up (``unfold``'s adjoint)."""
    size = _pair_of(output_size, "output_size")
    kernel, dilation, padding, stride = _sliding_geometry(
        kernel_size, dilation, padding, stride, "col2im", input
    )
    shape = list(input.shape)
    if input.ndim not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {shape}"
        )
    taps = kernel[0] * kernel[1]
    if shape[-2] % taps:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={shape[-2]} and kernel_size={kernel}."
        )
    blocks = C.block_counts(size, kernel, stride, padding, dilation)
    given = (
        f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
        f"padding={padding}, stride={stride}, "
    )
    if min(blocks) < 1 or blocks[0] * blocks[1] != shape[-1]:
        raise RuntimeError(
            given + "expected size of input's dimension 2 to match the calculated number of "
            f"sliding blocks {blocks[0]} * {blocks[1]} = {max(blocks[0] * blocks[1], 0)}, "
            f"but got input.size(2)={shape[-1]}."
        )
    return C.Col2Im.apply(
        input, size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation
    )


def _sliding_geometry(kernel_size, dilation, padding, stride, kernel_name: str, input):
    """``unfold``/``fold``'s four pairs, checked in PyTorch's order and words."""
    pairs = [
        _pair_of(value, name)
        for value, name in (
            (kernel_size, "kernel_size"),
            (dilation, "dilation"),
            (padding, "padding"),
            (stride, "stride"),
        )
    ]
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = pairs
    for ok, what, name, h, w in (
        (kh > 0 and kw > 0, "kernel size should be greater than zero", "kernel", kh, kw),
        (dh > 0 and dw > 0, "dilation should be greater than zero", "dilation", dh, dw),
        (ph >= 0 and pw >= 0, "padding should be non-negative", "pad", ph, pw),
        (sh > 0 and sw > 0, "stride should be greater than zero", "stride", sh, sw),
    ):
        if not ok:
            raise RuntimeError(f"{what}, but got {name}_height: {h} {name}_width: {w}")
    if not (input.is_floating_point() or input.dtype == _dtypes.bool_):
        word = _dtypes.SCALAR_TYPE_NAMES.get(input._data.dtype.name, str(input.dtype))
        raise NotImplementedError(
            f"\"{kernel_name}_out_cpu\" not implemented for '{word}' (convert the input "
            "with .float())"
        )
    return pairs


def _pair_of(value, name: str) -> tuple:
    """An int as a pair; a sequence as it is, which must then hold two ints."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
    if not all(isinstance(v, int) for v in value):
        raise TypeError(f"{name} must be a tuple of ints, got {value}")
    return value
