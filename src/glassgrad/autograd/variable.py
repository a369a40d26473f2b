"""``Variable``: the pre-0.4 PyTorch wrapper, kept because older lessons still import it."""

from __future__ import annotations

import warnings

from glassgrad._tensor_base import TensorBase

__all__ = ["Variable"]


class _VariableMeta(type):
    """Every tensor counts as a Variable, as in PyTorch since Variables and Tensors merged."""

    def __instancecheck__(cls, other) -> bool:

        return isinstance(other, TensorBase)


class Variable(metaclass=_VariableMeta):
    """``Variable(t, requires_grad=False)`` returns a new leaf sharing ``t``'s data."""

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False):

        if not isinstance(data, TensorBase):
            raise TypeError(
                f"Variable data has to be a tensor, but got {type(data).__name__}; "
                "wrap it with torch.tensor(...) first"
            )
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
        return data.detach().requires_grad_(requires_grad)
