"""glassgrad's random stream against PyTorch's, bit for bit.

Each case seeds both libraries, makes the same sequence of random calls in both (so a call
that consumed one word too many or too few shows up in every later value) and compares the
results' bytes, the generator state after the sequence included. The capability test reruns a
sample in subprocesses under each ``ATEN_CPU_CAPABILITY``, since PyTorch picks its normal
kernel by CPU capability and reads the variable only at import.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassgrad as gg
from glassgrad import _random as gg_random

torch = pytest.importorskip("torch", reason="real PyTorch is the oracle for the random stream")

SEEDS = [0, 1, 42, 2**32 + 7]
SIZES = [0, 1, 15, 16, 17, 1000]
DTYPES = ["float32", "float64", "float16"]
SRC = Path(__file__).resolve().parents[2] / "src"


def _empty(T, n, dtype):
    return T.empty(n, dtype=getattr(T, dtype))


def _strided(T, n, dtype):
    """A non-contiguous view with n elements: every other column of an (n, 2) tensor, or a
    transposed (n/16 x 16) block."""
    if n % 16 == 0 and n:
        return T.empty(16, n // 16, dtype=getattr(T, dtype)).t()
    return T.empty(n, 2, dtype=getattr(T, dtype))[:, 0]


# (name, fn(T, n, dtype) -> tensor): every kind of seeded call the stream must agree on
KINDS = [
    ("rand", lambda T, n, d: T.rand(n, dtype=getattr(T, d))),
    ("rand_2d", lambda T, n, d: T.rand(1, n, dtype=getattr(T, d))),
    ("randn", lambda T, n, d: T.randn(n, dtype=getattr(T, d))),
    ("randn_3d", lambda T, n, d: T.randn(n, 1, 1, dtype=getattr(T, d))),
    ("rand_like", lambda T, n, d: T.rand_like(T.zeros(n, dtype=getattr(T, d)))),
    ("randn_like", lambda T, n, d: T.randn_like(T.zeros(n, dtype=getattr(T, d)))),
    ("uniform_", lambda T, n, d: _empty(T, n, d).uniform_(-3.7, 2.1)),
    ("uniform_symmetric", lambda T, n, d: _empty(T, n, d).uniform_(-0.7, 0.7)),
    ("uniform_strided", lambda T, n, d: _strided(T, n, d).uniform_(0.5, 1.5)),
    ("normal_", lambda T, n, d: _empty(T, n, d).normal_()),
    ("normal_mean_std", lambda T, n, d: _empty(T, n, d).normal_(0.3, 2.5)),
    ("normal_strided", lambda T, n, d: _strided(T, n, d).normal_(-1.0, 0.5)),
    ("normal_floats_size", lambda T, n, d: T.normal(0.5, 2.0, (n,), dtype=getattr(T, d))),
    ("normal_tensor_mean", lambda T, n, d: T.normal(T.arange(n, dtype=getattr(T, d)), 0.5)),
    ("normal_tensor_std", lambda T, n, d: T.normal(1.0, T.ones(n, dtype=getattr(T, d)))),
    (
        "normal_tensors",
        lambda T, n, d: T.normal(
            T.zeros(n, dtype=getattr(T, d)), T.full((n,), 3.0, dtype=getattr(T, d))
        ),
    ),
    ("randint", lambda T, n, d: T.randint(-5, 12, (n,))),
    ("randint_high", lambda T, n, d: T.randint(7, (n,), dtype=getattr(T, d))),
    ("randint_wide", lambda T, n, d: T.randint(0, 2**40, (n,))),
    ("randint_like", lambda T, n, d: T.randint_like(T.zeros(n, dtype=T.int32), 3, 9)),
    ("randperm", lambda T, n, d: T.randperm(n)),
    ("random_", lambda T, n, d: _empty(T, n, d).random_()),
    ("random_int64", lambda T, n, d: T.empty(n, dtype=T.int64).random_()),
    ("random_int32", lambda T, n, d: T.empty(n, dtype=T.int32).random_()),
    ("random_to", lambda T, n, d: T.empty(n, dtype=T.int16).random_(100)),
    ("random_from_to", lambda T, n, d: _empty(T, n, d).random_(-20, 20)),
    ("random_full_range", lambda T, n, d: T.empty(n, dtype=T.int64).random_(-(2**63), None)),
    ("random_bool", lambda T, n, d: T.empty(n, dtype=T.bool).random_()),
    ("bernoulli_p", lambda T, n, d: _empty(T, n, d).bernoulli_(0.3)),
    ("bernoulli_tensor_p", lambda T, n, d: _empty(T, n, d).bernoulli_(T.full((n,), 0.6))),
    ("bernoulli_fn", lambda T, n, d: T.bernoulli(T.linspace(0, 1, n, dtype=getattr(T, d)))),
    ("bernoulli_fn_p", lambda T, n, d: T.bernoulli(T.zeros(n, dtype=getattr(T, d)), 0.25)),
    ("exponential_", lambda T, n, d: _empty(T, n, d).exponential_(1.5)),
    ("geometric_", lambda T, n, d: _empty(T, n, d).geometric_(0.3)),
    ("log_normal_", lambda T, n, d: _empty(T, n, d).log_normal_(0.5, 0.4)),
    ("cauchy_", lambda T, n, d: _empty(T, n, d).cauchy_(0.5, 2.0)),
    (
        "multinomial_replacement",
        lambda T, n, d: T.multinomial(
            T.tensor([0.1, 0.5, 0.4], dtype=getattr(T, d)), max(n, 1), True
        ),
    ),
    (
        "multinomial_rows",
        lambda T, n, d: T.multinomial(T.rand(n, 6, dtype=getattr(T, d)) + 0.01, 3),
    ),
    ("generator_arg", lambda T, n, d: T.randn(n, generator=T.Generator().manual_seed(n + 3))),
]


# float16 keys p / q tie often, and PyTorch's topk orders ties its own way (its partial sort)
NOT_FLOAT16 = {"multinomial_rows"}


def _run(T, seed: int, size: int, dtype: str) -> list:
    """Every kind in turn on one stream: the list of results (bytes, dtype, shape)."""
    T.manual_seed(seed)
    results = []
    for name, fn in KINDS:
        value = fn(T, size, "float32" if dtype == "float16" and name in NOT_FLOAT16 else dtype)
        array = np.ascontiguousarray(value.numpy())
        results.append((array.tobytes(), str(array.dtype), array.shape))
    results.append((T.get_rng_state().numpy().tobytes(), "state", ()))
    return results


def test_at_least_thirty_kinds():
    assert len(KINDS) >= 30


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_mixed_sequence_matches_torch(seed, size, dtype):
    expected, got = _run(torch, seed, size, dtype), _run(gg, seed, size, dtype)
    names = [name for name, _ in KINDS] + ["final state"]
    for name, want, have in zip(names, expected, got):
        assert have == want, f"{name} differs from torch (seed {seed}, size {size}, {dtype})"


def test_issue_example():
    """The issue's example: torch.manual_seed(0); torch.randn(3) is [1.5410, -0.2934, -2.1788]."""
    gg.manual_seed(0)
    torch.manual_seed(0)
    assert gg.randn(3).numpy().tobytes() == torch.randn(3).numpy().tobytes()


