"""The random stream without PyTorch: known values, the state's layout, and each bit-exact
math kernel of ``_kernels.random_math`` against its plain NumPy twin (``tests/oracle`` compares the
whole stream with PyTorch itself)."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassgrad as gg
from glassgrad import _random
from glassgrad._kernels import random_math as _random_math


def test_seed_zero_values():
    """torch.manual_seed(0), then randn(3), rand(2) in float64, randint(0, 10, (5,)),
    randperm(6): the values PyTorch 2.13 prints."""
    gg.manual_seed(0)
    assert gg.randn(3).tolist() == [1.5409960746765137, -0.293428897857666, -2.1787893772125244]
    assert gg.rand(2, dtype=gg.float64).tolist() == [0.6450241201227648, 0.7911478921803037]
    assert gg.randint(0, 10, (5,)).tolist() == [6, 9, 8, 6, 6]
    assert gg.randperm(6).tolist() == [0, 5, 3, 1, 2, 4]


def test_words_are_mt19937_seeded_as_aten():
    """init_genrand(seed) words; a seed of 2**32 or more seeds with its low 32 bits."""
    g = gg.Generator().manual_seed(0)
    assert g.words(3).tolist() == [2357136044, 2546248239, 3071714933]
    big = gg.Generator().manual_seed(2**32)
    assert big.words(3).tolist() == [2357136044, 2546248239, 3071714933]
    assert big.initial_seed() == 2**32
    assert gg.Generator().manual_seed(-1).initial_seed() == 2**64 - 1


def test_random64_is_first_word_high():
    g, h = gg.Generator().manual_seed(9), gg.Generator().manual_seed(9)
    first, second = g.words(2).tolist()
    assert h.words64(1).tolist() == [(first << 32) | second]


def test_state_layout_and_round_trip():
    gg.manual_seed(7)
    state = gg.get_rng_state()
    assert state.dtype is gg.uint8 and state.shape == (5056,)
    raw = state.numpy().tobytes()
    assert int.from_bytes(raw[:8], "little") == 7
    assert int.from_bytes(raw[8:12], "little") == 1  # ATen's `left` right after seeding
    gg.randn(3, dtype=gg.float64)  # 4 words per pair: 8 words, a cached normal
    after = gg.get_rng_state()
    raw = after.numpy().tobytes()
    assert int.from_bytes(raw[8:12], "little") == 625 - 8
    assert int.from_bytes(raw[5040:5044], "little") == 1  # the cached normal is valid
    expected = gg.randn(4, dtype=gg.float64).tolist()
    gg.set_rng_state(after)
    assert gg.randn(4, dtype=gg.float64).tolist() == expected


def test_normal_paths_by_size():
    """15 float32 elements go one at a time (8 Box-Muller pairs of 64-bit uniforms, 32 words,
    a sine cached); 16 or more use the fill (one word per element, the tail recomputed from 16
    fresh ones)."""
    for n, words in [(15, 32), (16, 16), (17, 17 + 16)]:
        g = gg.Generator().manual_seed(1)
        gg.randn(n, generator=g)
        assert g.get_state().numpy()[8:12].view("<i4")[0] == 625 - words


def test_endless_random_sampler_is_lazy():
    sampler = gg.utils.data.RandomSampler(range(5), replacement=True, num_samples=int(1e10))
    assert len(sampler) == int(1e10)
    first = list(itertools.islice(iter(sampler), 40))
    assert len(first) == 40 and set(first) <= set(range(5))


def test_fill_order_follows_memory():
    """A transposed view is filled in its memory order, as TensorIterator does."""
    gg.manual_seed(3)
    t = gg.empty(3, 4).t().uniform_()
    gg.manual_seed(3)
    assert t.t().reshape(-1).tolist() == gg.rand(12).tolist()


def test_parameter_errors_name_the_call():
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range"):
        gg.empty(3).uniform_(2, 1)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        gg.empty(3).normal_(0, -1)
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\]"):
        gg.empty(3).bernoulli_(1.5)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        gg.randint(5, 3, (2,))
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0"):
        gg.empty(3).exponential_(0)
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        gg.multinomial(gg.tensor([0.2, 0.8]), 3)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
        gg.empty(3, dtype=gg.uint8).random_(0, 300)
    with pytest.raises(RuntimeError, match="from is out of bounds for signed char"):
        gg.empty(3, dtype=gg.int8).random_(-200, 3)


def test_generator_device():
    assert gg.Generator().device == gg.device("cpu")


# -- the bit-exact math kernels and their plain twins --------------------------------------


def _floats32(n, low, high, seed=0):
    return np.random.default_rng(seed).uniform(low, high, n).astype(np.float32)


def test_avx2_log_agrees_with_numpy():
    x = np.concatenate([_floats32(20000, 1e-7, 1.0), np.float32([1.0, 0.5, 2.0**-24])])
    np.testing.assert_allclose(_random_math._avx2_log(x), np.log(x), rtol=3e-7, atol=3e-7)


def test_avx2_sincos_agrees_with_numpy():
    x = _floats32(20000, 0.0, 2 * math.pi)
    sin, cos = _random_math._avx2_sincos(x)
    np.testing.assert_allclose(sin, np.sin(x.astype(np.float64)), atol=3e-7)
    np.testing.assert_allclose(cos, np.cos(x.astype(np.float64)), atol=3e-7)


# avx_mathfun.h's log256_ps and sincos256_ps step by step, every fused step through the checked
# ``fma32``: the kernels drop fma32's checks, which these show changes nothing on any input
_F = np.float32
_LOG_COEFFICIENTS = [
    -1.1514610310e-1,
    1.1676998740e-1,
    -1.2420140846e-1,
    1.4249322787e-1,
    -1.6668057665e-1,
    2.0000714765e-1,
    -2.4999993993e-1,
    3.3333331174e-1,
]


def _replayed_log(x):
    i = x.view(np.int32)
    exponent = (i >> 23) - 127
    x = ((i & ~0x7F800000) | _F(0.5).view(np.int32)).view(_F)
    e = exponent.astype(_F) + _F(1)
    small = (x < _F(0.707106781186547524)).astype(_F)
    tmp = x * small
    x = x - _F(1)
    e = e - small
    x = x + tmp
    z = x * x
    y = np.full_like(x, _F(7.0376836292e-2))
    for coef in _LOG_COEFFICIENTS:
        y = _random_math.fma32(y, x, _F(coef))
    y = _random_math.fma32(y * x, z, e * _F(-2.12194440e-4))
    y = _random_math.fma32(z, _F(-0.5), y)
    return _random_math.fma32(e, _F(0.693359375), x + y)


def _replayed_sincos(x):
    fma = _random_math.fma32
    j = (x * _F(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(_F)
    swap = (j & 2) != 0
    x = fma(y, _F(-0.78515625), x)
    x = fma(y, _F(-2.4187564849853515625e-4), x)
    x = fma(y, _F(-3.77489497744594108e-8), x)
    z = x * x
    c = fma(_F(2.443315711809948e-5), z, _F(-1.388731625493765e-3))
    c = fma(c, z, _F(4.166664568298827e-2)) * z
    c = fma(c, z, -(z * _F(0.5))) + _F(1)
    s = fma(fma(_F(-1.9515295891e-4), z, _F(8.3321608736e-3)), z, _F(-1.6666654611e-1))
    s = fma(s * z, x, x)
    sin, cos = np.where(swap, c, s), np.where(swap, s, c)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where(((j - 2) & 4) == 0, -cos, cos)
    return sin, cos


def test_avx2_polynomials_on_every_input_of_the_fill():
    """The float32 fill's log and sincos see 2**24 inputs each: 1 - u and 2 pi u for the 24-bit
    uniforms u = k / 2**24. On all of them, both equal the replay bit for bit (this proves
    that leaving out fma32's checks changes nothing)."""
    step = 2**21
    for start in range(0, 2**24, step):
        u = np.arange(start, start + step, dtype=np.uint32).astype(_F) * _F(2.0**-24)
        u1, theta = _F(1) - u, _F(2.0 * math.pi) * u
        assert _random_math._avx2_log(u1).tobytes() == _replayed_log(u1).tobytes()
        got, want = _random_math._avx2_sincos(theta), _replayed_sincos(theta)
        assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()


def _exact(a, b, c):
    return [
        Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)) for x, y, z in zip(a, b, c)
    ]


