"""The storage every tensor has, below the ops: fields, the fast constructor, nothing else.

Layers point one way: the ops (``glassgrad.ops``) make tensors, and ``Tensor``'s methods
(``glassgrad._tensor``) call the ops. So the ops cannot import ``Tensor``. They make and
recognise tensors through this module instead: ``TensorBase`` holds the fields (PyTorch has
the same split, ``torch._C.TensorBase`` under ``torch.Tensor``), and ``new_tensor`` builds
instances of the class ``glassgrad._tensor`` registers with ``use_tensor_class`` when it is
imported, which ``import glassgrad`` does before anything can make a tensor.
"""

from __future__ import annotations

from typing import Any

from glassgrad._backend import ndarray
from glassgrad._dtypes import from_numpy_dtype

__all__ = ["TensorBase", "_new_tensor", "use_tensor_class"]


class TensorBase:
    """The fields of a tensor: its array and its place in the autograd graph.

    ``_data`` the ndarray; ``_rg`` requires_grad; ``grad_fn`` the node that made it (None for
    a leaf); ``_grad`` its gradient; ``_version_counter`` in-place changes, shared with its
    views; ``_out_idx`` which output of ``grad_fn`` it is; ``_accum`` a leaf's gradient
    accumulator node; ``_extra`` rarely used state (hooks, retains_grad).

    (Its metaclass is plain ``type``, so that the ops' ``isinstance(x, TensorBase)`` takes
    CPython's fast path: no ``__instancecheck__`` lookup.)
    """

    __slots__ = (
        "__weakref__",
        "_accum",
        "_data",
        "_extra",
        "_grad",
        "_out_idx",
        "_rg",
        "_version_counter",
        "grad_fn",
    )
    _data: ndarray
    _rg: bool
    grad_fn: Any
    _grad: Any
    _version_counter: list[int]
    _out_idx: int
    _accum: Any
    _extra: dict | None

    # NumPy must hand mixed expressions (ndarray * Tensor) over to the Tensor.
    __array_priority__ = 1000
    __array_ufunc__ = None

    def _extras(self) -> dict:
        if self._extra is None:
            self._extra = {}
        return self._extra


_tensor_class: type = TensorBase


def use_tensor_class(cls: type) -> None:
    """Make ``_new_tensor`` build ``cls`` (``glassgrad._tensor.Tensor`` registers itself)."""
    global _tensor_class
    _tensor_class = cls


def _new_tensor(array: ndarray, grad_fn=None):
    """Wrap an array without copying; the fast constructor every op uses (with the node that
    made it, for an op's recorded output)."""
    t: Any = object.__new__(_tensor_class)
    t._data = array
    t._rg = grad_fn is not None
    t.grad_fn = grad_fn
    t._grad = None
    t._version_counter = [0]
    t._out_idx = 0
    t._accum = None
    t._extra = None
    return t


def _init_from(t: TensorBase, array: ndarray, requires_grad: bool) -> None:
    """Fill a freshly allocated tensor's fields: a leaf holding ``array``."""
    t._data = array
    t._rg = False
    t.grad_fn = None
    t._grad = None
    t._version_counter = [0]
    t._out_idx = 0
    t._accum = None
    t._extra = None
    if requires_grad:
        _check_can_require_grad(array)
        t._rg = True


def _check_can_require_grad(array: ndarray) -> None:
    if array.dtype.kind != "f":
        raise RuntimeError(
            "Only Tensors of floating point and complex dtype can require gradients "
            f"(got dtype {from_numpy_dtype(array.dtype)!r}); convert first, e.g. x.float()."
        )
