"""``autograd.graph.register_backward_call_hook``: how tools observe backward() calls."""

from __future__ import annotations

import pytest

import glassgrad as gg
from glassgrad.autograd.graph import register_backward_call_hook


@pytest.fixture
def calls():
    seen: list = []
    handle = register_backward_call_hook(seen.append)
    yield seen
    handle.remove()


def test_each_backward_call_passes_its_roots_with_the_graph_intact(calls):
    w = gg.tensor(2.0, requires_grad=True)
    loss = (w * 3.0) ** 2
    seen_names = []
    handle = register_backward_call_hook(lambda roots: seen_names.append(roots[0].grad_fn.name()))
    try:
        loss.backward()
    finally:
        handle.remove()
    assert calls == [(loss,)]
    assert seen_names == ["PowBackward0"]
    assert w.grad.item() == 36.0  # the hook changes nothing about the gradient
    a, b = (w * 2.0).sum(), (w * 5.0).sum()
    gg.autograd.backward([a, b])
    assert calls[-1] == (a, b)
    assert w.grad.item() == 43.0


def test_grad_does_not_call_it(calls):
    w = gg.tensor(2.0, requires_grad=True)
    gg.autograd.grad(w * w, w)
    assert calls == []


def test_a_call_that_then_raises_is_seen(calls):
    y = gg.tensor([1.0, 2.0], requires_grad=True) * 3.0
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    assert calls == [(y,)]


def test_remove_unregisters():
    seen: list = []
    handle = register_backward_call_hook(seen.append)
    handle.remove()
    handle.remove()  # twice is harmless
    w = gg.tensor(1.0, requires_grad=True)
    (w * 2.0).backward()
    assert seen == []
    assert w.grad.item() == 2.0
