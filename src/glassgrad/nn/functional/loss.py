"""``nn.functional``: the functional form of layers and losses, with PyTorch's checks.

Losses use fused ops where PyTorch fuses them (``NllLossBackward0``, ...) and compose
primitives where PyTorch composes them, so ``grad_fn`` names and numbers agree.
"""

from __future__ import annotations

import math
import warnings

from glassgrad import _dtypes, _random
from glassgrad._backend import xp
from glassgrad.autograd.grad_mode import no_grad
from glassgrad.ops import activation as A
from glassgrad.ops import conv as C
from glassgrad.ops import elementwise as E
from glassgrad.ops import linalg as L
from glassgrad.ops import loss as LS
from glassgrad.ops import movement as M
from glassgrad.ops import nn_ops as N
from glassgrad.ops import reduce as R
from glassgrad.ops.inplace import inplace_unary
from glassgrad.tensor import Tensor, _new_tensor

__all__ = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "interpolate",
    "relu",
    "relu_",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "gelu",
    "elu",
    "softplus",
    "silu",
    "hardtanh",
    "logsigmoid",
    "hardshrink",
    "softshrink",
    "elu_",
    "leaky_relu_",
    "hardtanh_",
    "celu_",
    "selu_",
    "threshold_",
    "rms_norm",
    "pixel_shuffle",
    "pixel_unshuffle",
    "scaled_dot_product_attention",
    "relu6",
    "softsign",
    "tanhshrink",
    "mish",
    "selu",
    "celu",
    "hardsigmoid",
    "hardswish",
    "softmin",
    "prelu",
    "threshold",
    "glu",
    "pairwise_distance",
    "flatten",
    "unflatten",
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
    "batch_norm",
    "layer_norm",
    "group_norm",
    "instance_norm",
    "embedding",
    "one_hot",
    "pad",
    "normalize",
    "cosine_similarity",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "cross_entropy",
    "kl_div",
    "soft_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
]


# ----------------------------------------------------------------------------- layers
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias; a 2-D input goes through the fused addmm (AddmmBackward0)."""
    if input._data.ndim == 0 or weight._data.ndim == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
            f"{weight.ndim}D; give the input a feature dimension, e.g. x.reshape(-1, 1)"
        )
    if input._data.shape[-1] != weight._data.shape[-1]:
        rows = input.numel() // max(input.shape[-1], 1) if input.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
            f"{weight.shape[-1]}x{weight.shape[0] if weight.ndim > 1 else 1}): the input's last "
            "dimension "
            f"({input.shape[-1]}) must equal in_features ({weight.shape[-1]}); input shape "
            f"{list(input.shape)}, weight shape {list(weight.shape)}"
        )
    if bias is not None:
        if input._data.ndim == 2:
            return L.linear(input, weight, bias)
        # like PyTorch: fold the leading dims into one, addmm, view back (ViewBackward0)
        rows = M.reshape(input, -1, input.shape[-1])
        out = L.addmm(bias, rows, weight.t())
        return M.view(out, *input.shape[:-1], weight.shape[0])
    return L.matmul(input, weight.t())


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    return M.flatten(input, start_dim, end_dim)


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes``."""
    return M.unflatten(input, dim, sizes)


def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training only).

    The mask is PyTorch's: ``bernoulli_(1 - p)`` on a tensor shaped like ``input``, divided by
    ``1 - p``, so a seeded program drops the same elements as under PyTorch.
    """
    if _drops_nothing(input, p, training):
        return input
    return _apply_noise(input, _dropout_noise(input._data, input.shape, p), inplace)


def _drops_nothing(input: Tensor, p: float, training: bool) -> bool:
    """Check ``p``; whether dropout leaves ``input`` as it is (evaluation, p = 0, no elements)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return not training or p == 0.0 or input.numel() == 0


def _keep_mask(array, shape, p: float):
    """ATen's ``bernoulli_(1 - p)`` (one 53-bit uniform per element) on noise of ``shape`` in
    the input's dtype. Like empty_like, noise shaped as the input keeps a permuted input's memory
    layout, so it is drawn in the same memory order as PyTorch's."""
    dtype = array.dtype
    target = xp.empty_like(array) if tuple(shape) == array.shape else xp.empty(shape, dtype)
    return _random.fill_bernoulli(target, 1.0 - p)


def _dropout_noise(array, shape, p: float):
    """The scaled keep-mask of ATen's dropout: zeros when p is 1, else the keep-mask divided
    by ``1 - p`` in the input's dtype."""
    dtype = array.dtype
    if p == 1.0:
        return xp.zeros((), dtype=dtype)
    return _keep_mask(array, shape, p) / dtype.type(1.0 - p)


