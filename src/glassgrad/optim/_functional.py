"""In-place NumPy kernels with PyTorch's float operation order, shared by the optimizers.

Every helper mutates its first array and keeps its dtype: Python-float scalars are cast to the
array's dtype first (NumPy's NEP 50 rules do that), so float32 state never becomes float64.
"""

from __future__ import annotations

from glassgrad import _dtypes
from glassgrad import _kernels as kernels
from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor

__all__ = [
    "add_scaled_",
    "addcdiv_",
    "addcmul_",
    "increment_step",
    "lerp_",
    "signed_grad",
    "step_tensor",
    "with_weight_decay",
    "zeros_like",
]


def lerp_(start: ndarray, end: ndarray, weight: float) -> None:
    """``start.lerp_(end, weight)``: PyTorch switches formula at weight 0.5 for accuracy."""
    w = start.dtype.type(weight)
    diff = end - start
    if abs(w) < 0.5:
        diff *= w
        start += diff
    else:
        diff *= 1 - w
        xp.subtract(end, diff, out=start)


def add_scaled_(target: ndarray, other: ndarray, alpha: float, wide=None) -> None:
    """``target.add_(other, alpha=alpha)`` as PyTorch rounds it (``wide``: a float64 scratch
    buffer for float32, see ``kernels.add_product_``)."""
    if alpha == 1:
        target += other
    else:
        kernels.add_product_(target, other, alpha, wide)


def addcmul_(target: ndarray, t1: ndarray, t2: ndarray, value: float = 1.0) -> None:
    """``target += value * t1 * t2`` evaluated as ``(value * t1) * t2``, then fused."""
    tmp = t1 * value if value != 1 else t1
    kernels.add_product_(target, tmp, t2)


def addcdiv_(target: ndarray, t1: ndarray, t2: ndarray, value: float = 1.0) -> None:
    """``target += value * t1 / t2`` evaluated as ``(value * t1) / t2``."""
    tmp = t1 * value if value != 1 else t1.copy()
    tmp /= t2
    target += tmp


def signed_grad(grad: ndarray, maximize: bool) -> ndarray:
    """The gradient to descend along: negated first when maximizing (PyTorch 2.x order).

    Always an array (``-a`` of a 0-d array would be a NumPy scalar, which in-place helpers
    cannot write to)."""
    return xp.negative(grad, out=xp.empty_like(grad)) if maximize else grad


def with_weight_decay(grad: ndarray, param: ndarray, weight_decay: float) -> ndarray:
    """``grad + weight_decay * param`` as a new array (coupled L2), or ``grad`` itself."""
    if weight_decay == 0:
        return grad
    out = grad.copy()
    add_scaled_(out, param, weight_decay)
    return out


def step_tensor(value: float = 0.0) -> Tensor:
    """A 0-d step counter, float32 (float64 under a float64 default dtype) as in torch 2.x."""
    dtype = xp.float64 if _dtypes.DEFAULTS.float_dtype.np == xp.float64 else xp.float32
    return _new_tensor(xp.array(value, dtype=dtype))


def zeros_like(param: Tensor) -> Tensor:
    return _new_tensor(xp.zeros_like(param._data))


def increment_step(state: dict) -> float:
    """Add one to ``state['step']`` in place and return the new count as a Python float."""
    step = state["step"]._data
    step += 1
    return float(step)
