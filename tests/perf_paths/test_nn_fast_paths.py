"""The fast paths of the nn-level kernels give the same bits as the plain ones and PyTorch.

ReLU's forward takes ``maximum`` against a buffer of zeros instead of the scalar 0; the linear
layer, MSE loss and cross-entropy skip generic dispatch for the usual arguments. Each is
checked against the general path and against PyTorch (no timing anywhere).
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg
from glassgrad.ops import elementwise as E
from glassgrad.ops._op import NULL_CTX

UINTS = {"float32": np.uint32, "float64": np.uint64}


def _random_bits(dtype: str, shape, seed: int = 0) -> np.ndarray:
    """Arrays of every kind of value: NaNs with payloads and signs, infinities, subnormals,
    both zeros."""
    uint = UINTS[dtype]
    rng = np.random.default_rng(seed)
    x = rng.integers(0, np.iinfo(uint).max, shape, dtype=uint, endpoint=True).view(dtype)
    flat = x.reshape(-1)
    special = np.array([-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1.0, -1.0], dtype)
    flat[: min(8, flat.size)] = special[: flat.size]
    return x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (3,), (5, 7), (256, 256), (2, 3, 100)])
def test_relu_forward_is_an_exact_select_bit_for_bit(dtype, shape):
    """0 where x < 0, else x itself: -0.0 and NaN payloads kept, as PyTorch's relu does."""
    x = _random_bits(dtype, shape)
    fast = E.Relu.forward(NULL_CTX, x)
    plain = np.where(x < 0, np.zeros((), x.dtype), x)
    assert np.asarray(fast).dtype == x.dtype and np.shape(fast) == x.shape
    np.testing.assert_array_equal(
        np.asarray(fast).view(UINTS[dtype]), np.asarray(plain).view(UINTS[dtype])
    )


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64"])
def test_relu_forward_keeps_the_layout_and_dtype_of_other_inputs(dtype):
    x = np.arange(-6, 6).reshape(3, 4).astype(dtype).T  # a column-major view
    x[0, 0] = -0.0 if x.dtype.kind == "f" else 0
    out = E.Relu.forward(NULL_CTX, x)
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    assert out.dtype == x.dtype
    assert out.flags.f_contiguous
    if dtype in UINTS:
        assert np.signbit(out[0, 0])  # -0.0 kept, as in PyTorch


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_forward_and_backward_match_torch(dtype):
    x = _random_bits(dtype, (64, 33), seed=1)
    x[np.isnan(x)] = 0.5  # (PyTorch may quiet signalling NaNs: its payloads are not the point)
    g = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    a = gg.tensor(x, requires_grad=True)
    out = gg.nn.functional.relu(a)
    out.backward(gg.tensor(g))
    ta = torch.tensor(x, requires_grad=True)
    tout = torch.relu(ta)
    tout.backward(torch.tensor(g))
    u = UINTS[dtype]
    np.testing.assert_array_equal(out.detach().numpy().view(u), tout.detach().numpy().view(u))
    np.testing.assert_array_equal(a.grad.numpy().view(u), ta.grad.numpy().view(u))
    assert out.grad_fn.name() == tout.grad_fn.name()