def _apply_noise(input: Tensor, noise, inplace: bool) -> Tensor:
    mask = _new_tensor(noise)
    if inplace:
        return inplace_unary(input, lambda t: E.mul(t, mask))
    return E.mul(input, mask)


def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool):
    """Zero whole channels: one mask value per (sample, channel), broadcast over the rest."""
    if _drops_nothing(input, p, training):
        return input
    lead = 2 if batched else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return _apply_noise(input, _dropout_noise(input._data, shape, p), inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Channel-wise dropout of (N, C, L) or (C, L) inputs."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _channel_dropout(input, p, training, inplace, input.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Channel-wise dropout of (N, C, H, W) or (C, H, W) inputs (3-D read as (N, C, L))."""
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).",
            UserWarning,
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning,
            stacklevel=2,
        )
    return _channel_dropout(input, p, training, inplace, input.ndim >= 3)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Channel-wise dropout of (N, C, D, H, W) or (C, D, H, W) inputs."""
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).",
            UserWarning,
            stacklevel=2,
        )
    return _channel_dropout(input, p, training, inplace, input.ndim == 5)


# SELU's -scale·alpha: alpha dropout sends a dropped unit to SELU's negative saturation value
_ALPHA_DROPOUT_ALPHA = 1.7580993408473766


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout that keeps SELU's zero mean and unit variance: dropped units are set to SELU's
    saturation value, then an affine map restores the statistics (training only).

    As ATen computes it: ``keep = bernoulli_(1 - p)``, ``a = 1 / sqrt((α²p + 1)(1 - p))``,
    ``b = (keep - 1)·αa + αap`` and the result ``input · (keep·a) + b``, in the input's dtype,
    so a seeded program draws and rounds as under PyTorch.
    """
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape))