@pytest.mark.parametrize("seed", [0, 5, -1, 2**63 + 5, -(2**63)])
def test_seeds_and_initial_seed(seed):
    torch.manual_seed(seed)
    gg.manual_seed(seed)
    assert gg.initial_seed() == torch.initial_seed()
    assert gg.rand(5).numpy().tobytes() == torch.rand(5).numpy().tobytes()


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1])
def test_seed_out_of_range(seed):
    with pytest.raises(ValueError):
        torch.manual_seed(seed)
    with pytest.raises(ValueError, match="out of range"):
        gg.manual_seed(seed)


def test_state_crosses_between_libraries():
    """A state from real PyTorch restores in glassgrad and the other way round, the cached
    Box-Muller sample included."""
    torch.manual_seed(11)
    torch.randn(3, dtype=torch.float64)  # leaves a cached normal in the state
    state = torch.get_rng_state()
    gg.set_rng_state(gg.tensor(state.numpy()))
    assert gg.get_rng_state().numpy().tobytes() == state.numpy().tobytes()
    assert (
        gg.randn(5, dtype=gg.float64).numpy().tobytes()
        == torch.randn(5, dtype=torch.float64).numpy().tobytes()
    )
    gg.manual_seed(3)
    gg.rand(700)
    torch.set_rng_state(torch.from_numpy(gg.get_rng_state().numpy().copy()))
    assert gg.randn(20).numpy().tobytes() == torch.randn(20).numpy().tobytes()
    with pytest.raises(RuntimeError, match="5056"):
        gg.set_rng_state(gg.zeros(10, dtype=gg.uint8))


