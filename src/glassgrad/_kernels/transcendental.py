"""Elementwise exp, log, tanh, ... of float32 rounded as PyTorch's CPU kernels round them.

PyTorch's CPU exp, tanh, log, ... are almost always correctly rounded; NumPy's float32 SIMD
versions are off by one unit in the last place for many inputs, which shows in printed values.
Computing in float64 and rounding once matches PyTorch far more often. The plain twins are the
NumPy ufuncs themselves.
"""

from __future__ import annotations

from glassgrad._backend import xp

__all__ = ["cos", "exp", "expm1", "log", "log1p", "sin", "tanh"]


def _rounded_once(fn, doc: str):
    """The kernel ``fn(a)``: computed in float64 and rounded once for a float32/float16 array
    (one call: these sit on the hot path of every forward)."""

    def kernel(a):
        if a.dtype.kind == "f" and a.dtype.itemsize < 8:
            return fn(a.astype(xp.float64)).astype(a.dtype)
        return fn(a)

    kernel.__name__ = kernel.__qualname__ = fn.__name__
    kernel.__doc__ = doc + ", rounded once as PyTorch's CPU kernel rounds it."
    return kernel


exp = _rounded_once(xp.exp, "e ** a")
log = _rounded_once(xp.log, "Natural logarithm")
log1p = _rounded_once(xp.log1p, "log(1 + a)")
expm1 = _rounded_once(xp.expm1, "e ** a - 1")
sin = _rounded_once(xp.sin, "Sine")
cos = _rounded_once(xp.cos, "Cosine")
tanh = _rounded_once(xp.tanh, "Hyperbolic tangent")
