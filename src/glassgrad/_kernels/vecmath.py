"""exp and log of float32 as PyTorch's vectorised CPU kernels compute them, bit for bit.

PyTorch's softmax kernels call ``at::vec::Vectorized<float>::exp()`` and ``log()``. Their AVX2
and AVX-512 builds are SLEEF's ``expf`` and ``logf`` (the 1-ULP versions, ``u10``), which are
not correctly rounded: at inputs of a few units ``exp`` is off by one unit in the last place
for several percent of them. The portable DEFAULT build, and the element-at-a-time tails of the
kernels, call ``std::exp``: glibc's ``expf``, nearly but not always correctly rounded. So:

- ``sleef_expf``, ``sleef_logf``: SLEEF's algorithms replayed with NumPy. Every
  ``fma`` of SLEEF's FMA builds is rounded once (``fma.fused_multiply_add32``), every other
  operation is a float32 one, as in SLEEF.
- ``glibc_expf``: glibc's float ``exp`` (a 32-entry table of powers of two and a cubic, in
  float64, rounded once to float32).
- ``vec_exp``, ``vec_log``, ``scalar_exp``: what PyTorch's build on this machine computes
  (``simd.capability``); float64 and other platforms get the rounded-once functions of
  ``transcendental``. glibc's ``logf`` (the DEFAULT build's ``log``) is not replayed: it is
  correctly rounded for most inputs, and ``transcendental.log`` stands in for it.

The plain twins are NumPy's ``exp`` and ``log``.
"""

from __future__ import annotations

import functools
import platform
import sys
from decimal import Decimal, localcontext

from glassgrad._backend import xp
from glassgrad._kernels import transcendental
from glassgrad._kernels.fma import fused_multiply_add32 as _fma
from glassgrad._kernels.simd import capability

__all__ = ["glibc_expf", "scalar_exp", "sleef_expf", "sleef_logf", "vec_exp", "vec_log"]

_F32, _F64 = xp.float32, xp.float64
_FLOAT32 = xp.dtype(xp.float32)

# SLEEF's expf: x = q ln2 + s with ln2 split in two (the upper part has few bits, so q * it
# is exact), then a degree-6 polynomial for exp(s), evaluated with fused multiply-adds.
_R_LN2 = _F32(1.442695040888963407359924681001892137426645954152985934135449406931)
_L2U = _F32(0.693145751953125)
_L2L = _F32(1.428606765330187045e-06)
_EXP_POLY = [
    _F32(v)
    for v in (
        0.000198527617612853646278381,
        0.00139304355252534151077271,
        0.00833336077630519866943359,
        0.0416664853692054748535156,
        0.166666671633720397949219,
        0.5,
    )
]
# SLEEF's logf_u1: log(m) for m in [0.75, 1.5) from x = (m - 1) / (m + 1) in double-float
# (pairs of float32), plus e * ln2 with ln2 as a pair.
_LN2_PAIR = (_F32(0.69314718246459960938), _F32(-1.904654323148236017e-09))
_LOG_POLY = [_F32(0.3027294874), _F32(0.3996108174), _F32(0.6666694880)]


class _Fused:
    """Fused multiply-adds for one evaluation on ``size`` elements, the fast way: a float64
    product (exact for float32 operands) and sum, rounded to float32. That rounds twice only
    where an inexact float64 sum lands on a float32 midpoint; ``rounded_once`` looks for such
    sums afterwards (all kept in one block), and callers redo that rare evaluation with
    ``fma``. (Rounding into float32's subnormal range, the other way to round twice, does not
    happen here: exp's steps are that small only when its reduced argument s is, and then
    s * s is 0 and the step exact; log's stay above 2**-72.)"""

    _STEPS = 8  # the most fused steps an evaluation here checks

    def __init__(self, size: int):
        self.block = xp.empty((self._STEPS, size))
        self.steps = []

    def __call__(self, a, b, c):
        total = xp.multiply(a, b, dtype=_F64, out=self.block[len(self.steps)])
        total += c
        self.steps.append((a, b, c))
        return total.astype(_F32)

    def rounded_once(self) -> bool:
        sums = self.block[: len(self.steps)]
        suspect = (sums.view(xp.uint64) & _LOW29) == _HALF29
        if not suspect.any():
            return True
        for (a, b, c), total, where in zip(self.steps, sums, suspect):
            where = xp.flatnonzero(where)  # a suspect sum is harmless when it is exact
            if where.size and not _exact_sums(a, b, c, total, where):
                return False
        return True


def _exact_sums(a, b, c, total, where) -> bool:
    """Whether the float64 ``a * b + c`` at flat positions ``where`` of ``total`` were exact
    (Knuth's TwoSum leaves no error)."""
    pick = [xp.broadcast_to(xp.asarray(v, _F64), total.shape).reshape(-1)[where] for v in (a, b, c)]
    product, addend, got = pick[0] * pick[1], pick[2], total.reshape(-1)[where]
    back = got - product
    error = (product - (got - back)) + (addend - back)
    return not error.any()


