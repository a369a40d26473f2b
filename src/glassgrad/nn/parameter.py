"""``nn.Parameter``: a leaf tensor that a Module registers as trainable."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _init_from, _new_tensor

__all__ = ["Buffer", "Parameter"]


class Parameter(Tensor):
    """A tensor that is a module parameter (``requires_grad=True`` by default).

    Example:
        >>> w = nn.Parameter(torch.zeros(3))
        >>> w.requires_grad
        True
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            array = xp.zeros((0,), dtype=xp.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = xp.asarray(data)
        _init_from(self, array, False)
        if requires_grad:
            self.requires_grad_(True)
        if isinstance(data, Tensor):
            self._version_counter = data._version_counter

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data.copy(), self._rg))


def _rebuild_parameter(array, requires_grad):
    return Parameter(_wrap(array), requires_grad)


def _wrap(array):
    return _new_tensor(array)


class Buffer(Tensor):
    """Marks a tensor to be registered as a module buffer when assigned (``nn.Buffer``)."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True):
        array = (
            data._data
            if isinstance(data, Tensor)
            else xp.asarray(data if data is not None else xp.zeros((0,), dtype=xp.float32))
        )
        _init_from(self, array, False)
        self.persistent = persistent
