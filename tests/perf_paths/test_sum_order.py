"""The vectorised PyTorch-order sums and loss kernels, checked bit for bit.

``glassgrad._kernels.sumorder`` and the NLL loss add numbers in PyTorch's CPU order with a few NumPy
reductions instead of PyTorch's loops. Each is compared here with a literal, slow
transcription of those loops (the plain path) and with real PyTorch, over shapes around the
cascade's block boundaries, layouts, dtypes and special values. No timing anywhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg
from glassgrad._kernels import softmax_order as SO
from glassgrad._kernels import sumorder as S
from glassgrad._kernels.simd import halves_float32_registers
from glassgrad._kernels.vecmath import vec_exp, vec_log
from glassgrad.ops import _dual as D
from glassgrad.ops import reduce as R

pytestmark = pytest.mark.simd_bits

DTYPES = [np.float32, np.float64]


def same_bits(got, want) -> bool:
    """Equal shapes, dtypes and bits; any NaN matches any NaN (both print as nan)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    nan = np.isnan(got)
    if not np.array_equal(nan, np.isnan(want)):
        return False
    return got[~nan].tobytes() == want[~nan].tobytes()


def spiky(rng, shape, dtype, special=True):
    """Values over many magnitudes (so the order of additions shows), with -0.0 and, if
    ``special``, an inf or NaN now and then."""
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)
    x = x.astype(dtype)
    flat = x.reshape(-1)
    if flat.size:
        flat[rng.integers(0, flat.size, max(1, flat.size // 8))] = -0.0
        if special and rng.random() < 0.2:
            flat[rng.integers(0, flat.size)] = rng.choice([np.inf, -np.inf, np.nan])
    return x


# ----------------------------------------------------------------------------- the plain path
# PyTorch's SumKernel.cpp loops, transcribed one addition at a time. Each "row" is a vector of
# independent columns (SIMD lanes and separate outputs), so the loops run over rows only.
def plain_multi_row_sum(rows):
    size, acc = rows.shape[0], [np.zeros(rows.shape[1:], rows.dtype) for _ in range(4)]
    power = max(4, (size - 1).bit_length() // 4) if size > 1 else 4
    step, mask = 1 << power, (1 << power) - 1
    i = 0
    while i + step <= size:
        for _ in range(step):
            acc[0] = acc[0] + rows[i]
            i += 1
        for j in range(1, 4):
            acc[j] = acc[j] + acc[j - 1]
            acc[j - 1] = np.zeros_like(acc[j - 1])
            if i & (mask << (j * power)):
                break
    for k in range(i, size):
        acc[0] = acc[0] + rows[k]
    for j in range(1, 4):
        acc[0] = acc[0] + acc[j]
    return acc[0]


def plain_row_sum(rows):
    groups = rows.shape[0] // 4
    grouped = rows[: groups * 4].reshape((groups, 4) + rows.shape[1:])
    width = 4 * int(np.prod(rows.shape[1:]))
    partial = plain_multi_row_sum(grouped.reshape((groups, width))).reshape((4,) + rows.shape[1:])
    total = partial[0]
    for k in range(groups * 4, rows.shape[0]):
        total = total + rows[k]
    for j in range(1, 4):
        total = total + partial[j]
    return total


def plain_inner_sum(matrix, lanes):
    n = matrix.shape[1]
    if n < lanes:
        return plain_row_sum(matrix.T)
    vec = n // lanes
    lane_rows = matrix[:, : vec * lanes].reshape(matrix.shape[0], vec, lanes).transpose(1, 0, 2)
    lane_sums = plain_row_sum(lane_rows)
    total = np.zeros(matrix.shape[0], matrix.dtype)
    for k in range(vec * lanes, n):
        total = total + matrix[:, k]
    for k in range(lanes):
        total = total + lane_sums[:, k]
    return total


def plain_outer_sum(matrix, lanes):
    cols, out, j = matrix.shape[1], [], 0
    width = 4 * lanes if cols >= lanes else 4
    while j + width <= cols:
        out.append(plain_multi_row_sum(matrix[:, j : j + width]))
        j += width
    if j < cols:
        out.append(plain_row_sum(matrix[:, j:]))
    return np.concatenate(out)


def plain_torch_sum(x, dim):
    """PyTorch's sum of a C-contiguous array: everything, the last or the first dimension."""
    lanes = 32 // x.itemsize
    if dim is None or x.size == x.shape[dim]:  # (PyTorch drops dimensions of length 1)
        total = plain_inner_sum(x.reshape(1, -1), lanes)
        return (
            total.reshape(()) if dim is None else total.reshape(x.shape[:dim] + x.shape[dim + 1 :])
        )
    if dim == x.ndim - 1:
        return plain_inner_sum(x.reshape(-1, x.shape[-1]), lanes).reshape(x.shape[:-1])
    return plain_outer_sum(x.reshape(x.shape[0], -1), lanes).reshape(x.shape[1:])


# ----------------------------------------------------------------------------- ordered_sum
def test_ordered_sum_adds_slices_in_turn_in_every_layout():
    rng = np.random.default_rng(0)
    for trial in range(300):
        dtype = DTYPES[trial % 2]
        k, inner = int(rng.integers(0, 40)), int(rng.integers(1, 12))
        base = spiky(rng, (k + 3, inner + 4, 2), dtype)
        views = [
            base[:k, :inner, 0],  # strided rows
            np.ascontiguousarray(base[:k, :inner, 0]),
            base[:k, :inner, 0].T.T.copy(order="F"),  # axis 0 innermost: must not pair up
            base[k + 2 :: -1, :inner, 0][:k],  # negative strides
            base[:k, :inner],  # three dimensions
        ]
        for stack in views:
            want = np.zeros(stack.shape[1:], dtype)
            for part in stack:
                want = want + part
            assert same_bits(S.ordered_sum(stack), want), (stack.shape, stack.strides)


# ----------------------------------------------------------------------------- torch_order_sum
BOUNDARY_ROWS = [1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1023, 4095, 4096, 4097]


@pytest.mark.parametrize("dtype", DTYPES)
def test_sums_match_the_plain_loops_around_cascade_boundaries(dtype):
    rng = np.random.default_rng(1)
    cases = [((n,), None) for n in BOUNDARY_ROWS + [8191, 32768]]
    cases += [((n, c), d) for n in BOUNDARY_ROWS for c in (1, 3, 8, 13) for d in (0, 1)]
    cases += [((c, n), d) for n in (5, 17, 257) for c in (2, 33, 40, 70) for d in (0, 1)]
    cases += [((3, 5, n), d) for n in (1, 7, 33) for d in (0, 2, None)]
    for shape, dim in cases:
        x = spiky(rng, shape, dtype)
        want = plain_torch_sum(x, dim)
        got = S.torch_order_sum(x, None if dim is None else (dim,))
        assert same_bits(got, want), (shape, dim)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sums_match_torch_bit_for_bit(dtype):
    rng = np.random.default_rng(2)
    shapes = [(n,) for n in (7, 8, 9, 256, 4097, 32768)]
    shapes += [(n, c) for n in (16, 255, 256, 4096, 4097) for c in (1, 2, 10, 31, 32, 33, 40)]
    shapes += [(256, 256), (300, 300), (1000, 36), (36, 1000), (70000, 3), (2, 3, 4)]
    for shape in shapes:
        x = spiky(rng, shape, dtype, special=False)
        t = torch.from_numpy(x)
        dims = [None] if x.size <= 32768 else []  # larger whole sums: PyTorch splits them
        dims += list(range(x.ndim)) if x.ndim > 1 else []
        for dim in dims:
            want = (t.sum() if dim is None else t.sum(dim)).numpy()
            got = S.torch_order_sum(x, None if dim is None else (dim,))
            assert same_bits(got, want), (shape, dim)
            if x.ndim == 2:  # the same numbers stored transposed: summed in memory order
                xt = np.ascontiguousarray(x.T).T
                tt = torch.from_numpy(xt)
                want = (tt.sum() if dim is None else tt.sum(dim)).numpy()
                assert same_bits(S.torch_order_sum(xt, None if dim is None else (dim,)), want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sums_over_middle_dimensions_match_torch(dtype):
    """PyTorch sums middle dimensions slice by slice, each as a sum over leading rows."""
    rng = np.random.default_rng(12)
    cases = [((4, 5, 6), (1,)), ((3, 17, 33), (1,)), ((2, 300, 10), (1,)), ((8, 100, 40), (1,))]
    cases += [((5, 64, 32, 3), (1, 2)), ((7, 1, 9, 1, 11), (2,)), ((3, 40000, 2), (1,))]
    for shape, axes in cases:
        x = spiky(rng, shape, dtype, special=False)
        for keep in (False, True):
            want = torch.from_numpy(x).sum(axes, keepdim=keep).numpy()
            assert same_bits(S.torch_order_sum(x, axes, keep), want), (shape, axes, keep)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values_and_negative_zeros_sum_like_torch(dtype):
    rng = np.random.default_rng(3)
    for trial in range(120):
        shape = [(int(rng.integers(1, 9)),), (int(rng.integers(1, 40)), int(rng.integers(1, 40)))]
        x = spiky(rng, shape[trial % 2], dtype)
        if trial % 5 == 0:
            # all zeros, many negative: PyTorch's sums start from +0.0
            x = np.where(rng.random(x.shape) < 0.7, -0.0, 0.0).astype(dtype)
        t = torch.from_numpy(x)
        for dim in [None] + list(range(x.ndim)):
            for keep in (False, True):
                want = (t.sum() if dim is None else t.sum(dim, keepdim=keep)).numpy()
                got = S.torch_order_sum(
                    x, None if dim is None else (dim,), keep and dim is not None
                )
                assert same_bits(got, want), (x.shape, dim, keep)


def test_short_sums_keep_numpy_shapes():
    x = np.arange(6, dtype=np.float32).reshape(3, 1, 2)
    for axes in [None, (0, 2), (0, 1, 2), (-1, 0), 0]:
        for keep in (False, True):
            got = np.asarray(S.torch_order_sum(x if axes != 0 else x[:, 0, 0], axes, keep))
            want = (x if axes != 0 else x[:, 0, 0]).sum(axis=axes, keepdims=keep)
            assert got.shape == want.shape and got.dtype == want.dtype and got.sum() == want.sum()


# ----------------------------------------------------------------------------- mean and MSE
@pytest.mark.parametrize("dtype", DTYPES)
def test_small_mean_and_mse_match_torch_with_gradients(dtype):
    rng = np.random.default_rng(4)
    for shape in [(4,), (4, 1), (3,), (7,), (2, 3), (9,)]:
        for trial in range(20):
            a, b = spiky(rng, shape, dtype), spiky(rng, shape, dtype)
            results = []
            for m in (torch, gg):
                x = m.tensor(a, requires_grad=True)
                y = m.tensor(b, requires_grad=True)
                mean = ((x - y) ** 2).mean()
                mse = m.nn.functional.mse_loss(x, y)
                (mean * 0.75 + mse * 1.5).backward()
                results.append([mean.detach(), mse.detach(), x.grad, y.grad])
            for got, want in zip(results[1], results[0]):
                assert same_bits(got.numpy(), want.numpy()), (shape, trial)


def test_mean_backward_divides_once_per_element():
    for shape, dims in [((4,), (0,)), ((), ()), ((3, 2), (0, 1))]:
        ctx = type("Ctx", (), {})()
        x = np.arange(1.0, 1.0 + np.prod(shape), dtype=np.float32).reshape(shape)
        R.Mean.forward(ctx, x, dims=dims)
        for g in (np.asarray(np.float32(0.3)), np.float32(-7.0)):
            got = np.asarray(R.Mean.backward(ctx, g))
            want = np.broadcast_to(g, shape) / np.float32(ctx.count)
            assert got.shape == shape and same_bits(got, want.astype(np.float32))


# ----------------------------------------------------------------------------- NLL / cross-entropy
@pytest.mark.parametrize("n", [1, 2, 16, 17, 32, 255, 256, 257, 4096, 4097, 70000])
def test_nll_cascade_matches_the_sample_by_sample_walk(n):
    rng = np.random.default_rng(n)
    values = spiky(rng, (n,), np.float32, special=False)
    step = 1 << max(4, (n - 1).bit_length() // S._NLL_LEVELS)
    walked = S._nll_sum_skipping(values, np.ones(n, bool), step)
    assert same_bits(S.nll_order_sum(values), walked)


def _nll_case(rng, trial):
    n = int(rng.choice([1, 2, 15, 16, 17, 100, 255, 256, 257, 1000, 4097]))
    c = int(rng.integers(1, 12))
    dtype = DTYPES[trial % 2]
    x = (rng.standard_normal((n, c)) * 3).astype(dtype)
    if trial % 7 == 0:
        x[rng.integers(0, n), :] = -np.inf
    target = rng.integers(0, c, n)
    if trial % 3 == 1:
        target[rng.random(n) < 0.3] = -100
    if trial % 19 == 0:
        target[:] = -100
    weight = rng.uniform(0.1, 2.0, c).astype(dtype) if trial % 4 == 2 else None
    reduction = ["mean", "sum", "none"][trial % 3] if trial % 5 else "mean"
    return x, target, weight, reduction, [1.0, 0.37, -2.5][trial % 3]


def test_nll_loss_and_gradient_match_torch_bit_for_bit():
    rng = np.random.default_rng(5)
    for trial in range(150):
        x, target, weight, reduction, scale = _nll_case(rng, trial)
        if trial % 11 == 0:
            x = x.reshape(1, -1)[:, : x.shape[1]]  # a single sample
            target = target[:1]
        results = []
        for m in (torch, gg):
            logp = m.tensor(x, requires_grad=True)
            w = None if weight is None else m.tensor(weight)
            loss = m.nn.functional.nll_loss(logp, m.tensor(target), weight=w, reduction=reduction)
            (loss * scale).sum().backward()
            results.append((loss.detach().numpy(), logp.grad.numpy()))
        for got, want in zip(results[1], results[0]):
            assert same_bits(got, want), (x.shape, reduction, weight is not None, trial)


def test_cross_entropy_sum_of_torch_log_probabilities_matches_torch():
    """The loss is bit-exact given the same log-probabilities (PyTorch's exp/log differ in
    the last bit from correctly rounded ones, so log_softmax itself is compared apart)."""
    rng = np.random.default_rng(6)
    for trial in range(60):
        x, target, weight, reduction, _ = _nll_case(rng, trial)
        logp = torch.log_softmax(torch.from_numpy(x), 1)
        w = None if weight is None else torch.from_numpy(weight)
        want = torch.nn.functional.nll_loss(logp, torch.from_numpy(target), w, reduction=reduction)
        got = gg.nn.functional.nll_loss(
            gg.tensor(logp.numpy()),
            gg.tensor(target),
            None if weight is None else gg.tensor(weight),
            reduction=reduction,
        )
        assert same_bits(got.numpy(), want.numpy())


def test_nll_loss_on_images_ignores_samples_exactly():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    target = rng.integers(0, 3, (2, 4, 5))
    target[0, 1] = -100
    for reduction in ("mean", "sum", "none"):
        got = gg.nn.functional.nll_loss(gg.tensor(x), gg.tensor(target), reduction=reduction)
        want = torch.nn.functional.nll_loss(
            torch.from_numpy(x), torch.from_numpy(target), reduction=reduction
        )
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
        if reduction == "none":
            assert same_bits(got.numpy(), want.numpy())


# ----------------------------------------------------------------------------- softmax rows
def plain_vector_sum(row, lanes):
    """``vec::reduce_all``'s sum of one row, one scalar addition at a time."""
    if len(row) < lanes:
        total = row[0]
        for value in row[1:]:
            total = total + value
        return total
    acc = list(row[:lanes])
    full = len(row) // lanes * lanes
    for i in range(lanes, len(row)):
        acc[i % lanes if i < full else i - full] += row[i]
    if row.dtype.itemsize == 8 or not halves_float32_registers():
        total = acc[0]
        for value in acc[1:]:
            total = total + value
        return total
    half = lanes // 2
    while half:
        acc = [acc[i] + acc[i + half] for i in range(half)]
        half //= 2
    return acc[0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_row_sums_follow_the_vector_kernel(dtype):
    lanes = SO._softmax_lanes(np.dtype(dtype))
    if not lanes:
        pytest.skip("PyTorch's SIMD width on this machine is unknown")
    rng = np.random.default_rng(8)
    for rows in (1, 2, 31, 33, 300):
        for cols in (1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 31, 33, 40, 100):
            a = spiky(rng, (rows, cols), dtype)
            a[0] = -0.0  # a row of negative zeros sums to -0.0, as PyTorch's does
            want = np.array([plain_vector_sum(row, lanes) for row in a], dtype).reshape(rows, 1)
            assert same_bits(SO.softmax_row_sum(a, 1), want), (rows, cols)
            assert same_bits(SO._max_keepdim(a, 1), a.max(axis=1, keepdims=True))
            with np.errstate(all="ignore"):
                ctx = type("Ctx", (), {"save": lambda self, *s: None})()
                shifted = a - a.max(axis=1, keepdims=True)
                e = vec_exp(shifted)
                total = SO.softmax_row_sum(e, 1)
                plain = shifted - vec_log(total)
                assert same_bits(R.LogSoftmax.forward(ctx, a, 1), plain)
                assert same_bits(R.Softmax.forward(ctx, a, 1), e * (1 / total))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_backward_sums_match_torch_bit_for_bit(dtype):
    """With output 0 (log_softmax) or 1 (softmax) PyTorch's backward is ``grad - sum(grad)``,
    its exp exact: this shows its summation order alone."""
    if not SO._softmax_lanes(np.dtype(dtype)):
        pytest.skip("PyTorch's SIMD width on this machine is unknown")
    rng = np.random.default_rng(9)
    tdtype = getattr(torch, np.dtype(dtype).name)
    for rows in (1, 3, 64):
        for cols in (1, 5, 8, 10, 15, 16, 17, 33, 100):
            g = spiky(rng, (rows, cols), dtype)
            g[0] = -0.0
            for op, out, reference in (
                (R.LogSoftmax, np.zeros_like(g), torch._log_softmax_backward_data),
                (R.Softmax, np.ones_like(g), torch._softmax_backward_data),
            ):
                ctx = type("Ctx", (), {"saved": (out,), "dim": 1})()
                want = reference(torch.from_numpy(g), torch.from_numpy(out), 1, tdtype)
                with np.errstate(invalid="ignore"):  # inf - inf, as in PyTorch
                    got = op.backward(ctx, g)
                assert same_bits(got, want.numpy()), (op.__name__, rows, cols)


def test_log_softmax_and_softmax_gradients_stay_close_to_torch():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((256, 10)).astype(np.float32)
    for name in ("log_softmax", "softmax"):
        results = []
        for m in (torch, gg):
            t = m.tensor(x, requires_grad=True)
            out = getattr(m, name)(t, 1)
            (out * m.tensor(x[::-1].copy())).sum().backward()
            results.append((out.detach().numpy(), t.grad.numpy()))
        for got, want in zip(results[1], results[0]):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- masked_bits
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_masked_bits_broadcasts_and_writes_in_place_exactly(dtype):
    rng = np.random.default_rng(11)
    x = spiky(rng, (5, 6), dtype)
    x[0, :4] = [np.nan, -np.inf, -0.0, np.inf]
    for cond in (rng.random((5, 6)) > 0.5, rng.random(6) > 0.5, rng.random((5, 1)) > 0.5):
        expected = np.where(cond, x, np.zeros((), dtype))
        assert same_bits(D.masked_bits(x, cond), expected)
        assert same_bits(D.masked_bits(x.copy(), cond), expected)
        inplace = x.copy()
        assert D.masked_bits(inplace, cond, out=inplace) is inplace
        assert same_bits(inplace, expected)
    wide = D.masked_bits(x[:1], rng.random((5, 6)) > 0.5)
    assert wide.shape == (5, 6) and wide.dtype == x.dtype
