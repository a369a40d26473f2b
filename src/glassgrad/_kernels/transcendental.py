"""Elementwise exp, log, tanh, ... of float32 rounded as PyTorch's CPU kernels round them.

PyTorch's CPU exp, tanh, log, ... are almost always correctly rounded; NumPy's float32 SIMD
versions are off by one unit in the last place for many inputs, which shows in printed values.
Computing in float64 and rounding once matches PyTorch far more often. The plain twins are the
NumPy ufuncs themselves.
"""

from __future__ import annotations

from glassgrad._backend import xp

__all__ = ["exp", "log", "log1p", "expm1", "sin", "cos", "tanh"]


def _rounded_once(fn, a):
    """``fn(a)``, computed in float64 and rounded once for a float32/float16 array."""
    if a.dtype.kind == "f" and a.dtype.itemsize < 8:
        return fn(a.astype(xp.float64)).astype(a.dtype)
    return fn(a)


def exp(a):
    """e ** a, rounded once."""
    return _rounded_once(xp.exp, a)


def log(a):
    """Natural logarithm, rounded once."""
    return _rounded_once(xp.log, a)


def log1p(a):
    """log(1 + a), rounded once."""
    return _rounded_once(xp.log1p, a)


def expm1(a):
    """e ** a - 1, rounded once."""
    return _rounded_once(xp.expm1, a)


def sin(a):
    """Sine, rounded once."""
    return _rounded_once(xp.sin, a)


def cos(a):
    """Cosine, rounded once."""
    return _rounded_once(xp.cos, a)


def tanh(a):
    """Hyperbolic tangent, rounded once."""
    return _rounded_once(xp.tanh, a)
