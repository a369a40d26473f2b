"""``target += a * b`` rounded as PyTorch's CPU kernels round it, bit for bit.

``add_product_`` is what ops and optimizers call: it rounds as the PyTorch build of this
machine does (``simd.fuses_multiply_add``); its plain twin ``plain_add_`` rounds the product,
then the sum. ``one_minus_square`` is the same question for tanh's derivative.

PyTorch's AVX2 and AVX-512 kernels for ``add(other, alpha=...)``, ``addcmul`` and friends use a
fused multiply-add: the product and the sum are rounded once. Its default (no-AVX2) build
rounds the product, then the sum. NumPy has no fused multiply-add, so ``fused_add_`` emulates
a correctly rounded one:

- float32: the product of two float32 values is exact in float64; the float64 sum is then
  rounded to odd (Boldo and Melquiond: a sum rounded to odd in a format with at least two more
  bits rounds correctly to the narrower one), which only matters where the float64 sum lands
  exactly halfway between two float32 values (or in float32's subnormal range), so only
  those elements are redone.
- float64: Dekker's exact product (the product split into a rounded part and its error), then
  Boldo and Melquiond's emulation of a fused multiply-add with one sum rounded to odd.
  (Computing in ``longdouble`` instead rounds twice: its 64-bit significand cannot hold a
  106-bit product.)

The few float64 elements where Dekker's product is not exact (tiny products whose error
term underflows, huge operands whose splitting overflows) are redone in exact rational
arithmetic; infinite or NaN operands give the plain product and sum.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction

from glassgrad._backend import ndarray, xp
from glassgrad._kernels.simd import fuses_multiply_add

__all__ = [
    "add_product_",
    "fused_add_",
    "fused_multiply_add32",
    "fused_scalar",
    "one_minus_square",
    "plain_add_",
    "plain_one_minus_square",
]

_F32 = xp.float32
_F64 = xp.float64
_FLOAT32 = xp.dtype("float32")
_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's constant for splitting a float64 in halves
_LOW29 = xp.uint64((1 << 29) - 1)  # the float64 significand bits a float32 drops
_HALF29 = xp.uint64(1 << 28)  # ... set exactly this way: halfway between two float32
_F32_TINY = float(xp.finfo(xp.float32).tiny)  # below it float32 has fewer significand bits
_BLOCK = 65536  # float32 elements per pass of the fused multiply-add
_F64_SPLIT_TINY = 2.0**-968  # smaller float64 products lose bits of their Dekker error term
_AS_FLOAT32 = struct.Struct("f")  # packing a Python float rounds it to float32
_PACK32, _UNPACK32 = _AS_FLOAT32.pack, _AS_FLOAT32.unpack


def add_product_(target: ndarray, a: ndarray, b, wide: ndarray | None = None) -> None:
    """``target += a * b`` as PyTorch's CPU kernels compute it: one fused multiply-add on AVX2
    and AVX-512, a product then a sum on its default build. ``a``: an array; ``b``: an array or
    a Python float. ``wide``: a float64 buffer of ``target``'s shape for float32 to compute in,
    instead of a new array."""
    if not fuses_multiply_add():
        plain_add_(target, a, b)
        return
    dtype = target.dtype
    if (
        dtype is _FLOAT32
        and type(b) is float
        and -3e38 < b < 3e38
        and type(a) is ndarray
        and a.dtype is _FLOAT32
        and target.size == 1
        and a.size == 1
    ):  # one element (a scalar parameter): the same arithmetic on Python floats
        b32 = _UNPACK32(_PACK32(b))[0]  # b rounded to float32 (stateless, ~0.1 µs)
        value = fused_scalar(target.item(), a.item(), b32)
        if -3e38 < value < 3e38:  # finite and no overflow (else NumPy's path and warnings)
            target[...] = value
            return
    a = a if type(a) is ndarray and a.dtype == dtype else xp.asarray(a, dtype=dtype)
    b = b if type(b) is ndarray and b.dtype == dtype else xp.asarray(b, dtype=dtype)
    fused_add_(target, a, b, wide if dtype is _FLOAT32 else None)


def plain_add_(target: ndarray, a, b, wide: ndarray | None = None) -> None:
    """``target += a * b`` with the product rounded first: the twin of ``add_product_``, and
    what PyTorch's default (no-AVX2) kernels compute (``wide`` is not needed)."""
    target += xp.multiply(a, b, dtype=target.dtype)