def feature_alpha_dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Alpha dropout of whole channels: one draw per (sample, channel) of an (N, C, ...) input."""
    if input.ndim < 2:
        raise RuntimeError(
            "Feature dropout requires at least 2 dimensions in the input "
            f"(feature_alpha_dropout got a {input.ndim}-D input of shape {list(input.shape)})"
        )
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha_dropout(input, p, training, inplace, shape)


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, shape: tuple):
    if _drops_nothing(input, p, training):
        return input
    dtype = input._data.dtype
    if p == 1.0:
        return _apply_noise(input, xp.zeros((), dtype=dtype), inplace)
    keep = _keep_mask(input._data, shape, p)
    a = 1.0 / math.sqrt((_ALPHA_DROPOUT_ALPHA**2 * p + 1) * (1 - p))
    shift = (keep - dtype.type(1)) * dtype.type(_ALPHA_DROPOUT_ALPHA * a)
    shift += dtype.type(_ALPHA_DROPOUT_ALPHA * a * p)
    scaled = _apply_noise(input, keep * dtype.type(a), inplace)
    if inplace:
        return inplace_unary(scaled, lambda t: E.add(t, _new_tensor(shift)))
    return E.add(scaled, _new_tensor(shift))


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


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-05,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions of each sample."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )
    _check_mixed(input, weight, bias)
    return N.NativeLayerNorm.apply(input, weight, bias, ndims=k, eps=eps)


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


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` for integer indices; rows over ``max_norm`` are renormed in place."""
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            "embedding)"
        )
    if sparse:
        raise NotImplementedError(
            "embedding(sparse=True): sparse gradients are not supported by glassgrad; use "
            "sparse=False (the dense gradient has the same values)"
        )
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % rows
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(
            f"index out of range in self: embedding index {bad} is outside [0, {rows - 1}] "
            f"for a table of {rows} rows"
        )
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return N.Embedding.apply(
        weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


def _renorm_rows(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Scale the looked-up rows whose norm exceeds ``max_norm`` (in place, not recorded)."""
    rows = xp.unique(idx.reshape(-1))
    data = weight._data
    norms = xp.linalg.norm(data[rows].astype(xp.float64), ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        scale = max_norm / (norms[over] + 1e-7)
        data[rows[over]] = (data[rows[over]] * scale[:, None]).astype(data.dtype)
        weight._version_counter[0] += 1


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices to a ``(..., num_classes)`` int64 tensor of zeros and ones."""
    data = tensor._data
    if data.dtype != xp.int64:
        raise RuntimeError(
            "one_hot is only applicable to index tensor of type LongTensor. (got "
            f"{tensor.dtype}); convert with .long()"
        )
    if data.size and data.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    elif data.size and data.max() >= num_classes:
        raise RuntimeError(
            f"Class values must be smaller than num_classes. (got {int(data.max())} with "
            f"num_classes={num_classes})"
        )
    return _new_tensor((data[..., None] == xp.arange(num_classes)).astype(xp.int64))


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


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Sum along ``dim`` of x1/max(||x1||, eps) * x2/max(||x2||, eps), after broadcasting."""
    shape = xp.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = R.norm(x1, 2, dim, keepdim=True).clamp_min(eps)
    n2 = R.norm(x2, 2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


# ----------------------------------------------------------------------------- conv / pool
def _ntuple(value, n: int, name: str) -> tuple:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values")
    return value


def _conv(input, weight, bias, stride, padding, dilation, groups, dims: int) -> Tensor:
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to conv{dims}d, "
            f"but got input of size: {list(input.shape)}"
        )
    if input.ndim == dims + 1:
        out = _conv(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups, dims)
        return out.squeeze(0)
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
    input,
    weight,
    bias,
    stride,
    padding,
    output_padding,
    groups,
    dilation,
    dims: int,
) -> Tensor:
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
            f"conv_transpose{dims}d, but got input of size: {list(input.shape)}"
        )
    if input.ndim == dims + 1:
        out = _conv_transpose(
            input.unsqueeze(0),
            weight,
            bias,
            stride,
            padding,
            output_padding,
            groups,
            dilation,
            dims,
        )
        return out.squeeze(0)
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
    in_sizes = input.shape[2:]
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
    out = input
    for axis_offset, (n_in, n_out, scale) in enumerate(zip(in_sizes, out_sizes, scales)):
        axis = 2 + axis_offset
        dst = xp.arange(n_out, dtype=xp.float64)
        if mode == "nearest":
            src = xp.minimum(xp.floor(dst * scale).astype(xp.int64), n_in - 1)
            out = M.index_select(out, axis, _new_tensor(src))
            continue
        if align_corners:
            src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            src = xp.maximum((dst + 0.5) * scale - 0.5, 0.0)
        low = xp.minimum(xp.floor(src).astype(xp.int64), n_in - 1)
        high = xp.minimum(low + 1, n_in - 1)
        shape = [1] * out.ndim
        shape[axis] = n_out
        frac = _new_tensor((src - low).astype(out._data.dtype).reshape(shape))
        lo = M.index_select(out, axis, _new_tensor(low))
        hi = M.index_select(out, axis, _new_tensor(high))
        out = lo + (hi - lo) * frac
    return out


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


def _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, dims):
    """kernel, stride, dilation and per-side pads (ceil_mode widens the right side)."""
    kernel = _ntuple(kernel_size, dims, "kernel_size")
    stride = kernel if stride is None or stride == [] or stride == () else stride
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


def _unbatched(fn, input, dims):
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D or {dims + 2}D input, but got input of size: {list(input.shape)}"
        )
    if input.ndim == dims + 2:
        return fn(input)
    out = fn(input.unsqueeze(0))
    if isinstance(out, tuple):
        return tuple(o.squeeze(0) for o in out)
    return out.squeeze(0)


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

    return _unbatched(run, input, dims)


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

    return _unbatched(run, input, dims)


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
        raise RuntimeError(
            f"adaptive_avg_pool{dims}d(): Expected {dims + 1}D or {dims + 2}D tensor, but got "
            f"{list(input.shape)}"
        )
    result = input
    for axis_offset, size_out in enumerate(out):
        axis = lead + axis_offset
        if size_out is None:
            continue
        size = input.shape[axis]
        bins = []
        for i in range(size_out):
            start, end = (i * size) // size_out, -((-(i + 1) * size) // size_out)
            part = M.narrow(result, axis, start, end - start)
            if kind == "avg":
                bins.append(part.mean(axis, keepdim=True))
            else:
                bins.append(part.amax(axis, keepdim=True))
        result = M.cat(bins, axis)
    return result


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


# ----------------------------------------------------------------------------- activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0); ``inplace`` overwrites ``input``."""
    return input.relu_() if inplace else E.Relu.apply(input)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return input.relu_()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-input))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """exp(input) normalised to sum to 1 along ``dim``."""
    return R.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """log(softmax(input)) along ``dim``, computed without overflow."""
    return R.log_softmax(input, dim, dtype)


