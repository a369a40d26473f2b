"""The transcendental functions PyTorch's CPU samplers use, to the bit.

ATen's samplers call the C library's ``log``, ``log1p``, ``sin``, ``cos``, ``tan``, ``exp``
(double) and ``logf``, ``sinf``, ``cosf`` (float), except its AVX2 normal fill, which uses the
Cephes-style polynomials of ``avx_mathfun.h`` in float32 vector arithmetic. NumPy's own SIMD
versions of some differ from the C library in the last bit, so: ``log`` rounds a double-double
result and asks the C library where that cannot decide (see ``log``), the other
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
# glibc's log is within 0.52 ulp: ``log`` can round a more precise value instead of calling the
# C library per element (other C libraries promise less, so they are called per element)
_GLIBC = platform.libc_ver()[0] == "glibc"
_LOG1P = _libm_double(math.log1p)
_EXP = _libm_double(math.exp)
_TAN = _libm_double(math.tan)
_LOG_CHUNK = 16384  # float64 temporaries that stay in cache


def log(x):
    """The C library's ``log`` on a float64 array.

    glibc's ``log`` is within 0.52 ulp of the exact value, so it is the correctly rounded value
    except where that lies within 0.02 ulp of a midpoint between two doubles. ``_log_parts``
    gives the logarithm to about 2**-60 relative (0.005 ulp), so its rounded value is glibc's
    wherever it lies more than 1/32 ulp from a midpoint; the others (about 6%), the results
    that are powers of two (the ulp below them is half) and the subnormal inputs go to
    ``math.log``. Zero, negative, infinite and NaN inputs give NumPy's -inf, NaN, inf, NaN, as
    C's ``log`` does."""
    if not _GLIBC or xp.size(x) < 64:
        return _LOG(x).astype(xp.float64)
    x = xp.asarray(x, xp.float64)
    flat = x.reshape(-1)
    out = xp.empty_like(flat)
    redo = xp.empty(flat.shape, bool)
    with xp.errstate(all="ignore"):  # the inputs outside the normal range are replaced below
        for start in range(0, flat.size, _LOG_CHUNK):
            part = slice(start, start + _LOG_CHUNK)
            out[part], redo[part] = _log_rounded(flat[part])
    normal = (flat >= _TINY64) & (flat <= _HUGE64)
    if not normal.all():
        with xp.errstate(divide="ignore", invalid="ignore"):
            out[~normal] = xp.log(flat[~normal])
        redo = (redo & normal) | ((flat > 0) & (flat < _TINY64))
    if redo.any():
        out[redo] = _LOG(flat[redo]).astype(xp.float64)
    return out.reshape(x.shape)


_TINY64 = float(xp.finfo(xp.float64).tiny)
_HUGE64 = float(xp.finfo(xp.float64).max)
_EXPONENT64 = 0x7FF << 52
_MANTISSA64 = (1 << 52) - 1


def _log_rounded(x):
    """``log(x)`` rounded to float64 for positive normal ``x``, and where that may not be
    glibc's: within 1/32 ulp of a midpoint, or a power of two."""
    y, rest = _log_parts(x)
    bits = y.view(xp.int64)
    ulp = ((bits & _EXPONENT64) - (52 << 52)).view(xp.float64)
    xp.abs(rest, out=rest)
    near = rest >= (0.5 - 2.0**-5) * ulp
    near |= (bits & _MANTISSA64) == 0
    return y, near


_LOG_OFFSET = 0x3FE6955500000000  # about 0.7: x = 2**k * z with z in [0.7, 1.4)
_LOG_TABLE_BITS = 7
_LOG_SHIFT = 52 - _LOG_TABLE_BITS
_LOG1P_TAYLOR = [-1 / 2, 1 / 3, -1 / 4, 1 / 5, -1 / 6, 1 / 7, -1 / 8]