def test_fma32_rounds_once():
    a, b, c = _floats32(3000, -4, 4, 1), _floats32(3000, -4, 4, 2), _floats32(3000, -4, 4, 3)
    # ties for a float64 sum: the product's low bits land exactly half a float32 ulp away
    a = np.concatenate([a, np.float32([1 + 2.0**-23, 1 + 2.0**-12])])
    b = np.concatenate([b, np.float32([1 + 2.0**-23, 1 + 2.0**-12])])
    c = np.concatenate([c, np.float32([2.0**-60, -(2.0**-60)])])
    # exact sums halfway between two float32 (b with few bits, as a std of 2.5): true ties
    a = np.concatenate([a, _floats32(3000, -4, 4, 4), np.float32([1.0, 1.0])])
    b = np.concatenate(
        [b, np.float32(np.tile([2.5, 0.75, -3.0], 1000)), np.float32([2.0**-24, 3 * 2.0**-24])]
    )
    c = np.concatenate([c, _floats32(3000, -4, 4, 5), np.float32([1.0, 1.0])])
    want = np.array([_round32(v) for v in _exact(a, b, c)])
    assert np.array_equal(_random_math.fma32(a, b, c), want)


def _round32(value: Fraction) -> np.float32:
    """The float32 nearest to ``value`` (ties to even), from exact arithmetic."""
    near = np.float32(float(value))
    for other in (np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(-np.inf))):
        d_near, d_other = abs(Fraction(float(near)) - value), abs(Fraction(float(other)) - value)
        if d_other < d_near or (d_other == d_near and int(other.view(np.uint32)) % 2 == 0):
            near = other
    return near


