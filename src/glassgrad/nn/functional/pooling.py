"""Max, average and adaptive pooling, 1-D to 3-D."""

from __future__ import annotations

from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.nn.functional.conv import _ntuple, _unbatched
from glassgrad.ops import conv as C
from glassgrad.ops import indexing
from glassgrad.ops import movement as M

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
]


def _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, dims):
    """kernel, stride, dilation and per-side pads (ceil_mode widens the right side)."""
    kernel = _ntuple(kernel_size, dims, "kernel_size")
    stride = kernel if stride is None or stride in ([], ()) else stride
    stride = _ntuple(stride, dims, "stride")
    padding = _ntuple(padding, dims, "padding")
    dilation = _ntuple(dilation, dims, "dilation")
    pads = []
    for size, k, s, p, d in zip(input.shape[2:], kernel, stride, padding, dilation):
        if p > k // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
        span = d * (k - 1) + 1
        if size + 2 * p < span:
            raise RuntimeError(
                f"Given input size: {list(input.shape)}. Calculated output size is too small "
                f"for kernel_size={kernel}, stride={stride}, padding={padding}"
            )
        extra = 0
        if ceil_mode:
            out = -(-(size + 2 * p - span) // s) + 1
            if (out - 1) * s >= size + p:  # the last window must start inside the input
                out -= 1
            extra = max(0, (out - 1) * s + span - (size + 2 * p))
        pads.append((p, p + extra))
    return kernel, stride, dilation, tuple(pads)


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims):
    def run(x):
        kernel, strides, dil, pads = _pool_geometry(
            x, kernel_size, stride, padding, dilation, ceil_mode, dims
        )
        out = C.POOL_OPS[("max", dims)].apply(
            x, kernel=kernel, stride=strides, pads=pads, dilation=dil
        )
        if not return_indices:
            return out
        return out, _new_tensor(C.max_pool_indices(x._data, kernel, strides, pads, dil))

    return _unbatched(run, input, dims, f"{dims + 1}D or {dims + 2}D input")


def max_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
) -> Tensor:
    """Maximum over sliding windows of the last dimension."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
) -> Tensor:
    """Maximum over sliding windows of the last two dimensions."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
) -> Tensor:
    """Maximum over sliding windows of the last three dimensions."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor, dims):
    if ceil_mode or not count_include_pad:
        raise NotImplementedError(
            "avg_pool: ceil_mode=True and count_include_pad=False are not supported by "
            "glassgrad yet"
        )

    def run(x):
        kernel, strides, _, pads = _pool_geometry(x, kernel_size, stride, padding, 1, False, dims)
        return C.POOL_OPS[("avg", dims)].apply(
            x, kernel=kernel, stride=strides, pads=pads, divisor=divisor
        )

    return _unbatched(run, input, dims, f"{dims + 1}D or {dims + 2}D input")


def avg_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
) -> Tensor:
    """Mean over sliding windows of the last dimension."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> Tensor:
    """Mean over sliding windows of the last two dimensions."""
    return _avg_pool(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2
    )


def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> Tensor:
    """Mean over sliding windows of the last three dimensions."""
    return _avg_pool(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3
    )


def _adaptive_pool(input: Tensor, output_size, dims: int, kind: str = "avg") -> Tensor:
    """Mean (or max) over PyTorch's adaptive bins [floor(i*S/O), ceil((i+1)*S/O))."""
    out = _ntuple(output_size, dims, "output_size")
    lead = input.ndim - dims
    if lead not in (1, 2):
        raise RuntimeError(_adaptive_rank_error(input, dims, kind))
    result = input
    for axis_offset, size_out in enumerate(out):
        axis = lead + axis_offset
        if size_out is None:
            continue
        size = input.shape[axis]
        bins = []
        for i in range(size_out):
            start, end = (i * size) // size_out, -((-(i + 1) * size) // size_out)
            part = indexing.narrow(result, axis, start, end - start)
            if kind == "avg":
                bins.append(part.mean(axis, keepdim=True))
            else:
                bins.append(part.amax(axis, keepdim=True))
        result = M.cat(bins, axis)
    return result


def _adaptive_rank_error(input: Tensor, dims: int, kind: str) -> str:
    """PyTorch's message for an input of the wrong rank (its 1-d, avg and max kernels word it
    three ways)."""
    name = f"adaptive_{kind}_pool{dims}d"
    if dims == 1:
        return (
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            f"#1 'self' (while checking arguments for {name})"
        )
    got = "got:" if kind == "max" else "got"
    return f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but {got} {list(input.shape)}"


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average-pool the last dimension to ``output_size``."""
    return _adaptive_pool(input, output_size, 1)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average-pool the last two dimensions to ``output_size``."""
    return _adaptive_pool(input, output_size, 2)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average-pool the last three dimensions to ``output_size``."""
    return _adaptive_pool(input, output_size, 3)


def _adaptive_max(input, output_size, return_indices, dims):
    if return_indices:
        raise NotImplementedError(
            "adaptive_max_pool(return_indices=True) is not supported by glassgrad yet"
        )
    return _adaptive_pool(input, output_size, dims, "max")


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """Max-pool the last dimension to ``output_size``."""
    return _adaptive_max(input, output_size, return_indices, 1)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """Max-pool the last two dimensions to ``output_size``."""
    return _adaptive_max(input, output_size, return_indices, 2)