_LOW29 = xp.uint64((1 << 29) - 1)  # the float64 significand bits a float32 drops
_HALF29 = xp.uint64(1 << 28)  # ... set exactly this way: halfway between two float32


def _exact_fma(a, b, c):
    """``a * b + c`` rounded once to float32 where the float64 sum is exact (shown at each
    call): then one rounding of it is the fused result."""
    total = xp.multiply(a, b, dtype=_F64)
    total += c
    return total.astype(_F32)


def _fast_or_exact(evaluate, a):
    """``evaluate(a, fma)`` with the fast fused multiply-adds, redone with ``fma`` where one
    of them rounded twice."""
    flat = a.reshape(-1)
    fast = _Fused(flat.size)
    out = evaluate(flat, fast)
    return (out if fast.rounded_once() else evaluate(flat, _fma)).reshape(a.shape)


def sleef_expf(a):
    """SLEEF's ``expf_u10`` (FMA build) of a float32 array: 0 below -104, inf above 100."""
    a = xp.asarray(a, _F32)
    if a.ndim == 0:
        return sleef_expf(a.reshape(1)).reshape(())
    if not a.size:
        return a.copy()
    low, high = a.min(), a.max()  # (NaN if any is)
    if low >= -104 and high <= 100:
        return _fast_or_exact(_expf, a)
    finite = xp.where(xp.isfinite(a), a, 0)
    with xp.errstate(invalid="ignore"):
        out = _fast_or_exact(_expf, finite)
    out[a < -104] = 0
    out[a > 100] = xp.inf
    nan = xp.isnan(a)
    out[nan] = a[nan]
    return out


def _expf(a, fma):
    """SLEEF's expf of finite ``a`` with ``fma`` for its fused multiply-adds."""
    with xp.errstate(over="ignore", under="ignore"):
        q = xp.rint(a * _R_LN2)  # the float32 product, rounded to the nearest even integer
        # exact in float64: |q| <= 150 and _L2U has 16 bits, so q * _L2U is a float32 and the
        # difference a multiple of 2**-25 below 1; then q * _L2L has bits down to 2**-43 only
        s = _exact_fma(q, -_L2U, a)
        s = _exact_fma(q, -_L2L, s)
        u = fma(s, _EXP_POLY[0], _EXP_POLY[1])
        for c in _EXP_POLY[2:]:
            u = fma(u, s, c)
        u = fma(s * s, u, s) + _F32(1)
        # SLEEF scales by 2**(q//2) then 2**(q - q//2): the first product is always normal,
        # so only the second rounds, as ldexp rounds.
        return xp.ldexp(u, q.astype(xp.int32))


def sleef_logf(a):
    """SLEEF's ``logf_u10`` (FMA build) of a float32 array: -inf at 0, NaN below."""
    a = xp.asarray(a, _F32)
    if a.ndim == 0:
        return sleef_logf(a.reshape(1)).reshape(())
    with xp.errstate(all="ignore"):
        out = _fast_or_exact(_logf, a)
    if a.size and a.min() > 0 and a.max() < xp.inf:  # (False with a NaN)
        return out
    out[xp.isposinf(a)] = xp.inf
    out[(a < 0) | xp.isnan(a)] = xp.nan
    out[a == 0] = -xp.inf
    return out


def _logf(a, fma):
    """SLEEF's logf of ``a`` with ``fma`` for its fused multiply-adds (special values aside)."""
    tiny = a < _F32(2.0**-126)  # subnormals: scaled by 2**64 first
    subnormal = tiny.any()
    d = xp.where(tiny, a * _F32(2.0**64), a) if subnormal else a
    e = ((d * _F32(1 / 0.75)).view(xp.int32) >> 23 & 0xFF) - 127
    m = xp.ldexp(d, -e)  # exact: in [0.75, 1.5)
    e = (xp.where(tiny, e - 64, e) if subnormal else e).astype(_F32)
    s_hi, s_lo = _df_mul(_LN2_PAIR, e, fma)
    x_hi, x_lo = _df_div(_df_add2(_F32(-1), m), _df_add2(_F32(1), m), fma)
    x2 = x_hi * x_hi
    t = fma(fma(x2, _LOG_POLY[0], _LOG_POLY[1]), x2, _LOG_POLY[2])
    s_hi, s_lo = _df_add(s_hi, s_lo, x_hi * _F32(2), x_lo * _F32(2))
    w = x2 * x_hi * t
    total = s_hi + w
    return total + (((s_hi - total) + w) + s_lo)


