"""nn.functional helpers against PyTorch 2.13: one_hot, pad, normalize, norms, embedding."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import assert_close, raised_alike
from torch_oracle import torch

import glassgrad
import glassgrad.nn.functional as gF

tF = torch.nn.functional


def _pair(x, requires_grad=True):
    return glassgrad.tensor(x, requires_grad=requires_grad), torch.tensor(
        x, requires_grad=requires_grad
    )


def _check(g_out, t_out, g_inputs, t_inputs, dtype=np.float32, names=True):
    assert_close(g_out, t_out, dtype)
    if names:
        assert type(g_out.grad_fn).__name__ == type(t_out.grad_fn).__name__
    upstream = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(dtype)
    g_out.backward(glassgrad.tensor(upstream))
    t_out.backward(torch.tensor(upstream))
    for g, t in zip(g_inputs, t_inputs):
        assert_close(g.grad, t.grad, dtype)


def _x(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    for kwargs in ({}, {"num_classes": 5}):
        g = gF.one_hot(glassgrad.tensor(idx), **kwargs)
        t = tF.one_hot(torch.tensor(idx), **kwargs)
        assert g.dtype == glassgrad.int64
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    with pytest.raises(RuntimeError, match="LongTensor"):
        gF.one_hot(glassgrad.tensor([1.0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        gF.one_hot(glassgrad.tensor([1, 5]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        gF.one_hot(glassgrad.tensor([-1, 2]))


@pytest.mark.parametrize(
    "pad, value",
    [
        ((1, 1), None),
        ((2, 0, 1, 3), 0.5),
        ((0, 1, 0, 0, 1, 1), -2.0),
        ((-1, 2), None),
        ((1, -2, -1, 1), 3.0),
    ],
)
def test_constant_pad(pad, value):
    g, t = _pair(_x(2, 3, 4))
    _check(gF.pad(g, pad, value=value), tF.pad(t, pad, value=value), [g], [t])


def test_pad_errors():
    x = glassgrad.zeros(4, 3)
    with pytest.raises(RuntimeError, match="divisible by 2"):
        gF.pad(x, (1,))
    with pytest.raises(RuntimeError, match="padding length 6"):
        gF.pad(x, (1, 1, 1, 1, 1, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0}, {"dim": 0}, {"p": 3.0, "dim": -1}])
def test_normalize(kwargs, dtype):
    x = _x(3, 4, dtype=dtype)
    x[1] = 0.0  # the eps clamp keeps a zero row at zero
    g, t = _pair(x)
    _check(gF.normalize(g, **kwargs), tF.normalize(t, **kwargs), [g], [t], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shapes, dim", [(((4, 3), (4, 3)), 1), (((4, 3), (1, 3)), 1), (((2, 5), (2, 5)), 0)]
)
def test_cosine_similarity(shapes, dim, dtype):
    g1, t1 = _pair(_x(*shapes[0], seed=1, dtype=dtype))
    g2, t2 = _pair(_x(*shapes[1], seed=2, dtype=dtype))
    g_out = gF.cosine_similarity(g1, g2, dim=dim)
    t_out = tF.cosine_similarity(t1, t2, dim=dim)
    _check(g_out, t_out, [g1, g2], [t1, t2], dtype, names=False)


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_updates_running_stats(training):
    x = _x(6, 3, 2) * 2 + 1
    g, t = _pair(x)
    gw, tw = _pair(_x(3, seed=5))
    gb, tb = _pair(_x(3, seed=6))
    g_rm, t_rm = glassgrad.tensor(_x(3, seed=7)), torch.tensor(_x(3, seed=7))
    g_rv, t_rv = glassgrad.ones(3) * 2, torch.ones(3) * 2
    g_out = gF.batch_norm(g, g_rm, g_rv, gw, gb, training=training, momentum=0.2)
    t_out = tF.batch_norm(t, t_rm, t_rv, tw, tb, training=training, momentum=0.2)
    _check(g_out, t_out, [g, gw, gb], [t, tw, tb])
    assert_close(g_rm, t_rm)
    assert_close(g_rv, t_rv)


def test_functional_batch_norm_without_running_stats():
    g, t = _pair(_x(5, 3))
    _check(
        gF.batch_norm(g, None, None, training=True),
        tF.batch_norm(t, None, None, training=True),
        [g],
        [t],
    )


def test_functional_layer_norm_and_embedding():
    g, t = _pair(_x(2, 3, 4))
    gw, tw = _pair(_x(3, 4, seed=3))
    _check(gF.layer_norm(g, (3, 4), gw), tF.layer_norm(t, (3, 4), tw), [g, gw], [t, tw])
    gw, tw = _pair(_x(5, 2))
    idx = np.array([4, 0, 4, 2])
    g_out = gF.embedding(glassgrad.tensor(idx), gw, padding_idx=4)
    t_out = tF.embedding(torch.tensor(idx), tw, padding_idx=4)
    _check(g_out, t_out, [gw], [tw])


def test_functional_dropout_eval_is_identity():
    x = glassgrad.randn(3, 3)
    assert gF.dropout(x, 0.5, training=False) is x


def test_functional_activations_and_flatten_match_torch():
    x = _x(2, 3, 4) * 3
    for name, kwargs in [
        ("relu", {}),
        ("leaky_relu", {"negative_slope": 0.3}),
        ("elu", {"alpha": 2.0}),
        ("gelu", {"approximate": "tanh"}),
        ("softplus", {"beta": 0.5}),
        ("silu", {}),
        ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
        ("sigmoid", {}),
        ("tanh", {}),
        ("softmax", {"dim": 2}),
        ("log_softmax", {"dim": 0}),
        ("logsigmoid", {}),
        ("flatten", {"start_dim": 1}),
    ]:
        g, t = _pair(x)
        g_fn = getattr(gF, name) if name != "flatten" else gF.flatten
        t_fn = getattr(tF, name) if name != "flatten" else torch.flatten
        _check(
            g_fn(g, **kwargs),
            t_fn(t, **kwargs),
            [g],
            [t],
            names=name != "flatten",
        )


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape, pad",
    [
        ((2, 5), (2, 3)),
        ((2, 3, 5), (1, 4)),
        ((2, 4, 5), (1, 2, 3, 0)),
        ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)),
    ],
)
def test_index_pad_modes(mode, shape, pad):
    g, t = _pair(_x(*shape))
    g_out, t_out = gF.pad(g, pad, mode=mode), tF.pad(t, pad, mode=mode)
    _check(g_out, t_out, [g], [t], names=mode != "circular")


def test_index_pad_errors_match_torch():
    x = glassgrad.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"padding \(4, 2\) at dimension 2"):
        gF.pad(x, (4, 2), mode="reflect")
    with pytest.raises(NotImplementedError, match="Padding size 6 is not supported for 3D"):
        gF.pad(x, (1, 1, 1, 1, 1, 1), mode="replicate")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        gF.pad(x, (5, 0), mode="circular")
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        gF.pad(x, (1, 1), mode="foo")


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
def test_scaled_dot_product_attention(mask):
    q, k, v = _x(2, 3, 5, 4, seed=1), _x(2, 3, 6, 4, seed=2), _x(2, 3, 6, 4, seed=3)
    kwargs_np = {}
    if mask == "bool":
        kwargs_np["attn_mask"] = np.random.default_rng(0).random((5, 6)) < 0.8
        kwargs_np["attn_mask"][:, 0] = True
    elif mask == "float":
        kwargs_np["attn_mask"] = _x(5, 6, seed=4)
    extra = {"is_causal": True} if mask == "causal" else {}
    gs = [glassgrad.tensor(a, requires_grad=True) for a in (q, k, v)]
    ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    g_kw = {k_: glassgrad.tensor(a) for k_, a in kwargs_np.items()}
    t_kw = {k_: torch.tensor(a) for k_, a in kwargs_np.items()}
    g_out = gF.scaled_dot_product_attention(*gs, **g_kw, **extra)
    t_out = tF.scaled_dot_product_attention(*ts, **t_kw, **extra)
    _check(g_out, t_out, gs, ts, names=False)


def test_inplace_functional_variants():
    x = _x(3, 4) * 2
    for name, args in [
        ("elu_", ()),
        ("leaky_relu_", (0.2,)),
        ("hardtanh_", (-0.5, 0.5)),
        ("celu_", (0.7,)),
        ("selu_", ()),
        ("threshold_", (0.1, -1.0)),
    ]:
        g, t = glassgrad.tensor(x), torch.tensor(x)
        g_out = getattr(gF, name)(g, *args)
        getattr(tF, name)(t, *args)
        assert g_out is g
        assert_close(g, t)


_SHAPE_ERRORS = [
    ("adaptive_max_pool2d", (2,), {"output_size": 2}),
    ("adaptive_avg_pool2d", (2,), {"output_size": 2}),
    ("adaptive_max_pool1d", (2, 3, 4, 5), {"output_size": 2}),
    ("adaptive_avg_pool1d", (2,), {"output_size": 2}),
    ("adaptive_max_pool2d", (2, 3, 4, 5, 6), {"output_size": 2}),
    ("adaptive_avg_pool3d", (2, 3, 4, 5, 6, 7), {"output_size": 2}),
    ("rms_norm", (2, 3), {"normalized_shape": [4]}),
    ("rms_norm", (2, 3), {"normalized_shape": [3, 4]}),
    ("layer_norm", (2, 3), {"normalized_shape": [4]}),
]


@pytest.mark.parametrize(("name", "shape", "kwargs"), _SHAPE_ERRORS)
def test_shape_errors_say_what_pytorch_says(name, shape, kwargs):
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for its messages")
    got, expected = raised_alike(
        lambda: getattr(glassgrad.nn.functional, name)(glassgrad.ones(shape), **kwargs),
        lambda: getattr(torch.nn.functional, name)(torch.ones(shape), **kwargs),
    )
    assert got == expected
