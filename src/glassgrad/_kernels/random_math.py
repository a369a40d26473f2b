"""The transcendental functions PyTorch's CPU samplers use, to the bit.

ATen's samplers call the C library's ``log``, ``log1p``, ``sin``, ``cos``, ``tan``, ``exp``
(double) and ``logf``, ``sinf``, ``cosf`` (float), except its AVX2 normal fill, which uses the
Cephes-style polynomials of ``avx_mathfun.h`` in float32 vector arithmetic. NumPy's own SIMD
versions of some differ from the C library in the last bit, so: ``log`` rounds an extended
precision result and asks the C library where that cannot decide (see ``log``), the other
double functions go through Python's ``math`` (the C library) except ``sin`` and ``cos``,
which NumPy computes as the C library does, the float functions are the C library's own, and
the AVX2 polynomials are replayed step by step in float32 (``_avx2_log``, ``_avx2_sincos``).
Each has a plain twin in NumPy that the tests compare it with to float tolerance.
"""

from __future__ import annotations

import functools
import math
import platform

from glassgrad._backend import xp
from glassgrad._kernels.fma import fused_add_
from glassgrad._kernels.simd import capability, fuses_multiply_add

__all__ = ["capability", "exp", "log", "log1p", "normal16", "tan"]


def _libm_double(fn):
    return xp.frompyfunc(fn, 1, 1)


_LOG = _libm_double(math.log)
# glibc's log (0.52 ulp at most) with an x87 extended ``long double`` beside it: ``log`` can
# round the extended result instead of calling the C library per element
_EXTENDED_LOG = platform.libc_ver()[0] == "glibc" and xp.finfo(xp.longdouble).nmant == 63
_MANTISSA64 = xp.uint64((1 << 52) - 1)
_LOG1P = _libm_double(math.log1p)
_EXP = _libm_double(math.exp)
_TAN = _libm_double(math.tan)


def log(x):
    """The C library's ``log`` on a float64 array.

    glibc's ``log`` is within 0.52 ulp of the exact value, so it is the correctly rounded value
    except where that lies within 0.02 ulp of a midpoint between two doubles. Where the
    platform has x87 extended doubles, ``logl`` (64-bit significand) gives the correctly
    rounded value and how near it lies to a midpoint, far faster than a call per element from
    Python; only the elements within 1/32 ulp of a midpoint (about 6%) go to ``math.log``."""
    if not _EXTENDED_LOG or xp.size(x) < 64:
        return _LOG(x).astype(xp.float64)
    x = xp.asarray(x, xp.float64)
    extended = xp.log(x.astype(xp.longdouble))
    out = extended.astype(xp.float64)
    with xp.errstate(invalid="ignore"):  # log of 0, negatives, inf: as C's, kept
        off = xp.abs((extended - out).astype(xp.float64))  # exact; abs is slow on long double
        ulp = xp.abs(xp.spacing(out))
        power_of_two = (out.view(xp.uint64) & _MANTISSA64) == 0  # the ulp below is half
        redo = ((off >= (0.5 - 2.0**-5) * ulp) | power_of_two) & xp.isfinite(out)
    if redo.any():
        out[redo] = _LOG(x[redo]).astype(xp.float64)
    return out


def log1p(x):
    return _LOG1P(x).astype(xp.float64)


def exp(x):
    return _EXP(x).astype(xp.float64)


def tan(x):
    return _TAN(x).astype(xp.float64)


