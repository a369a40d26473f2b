"""_kernels/fma.py: the emulated fused multiply-add rounds once, exactly, and matches its twin."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import glassgrad as gg
from glassgrad._kernels.fma import fused_add_, fused_scalar, plain_add_

# target + a * b whose exact value lies just below a halfway point of the dtype, while the
# float64 sum (float32) or the rounded product (float64) lands on it: rounding twice goes up.
HARD = {
    np.float32: (1 + 2.0**-23, 2.0**-24 + 2.0**-47, 1 - 2.0**-23, 1 + 2.0**-23),
    np.float64: (1 + 2.0**-52, 2.0**-53 + 2.0**-105, 1 - 2.0**-52, 1 + 2.0**-52),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_halfway_case_is_rounded_once(dtype):
    target, a, b, expected = (dtype(v) for v in HARD[dtype])
    fused = np.array([target, target], dtype)
    fused_add_(fused, np.array([a, a], dtype), b)
    twice = np.array([target], dtype)
    plain_add_(twice, np.array([a], dtype), b)
    assert fused.tolist() == [expected, expected]
    assert twice[0] != expected  # the case really separates the two roundings


def test_one_element_python_path_rounds_once():
    target, a, b, expected = HARD[np.float32]
    assert fused_scalar(target, a, b) == expected
    zero_d = np.array(target, np.float32)
    fused_add_(zero_d, np.array(a, np.float32), np.float32(b))
    assert zero_d == np.float32(expected)


def test_float64_matches_exact_rational_arithmetic():
    rng = np.random.default_rng(0)
    n = 3000
    target = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 5, n)
    a = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 5, n)
    b = rng.standard_normal(n)
    got = target.copy()
    fused_add_(got, a, b)
    exact = [float(Fraction(t) + Fraction(x) * Fraction(y)) for t, x, y in zip(target, a, b)]
    assert got.tolist() == exact


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_and_plain_twins_agree_to_rounding(dtype):
    rng = np.random.default_rng(1)
    target = (rng.uniform(1, 2, 1000)).astype(dtype)
    a = rng.uniform(-1, 1, 1000).astype(dtype)
    fused, plain = target.copy(), target.copy()
    fused_add_(fused, a, dtype(0.3))
    plain_add_(plain, a, dtype(0.3))
    np.testing.assert_allclose(fused, plain, rtol=4 * np.finfo(dtype).eps, atol=0)
    assert fused.dtype == dtype


def test_non_finite_values_fall_back_to_the_plain_sum():
    target = np.array([np.inf, 1.0, np.nan, 1e308])
    fused_add_(target, np.array([1.0, np.inf, 1.0, 1e300]), 1e10)
    assert np.isposinf(target[0]) and np.isposinf(target[1]) and np.isnan(target[2])
    assert np.isposinf(target[3])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["add_", "sub_", "addcmul_"])
def test_inplace_ops_round_as_torch(op, dtype):
    """Tensor.add_/sub_ with alpha and addcmul_ against PyTorch under the current
    ATEN_CPU_CAPABILITY (fused on AVX2/AVX-512, rounded twice on the default build)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    n = 140009  # several blocks of fma.py's block loop, and a partial one
    target = rng.standard_normal(n).astype(dtype)
    other = (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 3, n)).astype(dtype)
    third = rng.standard_normal(n).astype(dtype)
    hard = HARD[np.dtype(dtype).type]
    target[:2], other[:2], third[:2] = hard[0], hard[1], hard[2]
    tiny = np.finfo(dtype).tiny  # results among the subnormals round at other bits
    target[2:200] = rng.standard_normal(198) * tiny * 4
    other[2:200] = rng.standard_normal(198) * tiny * 4
    target[-1], other[-1], third[-1] = hard[0], hard[1], hard[2]
    results = []
    for m in (torch, gg):
        t = m.tensor(target.copy())
        if op == "addcmul_":
            t.addcmul_(m.tensor(other), m.tensor(third), value=0.7)
        else:
            getattr(t, op)(m.tensor(other), alpha=-0.37)
        results.append(t.numpy())
    np.testing.assert_array_equal(results[1], results[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocks_and_strided_views_give_the_same_bits(dtype):
    """Contiguous arrays go through in blocks, strided ones in one pass: same results."""
    rng = np.random.default_rng(3)
    target = rng.standard_normal((300, 500)).astype(dtype)
    a = rng.standard_normal((300, 500)).astype(dtype)
    blocked, strided = target.copy(), target.T.copy().T  # the same values, Fortran order
    fused_add_(blocked, a, dtype(0.37))
    fused_add_(strided, a, dtype(0.37))
    np.testing.assert_array_equal(blocked, strided)
    expected = target.copy()
    for row in range(300):  # one row (a single block) at a time
        view = expected[row]
        fused_add_(view, a[row], dtype(0.37))
    np.testing.assert_array_equal(blocked, expected)
