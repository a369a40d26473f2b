"""How an op becomes public: ``Tensor.<name>`` methods and ``glassgrad.<name>`` functions.

An op declares its public names once, next to its code::

    @api("sum")                      # x.sum(...) and torch.sum(..., out=None)
    def sum(input, dim=None, keepdim=False, *, dtype=None): ...

    @api("view", function=False)     # only x.view(...)
    @api("where", method=False)      # only torch.where(...)
    @api("T", prop=True)             # the property x.T

``tools/gen_api.py`` turns the declarations into source that a reader (and a type checker)
can follow: the methods in ``Tensor``'s class body (``glassgrad/_tensor.py``), the functions in
``glassgrad/_functions.py`` and their imports in ``glassgrad/__init__.py``.
``tests/test_architecture.py`` fails when the generated source and the declarations disagree.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from glassgrad import _dtypes
from glassgrad._tensor_base import TensorBase
from glassgrad.autograd.grad_mode import is_grad_enabled

__all__ = ["DECLARED", "Declaration", "api", "dim_or_axis", "write_out"]


@dataclass(frozen=True)
class Declaration:
    """``fn`` exposed under ``names``: as Tensor methods (``method``) or a property
    (``prop``), and as ``glassgrad`` functions (``function``), taking ``out=`` if ``out``."""

    fn: Callable
    names: tuple
    method: bool
    function: bool
    prop: bool
    out: bool


DECLARED: list[Declaration] = []


def api(*names: str, method=True, function=True, prop=False, out=True):
    """Declare the decorated op function public under ``names`` (default: its own name)."""

    def declare(fn):
        DECLARED.append(
            Declaration(fn, names or (fn.__name__,), method and not prop, function, prop, out)
        )
        return fn

    return declare


def dim_or_axis(dim, axis, name: str):
    """NumPy's ``axis=`` as an alias of ``dim=``, which every PyTorch function accepts."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{name}() got both 'dim' and its alias 'axis'")
    return axis


def write_out(name: str, out: Any, fn: Callable, *args, **kwargs):
    """``torch.<name>(..., out=t)``: compute ``fn``, then write the result into ``out``.

    As PyTorch: refused when autograd would need the result, an ``out`` of another shape is
    resized (with a warning unless it was empty), and a dtype that cannot hold the result
    is an error.
    """
    tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, TensorBase)]
    if args and isinstance(args[0], (list, tuple)):
        tensors += [a for a in args[0] if isinstance(a, TensorBase)]
    if is_grad_enabled() and [t for t in (*tensors, out) if t.requires_grad]:
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    result: Any = fn(*args, **kwargs)
    if not isinstance(result, TensorBase) or not isinstance(out, TensorBase):
        raise TypeError(f"{name}(): out= takes one tensor here, got {type(out).__name__}")
    wanted, given = (_dtypes.from_numpy_dtype(t._data.dtype) for t in (result, out))
    if _dtypes.promote(wanted, given) is not given:
        names = _dtypes.SCALAR_TYPE_NAMES
        raise RuntimeError(
            f"result type {names[wanted.name]} can't be cast to the desired "
            f"output type {names[given.name]}"
        )
    if out._data.shape != result._data.shape:
        if out._data.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out._data.shape)}, which does not match the required output shape "
                f"{list(result._data.shape)}.",
                UserWarning,
                stacklevel=3,
            )
        out._data = result._data.astype(out._data.dtype)
    else:
        out._data[...] = result._data
    out._version_counter[0] += 1
    return out
