"""RNN, LSTM, GRU and their cells against PyTorch 2.13 from the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import assert_close, copy_module
from torch_oracle import torch

import glassgrad
import glassgrad.nn as gnn


def _x(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _flatten(out):
    if isinstance(out, tuple):
        return [t for o in out for t in _flatten(o)]
    return [out]


def _run_pair(make, inputs, dtype=np.float32):
    t_mod, g_mod = make(torch.nn), make(gnn)
    assert repr(g_mod) == repr(t_mod)
    assert list(g_mod.state_dict()) == list(t_mod.state_dict())
    if dtype == np.float64:
        t_mod, g_mod = t_mod.double(), g_mod.double()
    copy_module(g_mod, t_mod)
    g_in = [glassgrad.tensor(a, requires_grad=True) if a is not None else None for a in inputs]
    t_in = [torch.tensor(a, requires_grad=True) if a is not None else None for a in inputs]

    def call(mod, args):
        if len(args) == 3:  # LSTM state pair
            return mod(args[0], None if args[1] is None else (args[1], args[2]))
        return mod(*args)

    g_outs, t_outs = _flatten(call(g_mod, g_in)), _flatten(call(t_mod, t_in))
    assert len(g_outs) == len(t_outs)
    g_total, t_total = 0, 0
    for i, (go, to) in enumerate(zip(g_outs, t_outs)):
        assert_close(go, to, dtype, scale=5.0)
        weight = _x(*to.shape, seed=10 + i, dtype=dtype)
        g_total = g_total + (go * glassgrad.tensor(weight)).sum()
        t_total = t_total + (to * torch.tensor(weight)).sum()
    g_total.backward()
    t_total.backward()
    for g, t in zip(g_in, t_in):
        if g is not None:
            assert_close(g.grad, t.grad, dtype, scale=5.0)
    t_params = dict(t_mod.named_parameters())
    for name, p in g_mod.named_parameters():
        assert_close(p.grad, t_params[name].grad, dtype, scale=5.0)


CASES = [
    (lambda nn: nn.RNN(3, 4), [(5, 2, 3)]),
    (lambda nn: nn.RNN(3, 4, nonlinearity="relu", num_layers=2, bias=False), [(4, 2, 3)]),
    (lambda nn: nn.RNN(3, 4, batch_first=True, bidirectional=True), [(2, 5, 3), (2, 2, 4)]),
    (lambda nn: nn.LSTM(3, 4), [(5, 2, 3)]),
    (lambda nn: nn.LSTM(3, 4, num_layers=2, bidirectional=True), [(4, 2, 3), (4, 2, 4), (4, 2, 4)]),
    (lambda nn: nn.LSTM(3, 4, batch_first=True), [(2, 6, 3)]),
    (lambda nn: nn.LSTM(3, 4), [(5, 3)]),  # unbatched
    (lambda nn: nn.GRU(3, 4), [(5, 2, 3)]),
    (
        lambda nn: nn.GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True),
        [(2, 3, 3), (4, 2, 4)],
    ),
    (lambda nn: nn.GRU(3, 4), [(5, 3), (1, 4)]),  # unbatched with h0
    (lambda nn: nn.RNNCell(3, 4), [(2, 3), (2, 4)]),
    (lambda nn: nn.RNNCell(3, 4, nonlinearity="relu", bias=False), [(3,)]),
    (lambda nn: nn.LSTMCell(3, 4), [(2, 3), (2, 4), (2, 4)]),
    (lambda nn: nn.GRUCell(3, 4), [(2, 3), (2, 4)]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make, shapes", CASES)
def test_recurrent_layers_match_torch(make, shapes, dtype):
    inputs = [_x(*s, seed=i, dtype=dtype) for i, s in enumerate(shapes)]
    _run_pair(make, inputs, dtype)


def test_lstm_language_model_trains_like_torch():
    def build(nn):
        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(6, 4)
                self.lstm = nn.LSTM(4, 5, batch_first=True)
                self.head = nn.Linear(5, 6)

            def forward(self, idx):
                out, _ = self.lstm(self.emb(idx))
                return self.head(out)

        return Model()

    t_model, g_model = build(torch.nn), build(gnn)
    copy_module(g_model, t_model)
    seq = np.random.default_rng(0).integers(0, 6, size=(3, 7))
    losses = []
    for lib, model in ((torch, t_model), (glassgrad, g_model)):
        opt = lib.optim.Adam(model.parameters(), lr=0.05)
        run = []
        for _ in range(5):
            opt.zero_grad()
            logits = model(lib.tensor(seq[:, :-1]))
            loss = lib.nn.functional.cross_entropy(
                logits.reshape(-1, 6), lib.tensor(seq[:, 1:]).reshape(-1)
            )
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5, atol=1e-5)


def test_recurrent_errors():
    lstm = gnn.LSTM(3, 4)
    with pytest.raises(
        RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 2"
    ):
        lstm(glassgrad.zeros(5, 2, 2))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        lstm(glassgrad.zeros(1, 5, 2, 3))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        gnn.GRU(3, 4)(glassgrad.zeros(5, 2, 3), glassgrad.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        gnn.RNN(3, 4, nonlinearity="gelu")
