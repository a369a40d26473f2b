"""Convolution and pooling layers against PyTorch 2.13 from the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import assert_close, copy_module
from torch_oracle import torch

import glassgrad
import glassgrad.nn as gnn
import glassgrad.nn.functional as gF


def _x(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _compare(make, x, dtype=np.float32, check_name=True):
    t_layer, g_layer = make(torch.nn), make(gnn)
    assert repr(g_layer) == repr(t_layer)
    assert list(g_layer.state_dict()) == list(t_layer.state_dict())
    if dtype == np.float64:
        t_layer, g_layer = t_layer.double(), g_layer.double()
    copy_module(g_layer, t_layer)
    gx, tx = glassgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_out, t_out = g_layer(gx), t_layer(tx)
    assert_close(g_out, t_out, dtype, scale=5.0)
    if check_name:
        assert type(g_out.grad_fn).__name__ == type(t_out.grad_fn).__name__
    upstream = _x(*t_out.shape, seed=9, dtype=dtype)
    g_out.backward(glassgrad.tensor(upstream))
    t_out.backward(torch.tensor(upstream))
    assert_close(gx.grad, tx.grad, dtype, scale=5.0)
    t_params = dict(t_layer.named_parameters())
    for name, p in g_layer.named_parameters():
        assert_close(p.grad, t_params[name].grad, dtype, scale=5.0)


CONVS = [
    (lambda nn: nn.Conv1d(2, 3, 3), (2, 2, 9)),
    (lambda nn: nn.Conv1d(4, 6, 2, stride=2, padding=1, dilation=2, groups=2), (2, 4, 11)),
    (lambda nn: nn.Conv1d(2, 3, 4, padding="same"), (1, 2, 7)),
    (lambda nn: nn.Conv1d(2, 2, 3, padding=2, padding_mode="reflect"), (1, 2, 6)),
    (lambda nn: nn.Conv2d(1, 4, 3), (2, 1, 7, 6)),
    (lambda nn: nn.Conv2d(3, 4, (2, 3), stride=(2, 1), padding=(1, 0), bias=False), (2, 3, 6, 5)),
    (lambda nn: nn.Conv2d(4, 4, 3, groups=4, dilation=2, padding="same"), (1, 4, 7, 7)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), (1, 2, 5, 4)),
    (lambda nn: nn.Conv2d(2, 3, 3), (2, 6, 6)),  # unbatched input
    (lambda nn: nn.Conv3d(2, 2, 2, stride=(1, 2, 1), padding=1), (1, 2, 3, 4, 3)),
    (lambda nn: nn.ConvTranspose1d(2, 3, 3), (2, 2, 5)),
    (lambda nn: nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1, groups=2, dilation=2), (1, 4, 6)),
    (lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 4, 5)),
    (lambda nn: nn.ConvTranspose2d(4, 4, (2, 3), stride=(2, 1), bias=False), (1, 4, 3, 3)),
    (lambda nn: nn.ConvTranspose2d(2, 3, 2), (2, 4, 4)),  # unbatched
    (lambda nn: nn.ConvTranspose3d(2, 2, 2, stride=2), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make, shape", CONVS)
def test_conv_layers(make, shape, dtype):
    _compare(make, _x(*shape, dtype=dtype), dtype, check_name=False)


def test_conv2d_batched_grad_fn_is_convolution():
    _compare(lambda nn: nn.Conv2d(1, 2, 3), _x(1, 1, 5, 5))


POOLS = [
    (lambda nn: nn.MaxPool2d(2), (2, 3, 6, 6), True),
    (lambda nn: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 7, 6), True),
    (lambda nn: nn.MaxPool2d((2, 3), dilation=(1, 2)), (1, 1, 6, 9), True),
    (lambda nn: nn.MaxPool1d(3, stride=1), (2, 3, 7), False),
    (lambda nn: nn.MaxPool3d(2), (1, 2, 4, 4, 4), True),
    (lambda nn: nn.MaxPool2d(2, ceil_mode=True), (1, 2, 5, 7), True),
    (lambda nn: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (1, 1, 6, 8), True),
    (lambda nn: nn.MaxPool2d(2), (2, 6, 6), False),  # unbatched
    (lambda nn: nn.AvgPool2d(2), (2, 3, 6, 4), True),
    (lambda nn: nn.AvgPool2d(3, stride=2, padding=1), (1, 2, 7, 6), True),
    (lambda nn: nn.AvgPool2d(2, divisor_override=3), (1, 1, 4, 4), True),
    (lambda nn: nn.AvgPool1d(2), (2, 3, 8), False),
    (lambda nn: nn.AvgPool3d(2, stride=1), (1, 1, 3, 3, 3), True),
    (lambda nn: nn.AdaptiveAvgPool2d((1, 1)), (2, 3, 5, 5), False),
    (lambda nn: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5), False),
    (lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 10), False),
    (lambda nn: nn.AdaptiveAvgPool3d((1, 2, 2)), (1, 2, 3, 4, 5), False),
    (lambda nn: nn.AdaptiveMaxPool2d((2, 3)), (2, 2, 5, 7), False),
    (lambda nn: nn.AdaptiveMaxPool2d(1), (2, 3, 4, 4), False),
    (lambda nn: nn.AdaptiveMaxPool1d(3), (2, 3, 8), False),
]


@pytest.mark.parametrize("make, shape, names", POOLS)
def test_pooling_layers(make, shape, names):
    x = _x(*shape) + np.arange(np.prod(shape)).reshape(shape) * 1e-3  # no ties for max
    _compare(make, x.astype(np.float32), check_name=names)


def test_small_cnn_trains_like_torch():
    def build(nn):
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3),
            nn.Tanh(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(6, 3),
        )

    t_model, g_model = build(torch.nn), build(gnn)
    copy_module(g_model, t_model)
    x = _x(8, 1, 8, 8)
    y = np.arange(8) % 3
    losses = []
    for lib, model in ((torch, t_model), (glassgrad, g_model)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        run = []
        for _ in range(5):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5, atol=1e-5)


def test_conv_errors_match_torch():
    conv = gnn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match="expected input.*to have 3 channels, but got 2"):
        conv(glassgrad.zeros(1, 2, 5, 5))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        conv(glassgrad.zeros(1, 3, 2, 2))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\)"):
        conv(glassgrad.zeros(3, 5))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        gnn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        gnn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        gF.max_pool2d(glassgrad.zeros(1, 1, 4, 4), 2, padding=2)


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({"kernel_size": 2}, (2, 3, 6, 6)),
        ({"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1}, (1, 2, 7, 5)),
        ({"kernel_size": 2, "dilation": 2, "ceil_mode": True}, (1, 1, 7, 9)),
    ],
)
def test_max_pool_return_indices(kwargs, shape):
    x = _x(*shape)
    g_out, g_idx = gF.max_pool2d(glassgrad.tensor(x), return_indices=True, **kwargs)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    assert_close(g_out, t_out)
    assert g_idx.dtype == glassgrad.int64
    np.testing.assert_array_equal(g_idx.numpy(), t_idx.numpy())


def test_conv_transpose_output_size_argument():
    t = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    g = gnn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    copy_module(g, t)
    x = _x(1, 2, 4, 4)
    g_out = g(glassgrad.tensor(x), output_size=[8, 8])
    t_out = t(torch.tensor(x), output_size=[8, 8])
    assert tuple(g_out.shape) == (1, 3, 8, 8)
    assert_close(g_out, t_out)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.Upsample(scale_factor=2), (1, 2, 3, 4)),
        (lambda nn: nn.Upsample(size=(5, 7)), (2, 1, 3, 4)),
        (lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear"), (1, 2, 4, 4)),
        (lambda nn: nn.Upsample(size=(5, 3), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
        (lambda nn: nn.Upsample(scale_factor=3, mode="linear"), (2, 2, 5)),
        (lambda nn: nn.Upsample(size=4, mode="trilinear"), (1, 1, 2, 3, 2)),
        (lambda nn: nn.Upsample(scale_factor=(2, 1)), (1, 1, 3, 3)),
    ],
)
def test_upsample(make, shape):
    _compare(make, _x(*shape), check_name=False)


def test_interpolate_errors_match_torch():
    x = glassgrad.zeros(1, 2, 3, 4)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        gF.interpolate(x)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        gF.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        gF.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        gF.interpolate(x, size=3, align_corners=True)
