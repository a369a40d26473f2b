"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``."""

from __future__ import annotations

import math

from glassgrad import _creation
from glassgrad.nn import functional as F
from glassgrad.nn import init
from glassgrad.nn.functional.conv import _conv, _conv_transpose, _ntuple
from glassgrad.nn.module import Module
from glassgrad.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _check_channels(in_channels: int, out_channels: int, groups: int, padding_mode: str) -> None:
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ValueError(
            "padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but "
            f"got padding_mode='{padding_mode}'"
        )


def _padding(padding, stride: tuple, n: int):
    """``'same'``/``'valid'`` as given (checked), else an n-tuple."""
    if not isinstance(padding, str):
        return _ntuple(padding, n, "padding")
    if padding not in ("same", "valid"):
        raise ValueError(f"Invalid padding string '{padding}', should be one of ['valid', 'same']")
    if padding == "same" and any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    return padding


class _ConvNd(Module):
    """Shared set-up: PyTorch's argument checks, initialisation and repr."""

    _dims = 0

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
        transposed: bool = False,
        output_padding=0,
    ):
        super().__init__()
        n = self._dims
        _check_channels(in_channels, out_channels, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, n, "kernel_size")
        self.stride = _ntuple(stride, n, "stride")
        self.padding = _padding(padding, self.stride, n)
        self.dilation = _ntuple(dilation, n, "dilation")
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, n, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        shape = (
            (in_channels, out_channels // groups)
            if transposed
            else (out_channels, in_channels // groups)
        )
        self.weight = Parameter(_creation.empty(*shape, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        padding = self.padding
        if self.padding_mode != "zeros":
            if padding == "same":
                totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
                pairs = [(t // 2, t - t // 2) for t in totals]
            elif padding == "valid":
                pairs = [(0, 0)] * self._dims
            else:
                pairs = [(p, p) for p in padding]
            pad = tuple(p for pair in reversed(pairs) for p in pair)
            input = F.pad(input, pad, mode=self.padding_mode)
            padding = 0
        return _conv(
            input,
            self.weight,
            self.bias,
            self.stride,
            padding,
            self.dilation,
            self.groups,
            self._dims,
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if isinstance(self.padding, str) or self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L).

    Example:
        >>> conv = nn.Conv1d(2, 4, kernel_size=3)
        >>> conv(torch.randn(1, 2, 10)).shape
        torch.Size([1, 4, 8])
    """

    _dims = 1


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W).

    Example:
        >>> conv = nn.Conv2d(1, 6, kernel_size=5)
        >>> conv(torch.randn(1, 1, 28, 28)).shape
        torch.Size([1, 6, 24, 24])
    """

    _dims = 2


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W)."""

    _dims = 3


class _ConvTransposeNd(_ConvNd):
    """Transposed convolution: the input-gradient of a convolution, used to upsample."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            dtype=dtype,
            transposed=True,
            output_padding=output_padding,
        )

    def forward(self, input, output_size=None):
        output_padding = self.output_padding
        if output_size is not None:
            wanted = list(output_size)[-self._dims :]
            output_padding = tuple(
                w - ((s_in - 1) * s - 2 * p + d * (k - 1) + 1)
                for w, s_in, s, p, d, k in zip(
                    wanted,
                    input.shape[-self._dims :],
                    self.stride,
                    self.padding,
                    self.dilation,
                    self.kernel_size,
                )
            )
        return _conv_transpose(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
            self._dims,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution over (N, C_in, L)."""

    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution over (N, C_in, H, W).

    Example:
        >>> up = nn.ConvTranspose2d(4, 2, kernel_size=2, stride=2)
        >>> up(torch.randn(1, 4, 5, 5)).shape
        torch.Size([1, 2, 10, 10])
    """

    _dims = 2


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution over (N, C_in, D, H, W)."""

    _dims = 3