def _log_parts(x):
    """``log(x)`` as a rounded float64 and the rest (their sum within 2**-60 relative), for
    positive normal ``x``, in double-double arithmetic that float64 does exactly.

    x = 2**k * z with z in [0.7, 1.4); z = c * (1 + t) for the table's c nearest z (10 bits,
    1 itself around 1) and |t| < 2**-7.5; log x = k log 2 + log c + log1p(t). z - c is exact;
    t = (z - c) / c splits into 43 high bits ``th`` (``th * c`` exact, so the remainder is
    too) and a low part; log 2 and log c are stored as multiples of 2**-42 (k log2_hi + log
    c_hi exact) plus their rest, and log1p(t) = th + log1p's Taylor terms to t**8 +
    tl / (1 + th)."""
    c, inv_c, log_c_hi, log_c_lo, log2_hi, log2_lo = _log_table()
    bits = x.view(xp.int64)
    offset = bits - _LOG_OFFSET
    k = offset >> 52
    index = (offset >> _LOG_SHIFT) & ((1 << _LOG_TABLE_BITS) - 1)
    z = (bits - (k << 52)).view(xp.float64)
    center, inverse = c.take(index), inv_c.take(index)
    z -= center  # exact
    t = z * inverse
    t_hi = (t.view(xp.int64) & ~0x3FF).view(xp.float64)
    center *= t_hi
    z -= center  # (z - c) - t_hi * c, exact
    z *= inverse  # the low part of t
    kf = k.astype(xp.float64)
    head = kf * log2_hi
    head += log_c_hi.take(index)  # exact
    y = head + t_hi
    rest = _sum_error(head, t_hi, y)
    kf *= log2_lo
    kf += log_c_lo.take(index)
    rest += kf
    taylor = t_hi * _LOG1P_TAYLOR[-1]
    for coef in _LOG1P_TAYLOR[-2::-1]:
        taylor += coef
        taylor *= t_hi
    taylor *= t_hi
    rest += taylor
    z /= t_hi + 1.0
    rest += z
    total = y + rest
    y -= total  # exact: the sum moved y by at most an ulp
    rest += y
    return total, rest


@functools.cache
def _log_table():
    """The table of ``_log_parts``: for each of its 128 intervals of z, c, 1 / c, log c split
    into a multiple of 2**-42 and the rest, and log 2 split the same way (from ``decimal``'s
    logarithm to 50 digits). ``decimal`` is imported here: only float64 normals need it."""
    from decimal import Context, Decimal

    context = Context(prec=50)
    size = 1 << _LOG_TABLE_BITS
    starts = _LOG_OFFSET + (xp.arange(size + 1, dtype=xp.int64) << _LOG_SHIFT)
    bounds = starts.view(xp.float64)
    c = xp.empty(size)
    for i in range(size):
        low, high = float(bounds[i]), float(bounds[i + 1])
        if low <= 1.0 < high:
            c[i] = 1.0
        else:
            mantissa, exponent = math.frexp((low + high) / 2)
            c[i] = math.ldexp(round(mantissa * 2**10), exponent - 10)
    log_c = [_split_log(Decimal(float(v)).ln(context)) for v in c]
    log2 = _split_log(Decimal(2).ln(context))
    return c, 1.0 / c, xp.array([h for h, _ in log_c]), xp.array([lo for _, lo in log_c]), *log2


def _split_log(value):
    """A ``decimal`` value as a float64 multiple of 2**-42 (a product with an exponent of at
    most 11 bits stays exact) and the float64 nearest the rest."""
    high = round(value * 2**42) / 2**42  # exact: an integer below 2**53 over a power of two
    return high, float(value - type(value)(high))


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
    u1, u2 = _halves(blocks)
    radius = log(xp.subtract(1.0, u1, out=u1))
    radius *= -2.0
    xp.sqrt(radius, out=radius)
    u2 *= 2.0 * math.pi
    return _joined(_scale(radius * xp.cos(u2), std, mean), _scale(radius * xp.sin(u2), std, mean))


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
    u1, u2 = _halves(blocks)
    radius = _avx2_log(xp.subtract(f32(1), u1, out=u1))
    radius *= f32(-2)
    xp.sqrt(radius, out=radius)
    u2 *= f32(2.0 * math.pi)
    sin, cos = _avx2_sincos(u2)
    cos *= radius
    sin *= radius
    return _joined(_scale(cos, std, mean), _scale(sin, std, mean))