def test_fma64_rounds_once():
    rng = np.random.default_rng(5)
    a, b, c = rng.uniform(-4, 4, 2000), rng.uniform(-4, 4, 2000), rng.uniform(-4, 4, 2000)
    want = np.array([float(v) for v in _exact(a, b, c)])
    assert np.array_equal(_random_math.fma64(a, b, c), want)
    plain = a * b + c
    assert not np.array_equal(plain, want)  # the test would notice a plain multiply-add


def test_c_library_functions_agree_with_numpy():
    x = _floats32(5000, 0.01, 6.0)
    for name, twin in [("logf", np.log), ("sinf", np.sin), ("cosf", np.cos)]:
        np.testing.assert_allclose(_random_math._float_fn(name, x), twin(x), rtol=2e-7, atol=2e-7)
    y = np.random.default_rng(1).uniform(0.01, 0.99, 5000)
    np.testing.assert_allclose(_random_math.log1p(-y), np.log1p(-y), rtol=1e-15)
    np.testing.assert_allclose(_random_math.log(y), np.log(y), rtol=1e-15)


def test_unit_uses_24_and_53_bits():
    g = gg.Generator().manual_seed(0)
    word = 2357136044
    assert _random.unit(g, 1, np.float32)[0] == np.float32((word & (2**24 - 1)) * 2.0**-24)
    g = gg.Generator().manual_seed(0)
    high, low = 2357136044, 2546248239
    assert _random.unit(g, 1, np.float64)[0] == (((high << 32) | low) & (2**53 - 1)) * 2.0**-53


def test_log_is_the_c_librarys_to_the_bit():
    """``log`` rounds a double-double result where glibc allows it and asks the C library near
    midpoints, at powers of two and for subnormals: every value is ``math.log``'s."""
    rng = np.random.default_rng(7)
    x = np.concatenate(
        [
            1.0 - rng.integers(0, 2**53, 200_000, dtype=np.uint64) * 2.0**-53,  # the fill's 1 - u
            np.exp(rng.uniform(-700, 700, 50_000)),
            rng.uniform(0.999, 1.001, 50_000),
            2.0 ** np.arange(-1074, 1024, dtype=np.float64),
            np.float64([1.0, math.e, 5e-324, 1e-310, np.finfo(np.float64).max]),
        ]
    )
    want = np.array([math.log(v) for v in x])
    assert _random_math.log(x).tobytes() == want.tobytes()
    # outside the positive numbers: -inf, NaN, inf, NaN, as C's log and NumPy's
    special = np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan])
    with np.errstate(divide="ignore", invalid="ignore"):
        want = np.concatenate([want[:100], np.log(special)])
    assert _random_math.log(np.concatenate([x[:100], special])).tobytes() == want.tobytes()


