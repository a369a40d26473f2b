"""Training does not leak: backward frees the graph, and no reference cycle keeps one alive."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import pytest

import glassgrad
from glassgrad.autograd.graph import Node

STEPS = 1_000


def _mlp():
    glassgrad.manual_seed(0)
    model = glassgrad.nn.Sequential(
        glassgrad.nn.Linear(8, 32), glassgrad.nn.ReLU(), glassgrad.nn.Linear(32, 1)
    )
    x = glassgrad.randn(64, 8)
    y = x.sum(dim=1, keepdim=True).sin()
    return model, x, y


def _train(model, x, y, opt, steps: int) -> float:
    loss_fn = glassgrad.nn.MSELoss()
    value = 0.0
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        value = loss.item()
    return value


def _nodes(root) -> list:
    seen, stack = {root}, [root]
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return list(seen)


def _ours(obj) -> bool:
    module = type(obj).__module__ or ""
    return module.startswith("glassgrad") or type(obj).__name__ == "ndarray"


OPTIMIZERS = [
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("Adam", {"lr": 1e-3}),
]


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_memory_returns_to_baseline_over_many_steps(name: str, kwargs: dict) -> None:
    model, x, y = _mlp()
    opt = getattr(glassgrad.optim, name)(model.parameters(), **kwargs)
    first = _train(model, x, y, opt, 5)  # creates the optimizer state once
    gc.collect()
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        last = _train(model, x, y, opt, STEPS)
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last < first, "the model did not train"
    # One step's graph is ~100 KB; a leak of even one small array per step would show.
    assert after - baseline < 16_000, f"{after - baseline} bytes kept after {STEPS} steps"
    assert peak - baseline < 2_000_000


def test_backward_frees_saved_arrays_while_the_loss_is_alive() -> None:
    model, x, y = _mlp()
    leaves = {id(t._data) for t in (x, y, *model.parameters())}
    loss = glassgrad.nn.functional.mse_loss(model(x), y)
    nodes = _nodes(loss.grad_fn)
    saved = [s for node in nodes for s in getattr(node, "saved", ()) if hasattr(s, "shape")]
    intermediates = [weakref.ref(s) for s in saved if id(s) not in leaves]
    assert intermediates, "the MLP graph saved no intermediate arrays"
    loss.backward()
    assert all(node.saved == () for node in nodes)
    del nodes, saved
    assert [r for r in intermediates if r() is not None] == []
    assert loss.grad_fn is not None  # the graph's structure stays, only its data is freed


def test_retain_graph_keeps_saved_arrays_until_the_last_backward() -> None:
    model, x, y = _mlp()
    loss = glassgrad.nn.functional.mse_loss(model(x), y)
    nodes = _nodes(loss.grad_fn)
    loss.backward(retain_graph=True)
    assert any(node.saved for node in nodes)
    loss.backward()
    assert all(node.saved == () for node in nodes)


def test_no_reference_cycles_keep_graphs_alive(monkeypatch) -> None:
    """With the collector off, dropped graphs must still be freed by reference counting."""
    # (the warning comes once per process, as in PyTorch: as if no test had seen it yet)
    monkeypatch.setattr(glassgrad.autograd.gradients, "_warned_create_graph", False)
    model, x, y = _mlp()
    opt = glassgrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    _train(model, x, y, opt, 3)
    gc.collect()
    flags = gc.get_debug()
    gc.disable()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        _train(model, x, y, opt, 50)
        out = model(x)
        with pytest.warns(UserWarning, match="reference cycle"):  # as PyTorch warns
            (out * out).sum().backward(create_graph=True)  # graphs of gradients, too
        for p in model.parameters():
            p.grad = None
        del out
        gc.collect()
        leaked = [obj for obj in gc.garbage if _ours(obj)]
    finally:
        gc.garbage.clear()
        gc.set_debug(flags)
        gc.enable()
    assert leaked == [], f"{len(leaked)} glassgrad objects were only freed by the cycle collector"


def test_no_graph_node_outlives_its_graph() -> None:
    model, x, y = _mlp()
    opt = glassgrad.optim.SGD(model.parameters(), lr=0.01)
    _train(model, x, y, opt, 3)
    gc.collect()
    before = sum(issubclass(type(o), Node) for o in gc.get_objects())
    _train(model, x, y, opt, 20)
    after = sum(issubclass(type(o), Node) for o in gc.get_objects())
    assert after == before
