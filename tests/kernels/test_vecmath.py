"""The SLEEF and glibc exp/log emulations: fast path against the exact one, special values."""

from __future__ import annotations

import numpy as np

from glassgrad._kernels import vecmath
from glassgrad._kernels.fma import fused_multiply_add32


def _wide(n=20000, scale=30.0):
    return (np.random.default_rng(5).standard_normal(n) * scale).astype(np.float32)


def _same_bits(got, want) -> bool:
    return got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_fast_fused_steps_give_the_exactly_rounded_ones():
    x = _wide()
    x = x[(x > -104) & (x < 100)]
    assert _same_bits(vecmath.sleef_expf(x), vecmath._expf(x, fused_multiply_add32))
    positive = np.abs(x) + np.float32(1e-3)
    exact_log = vecmath._logf(positive, fused_multiply_add32)
    assert _same_bits(vecmath.sleef_logf(positive), exact_log)


def test_a_double_rounding_sends_the_evaluation_to_the_exact_path():
    """(1 + 2**-23) + (2**-24 - 2**-70) is just below a float32 midpoint; float64 rounds it
    onto the midpoint and float32 then rounds it up, one unit too far."""
    a = np.array([(1 + 2.0**-23) * 2.0**-24], np.float32)
    b = np.array([1 - 2.0**-23], np.float32)
    c = np.float32(1 + 2.0**-23)
    fast = vecmath._Fused(1)
    assert fast(a, b, c)[0] == np.float32(1 + 2.0**-22)  # rounded twice
    assert not fast.rounded_once()
    assert fused_multiply_add32(a, b, c)[0] == c
    tie = vecmath._Fused(1)  # an exact tie in float64: rounding it once is right
    tie(np.ones(1, np.float32), np.array([2.0**-24], np.float32), np.float32(1))
    assert tie.rounded_once()


def test_exp_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 101.0, -105.0, -95.0, 88.8], np.float32)
    got = vecmath.sleef_expf(x)
    assert np.isnan(got[0]) and got[1] == np.inf and got[2] == 0 and got[5] == np.inf
    assert got[3] == 1 and got[4] == 1 and got[6] == 0 and got[8] == np.inf
    assert 0 < got[7] < np.finfo(np.float32).tiny  # a subnormal, rounded once
    glibc = vecmath.glibc_expf(x)
    assert np.isnan(glibc[0]) and glibc[1] == np.inf and glibc[2] == 0 and glibc[3] == 1
    assert vecmath.sleef_expf(np.float32(1.0)).shape == ()


def test_log_special_values():
    x = np.array([0.0, -1.0, np.inf, np.nan, 1.0, 1e-40], np.float32)
    got = vecmath.sleef_logf(x)
    assert got[0] == -np.inf and np.isnan(got[1]) and got[2] == np.inf and np.isnan(got[3])
    assert got[4] == 0 and abs(got[5] - np.log(1e-40)) < 1e-4


def test_emulations_stay_within_one_unit_of_the_exact_values():
    x = _wide(scale=10.0)
    exact = np.exp(x.astype(np.float64))
    for fn in (vecmath.sleef_expf, vecmath.glibc_expf):
        got = fn(x).astype(np.float64)
        ulp = np.spacing(exact.astype(np.float32)).astype(np.float64)
        assert (np.abs(got - exact) <= ulp).all(), fn.__name__