def _maybe_inplace(input: Tensor, inplace: bool, fn) -> Tensor:
    return inplace_unary(input, fn) if inplace else fn(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where positive, else negative_slope * input."""
    op = A.LeakyReluResult if inplace else A.LeakyRelu
    return _maybe_inplace(input, inplace, lambda t: op.apply(t, negative_slope=negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, else alpha * (exp(input) - 1)."""
    op = A.EluResult if inplace else A.Elu
    return _maybe_inplace(input, inplace, lambda t: op.apply(t, alpha=alpha))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """input * Phi(input): exact (erf) or ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"approximate argument must be either none or tanh (got {approximate!r})"
        )
    return A.Gelu.apply(input, approximate=approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta, linear where beta * input > threshold."""
    return A.Softplus.apply(input, beta=beta, threshold=threshold)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """input * sigmoid(input)."""
    return _maybe_inplace(input, inplace, A.Silu.apply)


def hardtanh(
    input: Tensor,
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    """input clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(
        input, inplace, lambda t: A.Hardtanh.apply(t, min_val=min_val, max_val=max_val)
    )


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), finite for large |x|."""
    return N.LogSigmoid.apply(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6) (a hardtanh, as in PyTorch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def softsign(input: Tensor) -> Tensor:
    """input / (1 + |input|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """input - tanh(input)."""
    return input - input.tanh()


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input))."""
    return _maybe_inplace(input, inplace, A.Mish.apply)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with the self-normalising constants."""
    op = A.EluResult if inplace else A.Elu
    return _maybe_inplace(
        input, inplace, lambda t: op.apply(t, alpha=_SELU_ALPHA, scale=_SELU_SCALE)
    )


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, else alpha * (exp(input / alpha) - 1)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    op = A.CeluResult if inplace else A.Celu
    return _maybe_inplace(input, inplace, lambda t: op.apply(t, alpha=alpha))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(input + 3) / 6: a piecewise-linear sigmoid."""
    return _maybe_inplace(input, inplace, A.Hardsigmoid.apply)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * relu6(input + 3) / 6."""
    return _maybe_inplace(input, inplace, A.Hardswish.apply)


def softmin(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """softmax(-input) along ``dim``."""
    return R.softmax(-input, dim, dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """input where positive, else weight * input (one weight, or one per channel of dim 1)."""
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim > 1 else input.shape[0]
        if weight.ndim != 1 or weight.shape[0] != channels:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {channels}."
            )
        if input.ndim > 1:
            weight = weight.reshape(channels, *([1] * (input.ndim - 2)))
    return A.PreluKernel.apply(input, weight)


def threshold(
    input: Tensor,
    threshold: float,
    value: float,
    inplace: bool = False,
) -> Tensor:
    """input where input > threshold, else value."""
    op = A.ThresholdResult if inplace else A.Threshold
    return _maybe_inplace(input, inplace, lambda t: op.apply(t, threshold=threshold, value=value))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) where a and b are the two halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size "
            f"{input.shape[dim]}"
        )
    a, b = M.chunk(input, 2, dim)
    return a * b.sigmoid()


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p along the last dimension."""
    return R.norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """input where |input| > lambd, else 0."""
    return A.Hardshrink.apply(input, lambd=lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """input -/+ lambd outside [-lambd, lambd], 0 inside."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return A.Softshrink.apply(input, lambd=lambd)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``."""
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return selu(input, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``."""
    return inplace_unary(
        input, lambda t: A.ThresholdResult.apply(t, threshold=threshold, value=value)
    )


def rms_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """input / sqrt(mean(input ** 2) + eps) over the trailing ``normalized_shape`` dims."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}"
        )
    if eps is None:
        eps = float(xp.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r ** 2, H, W) -> (*, C, H * r, W * r)."""
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r ** 2, H, W)."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            "pixel_unshuffle expects height and width to be divisible by downscale_factor, but "
            f"got height={h}, width={w} and downscale_factor={r}"
        )
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q k^T * scale + mask) v; a boolean mask marks the positions that may attend."""
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention(enable_gqa=True) is not supported")
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = L.matmul(query, key.transpose(-2, -1)) * scale
    if is_causal:
        allowed = xp.tril(xp.ones((length, source), dtype=bool))
        scores = scores.masked_fill(_new_tensor(~allowed), -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return L.matmul(weights, value)


# ----------------------------------------------------------------------------- losses
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
    x = E.as_operand(x, name)
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
        E._check_broadcast(name, input, target)
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


def _weighted(loss: Tensor, weight: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by_weight else loss.mean()


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


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
            return LS.MseLoss.run((input, target), (da, db, reduction), E._NO_PARAMS)
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target, "mse_loss")
    if not (input.is_floating_point() or target.is_floating_point()):
        _require_float(input, "mse_cpu")
    if weight is not None:
        _check_weight_shape(weight, input)
        return _weighted((input - target) ** 2, weight, reduction, True)
    da, db = E.promoted_arrays(input, target)
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
    da, db = E.promoted_arrays(input, target)
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
    if kind != xp.int64 and kind != xp.uint8:
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
    if target_arr.size and 0 <= target_arr.min() and target_arr.max() < classes:
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