def one_minus_square(x: ndarray) -> ndarray:
    """``1 - x * x`` (tanh's derivative from its result) as PyTorch's kernel rounds it: once,
    a fused multiply-add, for float32 where its build fuses (float64 rounds as NumPy does)."""
    if x.dtype == _FLOAT32 and fuses_multiply_add():
        return (1 - xp.square(x, dtype=_F64)).astype(_F32)
    return 1 - x * x


def plain_one_minus_square(x: ndarray) -> ndarray:
    """The twin of ``one_minus_square``: the product rounded, then the difference."""
    return 1 - x * x


def fused_add_(target: ndarray, a, b, wide: ndarray | None = None) -> None:
    """``target += a * b`` rounded once; ``a``/``b`` are arrays or scalars of ``target``'s dtype
    (float32 or float64) broadcasting to its shape. ``wide``: an optional float64 buffer of
    ``target``'s shape for the float32 path, to compute in instead of a new array."""
    a, b = xp.asarray(a, target.dtype), xp.asarray(b, target.dtype)
    if target.ndim == 0:  # one-element views: NumPy turns 0-d results into immutable scalars
        target, a, b, wide = target.reshape(1), a.reshape(1), b.reshape(1), None
    if target.dtype == _FLOAT32:
        _in_blocks(_fused_block, target, a, b, wide)
    else:
        _in_blocks(_fused_block_float64, target, a, b, None)


def fused_multiply_add32(a, b, c) -> ndarray:
    """``a * b + c`` rounded once to float32: what a vectorised math library's ``fma`` gives
    (arrays or scalars holding float32 values; a new array). The float64 product is exact and
    the float64 sum is redone rounded to odd where rounding it twice could differ."""
    product = xp.multiply(a, b, dtype=_F64)
    total = product + c
    low = xp.bitwise_and(total.view(xp.uint64), _LOW29)
    redo = (low == _HALF29) | (xp.abs(total) < _F32_TINY)
    if redo.any():
        product, addend = xp.broadcast_arrays(product, xp.asarray(c, _F64))
        total[redo] = _sum_rounded_to_odd(product[redo], addend[redo])
    return total.astype(_F32)


def _in_blocks(block, target: ndarray, a, b, wide: ndarray | None) -> None:
    """``block(target, a, b, wide)`` on ``_BLOCK`` elements at a time when the arrays allow
    flat views: the float64 temporaries then stay in cache (several times faster on a
    million elements)."""
    n = target.size
    flat = [_flat_view(v, target) for v in (target, a, b)]
    if n <= _BLOCK or any(v is None for v in flat):
        block(target, a, b, wide)
        return
    target, a, b = flat
    if wide is not None:
        wide = wide.reshape(-1)[:_BLOCK]
    for start in range(0, n, _BLOCK):
        piece = slice(start, min(start + _BLOCK, n))
        block(
            target[piece],
            a if a.ndim == 0 else a[piece],
            b if b.ndim == 0 else b[piece],
            None if wide is None else wide[: piece.stop - start],
        )


def _flat_view(v, target: ndarray):
    """``v`` as a 1-D view over ``target``'s elements (0-d for one element), or None."""
    if v.size == 1:
        return v.reshape(())
    if v.shape == target.shape and v.flags.c_contiguous:
        return v.reshape(-1)
    return None