def _halves(blocks):
    """Copies of the first and the last 8 values of each row of 16 (the u1 and u2 lanes), each
    contiguous. Copied as one 8-value item per half row: twice as fast as NumPy's copies of
    (rows, 8) slices."""
    lanes = blocks.view(xp.dtype((xp.void, 8 * blocks.itemsize)))
    return lanes[:, 0].copy().view(blocks.dtype), lanes[:, 1].copy().view(blocks.dtype)


def _joined(first, last):
    """Rows of 16: the 8-value groups of ``first`` then those of ``last`` (``_halves``' inverse)."""
    out = xp.empty((first.size // 8, 16), first.dtype)
    lanes = out.view(xp.dtype((xp.void, 8 * out.itemsize)))
    lanes[:, 0] = first.view(lanes.dtype)
    lanes[:, 1] = last.view(lanes.dtype)
    return out


def _scale(values, std, mean):
    """The fused ``values * std + mean`` that ends every normal fill, in ``values``' dtype (in
    place where it can: ``values`` is a temporary). With ``std`` 1 it is the plain sum, rounded
    once as the fused form is (and -0 + 0 is +0 in both: the values are not returned as they
    are)."""
    kind = values.dtype.type
    if std == 1:
        values += kind(mean)
        return values
    fused = fma64 if values.dtype == xp.float64 else fma32
    return fused(values, kind(std), kind(mean))


def fma32(a, b, c):
    """``a * b + c`` in float32 with one rounding (PyTorch's FMA), for float32 arrays or
    scalars ``a``, ``b``, ``c`` (float64 arrays holding float32 values may stand in for them).

    The kernels' hot path, so leaner than ``fma.fused_add_``: the product of two float32
    values is exact in float64 and the float64 sum rounds once; rounding that to float32 is
    then the fused result except where the float64 sum was inexact and landed exactly halfway
    between two float32 values or in float32's subnormal range. Those are rare and redone by
    ``fused_add_``; an exact sum halfway (common when ``b`` has few bits, as a std of 2.5) is
    a true tie and rounds right as it is."""
    product = xp.multiply(a, b, dtype=xp.float64)
    wide = product + c
    bits = wide.view(xp.uint64)
    redo = xp.bitwise_and(bits, _LOW29) == _HALF29
    redo |= xp.abs(wide) < _F32_TINY
    out = wide.astype(xp.float32)
    if redo.any():
        redo &= _sum_error(product, c, wide) != 0
    if redo.any():
        shape = out.shape
        pick = [xp.broadcast_to(xp.asarray(v, xp.float32), shape)[redo] for v in (a, b, c)]
        fused_add_(pick[2], pick[0], pick[1])
        out[redo] = pick[2]
    return out


def _sum_error(p, c, total):
    """``p + c - total`` exactly, for ``total`` the rounded sum ``p + c`` (Knuth's TwoSum)."""
    p_part = total - c
    c_part = total - p_part
    return (p - p_part) + (c - c_part)


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


_F32 = xp.float32
_I32 = xp.int32
_LOG_P = [
    float(_F32(c))  # the float32 constants, kept as the float64 sums below add them
    for c in (
        7.0376836292e-2,
        -1.1514610310e-1,
        1.1676998740e-1,
        -1.2420140846e-1,
        1.4249322787e-1,
        -1.6668057665e-1,
        2.0000714765e-1,
        -2.4999993993e-1,
        3.3333331174e-1,
    )
]
_SQRT_HALF_BITS = int(xp.array(0.707106781186547524, _F32).view(_I32))


def _fused_steps(y, x_wide, coefs, wide):
    """``y = y * x + c`` in place for each ``c`` in turn, each step fused as the SIMD code's FMA,
    for float32 ``y`` and the float32 ``x`` held in float64 (``wide``: a float64 buffer).

    The product of two float32 values is exact in float64; the float64 sum rounded to float32
    is the fused result unless the first rounding lands exactly halfway between two float32
    values or in float32's subnormal range, the cases ``fma32`` checks for. The polynomials
    below meet neither on any input the normal fill can give them (tests/test_random.py runs
    all 2**24), so the checks are left out: they cost more than the arithmetic."""
    y_wide = y.astype(xp.float64)  # float64 products: faster than NumPy's mixed-type ones
    for c in coefs:
        xp.multiply(y_wide, x_wide, out=wide)
        wide += c
        xp.copyto(y, wide, casting="same_kind")
        xp.copyto(y_wide, y)
    return y


def _avx2_log(u):
    """``log256_ps`` of avx_mathfun.h (Cephes logf) for the normal fill's ``1 - u``, float32.

    Cephes splits off the exponent and scales the mantissa into [sqrt(1/2), sqrt(2)) by masking
    and a compare; subtracting sqrt(1/2)'s bits and shifting gives the same exponent and
    mantissa in fewer steps (exactly, for any positive normal float)."""
    bits = u.view(_I32)
    shift = bits - _SQRT_HALF_BITS
    shift >>= 23  # the exponent e with u / 2**e in [sqrt(1/2), sqrt(2))
    e = shift.astype(_F32)
    shift <<= 23
    x = xp.subtract(bits, shift, out=shift).view(_F32)
    x -= _F32(1)  # exact: the mantissa is within a factor 2 of 1
    z = x * x
    x_wide = x.astype(xp.float64)
    wide = x_wide * _LOG_P[0]
    wide += _LOG_P[1]
    y = _fused_steps(wide.astype(_F32), x_wide, _LOG_P[2:], wide)
    y *= x
    xp.multiply(y, z, out=wide, dtype=xp.float64)
    wide += e * _F32(-2.12194440e-4)
    xp.copyto(y, wide, casting="same_kind")
    # z * 0.5 and e (a small integer) times a 9-bit constant are exact in float32, so the fused
    # and plain forms of the last two steps agree and the plain ones are used
    z *= _F32(0.5)
    y -= z
    y += x
    e *= _F32(0.693359375)
    y += e
    return y


_SIN_P = [float(_F32(c)) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS_P = [
    float(_F32(c)) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)
]
_PI4_C = float(_F32(-3.77489497744594108e-8))  # the third part of Cephes' split of pi/4


def _avx2_sincos(x):
    """``sincos256_ps`` of avx_mathfun.h (Cephes sinf/cosf) for the normal fill's angles
    ``2 pi u``, float32. Returns (sin, cos)."""
    j = (x * _F32(1.27323954473516)).astype(_I32)
    j += 1
    j &= ~1  # the octant, rounded up to even: 0, 2, 4, 6 or 8
    y = j.astype(_F32)
    # y (an integer below 16) times the first two parts of pi/4 is exact in float32
    x = x + y * _F32(-0.78515625)
    x += y * _F32(-2.4187564849853515625e-4)
    wide = y.astype(xp.float64)
    wide *= _PI4_C
    wide += x
    xp.copyto(x, wide, casting="same_kind")
    z = x * x
    z_wide = z.astype(xp.float64)
    xp.multiply(z_wide, _COS_P[0], out=wide)
    wide += _COS_P[1]
    c = _fused_steps(wide.astype(_F32), z_wide, _COS_P[2:], wide)
    c *= z
    xp.multiply(c, z_wide, out=wide)
    wide -= z * _F32(0.5)
    xp.copyto(c, wide, casting="same_kind")
    c += _F32(1)
    xp.multiply(z_wide, _SIN_P[0], out=wide)
    wide += _SIN_P[1]
    s = _fused_steps(wide.astype(_F32), z_wide, _SIN_P[2:], wide)
    s *= z
    xp.multiply(s, x, out=wide, dtype=xp.float64)
    wide += x
    xp.copyto(s, wide, casting="same_kind")
    return _octant_signs(s, c, j)


def _octant_signs(s, c, j):
    """sin and cos from the polynomials ``s``, ``c`` of the reduced angle and its octant ``j``:
    swapped where bit 1 of ``j`` is set, negated by bit 2 (of ``j`` for sin, of ``j - 2`` for
    cos). Bit operations, as the SIMD code's masks (much faster than ``where`` on random masks).
    """
    s_bits, c_bits = s.view(_I32), c.view(_I32)
    swap = j & 2
    swap >>= 1
    swap -= 1  # all ones where the polynomials stay, zero where they swap
    differ = s_bits ^ c_bits
    differ &= swap
    sin = j & 4
    sin <<= 29
    sin ^= c_bits
    sin ^= differ
    j -= 2
    cos = xp.invert(j, out=j)
    cos &= 4
    cos <<= 29
    cos ^= s_bits
    cos ^= differ
    return sin.view(_F32), cos.view(_F32)
