"""PyTorch's CPU random stream, bit for bit: the generator, its state, and the samplers.

A seeded PyTorch program prints the same numbers under glassgrad only if both draw the same
32-bit words from the same Mersenne Twister (mt19937, seeded as ATen seeds it) and turn them
into values as ATen's CPU kernels do: how many words per value, which bits, in which order,
where a kernel switches path by size or dtype. The words come from NumPy's ``MT19937`` bit
generator (C speed, same engine); this module owns the ATen side of the contract. The
transcendental functions of the normal samplers live in ``_kernels.random_math``.
"""

from __future__ import annotations

import contextlib
import os

from glassgrad import _dtypes
from glassgrad._backend import xp
from glassgrad._kernels import random_math as _random_math
from glassgrad._kernels.simd import fuses_multiply_add
from glassgrad._tensor_base import _new_tensor

__all__ = [
    "Generator",
    "default_generator",
    "draw_mark",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
]

_DEFAULT_SEED = 67280421310721  # ATen's default_rng_seed_val
_MT_N = 624
_STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState) in PyTorch
_PAD = 7
# Long transforms run in chunks of this many values: NumPy's temporaries then stay in the CPU
# cache and are reused, instead of fresh megabyte arrays page-faulted in at every step
_CHUNK = 32768


class Generator:
    """A random-number generator (``torch.Generator``): ATen's CPU mt19937, word for word."""

    def __init__(self, device="cpu"):
        self.device = _dtypes.device(device)
        self._bits = xp.random.MT19937(0)
        self._draw = xp.random.Generator(self._bits).integers  # full-range draws: raw words
        self._changes = 0  # draws, seedings and restores so far (``draw_mark``)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed) -> Generator:
        """Seed as ATen does: the seed is kept as 64 bits, the engine uses its low 32."""
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(
                f"manual_seed: seed {seed} is out of range; it must be in [-2**63, 2**64)"
            )
        self._seed = seed % 2**64
        self._bits._legacy_seeding(self._seed & 0xFFFFFFFF)
        self._changes += 1
        self._fresh = True  # ATen's ``next`` index is 0 until the first word is drawn
        self._next_double_normal: float | None = None
        self._next_float_normal: float | None = None
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed."""
        new = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(new)
        return new

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The state as PyTorch's 5056-byte uint8 tensor (loads in real PyTorch too)."""
        state = self._bits.state["state"]
        pos = int(state["pos"])
        left, nxt = 625 - pos, (0 if self._fresh else pos)
        double_ok = self._next_double_normal is not None
        float_ok = self._next_float_normal is not None
        parts = [
            xp.array([self._seed], "<u8").tobytes(),
            xp.array([left, 1], "<i4").tobytes(),
            xp.array([nxt], "<u8").tobytes(),
            state["key"].astype("<u8").tobytes(),
            xp.array([0.0, self._next_double_normal or 0.0, 0.0], "<f8").tobytes(),
            xp.array([int(double_ok)], "<i4").tobytes(),
            xp.array([self._next_float_normal or 0.0], "<f4").tobytes(),
            bytes([int(float_ok)]) + bytes(_PAD),
        ]
        return _new_tensor(xp.frombuffer(b"".join(parts), xp.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state from ``get_state`` (this library's or real PyTorch's)."""
        data = _state_bytes(new_state)
        if len(data) != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input "
                f"RNG state size to be {len(data)} (pass a uint8 tensor from get_rng_state() or "
                "Generator.get_state(), PyTorch's or this library's)"
            )
        left = int(xp.frombuffer(data, "<i4", 1, 8)[0])
        key = xp.frombuffer(data, "<u8", _MT_N, 24).astype(xp.uint32)
        self._changes += 1
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": key, "pos": 625 - left},
        }
        self._seed = int(xp.frombuffer(data, "<u8", 1, 0)[0])
        self._fresh = int(xp.frombuffer(data, "<u8", 1, 16)[0]) == 0
        normal_y = float(xp.frombuffer(data, "<f8", 1, 5024)[0])
        double_ok = int(xp.frombuffer(data, "<i4", 1, 5040)[0])
        self._next_double_normal = normal_y if double_ok else None
        next_float = float(xp.frombuffer(data, "<f4", 1, 5044)[0])
        self._next_float_normal = next_float if data[5048] else None
        return self

    def words(self, n: int):
        """The next ``n`` 32-bit words (ATen's ``random()``), as uint32. NumPy's full-range
        uint32 draw hands out the engine's words unchanged, one per value."""
        self._fresh = self._fresh and n == 0
        self._changes += 1
        return self._draw(0, 2**32, size=n, dtype=xp.uint32)

    def words64(self, n: int):
        """The next ``n`` 64-bit draws (ATen's ``random64()``: first word high, second low;
        NumPy's full-range uint64 draw from MT19937 pairs the words the same way)."""
        self._fresh = self._fresh and n == 0
        self._changes += 1
        return self._draw(0, 2**64, size=n, dtype=xp.uint64)


def _state_bytes(new_state) -> bytes:
    if hasattr(new_state, "numpy"):
        return new_state.numpy().tobytes()
    return bytes(new_state)


default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed the default generator (used by rand, randn, nn.init, Dropout, DataLoader)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def get_rng_state():
    """The default generator's state (``torch.get_rng_state``), PyTorch's byte layout."""
    return default_generator.get_state()


def draw_mark() -> tuple:
    """A value that changes whenever the default generator is drawn from, reseeded or
    restored (``glassgrad.compile`` compares it around a capture; ``get_rng_state`` costs
    as much as a small step)."""
    g = default_generator
    return (g._changes, g._next_double_normal, g._next_float_normal)


def set_rng_state(new_state) -> None:
    """Restore the default generator (``torch.set_rng_state``), also from real PyTorch."""
    default_generator.set_state(new_state)


def initial_seed() -> int:
    return default_generator.initial_seed()


@contextlib.contextmanager
def fork_rng(
    devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"
):
    """Run the block, then restore the default generator's state (``torch.random.fork_rng``)."""
    if not enabled:
        yield
        return
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)


def gen(generator: Generator | None) -> Generator:
    return default_generator if generator is None else generator


# -- words to values, as ATen's transformation helpers -------------------------------------


def unit(g: Generator, n: int, np_dtype):
    """``n`` uniform [0, 1) values for ``np_dtype`` (ATen's ``uniform_real``): 53 bits of a
    64-bit draw for float64, 24 bits of one word otherwise (float16 draws as float32 and is
    rounded after), as float32."""
    if xp.dtype(np_dtype) == xp.float64:
        draws = g.words64(n)
        draws &= xp.uint64(2**53 - 1)
        values = draws.view(xp.int64).astype(xp.float64)  # signed: the faster conversion
        values *= 2.0**-53
        return values
    draws = g.words(n)
    draws &= xp.uint32(2**24 - 1)
    values = draws.view(xp.int32).astype(xp.float32)
    values *= xp.float32(2.0**-24)
    return values


def uniform(g: Generator, n: int, low, high, np_dtype):
    """``uniform_(low, high)``: ``x * (high - low) + low`` in the type ATen computes in
    (float32 for float16), cast to ``np_dtype``; a value the cast rounds up to ``high`` becomes
    ``low``, as in ATen's kernel."""
    values = unit(g, n, np_dtype)
    kind = _float_kind(np_dtype).type
    span, start = kind(high) - kind(low), kind(low)
    if span == -2 * start and values.dtype == xp.float32 and fuses_multiply_add():
        values = _symmetric(values, span, start)
    elif not (start == 0 and span == 1):  # else x * 1 + 0 is x, fused or not
        for begin in range(0, n, _CHUNK):  # chunks that stay in cache
            part = slice(begin, begin + _CHUNK)
            values[part] = _random_math.muladd(values[part], span, start)
    values = values.astype(np_dtype, copy=False)
    top = values == xp.dtype(np_dtype).type(high)
    if top.any():
        values[top] = xp.dtype(np_dtype).type(low)
    return values


def _symmetric(values, span, start):
    """The fused float32 ``x * span + start`` for bounds (-b, b), the init layers' case, without
    fma32's tie checks: with x = k / 2**24 the exact value is b * (k - 2**23) / 2**23, at most
    48 significant bits, so float64 holds every step exactly and one rounding remains."""
    for begin in range(0, len(values), _CHUNK):
        part = slice(begin, begin + _CHUNK)
        wide = values[part].astype(xp.float64)
        wide *= float(span)
        wide += float(start)
        values[part] = wide
    return values


def _float_kind(np_dtype):
    """The dtype ATen computes a float draw in (half/bfloat16 would go through float)."""
    np_dtype = xp.dtype(np_dtype)
    return np_dtype if np_dtype == xp.float64 else xp.dtype(xp.float32)


def normal_scalar(g: Generator, n: int, mean: float, std: float):
    """``n`` normals one at a time (ATen's ``normal_distribution<double>``): Box-Muller on two
    53-bit uniforms, the cosine returned, the sine cached for the next call."""
    out = xp.empty(n, xp.float64)
    start = 0
    if n and g._next_double_normal is not None:
        out[0] = g._next_double_normal
        g._next_double_normal = None
        start = 1
    pairs = (n - start + 1) // 2
    if pairs:
        u = unit(g, 2 * pairs, xp.float64)
        radius = xp.sqrt(-2.0 * _random_math.log1p(-u[1::2]))
        theta = 2.0 * xp.pi * u[0::2]
        both = xp.empty(2 * pairs)
        both[0::2] = radius * xp.cos(theta)
        both[1::2] = radius * xp.sin(theta)
        out[start:] = both[: n - start]
        if (n - start) % 2:
            g._next_double_normal = float(both[-1])
    return _random_math.muladd(out, float(std), float(mean))


def normal_fill(g: Generator, n: int, mean: float, std: float, np_dtype):
    """ATen's ``normal_fill`` (>= 16 contiguous elements): all ``n`` uniforms first, Box-Muller
    on each block of 16 (cosines to the first 8, sines to the last 8), and, when ``n`` is not a
    multiple of 16, 16 fresh uniforms that recompute the last 16 values. float16 goes through
    the float32 fill, whose first pass draws only the whole blocks' uniforms (measured). The
    blocks are drawn and transformed a chunk at a time, which keeps the work in cache."""
    whole = n - n % 16
    kind = _float_kind(np_dtype)
    fill16 = _random_math.normal16(kind)
    out = xp.empty(n, kind)  # every value is written below: the blocks, then the tail
    for start in range(0, whole, _CHUNK):
        stop = min(start + _CHUNK, whole)
        out[start:stop] = fill16(unit(g, stop - start, kind).reshape(-1, 16), mean, std).ravel()
    if n % 16:
        if xp.dtype(np_dtype) != xp.float16:
            unit(g, n % 16, kind)  # the first pass's uniforms past the last whole block: unused
        out[n - 16 :] = fill16(unit(g, 16, kind).reshape(1, 16), mean, std).ravel()
    return out


def normal(g: Generator, n: int, mean: float, std: float, np_dtype, contiguous=True):
    """``normal_(mean, std)`` on ``n`` elements: ATen's fill path (values in the type it computes
    in) or its one-at-a-time path (float64 values, cast by the caller)."""
    if n >= 16 and contiguous:
        return normal_fill(g, n, mean, std, np_dtype)
    return normal_scalar(g, n, mean, std)


def bernoulli_scalar(g: Generator, n: int, p: float):
    """``bernoulli_(p)`` with a number p: a 53-bit uniform per element, kept if below p."""
    return unit(g, n, xp.float64) < p


def bernoulli_tensor(g: Generator, probs):
    """``bernoulli_(p)`` with a tensor p: float64 p draws 53-bit uniforms, others 24-bit."""
    kind = xp.float64 if probs.dtype == xp.float64 else xp.float32
    return unit(g, probs.size, kind) < probs.reshape(-1).astype(kind)


def random_from_to(g: Generator, n: int, low: int, high: int, np_dtype):
    """``random_(low, high)`` / ``randint``: ``word % range + low``, a 64-bit draw when the range
    needs it (and the dtype is 64-bit int or floating), else one 32-bit word."""
    span = high - low
    wide = span >= 2**32 and xp.dtype(np_dtype) in _WIDE_DTYPES
    draws = g.words64(n) if wide else g.words(n)
    return _offset(_remainder(draws, span), low).astype(np_dtype, copy=False)


_WIDE_DTYPES = {xp.dtype(t) for t in (xp.int64, xp.float64, xp.float32)}


def _remainder(draws, divisor: int):
    """``draws % divisor`` for unsigned draws, as ``draws - draws // divisor * divisor``:
    NumPy divides by a constant with a multiply and shift, but its ``%`` divides (five times
    slower)."""
    if divisor > xp.iinfo(draws.dtype).max:
        return draws  # every draw is below the divisor
    divisor = draws.dtype.type(divisor)
    multiple = draws // divisor
    multiple *= divisor
    return xp.subtract(draws, multiple, out=multiple)


def _offset(values, low: int):
    """``values + low`` as int64, wrapping as ATen's ``int64_t`` arithmetic does."""
    return (values + xp.uint64(low % 2**64)).view(xp.int64)


def random_default(g: Generator, n: int, np_dtype):
    """``random_()`` with no bounds: [0, max] for integers, [0, 2**mantissa] for floats."""
    np_dtype = xp.dtype(np_dtype)
    wide = np_dtype in (xp.dtype(xp.int64), xp.dtype(xp.float64))
    draws = g.words64(n) if wide else g.words(n)
    if np_dtype == xp.bool_:
        return (draws & xp.uint64(1)).astype(xp.bool_)
    if np_dtype.kind == "f":
        modulus = 2 ** (xp.finfo(np_dtype).nmant + 1) + 1
    else:
        modulus = int(xp.iinfo(np_dtype).max) + 1
    return _remainder(draws, modulus).astype(np_dtype)


def random_full_range(g: Generator, n: int, np_dtype):
    """``random_(-2**63, None)``: a whole 64-bit draw reinterpreted as int64."""
    return g.words64(n).view(xp.int64).astype(np_dtype)


def randperm(g: Generator, n: int):
    """ATen's CPU randperm: for n below 2**32 / 20, swap each position i with i + (word %
    (n - i)); above, an inside-out Fisher-Yates on 64-bit draws."""
    if n < (2**32 - 1) // 20:
        if n < 2:
            return xp.arange(n, dtype=xp.int64)
        offsets = g.words(n - 1) % xp.arange(n, 1, -1, dtype=xp.uint64)
        return _swap_forward(offsets.astype(xp.int64))
    perm = xp.empty(n, xp.int64)
    draws = g.words64(n)
    for i in range(n):
        z = int(draws[i] % xp.uint64(i + 1))
        perm[i] = perm[z]
        perm[z] = i
    return perm


def _swap_forward(offsets):
    """The permutation left by swapping position i with i + offsets[i], for i = 0, 1, ...
    (n - 1 offsets, n positions), without a Python loop over the swaps.

    Position i is final after step i, when it takes the value then at j = i + offsets[i]. That
    value is j's own if no earlier step swapped with j, else what the last such step k moved
    there: the value at k just before step k. And the value at k before step k is, the same
    way, k's own or the one brought by the last earlier step that swapped with k. Grouping the
    steps by their target finds each "last earlier step"; the chains of them are followed by
    pointer doubling (a few rounds: they are short)."""
    n = len(offsets) + 1
    steps = xp.arange(n, dtype=xp.int64)
    target = steps.copy()
    target[:-1] += offsets  # the last position takes no step of its own
    by_step = _grouped(target)
    by_target = target[by_step]
    before = xp.empty(n, xp.int64)  # the previous step with the same target, or -1
    before[by_step[0]] = -1
    before[by_step[1:]] = xp.where(by_target[1:] == by_target[:-1], by_step[:-1], -1)
    counts = xp.bincount(target, minlength=n)
    last = xp.where(counts > 0, by_step[xp.cumsum(counts) - 1], -1)  # per position, or -1
    # the last step before k that targeted k (k's own step, if it targets k, is not before k)
    brought = xp.where(last == steps, before, last)
    source = xp.where(brought >= 0, brought, steps)
    while True:  # source[k]: the step whose own value sits at k just before step k
        further = source[source]
        if xp.array_equal(further, source):
            break
        source = further
    moved = xp.where(before >= 0, source[before], target)
    return xp.where(target == steps, source, moved)


def _grouped(keys):
    """The indices of ``keys`` (non-negative, below 2**32) ordered by key, ties in index order:
    a radix sort on 16-bit digits, NumPy's linear-time stable sort for 16-bit integers (its
    sort of wider keys is a comparison sort, three times slower here)."""
    order = xp.argsort(keys.astype(xp.uint16), kind="stable")
    if len(keys) > 2**16:
        high = (keys[order] >> 16).astype(xp.uint16)
        order = order[xp.argsort(high, kind="stable")]
    return order


def exponential(g: Generator, n: int, lambd: float):
    """``exponential_(lambd)``: ``-1 / lambd * log1p(-u)`` on 53-bit uniforms."""
    return (-1.0 / lambd) * _random_math.log1p(-unit(g, n, xp.float64))


def geometric(g: Generator, n: int, p: float):
    """``geometric_(p)``: ``ceil(log(u) / log1p(-p))`` on 53-bit uniforms."""
    u = unit(g, n, xp.float64)
    return xp.ceil(_random_math.log(u) / _random_math.log1p(xp.array([-p]))[0])


def cauchy(g: Generator, n: int, median: float, sigma: float):
    """``cauchy_(median, sigma)``: ``median + sigma * tan(pi * (u - 0.5))``."""
    u = unit(g, n, xp.float64)
    return _random_math.muladd(_random_math.tan(xp.pi * (u - 0.5)), float(sigma), float(median))


def log_normal(g: Generator, n: int, mean: float, std: float):
    """``log_normal_(mean, std)``: exp of one-at-a-time normals."""
    return _random_math.exp(normal_scalar(g, n, mean, std))


# -- layout: the order in which ATen's kernels visit a tensor's elements -------------------


def fill_order(array):
    """The axes of ``array`` from the largest stride to the smallest: TensorIterator writes a
    lone output in memory order, so a transposed view is filled as its base was."""
    axes = [a for a in range(array.ndim) if array.shape[a] != 1]
    strides = array.strides
    ordered = sorted(axes, key=lambda a: -abs(strides[a]))
    rest = [a for a in range(array.ndim) if a not in ordered]
    return rest + ordered


def fill_like(array, flat):
    """Lay the values ``flat`` (in ATen's visiting order) out in ``array``'s logical shape."""
    order = fill_order(array)
    shape = [array.shape[a] for a in order]
    return flat.reshape(shape).transpose(xp.argsort(order))


def is_contiguous(array) -> bool:
    """PyTorch's ``is_contiguous`` for the array behind a tensor (size-1 axes do not count)."""
    return array.flags.c_contiguous


# -- whole-tensor fills: values for ``array``'s elements, laid out as ATen writes them ------


def _fill(array, flat):
    flat = xp.asarray(flat)
    if array.dtype == xp.float16 and flat.dtype == xp.float64:
        flat = flat.astype(xp.float32)  # c10::Half is made from a float, so doubles go via float
    return fill_like(array, flat.astype(array.dtype, copy=False))


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise RuntimeError(message)


def fill_uniform(array, low, high, generator=None):
    """Values for ``array.uniform_(low, high)``."""
    _require(
        low <= high,
        f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}",
    )
    return _fill(array, uniform(gen(generator), array.size, low, high, array.dtype))


def fill_normal(array, mean=0.0, std=1.0, generator=None):
    """Values for ``array.normal_(mean, std)``: the fill path for 16 or more contiguous
    elements, one at a time otherwise (as ATen's normal kernel)."""
    _require(std >= 0.0, f"normal expects std >= 0.0, but found std {std}")
    values = normal(gen(generator), array.size, mean, std, array.dtype, is_contiguous(array))
    return _fill(array, values)


def fill_bernoulli(array, p, generator=None):
    """Values for ``array.bernoulli_(p)``, p a number or an array broadcastable to ``array``."""
    g = gen(generator)
    if isinstance(p, xp.ndarray):
        probs = xp.broadcast_to(p, array.shape)
        _require(bool(((probs >= 0) & (probs <= 1)).all()), "bernoulli_: all p must be in [0, 1]")
        return _fill(array, bernoulli_tensor(g, _in_fill_order(array, probs)))
    _require(0 <= p <= 1, f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill(array, bernoulli_scalar(g, array.size, p))


def _in_fill_order(array, values):
    """``values`` (shaped like ``array``) flattened in the order ATen visits ``array``."""
    return xp.transpose(values, fill_order(array)).reshape(-1)


def fill_random(array, low=0, high=None, generator=None):
    """Values for ``array.random_(low, high)``: ``random_()``, ``random_(to)``,
    ``random_(from, to)`` and the full 64-bit range ``random_(-2**63, None)``."""
    g = gen(generator)
    if high is None and low == -(2**63):
        return _fill(array, random_full_range(g, array.size, array.dtype))
    if high is None and low == 0:
        return _fill(array, random_default(g, array.size, array.dtype))
    if high is None:
        low, high = 0, low
    _require(
        low < high, f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
    )
    _check_int_bounds(array.dtype, low, high)
    return _fill(array, random_from_to(g, array.size, int(low), int(high), array.dtype))


_C_NAMES = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
}


def _check_int_bounds(np_dtype, low, high) -> None:
    """``random_(from, to)`` into an integer tensor: both ends must fit its dtype (ATen's check,
    named with C's type names as PyTorch prints them)."""
    np_dtype = xp.dtype(np_dtype)
    if np_dtype.kind not in "biu":
        return
    info = (0, 1) if np_dtype == xp.bool_ else (xp.iinfo(np_dtype).min, xp.iinfo(np_dtype).max)
    name = _C_NAMES[np_dtype.name]
    _require(info[0] <= low <= info[1], f"from is out of bounds for {name}")
    _require(info[0] <= high - 1 <= info[1], f"to - 1 is out of bounds for {name}")


def fill_exponential(array, lambd=1.0, generator=None):
    _require(lambd > 0.0, f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(array, exponential(gen(generator), array.size, lambd))


def fill_geometric(array, p, generator=None):
    _require(0 < p < 1, f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _fill(array, geometric(gen(generator), array.size, p))


def fill_cauchy(array, median=0.0, sigma=1.0, generator=None):
    _require(sigma > 0.0, f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    return _fill(array, cauchy(gen(generator), array.size, median, sigma))


def fill_log_normal(array, mean=1.0, std=2.0, generator=None):
    _require(std > 0.0, f"log_normal_ expects std > 0.0, but found std={std}")
    return _fill(array, log_normal(gen(generator), array.size, mean, std))


def multinomial(probs, num_samples: int, replacement: bool, generator=None):
    """Indices drawn from each row of ``probs`` (ATen's CPU multinomial)."""
    g = gen(generator)
    _require(num_samples > 0, "cannot sample n_sample <= 0 samples")
    _require(probs.ndim in (1, 2), "prob_dist must be 1 or 2 dim")
    rows = probs.reshape(-1, probs.shape[-1])
    _require(
        bool(xp.isfinite(rows).all() and (rows >= 0).all()),
        "probability tensor contains either `inf`, `nan` or element < 0",
    )
    if not replacement or num_samples == 1:
        _require(
            replacement or num_samples <= rows.shape[1],
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
        )
        noise = _fill(xp.empty(rows.shape, rows.dtype), exponential(g, rows.size, 1.0))
        keys = rows / noise
        picked = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        picked = xp.stack([_with_replacement(g, row, num_samples) for row in rows])
    return picked.astype(xp.int64).reshape(probs.shape[:-1] + (num_samples,))


def _with_replacement(g, row, num_samples: int):
    """One row: the running sum normalised, its last entry forced to 1, and for each 53-bit
    uniform the first category whose cumulative probability is not below it."""
    cumulative = xp.cumsum(row)
    total = cumulative[-1]
    if total > 0:
        cumulative = cumulative / total
    cumulative[-1] = 1
    return xp.searchsorted(cumulative.astype(xp.float64), unit(g, num_samples, xp.float64))
