"""Every PyTorch-exact kernel of ``glassgrad._kernels`` against its plain NumPy twin.

``CASES`` has one entry per name in ``KERNELS``: a kernel added without a twin or without a case
fails ``test_every_kernel_has_a_twin_and_a_case``. Each case gives the kernel's inputs for a
dtype (empty, 0-d, NaN/inf, sizes across the SIMD lane, block and threading thresholds); the
exact kernel and its twin must agree to float tolerance on all of them. The switch itself
(``set_exact`` / ``GLASSGRAD_EXACT``) is tested on a small training step.
"""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import glassgrad as gg
from glassgrad import _kernels as kernels
from glassgrad._kernels import sumorder

SRC = pathlib.Path(gg.__file__).parent
RTOL = {np.float32: 2e-6, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def _exact_again():
    """Every test ends in the default (exact) mode, whatever it switched to."""
    yield
    kernels.set_exact(True)


def _rng():
    return np.random.default_rng(16)


def _arrays(dtype, low=-3.0, high=3.0):
    """Arrays of every awkward size and layout: 0-d, empty, one element, shorter than a vector,
    a vector and a bit, many short rows, a transposed view, and above the 16384-element block
    and 32768-element threading limits."""
    rng = _rng()
    out = [rng.uniform(low, high, shape).astype(dtype) for shape in _SHAPES]
    out.append(rng.uniform(low, high, (9, 40)).astype(dtype).T)  # not contiguous
    return out


_SHAPES = [(), (0,), (1,), (3,), (9,), (33,), (4, 0), (7, 3), (64, 10), (3, 40), (70001,)]


def _with_specials(a):
    """``a`` with a NaN, +inf and -inf among its elements (when it has room for them)."""
    a = np.array(a)
    if a.size >= 3:
        flat = a.reshape(-1)
        flat[[0, a.size // 2, -1]] = [np.nan, np.inf, -np.inf]
    return a


def _sum_cases(dtype):
    for a in _arrays(dtype, 0.5, 1.5):  # positive: the order changes only the last bits
        yield (a, None)
        for axes in range(a.ndim):
            yield (a, (axes,))
            yield (a, axes, True)
        if a.ndim == 2:
            yield (a, (0, 1), True)
    yield (_with_specials(_rng().uniform(0.5, 1.5, 100).astype(dtype)), None)


def _nll_cases(dtype):
    rng = _rng()
    for n in (0, 1, 5, 17, 300, 5000):
        values = rng.uniform(0.5, 1.5, n).astype(dtype)
        yield (values,)
        yield (values, rng.random(n) < 0.7)


def _unary_cases(low, high):
    def cases(dtype):
        for a in _arrays(dtype, low, high):
            yield (a,)
        yield (_with_specials(_rng().uniform(low, high, 50).astype(dtype)),)

    return cases


def _softmax_cases(dtype):
    for a in _arrays(dtype, -5.0, 5.0):
        for dim in range(a.ndim):
            yield (a, dim)
    yield (_rng().uniform(-5, 5, (40, 3, 5)).astype(dtype), 1)
    rows = _rng().uniform(-5, 5, (64, 8)).astype(dtype)
    rows[3] = -np.inf  # a row of -inf: NaN in both
    rows[5, 2] = np.nan
    yield (rows, 1)


def _softmax_backward_cases(dtype, forward):
    """A gradient and the output of ``forward`` (taken from the same input): the twins'
    sums of products cancel, so only finite, NaN-free rows suit a tolerance."""
    for a, dim in _softmax_cases(dtype):
        if a.ndim and np.isfinite(a).all():
            grad = _rng().uniform(-1, 1, a.shape).astype(dtype)
            with np.errstate(all="ignore"):
                yield (grad, forward(a, dim), dim)


def _add_product_cases(dtype):
    rng = _rng()
    for shape in [(), (1,), (5,), (7, 3), (40009,)]:
        target = rng.standard_normal(shape).astype(dtype)
        a = rng.standard_normal(shape).astype(dtype)
        yield (target, a, -0.01)  # an optimizer's lr
        yield (target, a, rng.standard_normal(shape).astype(dtype))  # addcmul_
        yield (target, a, dtype(0.37), np.empty(shape, np.float64))  # with a wide buffer
    yield (_with_specials(rng.standard_normal(20).astype(dtype)), np.ones(20, dtype), 2.0)


def _scalar_lane_cases(dtype):
    """An activation's gradient (grad where a > 0) with its scalar formula; ``a`` crossing two
    registers' width, strided, with and without a NaN."""
    rng = _rng()
    scalar = lambda x, g, r: np.where(x > 0, g, r.dtype.type(0))  # noqa: E731
    for shape in [(), (0,), (5,), (37,), (8, 7), (70001,)]:
        a = rng.standard_normal(shape).astype(dtype)
        grad = rng.standard_normal(shape).astype(dtype)
        result = np.where(a > 0, grad, dtype(0))
        yield (result, a, grad, scalar)
        yield (result, a, grad, scalar, True, True)
        yield (result, a, None, scalar)
    a = rng.standard_normal((9, 40)).astype(dtype).T  # strided, and a broadcast gradient
    grad = np.broadcast_to(dtype(2.0), a.shape)
    yield (np.where(a > 0, grad, dtype(0)), a, grad, scalar)


def _sort_cases(dtype):
    """Rows with ties (few distinct values, NaNs), without, ascending and descending, along
    either dimension of a 2-D array."""
    rng = _rng()
    for a in [*_arrays(dtype), rng.integers(0, 3, (5, 40)).astype(dtype)]:
        tied = np.round(a)
        for dim in range(a.ndim):
            for descending in (False, True):
                yield (a, dim, descending)
                yield (_with_specials(tied), dim, descending)


def _bag_cases(backward: bool):
    """Bags of rows: empty bags, repeated rows, per-sample weights, a padding row, a mean
    (positive values: the order changes only the last bits)."""

    def cases(dtype):
        rng = _rng()
        for n in (0, 1, 40, 300):
            weight = rng.uniform(0.5, 1.5, (7, 5)).astype(dtype)
            indices = rng.integers(0, 7, n)
            bags = np.sort(rng.integers(0, 6, n))
            per_sample = rng.uniform(0.5, 1.5, n).astype(dtype)
            if not backward:
                yield (weight, indices, bags, 6)
                yield (weight, indices, bags, 6, per_sample)
                yield (weight, indices, bags, 6, per_sample, True)
                continue
            grad = rng.uniform(0.5, 1.5, (6, 5)).astype(dtype)
            sizes = np.bincount(bags, minlength=6)
            yield (grad, indices, bags, 7)
            yield (grad, indices, bags, 7, per_sample, None, False, 3)
            yield (grad, indices, bags, 7, None, sizes)

    return cases


def _in_place(fn, args):
    """Run an in-place kernel on a copy of its target; return the target."""
    target = args[0].copy()
    fn(target, *args[1:])
    return target


CASES = {
    "reduce_sum": _sum_cases,
    "nll_sum": _nll_cases,
    "add_product_": _add_product_cases,
    "one_minus_square": _unary_cases(-1.5, 1.5),
    "exp": _unary_cases(-20.0, 20.0),
    "log": _unary_cases(1e-3, 100.0),
    "log1p": _unary_cases(-0.9, 100.0),
    "expm1": _unary_cases(-20.0, 20.0),
    "sin": _unary_cases(-0.5, 0.5),  # away from the zeros a relative tolerance cannot judge
    "cos": _unary_cases(-1.0, 1.0),
    "tanh": _unary_cases(-5.0, 5.0),
    "softmax": _softmax_cases,
    "log_softmax": _softmax_cases,
    "softmax_backward": lambda dtype: _softmax_backward_cases(dtype, kernels.softmax),
    "log_softmax_backward": lambda dtype: _softmax_backward_cases(dtype, kernels.log_softmax),
    "vec_exp": _unary_cases(-20.0, 20.0),
    "vec_log": _unary_cases(1e-3, 100.0),
    "redo_scalar_lanes": _scalar_lane_cases,
    "sort_order": _sort_cases,
    "bag_sum": _bag_cases(backward=False),
    "bag_grad": _bag_cases(backward=True),
}
IN_PLACE = {"add_product_"}


def test_every_kernel_has_a_twin_and_a_case():
    missing = sorted(set(kernels.KERNELS) - set(CASES))
    assert not missing, f"kernels without a test case: {missing}; add an entry to CASES"
    stale = sorted(set(CASES) - set(kernels.KERNELS))
    assert not stale, f"CASES names kernels that no longer exist: {stale}"
    for name, (exact, plain) in kernels.KERNELS.items():
        assert callable(exact) and callable(plain) and exact is not plain, name


def test_the_switch_rebinds_every_kernel():
    assert kernels.is_exact() and gg.is_exact()
    for name, (exact, _) in kernels.KERNELS.items():
        assert getattr(kernels, name) is exact, name
    gg.set_exact(False)
    assert not gg.is_exact()
    for name, (_, plain) in kernels.KERNELS.items():
        assert getattr(kernels, name) is plain, name
    gg.set_exact(True)
    for name, (exact, _) in kernels.KERNELS.items():
        assert getattr(kernels, name) is exact, name


def test_set_exact_wants_a_bool():
    with pytest.raises(TypeError, match="set_exact.*True or False.*got 0"):
        gg.set_exact(0)
    assert gg.is_exact()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_agrees_with_its_twin(name, dtype):
    exact, plain = kernels.KERNELS[name]
    count = 0
    for args in CASES[name](dtype):
        with np.errstate(all="ignore"):
            if name in IN_PLACE:
                got, want = _in_place(exact, args), _in_place(plain, args)
            else:
                got, want = exact(*args), plain(*args)
        if name == "redo_scalar_lanes":  # the two differ only where PyTorch's tail sees NaN
            got, want = np.where(np.isnan(args[1]), 0, got), np.where(np.isnan(args[1]), 0, want)
        if name == "sort_order":  # the orders of equal values differ: the values agree
            assert sorted(got.reshape(-1).tolist()) == sorted(want.reshape(-1).tolist())
            data, dim = args[0], args[1]
            if data.ndim:
                got = np.take_along_axis(data, got, dim)
                want = np.take_along_axis(data, want, dim)
        got, want = np.asarray(got), np.asarray(want)
        assert got.shape == want.shape and got.dtype == want.dtype, (name, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype], err_msg=name)
        count += 1
    assert count, f"no inputs for {name}"


def test_scalar_lanes_differ_only_at_nan():
    """The one place the twins disagree on purpose: PyTorch's element-at-a-time tail sends a
    NaN input to the other branch."""
    a = np.array([1.0, np.nan, -1.0], np.float32)  # shorter than a register: all scalar
    grad = np.full(3, 5.0, np.float32)
    result = np.where(a > 0, grad, 0).astype(np.float32)  # SIMD: NaN > 0 is false, 0
    exact, plain = kernels.KERNELS["redo_scalar_lanes"]
    scalar = lambda x, g, r: np.where(x <= 0, r.dtype.type(0), g)  # noqa: E731
    assert exact(result.copy(), a, grad, scalar).tolist() == [5.0, 5.0, 0.0]
    assert plain(result.copy(), a, grad, scalar).tolist() == [5.0, 0.0, 0.0]


def test_ops_call_kernels_through_the_switch():
    """Ops and optimizers reach the kernels through ``glassgrad._kernels``'s names, never a
    submodule's exact function (which ``set_exact(False)`` could not replace)."""
    offenders = []
    for folder in ("ops", "optim", "nn"):
        for path in sorted((SRC / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "glassgrad._kernels."
                ):
                    offenders.append(f"{path.relative_to(SRC)}: from {node.module} import ...")
    assert not offenders, offenders


def _train(steps: int = 3):
    """nn.Linear + CrossEntropyLoss + SGD with momentum, float32: the weights after ``steps``."""
    gg.manual_seed(0)
    model = gg.nn.Sequential(gg.nn.Linear(20, 16), gg.nn.Tanh(), gg.nn.Linear(16, 5))
    opt = gg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = gg.randn(64, 20)
    y = gg.randint(0, 5, (64,))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = gg.nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_plain_mode_trains_close_to_exact_and_exact_comes_back():
    exact_losses, exact_params = _train()
    gg.set_exact(False)
    plain_losses, plain_params = _train()
    np.testing.assert_allclose(plain_losses, exact_losses, rtol=1e-5)
    for got, want in zip(plain_params, exact_params):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    gg.set_exact(True)
    again_losses, again_params = _train()
    assert again_losses == exact_losses
    for got, want in zip(again_params, exact_params):
        assert got.tobytes() == want.tobytes()


def test_exact_mode_matches_torch_losses_bit_for_bit():
    torch = pytest.importorskip("torch")
    gg.set_exact(False)
    gg.set_exact(True)  # a round trip through plain mode leaves nothing behind
    losses, params = _train()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.Tanh(), torch.nn.Linear(16, 5))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(64, 20)
    y = torch.randint(0, 5, (64,))
    want = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        opt.step()
        want.append(loss.item())
    assert losses == want  # the printed losses, bit for bit
    for got, p in zip(params, model.parameters()):  # (weight gradients are BLAS products, whose
        # summation order is BLAS's own: the weights agree to float tolerance)
        np.testing.assert_allclose(got, p.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("value", "expected"), [("0", "False"), ("1", "True"), (None, "True")])
def test_environment_variable_is_read_at_import(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "GLASSGRAD_EXACT"}
    if value is not None:
        env["GLASSGRAD_EXACT"] = value
    code = "import glassgrad; print(glassgrad.is_exact(), glassgrad._kernels.reduce_sum.__name__)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == expected
    want = sumorder.torch_order_sum if expected == "True" else sumorder.plain_sum
    assert out[1] == want.__name__
