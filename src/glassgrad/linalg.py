"""``torch.linalg``: norms, inverse and determinant.

Example:
    >>> import glassgrad as torch
    >>> torch.linalg.vector_norm(torch.tensor([3.0, 4.0]))
    tensor(5.)
"""

from __future__ import annotations

from glassgrad import _dtypes
from glassgrad._tensor import Tensor
from glassgrad.ops import linalg as _L
from glassgrad.ops import reduce as _R

__all__ = ["det", "inv", "matrix_norm", "norm", "solve", "vector_norm"]

_INF = float("inf")


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The ``ord``-norm of ``x`` seen as a vector (over ``dim``, or all elements)."""
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        x = x.to(_dtypes.to_dtype(dtype))
    _R._float_only(x, "linalg.vector_norm")
    return _R.Norm.apply(x, p=float(ord), dims=_R.norm_dims(dim, x.ndim), keepdim=keepdim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """Frobenius ('fro'), 1, -1, inf or -inf norm of the matrices in the last two dims."""
    if A.ndim < 2:
        raise RuntimeError(
            f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions (got shape "
            f"{list(A.shape)})"
        )
    if dtype is not None:
        A = A.to(_dtypes.to_dtype(dtype))
    rows, cols = _R.norm_dims(dim[0], A.ndim)[0], _R.norm_dims(dim[1], A.ndim)[0]
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({rows}, {cols})")
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, _INF, -_INF):
        # 1: the largest column sum of |A|; inf: the largest row sum; negative: smallest.
        summed, picked = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(summed, keepdim=keepdim)
        if not keepdim and picked > summed:
            picked -= 1
        return sums.amax(picked, keepdim=keepdim) if ord > 0 else sums.amin(picked, keepdim)
    raise NotImplementedError(
        f"linalg.matrix_norm: ord={ord!r} is not supported by glassgrad yet; use 'fro', 1, -1, "
        "inf or -inf"
    )


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm for 1-D input or an int ``dim``, a matrix norm for 2-D input or 2 dims."""
    if dim is not None and not isinstance(dim, int) and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None and ord is not None:
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        if A.ndim != 1:
            raise RuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                f"Got {A.ndim}D."
            )
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: ord={ord!r} needs a matrix (2-D input or two dims)")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def inv(A: Tensor) -> Tensor:
    """The inverse of a square matrix (or of each in a batch)."""
    return _L.inverse(A)


def det(A: Tensor) -> Tensor:
    """The determinant of a square matrix (or of each in a batch)."""
    return _L.det(A)


def solve(A: Tensor, B: Tensor) -> Tensor:
    """X with A @ X = B, for square A (B a vector or a matrix of right-hand sides)."""
    return _L.solve(A, B)
