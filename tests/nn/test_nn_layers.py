"""Every layer against PyTorch 2.13 from the same weights: output, gradients, repr, state."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import assert_close, copy_module
from torch_oracle import torch

import glassgrad
import glassgrad.nn as gnn


def _pair(factory):
    """The same layer in both libraries, with torch's weights copied into glassgrad's."""
    t_layer = factory(torch.nn)
    g_layer = factory(gnn)
    copy_module(g_layer, t_layer)
    return g_layer, t_layer


def _compare(g_layer, t_layer, x, dtype=np.float32, upstream_seed=3, check_name=True):
    """Forward and backward through both; compare output, input grad and parameter grads."""
    gx = glassgrad.tensor(x, requires_grad=x.dtype.kind == "f")
    tx = torch.tensor(x, requires_grad=x.dtype.kind == "f")
    g_out, t_out = g_layer(gx), t_layer(tx)
    assert_close(g_out, t_out, dtype)
    if check_name:
        assert type(g_out.grad_fn).__name__ == type(t_out.grad_fn).__name__
    upstream = np.random.default_rng(upstream_seed).standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(upstream.astype(x.dtype if x.dtype.kind == "f" else dtype)))
    g_out.backward(glassgrad.tensor(upstream.astype(x.dtype if x.dtype.kind == "f" else dtype)))
    if x.dtype.kind == "f":
        assert_close(gx.grad, tx.grad, dtype)
    t_params = dict(t_layer.named_parameters())
    for name, p in g_layer.named_parameters():
        assert_close(p.grad, t_params[name].grad, dtype)


def _x(*shape, seed=0, scale=1.0, dtype=np.float32):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.Linear(3, 2), (4, 3)),
        (lambda nn: nn.Linear(3, 2), (3,)),
        (lambda nn: nn.Linear(3, 2), (2, 5, 3)),
        (lambda nn: nn.Linear(3, 2, bias=False), (4, 3)),
        (lambda nn: nn.Linear(3, 2, bias=False), (3,)),
    ],
)
def test_linear(make, shape, dtype):
    g, t = _pair(
        lambda nn: make(nn).to(
            dtype=getattr(torch if nn is torch.nn else glassgrad, np.dtype(dtype).name)
        )
    )
    _compare(g, t, _x(*shape, dtype=dtype), dtype)


ACTIVATIONS = [
    lambda nn: nn.ReLU(),
    lambda nn: nn.LeakyReLU(),
    lambda nn: nn.LeakyReLU(0.2),
    lambda nn: nn.Sigmoid(),
    lambda nn: nn.Tanh(),
    lambda nn: nn.Softmax(dim=1),
    lambda nn: nn.Softmax(dim=-1),
    lambda nn: nn.LogSoftmax(dim=1),
    lambda nn: nn.GELU(),
    lambda nn: nn.GELU(approximate="tanh"),
    lambda nn: nn.ELU(),
    lambda nn: nn.ELU(alpha=0.5),
    lambda nn: nn.Softplus(),
    lambda nn: nn.Softplus(beta=2.0, threshold=5.0),
    lambda nn: nn.SiLU(),
    lambda nn: nn.Hardtanh(),
    lambda nn: nn.Hardtanh(-2.0, 0.5),
    lambda nn: nn.Identity(),
    lambda nn: nn.ReLU6(),
    lambda nn: nn.Mish(),
    lambda nn: nn.SELU(),
    lambda nn: nn.CELU(alpha=0.7),
    lambda nn: nn.Hardsigmoid(),
    lambda nn: nn.Hardswish(),
    lambda nn: nn.LogSigmoid(),
    lambda nn: nn.Softsign(),
    lambda nn: nn.Tanhshrink(),
    lambda nn: nn.Softmin(dim=1),
    lambda nn: nn.Threshold(0.1, 2.0),
    lambda nn: nn.GLU(dim=0),
    lambda nn: nn.PReLU(),
    lambda nn: nn.PReLU(4, init=0.1),
    lambda nn: nn.Hardshrink(),
    lambda nn: nn.Softshrink(0.3),
]

#: composed in glassgrad where PyTorch has a fused kernel: same numbers, other grad_fn
COMPOSED = (
    "Mish",
    "SELU",
    "CELU",
    "Hardsigmoid",
    "Hardswish",
    "PReLU",
    "Threshold",
    "GLU",
    "Hardshrink",
    "Softshrink",
)


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activations(make):
    g, t = _pair(make)
    assert repr(g) == repr(t)
    x = _x(4, 5, scale=3.0)
    x[0, :3] = [30.0, -30.0, 0.5]
    if type(g).__name__ == "PReLU" and g.num_parameters == 4:
        x = x[:, :4].copy()
    _compare(g, t, x, check_name=type(g).__name__ not in COMPOSED)


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.ReLU(inplace=True),
        lambda nn: nn.LeakyReLU(0.1, inplace=True),
        lambda nn: nn.ELU(inplace=True),
        lambda nn: nn.SiLU(inplace=True),
        lambda nn: nn.Hardtanh(inplace=True),
    ],
)
def test_inplace_activations_modify_their_input(make):
    g, t = _pair(make)
    assert repr(g) == repr(t)
    x = _x(3, 4, scale=2.0)
    gx, tx = glassgrad.tensor(x), torch.tensor(x)
    g_out, t_out = g(gx), t(tx)
    assert g_out is gx
    assert_close(gx, tx)
    assert_close(g_out, t_out)


def test_inplace_activation_in_graph_matches_gradient():
    x = _x(3, 4)
    gx, tx = glassgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_out = gnn.LeakyReLU(0.1, inplace=True)(gx * 2)
    t_out = torch.nn.LeakyReLU(0.1, inplace=True)(tx * 2)
    g_out.sum().backward()
    t_out.sum().backward()
    assert_close(gx.grad, tx.grad)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.Flatten(), (2, 3, 4)),
        (lambda nn: nn.Flatten(0, -1), (2, 3, 4)),
        (lambda nn: nn.Flatten(start_dim=1, end_dim=2), (2, 3, 4, 5)),
        (lambda nn: nn.Unflatten(1, (2, 3)), (4, 6)),
        (lambda nn: nn.Unflatten(-1, (3, -1)), (4, 6)),
    ],
)
def test_flatten_unflatten(make, shape):
    g, t = _pair(make)
    assert repr(g) == repr(t)
    _compare(g, t, _x(*shape))


# ----------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"momentum": 0.3},
        {"momentum": None},
        {"affine": False},
        {"bias": False},
        {"eps": 1e-3},
        {"track_running_stats": False},
    ],
)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm1d_train_then_eval(kwargs, shape, dtype):
    tname = np.dtype(dtype).name
    t = torch.nn.BatchNorm1d(3, **kwargs).to(getattr(torch, tname))
    g = gnn.BatchNorm1d(3, **kwargs).to(getattr(glassgrad, tname))
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    if t.weight is not None:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
            if t.bias is not None:
                t.bias.uniform_(-0.5, 0.5)
    copy_module(g, t)
    for step in range(3):
        _compare(g, t, _x(*shape, seed=step, scale=2.0, dtype=dtype) + 1, dtype)
        t.zero_grad()
        g.zero_grad()
    t_state = t.state_dict()
    for key, value in g.state_dict().items():
        assert_close(value, t_state[key], dtype)
        assert value.dtype.name == str(t_state[key].dtype).replace("torch.", "")
    g.eval()
    t.eval()
    _compare(g, t, _x(*shape, seed=9, dtype=dtype), dtype)


def test_batchnorm_errors_match_torch():
    bn = gnn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(glassgrad.zeros(1, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(glassgrad.zeros(4))
    with pytest.raises(RuntimeError, match="running_mean should contain 5 elements not 3"):
        bn(glassgrad.zeros(4, 5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.LayerNorm(4), (3, 4)),
        (lambda nn: nn.LayerNorm((2, 4)), (3, 2, 4)),
        (lambda nn: nn.LayerNorm(4, elementwise_affine=False), (2, 3, 4)),
        (lambda nn: nn.LayerNorm(4, bias=False), (5, 4)),
        (lambda nn: nn.LayerNorm([4], eps=1e-2), (4,)),
    ],
)
def test_layernorm(make, shape, dtype):
    tname = np.dtype(dtype).name
    t = make(torch.nn).to(getattr(torch, tname))
    g = make(gnn).to(getattr(glassgrad, tname))
    assert repr(g) == repr(t)
    if t.weight is not None:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
    copy_module(g, t)
    _compare(g, t, _x(*shape, scale=3.0, dtype=dtype) + 2, dtype)


def test_layernorm_shape_error():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*size\[2, 3\]"):
        gnn.LayerNorm(4)(glassgrad.zeros(2, 3))


# ----------------------------------------------------------------------------- embedding
@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.Embedding(6, 3),
        lambda nn: nn.Embedding(6, 3, padding_idx=0),
        lambda nn: nn.Embedding(6, 3, padding_idx=-1),
        lambda nn: nn.Embedding(6, 3, padding_idx=2, scale_grad_by_freq=True),
    ],
)
def test_embedding(make):
    g, t = _pair(make)
    assert repr(g) == repr(t)
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    _compare(g, t, idx)


def test_embedding_padding_row_starts_zero_and_max_norm_renorms():
    g = gnn.Embedding(5, 3, padding_idx=1)
    assert np.all(g.weight.detach().numpy()[1] == 0)
    t = torch.nn.Embedding(5, 3, max_norm=0.5)
    g = gnn.Embedding(5, 3, max_norm=0.5)
    assert repr(g) == repr(t)
    copy_module(g, t)
    idx = np.array([0, 3, 3])
    assert_close(g(glassgrad.tensor(idx)), t(torch.tensor(idx)))
    assert_close(g.weight, t.weight)


def test_embedding_from_pretrained_and_errors():
    w = _x(4, 2)
    g = gnn.Embedding.from_pretrained(glassgrad.tensor(w))
    assert not g.weight.requires_grad
    assert repr(g) == repr(torch.nn.Embedding.from_pretrained(torch.tensor(w)))
    with pytest.raises(IndexError, match="index out of range"):
        g(glassgrad.tensor([4]))
    with pytest.raises(RuntimeError, match="Long, Int"):
        g(glassgrad.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx"):
        gnn.Embedding(3, 2, padding_idx=3)


# ----------------------------------------------------------------------------- dropout
def test_dropout_train_eval_and_scaling():
    glassgrad.manual_seed(0)
    drop = gnn.Dropout(0.25)
    assert repr(drop) == repr(torch.nn.Dropout(0.25))
    x = glassgrad.ones(200, 50, requires_grad=True)
    out = drop(x)
    values = np.unique(out.detach().numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.75], rtol=1e-6)
    kept = (out.detach().numpy() != 0).mean()
    assert 0.72 < kept < 0.78
    assert type(out.grad_fn).__name__ == "MulBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())
    drop.eval()
    assert drop(x) is x


def test_dropout_is_reproducible_with_manual_seed():
    x = glassgrad.ones(10, 10)
    glassgrad.manual_seed(3)
    a = gnn.functional.dropout(x, 0.5).numpy()
    glassgrad.manual_seed(3)
    b = gnn.functional.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout_edge_probabilities():
    x = glassgrad.randn(4, 5)
    assert gnn.Dropout(0.0)(x) is x
    assert np.all(gnn.Dropout(1.0)(x).numpy() == 0)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        gnn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1, but got -0.1"):
        gnn.functional.dropout(x, -0.1)


def test_distance_modules():
    x1, x2 = _x(4, 3, seed=1), _x(4, 3, seed=2)
    for make in (
        lambda nn: nn.CosineSimilarity(),
        lambda nn: nn.PairwiseDistance(),
        lambda nn: nn.PairwiseDistance(p=1.0, keepdim=True),
    ):
        g, t = make(gnn), make(torch.nn)
        assert repr(g) == repr(t)
        g1, g2 = glassgrad.tensor(x1, requires_grad=True), glassgrad.tensor(x2, requires_grad=True)
        t1, t2 = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
        g_out, t_out = g(g1, g2), t(t1, t2)
        assert_close(g_out, t_out)
        g_out.sum().backward()
        t_out.sum().backward()
        assert_close(g1.grad, t1.grad)
        assert_close(g2.grad, t2.grad)


def test_mixed_dtype_normalisation_is_refused_like_torch():
    x = np.ones((3, 2))
    for make in (lambda nn: nn.BatchNorm1d(2), lambda nn: nn.LayerNorm(2)):
        with pytest.raises(RuntimeError) as t_err:
            make(torch.nn)(torch.tensor(x))
        with pytest.raises(RuntimeError) as g_err:
            make(gnn)(glassgrad.tensor(x))
        assert str(t_err.value) in str(g_err.value)


@pytest.mark.parametrize(
    "cls, shape", [("BatchNorm2d", (4, 3, 2, 5)), ("BatchNorm3d", (2, 3, 2, 2, 3))]
)
def test_batchnorm_2d_3d(cls, shape):
    t, g = getattr(torch.nn, cls)(3, momentum=0.2), getattr(gnn, cls)(3, momentum=0.2)
    assert repr(g) == repr(t)
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
    copy_module(g, t)
    for step in range(2):
        _compare(g, t, _x(*shape, seed=step, scale=2.0) + 1)
    for key, value in t.state_dict().items():
        assert_close(g.state_dict()[key], value)
    g.eval()
    t.eval()
    _compare(g, t, _x(*shape, seed=5))
    with pytest.raises(ValueError, match="expected"):
        g(glassgrad.zeros(2, 3))


@pytest.mark.parametrize(
    "name, shape, lead",
    [
        ("Dropout1d", (4, 6, 5), 2),
        ("Dropout1d", (6, 5), 1),
        ("Dropout2d", (4, 6, 3, 3), 2),
        ("Dropout3d", (2, 6, 2, 2, 2), 2),
    ],
)
def test_channel_dropout_zeroes_whole_channels(name, shape, lead):
    assert repr(getattr(gnn, name)(0.3)) == repr(getattr(torch.nn, name)(0.3))
    glassgrad.manual_seed(1)
    layer = getattr(gnn, name)(0.5)
    x = glassgrad.ones(*shape, requires_grad=True)
    out = layer(x).detach().numpy()
    per_channel = out.reshape(shape[:lead] + (-1,))
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel == 0).all(-1).sum() < per_channel[..., 0].size
    layer.eval()
    assert layer(x) is x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.GroupNorm(2, 4), (3, 4, 5)),
        (lambda nn: nn.GroupNorm(1, 6, eps=1e-3), (2, 6)),
        (lambda nn: nn.GroupNorm(3, 6, affine=False), (2, 6, 2, 2)),
        (lambda nn: nn.GroupNorm(2, 4, bias=False), (2, 4, 3)),
    ],
)
def test_groupnorm(make, shape, dtype):
    tname = np.dtype(dtype).name
    t = make(torch.nn).to(getattr(torch, tname))
    g = make(gnn).to(getattr(glassgrad, tname))
    assert repr(g) == repr(t)
    if t.weight is not None:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
    copy_module(g, t)
    _compare(g, t, _x(*shape, scale=2.0, dtype=dtype) + 1, dtype, check_name=False)
    with pytest.raises(ValueError, match="must be divisible by num_groups"):
        gnn.GroupNorm(3, 4)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.Softmax2d(), (2, 3, 4, 5)),
        (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 2)),
        (lambda nn: nn.PixelUnshuffle(2), (1, 2, 4, 6)),
        (lambda nn: nn.ZeroPad2d((1, 2, 0, 1)), (1, 2, 3, 3)),
        (lambda nn: nn.ConstantPad1d(2, 3.5), (2, 3, 4)),
        (lambda nn: nn.ConstantPad3d((1, 0, 0, 1, 1, 1), -1.0), (1, 1, 2, 2, 2)),
        (lambda nn: nn.ReflectionPad1d((2, 1)), (2, 3, 4)),
        (lambda nn: nn.ReflectionPad2d(1), (1, 2, 3, 3)),
        (lambda nn: nn.ReplicationPad2d((1, 0, 2, 1)), (1, 2, 3, 3)),
        (lambda nn: nn.CircularPad1d(1), (2, 2, 3)),
        (lambda nn: nn.RMSNorm(4), (3, 4)),
        (lambda nn: nn.RMSNorm((2, 3), eps=1e-3, elementwise_affine=False), (4, 2, 3)),
    ],
)
def test_shape_and_norm_layers(make, shape):
    g, t = _pair(make)
    assert repr(g) == repr(t)
    _compare(g, t, _x(*shape, scale=2.0), check_name=False)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.InstanceNorm1d(3), (2, 3, 5)),
        (lambda nn: nn.InstanceNorm1d(3, affine=True), (3, 6)),
        (
            lambda nn: nn.InstanceNorm2d(2, affine=True, track_running_stats=True, momentum=0.3),
            (4, 2, 3, 3),
        ),
        (lambda nn: nn.InstanceNorm3d(2, track_running_stats=True), (2, 2, 2, 3, 2)),
    ],
)
def test_instancenorm_train_then_eval(make, shape):
    g, t = _pair(make)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    if t.weight is not None:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
        copy_module(g, t)
    for step in range(2):
        _compare(g, t, _x(*shape, seed=step, scale=2.0) + 1, check_name=False)
    for key, value in t.state_dict().items():
        assert_close(g.state_dict()[key], value)
    g.eval()
    t.eval()
    _compare(g, t, _x(*shape, seed=7), check_name=False)


def test_linear_errors_match_torch():
    lin = gnn.Linear(1, 1)
    with pytest.raises(RuntimeError, match="both arguments to linear need to be at least 1D"):
        lin(glassgrad.tensor(2.0))
    with pytest.raises(
        RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x5 and 1x1\)"
    ):
        lin(glassgrad.zeros(4, 5))