SCALARS = [-2.0, -0.0, 0.0, 3.0, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("value", SCALARS)
@pytest.mark.parametrize("grad", [1.5, -0.0, np.nan, np.inf])
def test_relu_backward_of_one_number_matches_torch(dtype, value, grad):
    """A 0-d ReLU backward is a branch instead of a masked select: the same bits as PyTorch
    (0 where the input is not positive, even for a NaN or infinite gradient)."""
    a = gg.tensor(value, dtype=getattr(gg, dtype), requires_grad=True)
    gg.nn.functional.relu(a).backward(gg.tensor(grad, dtype=getattr(gg, dtype)))
    ta = torch.tensor(value, dtype=getattr(torch, dtype), requires_grad=True)
    torch.relu(ta).backward(torch.tensor(grad, dtype=getattr(torch, dtype)))
    u = UINTS[dtype]
    assert a.grad.shape == ta.grad.shape == ()
    assert a.grad.numpy().view(u) == ta.grad.numpy().view(u)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_backward_passes_the_gradient_of_a_nan_input(dtype):
    """PyTorch zeroes the gradient where the output is <= 0; a NaN output is not, so its
    gradient passes (for every gradient value, NaN and infinities included)."""
    x = np.repeat(np.array(SCALARS, dtype), 4)
    g = np.tile(np.array([1.5, -0.0, np.nan, np.inf], dtype), len(SCALARS))
    a = gg.tensor(x, requires_grad=True)
    gg.nn.functional.relu(a).backward(gg.tensor(g))
    ta = torch.tensor(x, requires_grad=True)
    torch.relu(ta).backward(torch.tensor(g))
    u = UINTS[dtype]
    np.testing.assert_array_equal(a.grad.numpy().view(u), ta.grad.numpy().view(u))


def _graph_names(t) -> list:
    """The grad_fn names of a graph, depth first from ``t``."""
    names, stack = [], [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None:
            continue
        names.append(type(fn).__name__)
        stack.extend(edge[0] for edge in fn.next_functions)
    return names


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_fast_path_matches_addmm_and_torch(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 7)).astype(dtype)
    w = rng.standard_normal((3, 7)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    g = rng.standard_normal((5, 3)).astype(dtype)
    results = []
    for fn in (
        gg.nn.functional.linear,
        lambda x, w, b: gg.addmm(b, x, w.t()),  # the plain path
        torch.nn.functional.linear,
    ):
        lib = torch if fn is torch.nn.functional.linear else gg
        tx, tw, tb = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        out = fn(tx, tw, tb)
        out.backward(lib.tensor(g))
        results.append(
            (out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy(), out)
        )
    fast, plain, oracle = results
    for a, b, c in zip(fast[:4], plain[:4], oracle[:4]):
        assert a.dtype == b.dtype == c.dtype
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)  # (BLAS libraries differ)
    assert _graph_names(fast[4]) == _graph_names(oracle[4])
    assert _graph_names(fast[4])[:2] == ["AddmmBackward0", "TBackward0"]


@pytest.mark.parametrize(
    "case", ["weight_dtype", "bias_dtype", "bias_shape", "in_features", "weight_1d", "no_grad"]
)
def test_linear_unusual_arguments_take_the_checked_path(case):
    x = gg.ones(4, 3)
    w = gg.ones(2, 3, requires_grad=True)
    b = gg.ones(2, requires_grad=True)
    tx, tw, tb = torch.ones(4, 3), torch.ones(2, 3, requires_grad=True), torch.ones(2)
    if case == "weight_dtype":
        w, tw = w.double(), tw.double()
    elif case == "bias_dtype":
        b, tb = b.double(), tb.double()
    elif case == "bias_shape":
        b, tb = gg.ones(1), torch.ones(1)
    elif case == "in_features":
        w, tw = gg.ones(2, 5), torch.ones(2, 5)
    elif case == "weight_1d":
        w, tw = gg.ones(3), torch.ones(3)
    try:
        expected = torch.nn.functional.linear(tx, tw, tb)
    except RuntimeError as err:
        with pytest.raises(RuntimeError) as got:
            gg.nn.functional.linear(x, w, b)
        assert type(got.value) is type(err)
        return
    if case == "no_grad":
        with gg.no_grad():
            out = gg.nn.functional.linear(x, w, b)
        assert out.grad_fn is None and not out.requires_grad
    else:
        out = gg.nn.functional.linear(x, w, b)
    assert out.dtype.__repr__() == repr(expected.dtype)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 1), (3,), (), (6, 5)])
@pytest.mark.parametrize("target_grad", [False, True])
def test_mse_fast_path_matches_the_plain_path_and_torch(reduction, shape, target_grad):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype("float32")
    y = rng.standard_normal(shape).astype("float32")
    outs = []
    for lib, general in ((gg, False), (gg, True), (torch, False)):
        a = lib.tensor(x, requires_grad=True)
        b = lib.tensor(y, requires_grad=target_grad)
        if general:  # the deprecated flags force the checked path (and its warning)
            with pytest.warns(UserWarning, match="deprecated"):
                kw = {"size_average": reduction == "mean", "reduce": reduction != "none"}
                out = gg.nn.functional.mse_loss(a, b, **kw)
        else:
            out = lib.nn.functional.mse_loss(a, b, reduction=reduction)
        out.sum().backward()
        outs.append((out.detach().numpy(), a.grad.numpy(), b.grad.numpy() if target_grad else 0))
    for other in outs[1:]:
        for p, q in zip(outs[0], other):
            np.testing.assert_array_equal(p, q)


