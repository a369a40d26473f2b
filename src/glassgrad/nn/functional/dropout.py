"""Dropout in all its forms: elementwise, channel-wise (1-3-D) and alpha dropout."""

from __future__ import annotations

import math
import warnings

from glassgrad import _random
from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.ops import elementwise as E
from glassgrad.ops.inplace import inplace_unary

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]


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


def _warn_deprecated_rank(input: Tensor, spatial: int) -> None:
    """PyTorch's warning when ``dropout{spatial}d`` gets an input of another rank (for now it
    still drops channels), pointing at the caller of ``dropout{spatial}d``."""
    name = f"dropout{spatial}d"
    warnings.warn(
        f"{name}: Received a {input.ndim}-D input to {name}, which is deprecated and will "
        "result in an error in a future release. To retain the behavior and silence this "
        f"warning, please use dropout instead. Note that {name} exists to provide channel-wise "
        f"dropout on inputs with {spatial} spatial dimensions, a channel dimension, and an "
        f"optional batch dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).",
        UserWarning,
        stacklevel=3,
    )


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Channel-wise dropout of (N, C, H, W) or (C, H, W) inputs (3-D read as (N, C, L))."""
    if input.ndim not in (3, 4):
        _warn_deprecated_rank(input, 2)
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
        _warn_deprecated_rank(input, 3)
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
