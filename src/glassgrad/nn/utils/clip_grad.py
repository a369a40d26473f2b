"""Gradient clipping (``torch.nn.utils.clip_grad_norm_`` and friends)."""

from __future__ import annotations

from collections.abc import Iterable

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.ops.movement import cat

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]


def _as_list(tensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(array: ndarray, norm_type: float) -> ndarray:
    """``torch.linalg.vector_norm`` of a whole array, in the array's dtype."""
    wide = xp.abs(array.astype(xp.float64))
    if norm_type == xp.inf:
        value = wide.max(initial=0.0)
    elif norm_type == -xp.inf:
        value = wide.min() if wide.size else xp.inf
    elif norm_type == 0:
        value = float(xp.count_nonzero(wide))
    else:
        value = (wide**norm_type).sum() ** (1.0 / norm_type)
    return xp.asarray(value, dtype=array.dtype)


def _norm_type(norm_type) -> float:
    if isinstance(norm_type, str):
        if norm_type not in ("inf", "-inf"):
            raise ValueError(f"norm_type must be a number, 'inf' or '-inf', got {norm_type!r}")
        return float(norm_type)
    return float(norm_type)


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The norm of all the tensors' entries together, as if concatenated into one vector."""
    norm_type = _norm_type(norm_type)
    tensors = _as_list(tensors)
    if not tensors:
        return _new_tensor(xp.asarray(0.0, dtype=xp.float32))
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    dtype = xp.result_type(*norms)
    total = _vector_norm(xp.stack([n.astype(dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not xp.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return _new_tensor(total)


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else xp.asarray(total_norm)
    coef = xp.minimum(total.dtype.type(max_norm) / (total + total.dtype.type(1e-6)), 1.0)
    for g in grads:
        g._data *= coef.astype(g._data.dtype)
        g._version_counter[0] += 1


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale the gradients so their total norm is at most ``max_norm``; returns that norm.

    The norm is taken over all gradients together (``norm_type`` may be ``inf``). As in
    PyTorch the gradients are multiplied by ``min(1, max_norm / (norm + 1e-6))``.

    Example:
        >>> loss.backward()
        >>> total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    parameters = _as_list(parameters)
    grads = [p._grad for p in parameters if p._grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]`` in place.

    Example:
        >>> torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p._grad
        if g is not None:
            xp.clip(g._data, -clip_value, clip_value, out=g._data)
            g._version_counter[0] += 1


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one vector (differentiable)."""
    pieces = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected torch.Tensor, but got: {type(p).__name__}")
        pieces.append(p.reshape(-1))
    return cat(pieces)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' data (not recorded)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    needed = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != needed:
        raise RuntimeError(
            f"vector_to_parameters: vec has shape {list(vec.shape)} but the parameters hold "
            f"{needed} values; pass a 1-D vector of that length"
        )
    start = 0
    for p in params:
        n = p.numel()
        p._data = vec._data[start : start + n].reshape(p._data.shape).astype(p._data.dtype)
        start += n