def _df_add2(x, y):
    """SLEEF's ``dfadd2``: x + y as a (head, tail) float32 pair (Knuth's TwoSum)."""
    s = x + y
    v = s - x
    return s, (x - (s - v)) + (y - v)


def _df_mul(pair, y, fma):
    """SLEEF's ``dfmul`` (FMA build) of a pair by a float32. (The error of a float32 product
    is a float32: that step is exact.)"""
    head = pair[0] * y
    return head, fma(pair[1], y, _exact_fma(pair[0], y, -head))


def _df_div(n, d, fma):
    """SLEEF's ``dfdiv`` (FMA build) of a pair by ``1 + m`` as a pair (``_df_add2``). Exact
    steps: the product errors; 1 - d * t (Sterbenz: d * t is within 2**-22 of 1); and adding
    d's tail (a multiple of 2**-24 below 2**-22) times t to that."""
    t = _F32(1) / d[0]
    head = n[0] * t
    u = _exact_fma(t, n[0], -head)
    v = _exact_fma(-d[1], t, _exact_fma(-d[0], t, _F32(1)))
    return head, fma(head, v, fma(n[1], t, u))


def _df_add(x_hi, x_lo, y_hi, y_lo):
    """SLEEF's ``dfadd`` of two pairs, |x| >= |y|."""
    s = x_hi + y_hi
    return s, (((x_hi - s) + y_hi) + x_lo) + y_lo


def _glibc_table():
    """2**(i/32) for i < 32, each rounded once to float64 (glibc's ``__exp2f_data.tab``)."""
    with localcontext() as ctx:
        ctx.prec = 40
        return xp.array([float(Decimal(2) ** (Decimal(i) / 32)) for i in range(32)])


_EXP2_TABLE = _glibc_table()
_INV_LN2_32 = float.fromhex("0x1.71547652b82fep+0") * 32
_GLIBC_POLY = (
    float.fromhex("0x1.c6af84b912394p-5") / 32**3,
    float.fromhex("0x1.ebfce50fac4f3p-3") / 32**2,
    float.fromhex("0x1.62e42ff0c52d6p-1") / 32,
)
_SHIFT = float.fromhex("0x1.8p+52")  # adding it rounds a float64 to an integer, ties to even
_GLIBC_OVER = float.fromhex("0x1.62e42ep6")
_GLIBC_UNDER = float.fromhex("-0x1.9fe368p6")


def glibc_expf(a):
    """glibc's ``expf`` of a float32 array: exp(x) = 2**(k/32) * 2**(r/32), k the integer
    nearest x * 32/ln2, 2**(k/32) from the table, 2**(r/32) a cubic in r, all in float64."""
    a = xp.asarray(a, _F32)
    if a.ndim == 0:
        return glibc_expf(a.reshape(1)).reshape(())
    with xp.errstate(all="ignore"):
        z = _INV_LN2_32 * a.astype(_F64)
        k = z + _SHIFT
        ki = (k.view(xp.int64) & 0xFFFFFFFF).astype(xp.int32)  # the integer, two's complement
        r = z - (k - _SHIFT)
        scale = xp.ldexp(_EXP2_TABLE[ki & 31], ki >> 5)
        c0, c1, c2 = _GLIBC_POLY
        y = (c0 * r + c1) * (r * r) + (c2 * r + 1)
        out = (y * scale).astype(_F32)
    out[a > _GLIBC_OVER] = xp.inf
    out[a < _GLIBC_UNDER] = 0
    nan = xp.isnan(a)
    out[nan] = a[nan]
    return out


@functools.cache
def _x86_build() -> str:
    """ "sleef", "glibc" or "" (neither): which float32 exp PyTorch's vectorised kernels call."""
    if platform.machine().lower() in ("x86_64", "amd64") and capability() in ("AVX2", "AVX512"):
        return "sleef"
    return "glibc" if _glibc_x86() else ""


@functools.cache
def _glibc_x86() -> bool:
    """Whether ``std::exp`` here is glibc's x86-64 ``expf``."""
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    return x86 and sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def vec_exp(a):
    """``Vectorized<T>::exp()`` of PyTorch's build here (see the module docstring)."""
    if a.dtype == _FLOAT32:
        build = _x86_build()
        if build == "sleef":
            return sleef_expf(a)
        if build == "glibc":
            return glibc_expf(a)
    return transcendental.exp(a)


def scalar_exp(a):
    """``std::exp`` as PyTorch's element-at-a-time loops call it: glibc's on x86-64 Linux."""
    if a.dtype == _FLOAT32 and _glibc_x86():
        return glibc_expf(a)
    return transcendental.exp(a)


def vec_log(a):
    """``Vectorized<T>::log()`` of PyTorch's build here (see the module docstring)."""
    if a.dtype == _FLOAT32 and _x86_build() == "sleef":
        return sleef_logf(a)
    return transcendental.log(a)