@functools.cache
def _libm():
    """The C library's math functions (None where there is none to load). ctypes is imported
    here: only PyTorch's default-capability float kernel needs it, and it slows import."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("m")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    for fn in ("logf", "sinf", "cosf"):
        getattr(lib, fn).restype = ctypes.c_float
        getattr(lib, fn).argtypes = [ctypes.c_float]
    return lib


def _float_fn(name: str, x):
    """``name`` (``logf``, ``sinf``, ``cosf``) of the float32 array ``x`` from the C library
    itself: its float functions are off by up to 0.82 ulp, too often to predict from the
    double result. Without a loadable C library, the double result rounded."""
    lib = _libm()
    if lib is None:
        fn = {"logf": math.log, "sinf": math.sin, "cosf": math.cos}[name]
        return xp.frompyfunc(fn, 1, 1)(x).astype(xp.float32)
    return xp.frompyfunc(getattr(lib, name), 1, 1)(x).astype(xp.float32)


def normal16(np_dtype):
    """The Box-Muller step of ATen's normal fill on rows of 16 uniforms, for this dtype and
    CPU: float32 uses the AVX2 kernel on AVX2 and AVX-512 machines (PyTorch keeps normal_ off
    its AVX-512 build), the scalar C-library kernel otherwise. All of them end in a fused
    ``value * std + mean``, even PyTorch's default (non-FMA) build (measured)."""
    if xp.dtype(np_dtype) == xp.float64:
        return _normal16_double
    if capability() in ("AVX2", "AVX512"):
        return _normal16_avx2
    return _normal16_float


def muladd(a, b, c):
    """``a * b + c`` as PyTorch's CPU kernel computes it here: fused or rounded twice."""
    if not fuses_multiply_add():
        return a * b + c
    if xp.asarray(a).dtype == xp.float32:
        return fma32(a, b, c)
    return fma64(a, b, c)


def _normal16_double(blocks, mean, std):
    u1 = 1.0 - blocks[:, :8]
    radius = xp.sqrt(-2.0 * log(u1.reshape(-1))).reshape(u1.shape)
    theta = 2.0 * math.pi * blocks[:, 8:]
    out = xp.empty_like(blocks)
    out[:, :8] = _scale(radius * xp.cos(theta), std, mean)
    out[:, 8:] = _scale(radius * xp.sin(theta), std, mean)
    return out


def _normal16_float(blocks, mean, std):
    f32 = xp.float32
    mean, std = f32(mean), f32(std)
    u1 = (f32(1) - blocks[:, :8]).reshape(-1)
    radius = xp.sqrt(f32(-2) * _float_fn("logf", u1))
    theta = (2.0 * math.pi * blocks[:, 8:].reshape(-1).astype(xp.float64)).astype(f32)
    out = xp.empty_like(blocks)
    out[:, :8] = _scale(radius * _float_fn("cosf", theta), std, mean).reshape(-1, 8)
    out[:, 8:] = _scale(radius * _float_fn("sinf", theta), std, mean).reshape(-1, 8)
    return out


def _normal16_avx2(blocks, mean, std):
    f32 = xp.float32
    u1 = f32(1) - blocks[:, :8].reshape(-1)
    u2 = blocks[:, 8:].reshape(-1)
    radius = xp.sqrt(f32(-2) * _avx2_log(u1))
    sin, cos = _avx2_sincos(f32(2.0 * math.pi) * u2)
    out = xp.empty_like(blocks)
    out[:, :8] = _scale(radius * cos, std, mean).reshape(-1, 8)
    out[:, 8:] = _scale(radius * sin, std, mean).reshape(-1, 8)
    return out


def _scale(values, std, mean):
    """The fused ``values * std + mean`` that ends every normal fill, in ``values``' dtype. With
    ``std`` 1 it is the plain sum, rounded once as the fused form is (and -0 + 0 is +0 in
    both: the values are not returned as they are)."""
    kind = values.dtype.type
    if std == 1:
        return values + kind(mean)
    fused = fma64 if values.dtype == xp.float64 else fma32
    return fused(values, kind(std), kind(mean))


def fma32(a, b, c):
    """``a * b + c`` in float32 with one rounding (PyTorch's FMA), for float32 arrays or
    scalars ``a``, ``b``, ``c`` (float64 arrays holding float32 values may stand in for them).

    The kernels' hot path, so leaner than ``fma.fused_add_``: the product of two float32
    values is exact in float64 and the float64 sum rounds once; rounding that to float32 is
    then the fused result except where the float64 sum lands exactly halfway between two
    float32 values or in float32's subnormal range, which are rare and redone by
    ``fused_add_``."""
    wide = xp.multiply(a, b, dtype=xp.float64)
    wide += c
    bits = wide.view(xp.uint64)
    redo = xp.bitwise_and(bits, _LOW29) == _HALF29
    redo |= xp.abs(wide) < _F32_TINY
    out = wide.astype(xp.float32)
    if redo.any():
        shape = out.shape
        pick = [xp.broadcast_to(xp.asarray(v, xp.float32), shape)[redo] for v in (a, b, c)]
        fused_add_(pick[2], pick[0], pick[1])
        out[redo] = pick[2]
    return out


