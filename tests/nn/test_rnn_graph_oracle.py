"""RNN, LSTM and GRU record PyTorch 2.13's CPU graph: the same grad_fn names, two levels deep.

PyTorch runs a float32 LSTM through oneDNN (one ``MkldnnRnnLayerBackward0`` per layer and
direction, for every ATEN_CPU_CAPABILITY) and everything else through its native cells.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import glassgrad

try:
    import torch
except ImportError:  # the oracle test skips; the others need no torch
    torch = None

VARIANTS = [
    v
    for v in itertools.product(
        [1, 2],  # num_layers
        [0.0, 0.5],  # dropout
        [True, False],  # batched
        [False, True],  # hx given (requiring grad)
        [False, True],  # input requires grad
        [True, False],  # training
        [False, True],  # under no_grad
    )
    if v[0] > 1 or not v[1]  # dropout only between layers
]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """oneDNN's threads make thousands of tiny LSTM calls slow on a shared machine."""
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _signature(fn, depth: int) -> str:
    """A node's name and, ``depth`` levels down, its inputs (with output indices)."""
    if fn is None:
        return "None"
    name = fn.name().removeprefix("torch::autograd::")
    if depth == 0:
        return name
    inputs = [_signature(f, depth - 1) + (f"#{i}" if i else "") for f, i in fn.next_functions]
    return f"{name}({','.join(inputs)})"


def _graph(lib, kind, dtype, batch_first, bidirectional, variant):
    layers, dropout, batched, given, input_grad, training, no_grad = variant
    dtype = getattr(lib, dtype)
    module = getattr(lib.nn, kind)(
        3,
        4,
        num_layers=layers,
        dropout=dropout,
        batch_first=batch_first,
        bidirectional=bidirectional,
    ).to(dtype)
    module.train(training)
    shape = ((2, 5, 3) if batch_first else (5, 2, 3)) if batched else (5, 3)
    args = [lib.ones(*shape, dtype=dtype, requires_grad=input_grad)]
    if given:
        state = (layers * (2 if bidirectional else 1),) + ((2,) if batched else ()) + (4,)
        h0 = lib.zeros(*state, dtype=dtype, requires_grad=True)
        args.append((h0, h0.clone()) if kind == "LSTM" else h0)
    with lib.no_grad() if no_grad else lib.enable_grad():
        output, final = module(*args)
    finals = final if isinstance(final, tuple) else (final,)
    return [_signature(t.grad_fn, 2) for t in (output, *finals)]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_grad_fn_names_match_torch(kind, dtype, batch_first, bidirectional):
    if torch is None:
        pytest.skip("PyTorch is the oracle for this test")
    for variant in VARIANTS:
        case = (kind, dtype, batch_first, bidirectional, variant)
        expected = _graph(torch, *case)
        assert _graph(glassgrad, *case) == expected, case


def test_float32_lstm_prints_its_onednn_node():
    lstm = glassgrad.nn.LSTM(3, 4)
    output, (h, c) = lstm(glassgrad.ones(5, 2, 3))
    assert repr(output.grad_fn).startswith("<MkldnnRnnLayerBackward0 object at 0x")
    assert "grad_fn=<MkldnnRnnLayerBackward0>" in repr(output)
    assert [name for name, _ in [(f.name(), i) for f, i in h.grad_fn.next_functions]] == [
        "MkldnnRnnLayerBackward0"
    ]
    assert h.grad_fn.next_functions[0][1] == 1 and c.grad_fn.next_functions[0][1] == 2


def _lstm_grads(onednn: bool, **options):
    previous = glassgrad.backends.mkldnn.enabled
    glassgrad.backends.mkldnn.enabled = onednn
    try:
        glassgrad.manual_seed(0)
        lstm = glassgrad.nn.LSTM(3, 4, **options)
        x = glassgrad.tensor(
            np.random.default_rng(0).standard_normal((6, 2, 3)), dtype=glassgrad.float32
        )
        x.requires_grad_(True)
        output, (h, c) = lstm(x)
        name = _signature(output.grad_fn, 1)
        (output.sum() + 2 * h.sum() + 3 * c.sum()).backward()
        return name, [output, h, c], [x.grad] + [p.grad for p in lstm.parameters()]
    finally:
        glassgrad.backends.mkldnn.enabled = previous


@pytest.mark.parametrize(
    "options",
    [{}, {"num_layers": 2}, {"bidirectional": True}, {"bias": False}, {"batch_first": True}],
)
def test_onednn_node_computes_what_the_step_by_step_graph_computes(options):
    name, values, grads = _lstm_grads(True, **options)
    native_name, native_values, native_grads = _lstm_grads(False, **options)
    assert "MkldnnRnnLayerBackward0" in name and "Mkldnn" not in native_name
    for mine, native in zip(values + grads, native_values + native_grads):
        np.testing.assert_array_equal(mine.detach().numpy(), native.detach().numpy())


def test_onednn_node_frees_its_graph_after_backward_unless_retained():
    lstm = glassgrad.nn.LSTM(3, 4)
    output, _ = lstm(glassgrad.ones(5, 2, 3))
    output.sum().backward(retain_graph=True)
    first = lstm.weight_ih_l0.grad.clone()
    output.sum().backward()
    np.testing.assert_allclose(lstm.weight_ih_l0.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        output.sum().backward()


def test_onednn_node_refuses_double_backward_clearly():
    lstm = glassgrad.nn.LSTM(3, 4)
    x = glassgrad.ones(5, 2, 3, requires_grad=True)
    output, _ = lstm(x)
    with pytest.raises(RuntimeError, match="MkldnnRnnLayerBackward0.*float64"):
        glassgrad.autograd.grad(output.sum(), x, create_graph=True)
