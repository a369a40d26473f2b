"""Batch, layer, instance, group and RMS normalization, and ``F.normalize``."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.autograd.grad_mode import no_grad
from glassgrad.ops import movement as M
from glassgrad.ops import nn_ops as N
from glassgrad.ops import reduce as R

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm", "normalize", "rms_norm"]


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-05,
) -> Tensor:
    """Normalise over all dims but 1; in training, also update the running statistics.

    The running variance is updated with the unbiased batch variance, as in PyTorch.
    """
    channels = input.shape[1] if input.ndim > 1 else None
    _check_mixed(input, weight, bias, running_mean, running_var)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and (channels is None or t.numel() != channels):
            raise RuntimeError(
                f"{name} should contain {channels} elements not {t.numel()} (input shape "
                f"{list(input.shape)}): the layer's num_features must equal input.shape[1]"
            )
    if training:
        count = input.numel() // max(channels or 1, 1)
        if count <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{input.shape}: use a batch of at least 2 or call .eval()"
            )
        out = N.NativeBatchNorm.apply(input, weight, bias, eps=eps)
        if running_mean is not None or running_var is not None:
            mean, var = out.grad_fn.batch_stats if out.grad_fn is not None else _stats(input)
            _update_running(running_mean, running_var, mean, var, count, momentum)
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError(
            "batch_norm in evaluation mode needs running_mean and running_var; pass "
            "training=True to use the batch statistics"
        )
    return N.NativeBatchNorm.apply(
        input, weight, bias, mean=running_mean._data, var=running_var._data, eps=eps
    )


def _check_mixed(input: Tensor, *others) -> None:
    for t in others:
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(
                "mixed dtype (CPU): all inputs must share same datatype. (input is "
                f"{input.dtype}, a parameter or running statistic is {t.dtype}; convert the "
                "module with .to(input.dtype) or the input with .to(weight.dtype))"
            )


def _stats(input: Tensor):
    axes = (0,) + tuple(range(2, input.ndim))
    return input._data.mean(axis=axes), input._data.var(axis=axes)


def _update_running(running_mean, running_var, mean, var, count, momentum) -> None:
    with no_grad():
        if running_mean is not None:
            rm = running_mean._data
            rm[...] = (1 - momentum) * rm + momentum * mean
            running_mean._version_counter[0] += 1
        if running_var is not None:
            rv = running_var._data
            rv[...] = (1 - momentum) * rv + momentum * var * (count / (count - 1))
            running_var._version_counter[0] += 1


def _trailing_shape(input: Tensor, normalized_shape, star: str = "*, ") -> tuple:
    """``normalized_shape`` as a tuple, checked to be the trailing dims of ``input``.
    ``star``: how the error writes the leading dims (``rms_norm``'s says ``[*4]``)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[{star}{', '.join(str(s) for s in shape)}], but got input of size"
            f"{list(input.shape)}"
        )
    return shape


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-05,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions of each sample."""
    shape = _trailing_shape(input, normalized_shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )
    _check_mixed(input, weight, bias)
    return N.NativeLayerNorm.apply(input, weight, bias, ndims=len(shape), eps=eps)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-05,
) -> Tensor:
    """Normalise each channel of each sample over its spatial dims (batch norm per sample)."""
    if input.ndim < 3:
        raise ValueError(f"Expected input with at least 3 dimensions, got {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    folded = M.reshape(input, 1, n * c, -1)

    def tiled(t):
        return None if t is None else t.repeat(n)

    rm = None if running_mean is None else _new_tensor(xp.tile(running_mean._data, n))
    rv = None if running_var is None else _new_tensor(xp.tile(running_var._data, n))
    out = batch_norm(folded, rm, rv, tiled(weight), tiled(bias), use_input_stats, momentum, eps)
    with no_grad():  # the per-sample running statistics average back into the buffers
        for buffer, tiled_stats in ((running_mean, rm), (running_var, rv)):
            if buffer is not None and use_input_stats:
                buffer._data[...] = tiled_stats._data.reshape(n, c).mean(0)
                buffer._version_counter[0] += 1
    return M.view(out, *input.shape)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-05,
) -> Tensor:
    """Normalise each group of channels of each sample, then scale and shift per channel."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    _check_mixed(input, weight, bias)
    n, c = input.shape[0], input.shape[1]
    grouped = M.reshape(input, n, num_groups, -1)
    out = M.reshape(N.NativeLayerNorm.apply(grouped, None, None, ndims=1, eps=eps), *input.shape)
    view = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(*view)
    if bias is not None:
        out = out + bias.reshape(*view)
    return out


def normalize(
    input: Tensor,
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out=None,
) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported by glassgrad")
    denom = R.norm(input, p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def rms_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """input / sqrt(mean(input ** 2) + eps) over the trailing ``normalized_shape`` dims."""
    shape = _trailing_shape(input, normalized_shape, star="*")
    if eps is None:
        eps = float(xp.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out
