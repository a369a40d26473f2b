"""PyTorch functions that are compositions of existing ops (their gradients come for free).

``meshgrid``, ``tile``, ``movedim``, ``diff`` build the same view / repeat / permute / slice
graph PyTorch builds; ``logit``, ``nan_to_num``, ``addcmul`` and ``addcdiv`` give PyTorch's
values and gradients through a few elementwise ops (so their graph shows those ops).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassgrad import _dtypes
from glassgrad._backend import xp
from glassgrad._warn import warn_at_user_line
from glassgrad.ops import elementwise as E
from glassgrad.ops import indexing
from glassgrad.ops import movement as M
from glassgrad.ops._api import api

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor

__all__ = [
    "addcdiv",
    "addcmul",
    "diff",
    "logit",
    "meshgrid",
    "movedim",
    "nan_to_num",
    "tile",
]


@api(method=False, out=False)
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors ('ij': matrix indexing, 'xy': Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warn_at_user_line(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(
            f"torch.meshgrid: indexing must be one of 'xy' or 'ij', but received: {indexing}"
        )
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D"
            )
    where = list(range(len(tensors)))  # the output dim each input runs along
    if indexing == "xy" and len(tensors) >= 2:
        where[0], where[1] = 1, 0
    shape = [0] * len(tensors)
    for t, d in zip(tensors, where):
        shape[d] = t.numel()
    grids = []
    for t, d in zip(tensors, where):
        view = [1] * len(tensors)
        view[d] = -1
        grids.append(M.expand(M.view(t, *view), *shape))
    return tuple(grids)


@api()
def tile(input: Tensor, dims) -> Tensor:
    """``repeat`` with missing leading dims taken as 1 (on either side)."""
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return M.repeat(input, *dims)


@api("movedim", "moveaxis")
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
            f"the same number of dims as destination ({dst} dims)"
        )
    n = input.ndim
    src = [d % n if n else 0 for d in src]
    dst = [d % n if n else 0 for d in dst]
    rest = iter(d for d in range(n) if d not in src)
    placed = dict(zip(dst, src))
    order = [placed[i] if i in placed else next(rest) for i in range(n)]
    return M.permute(input, *order)


@api()
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """n-th forward difference along ``dim`` (booleans give ``!=``, as in PyTorch)."""
    parts = [t for t in (prepend, input, append) if t is not None]
    x = M.cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = x.shape[dim] - 1
        if length <= 0:
            return indexing.narrow(x, dim, 0, 0)
        hi, lo = indexing.narrow(x, dim, 1, length), indexing.narrow(x, dim, 0, length)
        x = E.compare(xp.not_equal, hi, lo) if x.dtype is _dtypes.bool_ else hi - lo
    return x


@api()
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when ``eps`` is given."""
    p = input if input.is_floating_point() else input.to(_dtypes.DEFAULTS.float_dtype)
    if eps is not None:
        p = p.clamp(eps, 1 - eps)
    return (p / (1 - p)).log()


@api()
def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (default: the dtype's extremes)."""
    if not input.is_floating_point():
        return input.clone()
    info = _dtypes.finfo(input.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = E.where(input.isnan(), float(nan), input)
    out = E.where(input == float("inf"), float(posinf), out)
    return E.where(input == float("-inf"), float(neginf), out)


@api()
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    return input + (tensor1 * value if value != 1 else tensor1) * tensor2


@api()
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    return input + (tensor1 * value if value != 1 else tensor1) / tensor2
