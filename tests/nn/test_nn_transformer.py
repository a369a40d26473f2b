"""MultiheadAttention and the Transformer encoder against PyTorch 2.13 (evaluation mode)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from nn_oracle import assert_close, copy_module
from torch_oracle import torch

import glassgrad
import glassgrad.nn as gnn


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _pair(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notice
        t_mod = make(torch.nn)
    g_mod = make(gnn)
    assert repr(g_mod) == repr(t_mod)
    assert list(g_mod.state_dict()) == list(t_mod.state_dict())
    copy_module(g_mod, t_mod)
    return g_mod.eval(), t_mod.eval()


def _lib_args(lib, arrays):
    return [None if a is None else lib.tensor(a) for a in arrays]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal_bool", "float", "padding"])
def test_multihead_attention(batch_first, masks):
    g_mod, t_mod = _pair(lambda nn: nn.MultiheadAttention(8, 2, batch_first=batch_first))
    shape_q = (2, 5, 8) if batch_first else (5, 2, 8)
    shape_kv = (2, 4, 8) if batch_first else (4, 2, 8)
    q, k, v = _x(*shape_q, seed=1), _x(*shape_kv, seed=2), _x(*shape_kv, seed=3)
    attn_mask = key_padding_mask = None
    if masks == "causal_bool":
        attn_mask = np.triu(np.ones((5, 4), bool), 1)
    elif masks == "float":
        attn_mask = _x(5, 4, seed=4)
    elif masks == "padding":
        key_padding_mask = np.array([[False, False, True, True], [False, False, False, True]])
    results = []
    for lib, mod in ((glassgrad, g_mod), (torch, t_mod)):
        qt, kt, vt = (lib.tensor(a, requires_grad=True) for a in (q, k, v))
        am, kpm = _lib_args(lib, [attn_mask, key_padding_mask])
        out, weights = mod(qt, kt, vt, key_padding_mask=kpm, attn_mask=am)
        (out.sum() + (weights * weights).sum()).backward()
        results.append((out, weights, qt.grad, kt.grad, vt.grad, mod.in_proj_weight.grad))
    for g, t in zip(*results):
        assert_close(g, t, scale=5.0)


def test_multihead_attention_unbatched_and_per_head_weights():
    g_mod, t_mod = _pair(lambda nn: nn.MultiheadAttention(6, 3, bias=False))
    x = _x(4, 6)
    g_out, g_w = g_mod(*(glassgrad.tensor(x) for _ in range(3)), average_attn_weights=False)
    t_out, t_w = t_mod(*(torch.tensor(x) for _ in range(3)), average_attn_weights=False)
    assert_close(g_out, t_out)
    assert_close(g_w, t_w)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"norm_first": True}, {"activation": "gelu", "batch_first": True}, {"bias": False}],
)
def test_transformer_encoder(kwargs):
    def make(nn):
        layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kwargs)
        return nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)

    g_mod, t_mod = _pair(make)
    x = _x(5, 3, 8) if kwargs.get("batch_first") else _x(3, 5, 8)  # sequence length 3
    mask = np.triu(np.full((3, 3), -np.inf, np.float32), 1)  # causal
    outs = []
    for lib, mod in ((glassgrad, g_mod), (torch, t_mod)):
        xt = lib.tensor(x, requires_grad=True)
        out = mod(xt, mask=lib.tensor(mask))
        out.pow(2).sum().backward()
        outs.append((out, xt.grad, mod.layers[0].linear1.weight.grad))
    for g, t in zip(*outs):
        assert_close(g, t, scale=10.0)


def test_attention_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        gnn.MultiheadAttention(5, 2)
    mha = gnn.MultiheadAttention(4, 2)
    with pytest.raises(AssertionError, match="expecting embedding dimension of 4"):
        mha(glassgrad.zeros(3, 1, 5), glassgrad.zeros(3, 1, 5), glassgrad.zeros(3, 1, 5))


@pytest.mark.parametrize("kwargs", [{}, {"norm_first": True, "batch_first": True}])
def test_full_transformer(kwargs):
    def make(nn):
        return nn.Transformer(
            d_model=8,
            nhead=2,
            num_encoder_layers=2,
            num_decoder_layers=1,
            dim_feedforward=16,
            **kwargs,
        )

    g_mod, t_mod = _pair(make)
    batch_first = kwargs.get("batch_first", False)
    src = _x(2, 5, 8, seed=1) if batch_first else _x(5, 2, 8, seed=1)
    tgt = _x(2, 3, 8, seed=2) if batch_first else _x(3, 2, 8, seed=2)
    outs = []
    for lib, mod in ((glassgrad, g_mod), (torch, t_mod)):
        mask = lib.nn.Transformer.generate_square_subsequent_mask(3)
        s_t, t_t = lib.tensor(src, requires_grad=True), lib.tensor(tgt, requires_grad=True)
        out = mod(s_t, t_t, tgt_mask=mask)
        out.pow(2).sum().backward()
        outs.append(
            (
                mask,
                out,
                s_t.grad,
                t_t.grad,
                mod.decoder.layers[0].multihead_attn.in_proj_weight.grad,
            )
        )
    for g, t in zip(*outs):
        assert_close(g, t, scale=10.0)
