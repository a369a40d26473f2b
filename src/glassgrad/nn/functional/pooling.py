"""Max, average and adaptive pooling, 1-D to 3-D."""

from __future__ import annotations

import math

from glassgrad._dtypes import SCALAR_TYPE_NAMES, int64
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.nn.functional.conv import _ntuple, _unbatched
from glassgrad.ops import conv as C

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool2d_with_indices",
    "max_pool3d",
    "max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
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


def _adaptive_pool(input: Tensor, output_size, dims: int, kind: str = "avg"):
    """Mean (or max, and where it was) over PyTorch's adaptive windows
    [floor(i*S/O), ceil((i+1)*S/O)) of the last ``dims`` dimensions. As in PyTorch, 1-D is 2-D
    pooling of a height-1 image, and a mean down to one value per plane is ``mean``."""
    lead = input.ndim - dims
    if lead not in (1, 2):
        raise RuntimeError(_adaptive_rank_error(input, dims, kind))
    if not isinstance(output_size, int):  # None: that dim keeps the input's size
        spatial = input.shape[lead:]
        output_size = [spatial[i] if o is None else o for i, o in enumerate(output_size)]
    out = _ntuple(output_size, dims, "output_size")
    if dims == 1:
        flat = _adaptive_pool(input.unsqueeze(-2), (1, out[0]), 2, kind)
        if kind == "avg":
            return flat.squeeze(-2)
        return flat[0].squeeze(-2), flat[1].squeeze(-2)
    if kind == "avg" and all(o == 1 for o in out):
        return input.mean(tuple(range(-dims, 0)), keepdim=True)
    bins = tuple(C.adaptive_bins(s, o) for s, o in zip(input.shape[lead:], out))
    pooled = C.ADAPTIVE_OPS[(kind, dims)].apply(input, bins=bins)
    if kind == "avg":
        return pooled
    return pooled, _new_tensor(C.adaptive_max(input._data, bins)[1])


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
    pooled, indices = _adaptive_pool(input, output_size, dims, "max")
    return (pooled, indices) if return_indices else pooled


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """Max-pool the last dimension to ``output_size``."""
    return _adaptive_max(input, output_size, return_indices, 1)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """Max-pool the last two dimensions to ``output_size``."""
    return _adaptive_max(input, output_size, return_indices, 2)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """Max-pool the last three dimensions to ``output_size``."""
    return _adaptive_max(input, output_size, return_indices, 3)


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    """``max_pool1d`` with the indices of the maxima (PyTorch's name for it)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    """``max_pool2d`` with the indices of the maxima (PyTorch's name for it)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    """``max_pool3d`` with the indices of the maxima (PyTorch's name for it)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo ``max_pool1d(return_indices=True)``: each value back where it came from, zeros
    elsewhere (PyTorch runs it as a 2-D unpooling of a width-1 image)."""
    kernel, stride, padding = _unpool_geometry(kernel_size, stride, padding, 1)
    size = _unpool_size(input, kernel, stride, padding, output_size)
    out = _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + (1,), 2, "max_unpooling2d")
    return out.squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo ``max_pool2d(return_indices=True)``: each value back where it came from, zeros
    elsewhere; ``output_size`` picks among the sizes that pool to the input's."""
    kernel, stride, padding = _unpool_geometry(kernel_size, stride, padding, 2)
    size = _unpool_size(input, kernel, stride, padding, output_size)
    return _max_unpool(input, indices, size, 2, "max_unpooling2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo ``max_pool3d(return_indices=True)`` (see ``max_unpool2d``)."""
    kernel, stride, padding = _unpool_geometry(kernel_size, stride, padding, 3)
    size = _unpool_size(input, kernel, stride, padding, output_size)
    return _max_unpool(input, indices, size, 3, "max_unpooling3d")


def _unpool_geometry(kernel_size, stride, padding, dims: int):
    kernel = _ntuple(kernel_size, dims, "kernel_size")
    stride = kernel if stride is None else _ntuple(stride, dims, "stride")
    return kernel, stride, _ntuple(padding, dims, "padding")


def _unpool_size(input, kernel, stride, padding, output_size) -> tuple:
    """The unpooled spatial size: the one that pools back to the input's, or ``output_size``
    when it is one of those (the sizes a strided window rounds down to the same)."""
    dims = len(kernel)
    default = [
        (input.shape[-dims + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(dims)
    ]
    if output_size is None:
        return tuple(default)
    output_size = list(output_size)
    if len(output_size) == dims + 2:
        output_size = output_size[2:]
    if len(output_size) != dims:
        raise ValueError(
            f"output_size should be a sequence containing {dims} or {dims + 2} elements, but "
            f"it has a length of '{len(output_size)}'"
        )
    for d in range(dims):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < output_size[d] < high:
            raise ValueError(
                f'invalid output_size "{tuple(output_size)}" (dim {d} must be between {low} '
                f"and {high})"
            )
    return tuple(int(s) for s in output_size)


def _max_unpool(input, indices, size: tuple, dims: int, name: str):
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Input to {name} should be a {dims + 1}d or {dims + 2}d Tensor, but got a tensor "
            f"with {input.ndim} dimensions."
        )
    if indices.dtype != int64:
        raise RuntimeError(
            "elements in indices should be type int64 but got: "
            f"{SCALAR_TYPE_NAMES.get(indices._data.dtype.name, indices.dtype)}"
        )
    if indices.shape != input.shape:
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    area = math.prod(size)
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= area):
        bad = int(idx.max() if idx.max() >= area else idx.min())
        volume = "x".join(str(s) for s in size)
        raise RuntimeError(
            f"Found an invalid max index: {bad} (output volumes are of size {volume})"
        )
    return C.UNPOOL_OPS[dims].apply(input, indices=idx, size=size)
