"""The fast paths of dispatch and backward give the same numbers as the plain ones.

Dispatch has a shortcut for float tensors with same-dtype tensors or Python numbers, the
engine orders nodes by a sort instead of a ready-queue and runs leaf sinks as soon as they
are ready, and optimizers update in place. Each is checked here against the general path
or against PyTorch (no timing anywhere).
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg
from glassgrad.ops import _dispatch
from glassgrad.ops import elementwise as E

# bits that depend on PyTorch's SIMD build (fused multiply-adds, register widths)
pytestmark = pytest.mark.simd_bits

BINARY = [E.Add, E.Sub, E.Mul, E.Div]


def _general(cls, a, b, float_result):
    """The binary op through the general promotion path, skipping the shortcut."""
    a, b = _dispatch.as_operand(a, "input"), _dispatch.as_operand(b)
    return cls.run((a, b), _dispatch.promoted_arrays(a, b, float_result), {})


@pytest.mark.parametrize("cls", BINARY, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "other",
    ["tensor", "row", "int", "float", "neg_int"],
)
@pytest.mark.parametrize("swap", [False, True])
def test_binary_shortcut_matches_general_path(cls, dtype, other, swap):
    rng = np.random.default_rng(0)
    x = gg.tensor(rng.uniform(0.5, 2.0, (3, 4)).astype(dtype), requires_grad=True)
    y = {
        "tensor": gg.tensor(rng.uniform(0.5, 2.0, (3, 4)).astype(dtype)),
        "row": gg.tensor(rng.uniform(0.5, 2.0, (4,)).astype(dtype), requires_grad=True),
        "int": 3,
        "float": 0.7,
        "neg_int": -2,
    }[other]
    a, b = (y, x) if swap else (x, y)
    float_result = cls is E.Div
    fast = E._binary(cls, a, b, float_result)
    plain = _general(cls, a, b, float_result)
    assert fast.dtype == plain.dtype == x.dtype
    np.testing.assert_array_equal(fast.detach().numpy(), plain.detach().numpy())
    assert type(fast.grad_fn) is type(plain.grad_fn)
    (gf,) = gg.autograd.grad(fast.sum(), [x])
    (gp,) = gg.autograd.grad(plain.sum(), [x])
    np.testing.assert_array_equal(gf.numpy(), gp.numpy())


def test_binary_shortcut_still_checks_broadcasting():
    a = gg.ones(3, 4)
    with pytest.raises(RuntimeError, match="must match the size"):
        a * gg.ones(5)


def test_mixed_dtypes_still_promote():
    a32 = gg.ones(3, dtype=gg.float32)
    assert (a32 + gg.ones(3, dtype=gg.float64)).dtype == gg.float64
    assert (gg.ones(3, dtype=gg.int64) * 2.5).dtype == gg.float32
    assert (True + a32).dtype == gg.float32


def _run_graph(m, record):
    """A graph with shared nodes, a reused leaf and hooks that log their call order."""
    a = m.tensor([1.5, -2.0, 3.0], requires_grad=True)
    b = m.tensor(0.5, requires_grad=True)
    c = m.tensor([2.0, 1.0, -1.0], requires_grad=True)
    for name, t in (("a", a), ("b", b), ("c", c)):
        t.register_hook(lambda g, name=name: record.append(name))
    h = a * b
    h.register_hook(lambda g: record.append("h"))
    k = (h + c).relu() * a
    k.register_hook(lambda g: record.append("k"))
    out = (k * h).sum() + (c * b).sum() + (h / (c.abs() + 1)).mean()
    out.backward()
    return [t.grad.detach().numpy().copy() for t in (a, b, c)]


def test_engine_order_and_gradients_match_torch():
    torch_order, gg_order = [], []
    expected = _run_graph(torch, torch_order)
    got = _run_graph(gg, gg_order)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-6)
    assert gg_order == torch_order


def test_scalar_graph_with_numpy_scalar_gradients():
    """0-d math yields NumPy scalars mid-backward; gradients still match torch."""

    def run(m):
        a = m.tensor(2.0, requires_grad=True)
        b = m.tensor(-3.0, requires_grad=True)
        c = m.tensor(10.0, requires_grad=True)
        out = ((a * b + c).relu() ** 2).sum()
        out.backward()
        return [out.item(), a.grad.item(), b.grad.item(), c.grad.item()]

    assert run(gg) == run(torch)


def test_repeated_backward_accumulates_without_aliasing():
    """Leaves fed the same gradient object (by Add) keep separate, correct .grad buffers."""
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    b = gg.tensor([3.0, 4.0], requires_grad=True)
    for _ in range(3):
        (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 3.0])


def test_backward_on_leaf_and_reused_leaf_as_root():
    def run(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        m.autograd.backward([y.sum(), x], [m.tensor(2.0), m.tensor([1.0, 1.0])])
        return x.grad.tolist()

    assert run(gg) == run(torch)


def test_float32_stays_float32_through_training_step():
    w = gg.tensor([0.5, -0.5], requires_grad=True)
    x = gg.tensor([[1.0, 2.0], [3.0, 4.0]])
    loss = ((x @ w - 1.0) ** 2).mean()
    loss.backward()
    assert loss.dtype == gg.float32 and w.grad.dtype == gg.float32
    gg.optim.SGD([w], lr=0.1, momentum=0.9).step()
    assert w.dtype == gg.float32


def test_adopted_gradient_never_aliases_user_arrays():
    """``.grad`` takes over a fresh gradient buffer only when nothing else refers to it."""
    x = gg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = gg.tensor([0.5, 0.5, 0.5])
    x.backward(g)
    y = gg.tensor([1.0, 2.0], requires_grad=True)
    gy = gg.tensor([1.0, 1.0])
    y.clone().backward(gy)
    assert not np.shares_memory(x.grad.numpy(), g.numpy())
    assert not np.shares_memory(y.grad.numpy(), gy.numpy())
    x.grad.zero_()
    y.grad.zero_()
    assert g.tolist() == [0.5, 0.5, 0.5] and gy.tolist() == [1.0, 1.0]


def test_adopted_gradient_from_custom_function_is_not_its_saved_value():
    kept = gg.tensor([2.0, 2.0])

    class Scale(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return kept  # a tensor the caller still holds

    x = gg.tensor([1.0, 1.0], requires_grad=True)
    Scale.apply(x).sum().backward()
    x.grad.add_(1.0)
    assert kept.tolist() == [2.0, 2.0]
    assert x.grad.tolist() == [3.0, 3.0]


def test_matmul_chain_gradients_match_torch_and_accumulate():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((5, 5)).astype(np.float32) for _ in range(3)]

    def run(m):
        A, B, C = (m.tensor(a, requires_grad=True) for a in arrays)
        for _ in range(2):
            (A @ B @ C).sum().backward()
        return [t.grad.detach().numpy().copy() for t in (A, B, C)]

    for got, expected in zip(run(gg), run(torch)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_addmm_in_place_bias_matches_plain_sum():
    rng = np.random.default_rng(4)
    bias, a, b = (rng.standard_normal(s).astype(np.float32) for s in ((3,), (4, 2), (2, 3)))
    got = gg.addmm(gg.tensor(bias), gg.tensor(a), gg.tensor(b)).numpy()
    np.testing.assert_array_equal(got, a @ b + bias)
    got = gg.addmm(gg.tensor(bias), gg.tensor(a), gg.tensor(b), beta=0.5, alpha=2.0).numpy()
    np.testing.assert_array_equal(got, (a @ b) * 2.0 + bias * 0.5)
    with pytest.raises(RuntimeError, match="does not broadcast"):
        gg.addmm(gg.ones(4), gg.tensor(a), gg.tensor(b))


def test_mean_fast_path_equals_torch_mean_bit_for_bit():
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((7, 13)).astype(dtype)
        t, ref = gg.tensor(x), torch.from_numpy(x)
        np.testing.assert_array_equal(t.mean().numpy(), ref.mean().numpy())
        np.testing.assert_array_equal(t.mean(1).numpy(), ref.mean(1).numpy())
        np.testing.assert_array_equal(
            t.mean(0, keepdim=True).numpy(), ref.mean(0, keepdim=True).numpy()
        )
        assert t.mean().dtype == t.dtype


@pytest.mark.parametrize("shared", [False, True])
def test_relu_backward_reusing_the_gradient_buffer_matches_torch(shared):
    """ReLU may write into an unshared incoming gradient; a shared one must stay intact."""
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal((8, 5)).astype(np.float32) for _ in range(3)]

    def run(m):
        x, y, w = (m.tensor(a, requires_grad=True) for a in arrays)
        h = x @ w.t() if not shared else x * w
        z = m.relu(h) + y if shared else m.relu(h)
        out = (z * z).sum() + (h * 0.5).sum()
        out.backward()
        return [t.grad.detach().numpy().copy() for t in (x, y, w) if t.grad is not None]

    for got, expected in zip(run(gg), run(torch)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_gradient_buffer_is_not_reused_when_hooks_see_it():
    x = gg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    seen = []
    r = h.relu()
    r.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(grad_outputs[0] * 1))
    (r * gg.tensor([1.0, 1.0, 1.0])).sum().backward()
    assert seen[0].tolist() == [1.0, 1.0, 1.0]
    assert x.grad.tolist() == [0.0, 2.0, 2.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_short_sum_adds_in_the_same_order_as_the_general_path(dtype):
    from glassgrad._kernels import sumorder as _sumorder

    rng = np.random.default_rng(7)
    lanes = 32 // np.dtype(dtype).itemsize
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan]
    for n in range(2, lanes):
        for trial in range(300):
            x = (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)).astype(dtype)
            if trial % 10 == 0:
                x[rng.integers(0, n)] = specials[trial // 10 % len(specials)]
            fast = _sumorder.torch_order_sum(x, None)
            general = _sumorder._inner_sum(x.reshape(1, -1), lanes).reshape(())
            np.testing.assert_array_equal(fast, general)
            assert np.signbit(fast) == np.signbit(general)
            assert fast.dtype == x.dtype and fast.shape == ()
    kept = _sumorder.torch_order_sum(np.ones(3, dtype), (0,), keepdims=True)
    assert kept.shape == (1,) and kept[0] == 3


@pytest.mark.parametrize("keepdims", [False, True])
def test_short_sum_over_axes_matches_numpy_shapes_and_general_order(keepdims):
    from glassgrad._kernels import sumorder as _sumorder

    rng = np.random.default_rng(8)
    for shape, axes in [((4, 1), (0,)), ((1, 5), (1,)), ((3, 1, 2), (0, 2)), ((6,), 0)]:
        x = rng.standard_normal(shape).astype(np.float32)
        fast = _sumorder.torch_order_sum(x, axes, keepdims)
        assert fast.shape == x.sum(axis=axes, keepdims=keepdims).shape
        general = _sumorder._inner_sum(x.reshape(1, -1), 8).reshape(())
        np.testing.assert_array_equal(fast.reshape(()), general)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_add_rounds_as_the_kernel_does(dtype, monkeypatch):
    """Where PyTorch's build fuses (AVX2/AVX-512), the optimizers' multiply-add is _kernels/fma.py's
    fused kernel (tests/kernels/test_fma.py checks it against exact arithmetic and PyTorch)."""
    from glassgrad._kernels import fma as _fma

    monkeypatch.setattr(_fma, "fuses_multiply_add", lambda: True)  # (as in PyTorch's AVX2 build)

    rng = np.random.default_rng(9)
    kernel = _fma.fused_add_
    for b_kind in ("array", "scalar"):
        target = rng.standard_normal(50).astype(dtype)
        a = rng.standard_normal(50).astype(dtype)
        b = rng.standard_normal(50).astype(dtype) if b_kind == "array" else -0.1234567
        expected = target.copy()
        kernel(expected, a, np.asarray(b, dtype=dtype))
        _fma.add_product_(target, a, b)
        np.testing.assert_array_equal(target, expected)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_fused_add_one_element_shortcut_matches_the_array_formula(shape, monkeypatch):
    """A one-element float32 update is done on Python floats: the array path's bits, overflow
    and subnormals included."""
    from glassgrad._kernels import fma as _fma

    monkeypatch.setattr(_fma, "fuses_multiply_add", lambda: True)  # (as in PyTorch's AVX2 build)

    rng = np.random.default_rng(10)
    values = np.concatenate(
        [
            (rng.standard_normal(300) * 10.0 ** rng.integers(-30, 30, 300)).astype(np.float32),
            np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38, -3.4e38], np.float32),
        ]
    )
    for i, value in enumerate(values):
        for alpha in (-0.01, 0.5, -2.0, 1e-7):
            target = np.full(shape, value, np.float32)
            a = np.full(shape, values[(7 * i + 3) % len(values)], np.float32)
            with np.errstate(all="ignore"):
                expected = np.full((2,), value, np.float32)  # two elements: the array path
                _fma.add_product_(expected, np.full((2,), a.flat[0]), alpha)
                expected = expected[:1].reshape(shape)
                _fma.add_product_(target, a, alpha)
            assert target.shape == shape
            assert target.tobytes() == expected.tobytes()


def test_plain_sgd_shortcut_matches_the_general_update():
    from glassgrad.optim.sgd import _sgd

    rng = np.random.default_rng(10)
    start = rng.standard_normal((3, 4)).astype(np.float32)
    grad = rng.standard_normal((3, 4)).astype(np.float32)
    p = gg.tensor(start.copy(), requires_grad=True)
    p.grad = gg.tensor(grad)
    gg.optim.SGD([p], lr=0.037).step()
    expected = start.copy()
    _sgd(
        expected,
        grad,
        None,
        lr=0.037,
        momentum=0.0,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        maximize=False,
    )
    np.testing.assert_array_equal(p.detach().numpy(), expected)
    assert p._version_counter[0] == 1


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_masked_bits_is_an_exact_masked_select(dtype):
    from glassgrad.ops import _dual as D

    rng = np.random.default_rng(11)
    x = rng.standard_normal((6, 7)).astype(dtype)
    x[0, :5] = [np.nan, -0.0, np.inf, -np.inf, -1.0]
    cond = rng.random((6, 7)) > 0.5
    cond[0, :5] = [False, True, False, True, False]
    expected = np.where(cond, x, np.zeros((), dtype))
    for got in (D.mask(x, cond), D.masked_bits(x.copy(), cond, out=None)):
        np.testing.assert_array_equal(got, expected)
        assert (np.signbit(got) == np.signbit(expected)).all() and got.dtype == x.dtype
    inplace = x.copy()
    assert D.masked_bits(inplace, cond, out=inplace) is inplace
    np.testing.assert_array_equal(inplace, expected)
    row = D.mask(x[:1], cond)  # broadcasting, as np.where does
    np.testing.assert_array_equal(row, np.where(cond, x[:1], np.zeros((), dtype)))
    scalar = D.mask(dtype(-2.5), np.bool_(False))
    assert scalar == 0 and not np.signbit(scalar)


def test_relu_gradient_is_zero_where_masked_even_for_nan():
    def run(m):
        x = m.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
        y = m.relu(x * 1.0)
        y.backward(m.tensor([float("nan"), -0.0, float("inf"), 1.0]))
        return x.grad.tolist()

    got, expected = run(gg), run(torch)
    assert str(got) == str(expected)


def test_nll_weight_count_equals_the_ordered_sum():
    from glassgrad._kernels.sumorder import nll_order_sum

    rng = np.random.default_rng(12)
    for n in (1, 7, 256, 5000):
        keep = rng.random(n) > 0.2
        w = keep.astype(np.float32)
        counted = w.dtype.type(np.count_nonzero(keep))
        assert counted == nll_order_sum(w, keep) and type(counted) is np.float32
    logits = gg.tensor(rng.standard_normal((6, 4)).astype(np.float32))
    target = gg.tensor(np.array([0, 3, -100, 1, 2, -100]))
    ref = torch.nn.functional.cross_entropy(
        torch.from_numpy(logits.numpy()), torch.tensor(target.numpy())
    )
    assert gg.nn.functional.cross_entropy(logits, target).item() == ref.item()