def fma64(a, b, c):
    """``a * b + c`` in float64 with one rounding (``fma.fused_add_``, PyTorch's FMA)."""
    return _fused(a, b, c, xp.float64)


def _fused(a, b, c, dtype):
    a, b, c = (xp.asarray(v, dtype) for v in (a, b, c))
    out = xp.array(xp.broadcast_to(c, xp.broadcast_shapes(a.shape, b.shape, c.shape)))
    fused_add_(out, a, b)
    return out


_LOW29 = xp.uint64((1 << 29) - 1)  # the float64 significand bits a float32 drops
_HALF29 = xp.uint64(1 << 28)  # ... set exactly this way: halfway between two float32
_F32_TINY = float(xp.finfo(xp.float32).tiny)  # below it float32 has fewer significand bits


def _f(value):
    return xp.float32(value)


def _i(array):
    return array.view(xp.int32)


_LOG_P = [
    7.0376836292e-2,
    -1.1514610310e-1,
    1.1676998740e-1,
    -1.2420140846e-1,
    1.4249322787e-1,
    -1.6668057665e-1,
    2.0000714765e-1,
    -2.4999993993e-1,
    3.3333331174e-1,
]


def _avx2_log(x):
    """``log256_ps`` of avx_mathfun.h (Cephes logf), for positive float32 ``x``."""
    x = xp.maximum(x, xp.array(0x00800000, xp.int32).view(xp.float32))
    exponent = (_i(x) >> 23) - 127
    x = ((_i(x) & ~0x7F800000) | _i(_f(0.5))).view(xp.float32)
    e = exponent.astype(xp.float32) + _f(1)
    small = (x < _f(0.707106781186547524)).astype(xp.float32)  # 1 or 0, a SIMD mask's role
    tmp = x * small
    x = x - _f(1)
    e = e - small
    x = x + tmp
    z = x * x
    y = xp.full_like(x, _f(_LOG_P[0]))
    x_wide = x.astype(xp.float64)  # converted once for the eight steps below
    for coef in _LOG_P[1:]:
        y = fma32(y, x_wide, _f(coef))
    y = fma32(y * x, z, e * _f(-2.12194440e-4))
    # the products below are exact in float32 (z * 0.5; a small integer e times a 9-bit
    # constant), so the fused and the plain forms agree and the plain one is used
    y = y - z * _f(0.5)
    return (x + y) + e * _f(0.693359375)


def _avx2_sincos(x):
    """``sincos256_ps`` of avx_mathfun.h (Cephes sinf/cosf) for float32 ``x`` >= 0."""
    j = (x * _f(1.27323954473516)).astype(xp.int32)
    j = (j + 1) & ~1
    y = j.astype(xp.float32)
    sin_sign = (j & 4) << 29
    poly = (j & 2) == 0
    # Cephes' split of pi/4: y (an integer below 16) times the first two parts is exact, so
    # only the third step needs the fused form
    x = x + y * _f(-0.78515625)
    x = x + y * _f(-2.4187564849853515625e-4)
    x = fma32(y, _f(-3.77489497744594108e-8), x)
    cos_sign = (~(j - 2) & 4) << 29
    z = x * x
    c = fma32(_f(2.443315711809948e-5), z, _f(-1.388731625493765e-3))
    c = fma32(c, z, _f(4.166664568298827e-2)) * z
    c = fma32(c, z, -(z * _f(0.5))) + _f(1)
    s = fma32(fma32(_f(-1.9515295891e-4), z, _f(8.3321608736e-3)), z, _f(-1.6666654611e-1))
    s = fma32(s * z, x, x)
    # select by bit masks, as the SIMD code does (and much faster than where on random masks)
    keep = -poly.astype(xp.int32)
    sin = (_i(s) & keep) | (_i(c) & ~keep)
    cos = (_i(c) & keep) | (_i(s) & ~keep)
    return (sin ^ sin_sign).view(xp.float32), (cos ^ cos_sign).view(xp.float32)