@given(seed=st.integers(0, 2**32 - 1))
def test_log_is_the_c_librarys_on_the_samplers_inputs(seed):
    """The samplers' own inputs: the fill's 1 - u and geometric's u for 53-bit uniforms u, and
    1 - u for small u (results near 0), 150 000 per example (HYPOTHESIS_PROFILE=thorough checks
    1.5e8; 4e7 were checked when the double-double log was written)."""
    k = np.random.default_rng(seed).integers(1, 2**53, 50_000, dtype=np.uint64)
    u = k.astype(np.float64) * 2.0**-53
    x = np.concatenate([1.0 - u, u, 1.0 - (k >> np.uint64(20)).astype(np.float64) * 2.0**-53])
    want = np.array([math.log(v) for v in x.tolist()])
    assert _random_math.log(x).tobytes() == want.tobytes()


@pytest.mark.parametrize("kind", ["float64", "float32_avx2", "float32_default"])
def test_normal16_zero_radius_is_positive_zero(kind):
    """u = 0 makes the radius sqrt(-0.0) = -0.0; PyTorch's fused ``x * 1 + 0`` turns the
    product into +0.0, and so must the fill (the std == 1 shortcut included)."""
    dtype = np.float64 if kind == "float64" else np.float32
    fill = {
        "float64": _random_math._normal16_double,
        "float32_avx2": _random_math._normal16_avx2,
        "float32_default": _random_math._normal16_float,
    }[kind]
    blocks = np.full((3, 16), 0.25, dtype)
    blocks[:, :8] = 0.0
    for mean, std in [(0.0, 1.0), (0.0, 2.0)]:
        out = fill(blocks, mean, std)
        assert (out == 0).all() and not np.signbit(out).any()


def _swap_loop(offsets):
    result = list(range(len(offsets) + 1))
    for i, z in enumerate(offsets.tolist()):
        result[i], result[i + z] = result[i + z], result[i]
    return result


def test_swap_forward_is_the_swap_loop():
    """randperm's vectorised swaps against the loop they replace: every size up to 40 with
    many draws, and larger sizes (long chains of swaps into one position included)."""
    rng = np.random.default_rng(3)
    cases = [rng.integers(0, np.arange(n, 1, -1)) for n in range(2, 41) for _ in range(30)]
    # the grouping sorts 16-bit digits: one pass up to 2**16 positions, two beyond
    sizes = (1000, 4097, 60000, 2**16, 2**16 + 1, 70_000)
    cases += [rng.integers(0, np.arange(n, 1, -1)) for n in sizes]
    cases += [np.ones(50, np.int64), np.zeros(50, np.int64), np.arange(50, 0, -1) - 1]
    for offsets in cases:
        offsets = np.asarray(offsets, np.int64)
        assert _random._swap_forward(offsets).tolist() == _swap_loop(offsets)


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_remainder_is_numpys(dtype):
    """``draws % divisor`` by a division by a constant, the largest draws and divisors included
    (a divisor above every draw leaves them as they are)."""
    top = np.iinfo(dtype).max
    draws = np.random.default_rng(2).integers(0, top, 5000, dtype=dtype, endpoint=True)
    draws = np.concatenate([draws, np.array([0, 1, top - 1, top], dtype)])
    for divisor in [1, 2, 3, 7, 10, 2**24 + 1, 2**31, 2**32 - 1, 2**32 + 5, 2**63 + 1]:
        want = draws % np.uint64(divisor) if divisor > top else draws % dtype(divisor)
        assert np.array_equal(_random._remainder(draws.copy(), divisor), want)