def _fused_block(target: ndarray, a, b, wide: ndarray | None) -> None:
    """float32: exact float64 product and sum, redone rounded to odd where it matters.

    Each operand is widened by a plain cast first: NumPy's float32-to-float64 ufunc loops
    (``multiply(a, b, dtype=float64)``) cast in small buffered pieces and cost about twice
    a cast and a float64 operation."""
    total = xp.empty(target.shape, _F64) if wide is None else wide
    other = xp.empty(target.shape, _F64)
    xp.copyto(total, a)
    xp.copyto(other, b)
    total *= other  # exact
    xp.copyto(other, target)
    total += other
    low = xp.bitwise_and(total.view(xp.uint64), _LOW29, out=other.view(xp.uint64))
    redo = low == _HALF29
    redo |= xp.abs(total, out=other) < _F32_TINY  # subnormals round at other bits
    if redo.any():
        product = xp.multiply(
            xp.broadcast_to(a, target.shape)[redo],
            xp.broadcast_to(b, target.shape)[redo],
            dtype=_F64,
        )
        total[redo] = _sum_rounded_to_odd(product, target[redo].astype(_F64))
    target[...] = total


def _fused_block_float64(target: ndarray, a, b, wide=None) -> None:
    """float64: Dekker's product, TwoSum, and the two error terms summed rounded to odd."""
    a, b = xp.broadcast_to(a, target.shape), xp.broadcast_to(b, target.shape)
    with xp.errstate(invalid="ignore", over="ignore", under="ignore"):  # redone below
        product, product_error = _exact_product(a, b)
        head = product + target  # TwoSum: head + tail == target + product exactly
        back = head - target
        tail = (target - (head - back)) + (product - back)
        result = head + _sum_rounded_to_odd(tail, product_error)
        # Dekker's error term is inexact when it underflows or the splitting overflows
        redo = (xp.abs(product) < _F64_SPLIT_TINY) | ~xp.isfinite(result)
    if redo.any():
        operands = zip(target[redo].tolist(), a[redo].tolist(), b[redo].tolist())
        result[redo] = [_exact_sum(*v) for v in operands]
    target[...] = result


def _exact_sum(target: float, a: float, b: float) -> float:
    """``target + a * b`` rounded once, in exact rational arithmetic (rare elements only)."""
    if not (math.isfinite(target) and math.isfinite(a) and math.isfinite(b)):
        return target + a * b
    try:
        return float(Fraction(target) + Fraction(a) * Fraction(b))
    except OverflowError:
        return math.copysign(math.inf, target + a * b)


def _exact_product(a: ndarray, b: ndarray) -> tuple[ndarray, ndarray]:
    """Dekker's TwoProduct: ``product + error == a * b`` exactly (barring overflow/underflow)."""
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    product = a * b
    error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return product, error


def _split(x: ndarray) -> tuple[ndarray, ndarray]:
    scaled = x * _SPLIT
    hi = scaled - (scaled - x)
    return hi, x - hi


def _sum_rounded_to_odd(x: ndarray, y: ndarray) -> ndarray:
    """``x + y`` (float64 arrays) rounded to odd: exact sums stay, inexact ones go to whichever
    neighbour has an odd last significand bit."""
    total = x + y
    back = total - x
    error = (x - (total - back)) + (y - back)
    even = (total.view(xp.int64) & 1) == 0
    nudge = (error != 0) & even
    if nudge.any():
        total[nudge] = xp.nextafter(total[nudge], xp.copysign(xp.inf, error[nudge]))
    return total


def fused_scalar(target: float, a: float, b: float) -> float:
    """``target + a * b`` on Python floats holding float32 values, rounded once to float32
    (the one-element path of ``fused_add_``: the same arithmetic without array overhead)."""
    product = a * b  # exact: two float32 significands fit in a float64
    total = product + target
    if not math.isfinite(total):
        return total
    back = total - product
    error = (product - (total - back)) + (target - back)
    if error != 0 and not int(math.frexp(total)[0] * 9007199254740992.0) & 1:
        total = math.nextafter(total, math.copysign(math.inf, error))
    return float(_F32(total))