def test_mse_fast_path_keeps_warnings_and_errors():
    a = gg.ones(4, 1, requires_grad=True)
    with pytest.warns(UserWarning, match="target size"):
        gg.nn.functional.mse_loss(a, gg.ones(4))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        gg.nn.functional.mse_loss(a, gg.ones(4, 1), reduction="avg")
    mixed = gg.nn.functional.mse_loss(a, gg.full((4, 1), 2.0, dtype=gg.float64))
    expected = torch.nn.functional.mse_loss(
        torch.ones(4, 1), torch.full((4, 1), 2.0, dtype=torch.float64)
    )
    assert repr(mixed.dtype) == repr(expected.dtype) and mixed.item() == expected.item()
    with pytest.raises(NotImplementedError, match="mse"):
        gg.nn.functional.mse_loss(gg.ones(4, dtype=gg.int64), gg.ones(4, dtype=gg.int64))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 3])
def test_cross_entropy_fast_path_matches_the_plain_path_and_torch(reduction, ignore_index):
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((64, 10)).astype("float32")
    labels = rng.integers(0, 10, 64)
    F = gg.nn.functional
    outs = []
    for lib in ("fast", "plain", "torch"):
        a = (torch if lib == "torch" else gg).tensor(logits, requires_grad=True)
        if lib == "fast":
            out = gg.nn.CrossEntropyLoss(reduction=reduction, ignore_index=ignore_index)(
                a, gg.tensor(labels)
            )
        elif lib == "plain":  # byte labels take the checked path
            out = F.nll_loss(
                F.log_softmax(a, 1),
                gg.tensor(labels.astype("uint8")),
                ignore_index=ignore_index,
                reduction=reduction,
            )
        else:
            out = torch.nn.functional.cross_entropy(
                a, torch.tensor(labels), ignore_index=ignore_index, reduction=reduction
            )
        out.sum().backward()
        outs.append((out.detach().numpy(), a.grad.numpy(), type(out.grad_fn).__name__))
    fast, plain, oracle = outs
    np.testing.assert_array_equal(fast[0], plain[0])
    np.testing.assert_array_equal(fast[1], plain[1])
    assert fast[2] == plain[2] == oracle[2]
    # (log and exp of float32 values: the libraries may round the last bit differently)
    np.testing.assert_allclose(fast[0], oracle[0], rtol=1e-6)
    np.testing.assert_allclose(fast[1], oracle[1], rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("bad", [10, -1, -100])
def test_nll_fast_path_keeps_the_bounds_check(bad):
    logp = gg.zeros(3, 10)
    labels = gg.tensor([0, 9, bad])
    if bad == -100:  # the ignore_index: allowed
        assert gg.nn.functional.nll_loss(logp, labels).item() == 0.0
        return
    with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
        gg.nn.functional.nll_loss(logp, labels)
    with pytest.raises(IndexError):
        torch.nn.functional.nll_loss(torch.zeros(3, 10), torch.tensor([0, 9, bad]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(2, 2), (4, 1), (1, 5), (7, 3), (256, 10), (256, 256), (65, 33)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_shortcuts_match_the_general_order(dtype, shape, keepdims):
    """Leading-dimension sums (bias gradients) and whole sums of a few elements (small losses)
    take shortcuts; spelling the axes another way takes the general path."""
    from glassgrad._kernels.sumorder import torch_order_sum

    rng = np.random.default_rng(6)
    x = (rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)).astype(dtype)
    x.reshape(-1)[::5] = -0.0
    u = UINTS[dtype]
    for fast_axes, plain_axes in ((0, (-2,)), ((0,), (-2,)), (None, (0, 1))):
        fast = np.asarray(torch_order_sum(x, fast_axes, keepdims))
        plain = np.asarray(torch_order_sum(x, plain_axes, keepdims))
        assert fast.shape == plain.shape and fast.dtype == plain.dtype
        np.testing.assert_array_equal(fast.view(u), plain.view(u))
        if fast_axes is not None:
            want = torch.from_numpy(x).sum(0, keepdim=keepdims).numpy()
            np.testing.assert_array_equal(fast.view(u), want.view(u))


def test_linear_reads_weights_set_outside_its_parameters():
    """Linear.forward reads ``_parameters`` directly, but a weight replaced by a plain tensor
    (weight-norm style: ``del lin.weight; lin.weight = w``) or no bias still work."""
    outs = []
    for lib in (gg, torch):
        lin = lib.nn.Linear(3, 2, bias=False)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        x = lib.tensor([[1.0, 0.5, -1.0]])
        first = lin(x).detach().numpy()
        del lin.weight
        lin.weight = lib.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
        outs.append((first, lin(x).numpy(), sorted(n for n, _ in lin.named_parameters())))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
    assert outs[0][2] == outs[1][2] == []