def test_generators_are_independent():
    g, h = torch.Generator().manual_seed(1), gg.Generator().manual_seed(1)
    torch.manual_seed(2)
    gg.manual_seed(2)
    assert gg.Generator().initial_seed() == torch.Generator().initial_seed()
    for _ in range(3):
        assert (
            gg.rand(4, generator=h).numpy().tobytes()
            == torch.rand(4, generator=g).numpy().tobytes()
        )
        assert gg.rand(2).numpy().tobytes() == torch.rand(2).numpy().tobytes()
    assert h.get_state().numpy().tobytes() == g.get_state().numpy().tobytes()


def test_fork_rng_restores_the_stream():
    torch.manual_seed(4)
    gg.manual_seed(4)
    with gg.random.fork_rng():
        gg.randn(10)
    with torch.random.fork_rng():
        torch.randn(10)
    assert gg.rand(3).numpy().tobytes() == torch.rand(3).numpy().tobytes()


def test_seed_reseeds_from_entropy():
    first = gg.seed()
    assert gg.initial_seed() == first
    assert 0 <= first < 2**64


# -- built on the stream: initialisation, dropout, data loading ----------------------------

MODULES = [
    ("Linear", lambda nn: nn.Linear(7, 5)),
    ("Linear_nobias", lambda nn: nn.Linear(3, 4, bias=False)),
    ("Conv1d", lambda nn: nn.Conv1d(3, 4, 3)),
    ("Conv2d", lambda nn: nn.Conv2d(2, 3, (3, 2))),
    ("Conv3d", lambda nn: nn.Conv3d(2, 2, 2)),
    ("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(3, 2, 3)),
    ("Embedding", lambda nn: nn.Embedding(10, 4)),
    ("Embedding_padding", lambda nn: nn.Embedding(10, 4, padding_idx=2)),
    ("RNN", lambda nn: nn.RNN(4, 6, 2)),
    ("LSTM", lambda nn: nn.LSTM(3, 5, 2, bidirectional=True)),
    ("GRU", lambda nn: nn.GRU(4, 3)),
    ("LSTMCell", lambda nn: nn.LSTMCell(3, 4)),
    ("GRUCell", lambda nn: nn.GRUCell(3, 4)),
    ("RNNCell", lambda nn: nn.RNNCell(3, 4)),
    ("MultiheadAttention", lambda nn: nn.MultiheadAttention(8, 2)),
    ("TransformerEncoderLayer", lambda nn: nn.TransformerEncoderLayer(8, 2, 16)),
    ("TransformerDecoderLayer", lambda nn: nn.TransformerDecoderLayer(8, 2, 16)),
    ("Transformer", lambda nn: nn.Transformer(8, 2, 1, 1, 16)),
    ("BatchNorm1d", lambda nn: nn.BatchNorm1d(4)),
    ("LayerNorm", lambda nn: nn.LayerNorm(4)),
]


@pytest.mark.parametrize("seed", [0, 42])
@pytest.mark.parametrize("name,make", MODULES, ids=[m[0] for m in MODULES])
def test_default_init_matches_torch(name, make, seed):
    torch.manual_seed(seed)
    gg.manual_seed(seed)
    want = [p.detach().numpy() for p in make(torch.nn).parameters()]
    have = [p.detach().numpy() for p in make(gg.nn).parameters()]
    assert [a.tobytes() for a in have] == [a.tobytes() for a in want]


INITS = [
    ("uniform_", lambda init, t: init.uniform_(t, -2, 3)),
    ("normal_", lambda init, t: init.normal_(t, 1, 0.5)),
    ("xavier_uniform_", lambda init, t: init.xavier_uniform_(t, gain=1.3)),
    ("xavier_normal_", lambda init, t: init.xavier_normal_(t)),
    (
        "kaiming_uniform_",
        lambda init, t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
    ),
    ("kaiming_normal_", lambda init, t: init.kaiming_normal_(t)),
    ("trunc_normal_", lambda init, t: init.trunc_normal_(t, std=0.02)),
    ("trunc_normal_tail", lambda init, t: init.trunc_normal_(t, a=2.0, b=3.0)),
    ("sparse_", lambda init, t: init.sparse_(t, 0.3)),
]


@pytest.mark.parametrize("shape", [(5, 7), (20, 30)])
@pytest.mark.parametrize("name,fn", INITS, ids=[i[0] for i in INITS])
def test_nn_init_matches_torch(name, fn, shape):
    torch.manual_seed(1)
    gg.manual_seed(1)
    want = fn(torch.nn.init, torch.empty(shape)).numpy()
    have = fn(gg.nn.init, gg.empty(shape)).numpy()
    assert have.tobytes() == want.tobytes()
    assert gg.rand(2).numpy().tobytes() == torch.rand(2).numpy().tobytes()


def test_orthogonal_within_ulps():
    """Same normals as PyTorch; the QR is LAPACK's through NumPy, not PyTorch's: ulps apart."""
    torch.manual_seed(1)
    gg.manual_seed(1)
    want = torch.nn.init.orthogonal_(torch.empty(20, 30)).numpy()
    have = gg.nn.init.orthogonal_(gg.empty(20, 30)).numpy()
    np.testing.assert_allclose(have, want, rtol=0, atol=1e-5)
    assert gg.rand(2).numpy().tobytes() == torch.rand(2).numpy().tobytes()


DROPOUTS = [
    ("dropout", lambda T: T.nn.functional.dropout(T.ones(4, 6, 5), 0.3)),
    ("Dropout", lambda T: T.nn.Dropout(0.5)(T.ones(40))),
    ("Dropout_inplace", lambda T: T.nn.Dropout(0.25, inplace=True)(T.ones(3, 17))),
    ("Dropout1d", lambda T: T.nn.Dropout1d(0.4)(T.ones(3, 4))),
    ("Dropout2d", lambda T: T.nn.Dropout2d(0.4)(T.ones(2, 3, 4, 4))),
    ("Dropout3d", lambda T: T.nn.Dropout3d(0.4)(T.ones(2, 3, 2, 2, 2))),
    ("dropout_float64", lambda T: T.nn.functional.dropout(T.ones(30, dtype=T.float64), 0.2)),
    ("dropout_p1", lambda T: T.nn.functional.dropout(T.ones(5), 1.0)),
    ("AlphaDropout", lambda T: T.nn.AlphaDropout(0.3)(T.randn(4, 6, 5))),
    ("AlphaDropout_inplace", lambda T: T.nn.AlphaDropout(0.2, inplace=True)(T.randn(3, 17))),
    ("FeatureAlphaDropout", lambda T: T.nn.FeatureAlphaDropout(0.4)(T.randn(2, 3, 4, 4))),
    (
        "alpha_dropout_float64",
        lambda T: T.nn.functional.alpha_dropout(T.randn(30, dtype=T.float64), 0.5, True),
    ),
    ("alpha_dropout_p1", lambda T: T.nn.functional.alpha_dropout(T.randn(5), 1.0, True)),
    ("alpha_dropout_eval", lambda T: T.nn.functional.alpha_dropout(T.randn(5), 0.5)),
]


@pytest.mark.parametrize("name,fn", DROPOUTS, ids=[d[0] for d in DROPOUTS])
def test_dropout_masks_match_torch(name, fn):
    torch.manual_seed(7)
    gg.manual_seed(7)
    assert fn(gg).numpy().tobytes() == fn(torch).numpy().tobytes()
    assert gg.rand(3).numpy().tobytes() == torch.rand(3).numpy().tobytes()


def _data_draws(T) -> list:
    """Indices from every sampler, two shuffled epochs, random_split; then one more draw."""
    D = T.utils.data
    T.manual_seed(3)
    ds = D.TensorDataset(T.arange(10))
    out = []
    loader = D.DataLoader(ds, batch_size=4, shuffle=True)
    out += [[b[0].tolist() for b in loader] for _ in range(2)]
    out.append([b[0].tolist() for b in D.DataLoader(ds, batch_size=3)])
    out.append(list(D.RandomSampler(range(7), replacement=True, num_samples=70)))
    out.append(list(D.RandomSampler(range(7), num_samples=17)))
    out.append(list(D.SubsetRandomSampler([5, 8, 11, 20])))
    out.append(list(D.WeightedRandomSampler([0.1, 0.5, 2.0, 1.0], 12)))
    out.append(list(D.WeightedRandomSampler([0.1, 0.5, 2.0, 1.0], 3, replacement=False)))
    out.append([list(s.indices) for s in D.random_split(range(10), [0.3, 0.7])])
    g = T.Generator().manual_seed(5)
    out.append([list(s.indices) for s in D.random_split(range(10), [3, 7], generator=g)])
    seeded = D.DataLoader(ds, batch_size=5, shuffle=True, generator=T.Generator().manual_seed(9))
    out.append([b[0].tolist() for b in seeded])
    out.append(T.rand(2).tolist())
    return out


def test_data_loading_matches_torch():
    assert _data_draws(gg) == _data_draws(torch)


def test_endless_sampler_is_lazy():
    """num_samples=1e10 with replacement: drawn 32 at a time, never all at once."""
    torch.manual_seed(0)
    gg.manual_seed(0)
    take = 100
    want = [
        i for i, _ in zip(torch.utils.data.RandomSampler(range(9), True, int(1e10)), range(take))
    ]
    have = [i for i, _ in zip(gg.utils.data.RandomSampler(range(9), True, int(1e10)), range(take))]
    assert have == want


# -- every CPU capability, each in its own interpreter (PyTorch reads it at import) --------

_CAPABILITY_SCRIPT = """
import json, sys
import numpy as np
import torch
import glassgrad as gg
out = {}
for T in (torch, gg):
    T.manual_seed(42)
    vals = [T.randn(1000), T.randn(40003), T.randn(40003, dtype=T.float64),
            T.randn(17, dtype=T.float64), T.empty(33).normal_(0.3, 2.5),
            T.empty(40, dtype=T.float64).normal_(-1.0, 0.7), T.empty(9).uniform_(-3, 5),
            T.empty(9, dtype=T.float64).uniform_(-3, 5), T.empty(5).normal_(2.0, 3.0),
            T.empty(20, dtype=T.float64).cauchy_(1.0, 2.0), T.nn.Linear(20, 30).weight.detach()]
    out[T.__name__] = [np.ascontiguousarray(v.numpy()).tobytes().hex() for v in vals]
print(json.dumps(out["torch"] == out["glassgrad"]))
"""


@pytest.mark.parametrize("capability", ["default", "avx2", "avx512"])
def test_each_cpu_capability(capability):
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", _CAPABILITY_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) is True


def test_like_and_dropout_follow_a_permuted_layout():
    """empty_like keeps a transposed input's layout, so rand_like, randn_like, randint_like and
    dropout's noise are drawn in memory order (randn_like then takes the one-at-a-time path)."""
    out = {}
    for T in (torch, gg):
        T.manual_seed(0)
        x, w = T.ones(5, 7).t(), T.zeros(6, 8)[:, ::2]
        values = [
            T.rand_like(x),
            T.randn_like(T.ones(40, 3).t()),
            T.randint_like(x, 3, 9),
            T.randn_like(w, dtype=T.float64),
            T.nn.functional.dropout(x, 0.4),
            T.nn.functional.dropout(w + 1, 0.4),
            T.rand(2),
        ]
        out[T] = [np.ascontiguousarray(v.numpy()).tobytes() for v in values]
    assert out[gg] == out[torch]


# -- the long fills, chunked for speed: every chunk boundary and the tail agree ------------

LONG_SIZES = [16385, 32768 + 5, 10**6 + 3]
LONG_CALLS = [
    ("randn", lambda T, n, d: T.randn(n, dtype=d)),
    ("normal_", lambda T, n, d: T.empty(n, dtype=d).normal_(0.3, 2.5)),
    ("normal_small_std", lambda T, n, d: T.empty(n, dtype=d).normal_(0.0, 0.02)),
    ("normal_strided", lambda T, n, d: T.empty(n, 2, dtype=d)[:, 0].normal_(-1.0, 0.5)),
    ("uniform_", lambda T, n, d: T.empty(n, dtype=d).uniform_(-0.1, 0.1)),
    ("rand", lambda T, n, d: T.rand(n, dtype=d)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", LONG_SIZES)
@pytest.mark.parametrize("seed", [0, 42, 2**32 + 7])
def test_long_fills_match_torch(seed, size, dtype):
    """A million values and sizes just past the chunk lengths, one stream, every value's bits
    (the strided fill at 10**6 is subsampled: it goes one value at a time in both)."""
    got = {}
    for T in (torch, gg):
        T.manual_seed(seed)
        got[T] = []
        for name, fn in LONG_CALLS:
            n = size if name != "normal_strided" or size < 10**5 else 40_000
            got[T].append(np.ascontiguousarray(fn(T, n, getattr(T, dtype)).numpy()).tobytes())
        got[T].append(T.get_rng_state().numpy().tobytes())
    for (name, _), want, have in zip(LONG_CALLS + [("state", None)], got[torch], got[gg]):
        assert have == want, f"{name} differs from torch (seed {seed}, size {size}, {dtype})"


def test_randn_zero_uniform_gives_positive_zero():
    """Seed 12 draws u = 0 at value 411302 of randn(2**20): the radius is sqrt(-0.0) and
    PyTorch's closing fused multiply-add makes the value +0.0 (not -0.0)."""
    torch.manual_seed(12)
    gg.manual_seed(12)
    want, have = torch.randn(2**20).numpy(), gg.randn(2**20).numpy()
    assert want[411302] == 0 and not np.signbit(want[411302])
    assert have.tobytes() == want.tobytes()


@pytest.mark.parametrize("n", [2, 3, 17, 1000, 60000, 100_003])
@pytest.mark.parametrize("seed", [0, 42, 2**32 + 7])
def test_randperm_matches_torch(seed, n):
    torch.manual_seed(seed)
    gg.manual_seed(seed)
    assert gg.randperm(n).numpy().tobytes() == torch.randperm(n).numpy().tobytes()
    assert gg.rand(2).numpy().tobytes() == torch.rand(2).numpy().tobytes()


@pytest.mark.parametrize("shape", [(1024, 1024), (30, 17), (1, 1)])
def test_linear_init_matches_torch(shape):
    torch.manual_seed(5)
    gg.manual_seed(5)
    want, have = torch.nn.Linear(*shape), gg.nn.Linear(*shape)
    for a, b in [(have.weight, want.weight), (have.bias, want.bias)]:
        assert a.detach().numpy().tobytes() == b.detach().numpy().tobytes()


CHUNK = gg_random._CHUNK  # the normal fill draws and transforms this many values at a time


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize(
    "size", [CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + 15, CHUNK + 16, CHUNK + 17, 2 * CHUNK + 16]
)
def test_fill_chunk_boundaries_match_torch(size, dtype):
    """Sizes around the fill's chunk length: the last chunk whole, short by one block, or
    followed by the 16 fresh uniforms of a tail; then one more draw and the state."""
    got = {}
    for T in (torch, gg):
        T.manual_seed(size)
        kind = getattr(T, dtype)
        values = [T.randn(size, dtype=kind), T.empty(size, dtype=kind).normal_(0.3, 2.5)]
        values.append(T.rand(3))
        got[T] = [np.ascontiguousarray(v.numpy()).tobytes() for v in values]
        got[T].append(T.get_rng_state().numpy().tobytes())
    assert got[gg] == got[torch]
