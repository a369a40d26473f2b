"""Very deep graphs: backward is iterative, frees as it goes, and dropping a graph is safe."""

from __future__ import annotations

import gc
import math
import tracemalloc
import weakref

import glassgrad

DEPTH = 100_000  # ops; each step of the chain is two ops (a mul and an add)
FACTOR = 1.0001


def _chain(x, steps: int):
    for _ in range(steps):
        x = x * FACTOR + 0.0
    return x


def _nodes(root) -> list:
    """Every node reachable from ``root`` (walked without recursion)."""
    seen, stack = {root}, [root]
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return list(seen)


def test_hundred_thousand_op_chain_backprops_with_small_memory() -> None:
    x0 = glassgrad.tensor(1.0, dtype=glassgrad.float64, requires_grad=True)
    y = _chain(x0, DEPTH // 2)
    gc.collect()
    tracemalloc.start()
    try:
        y.backward()  # a recursive engine would hit RecursionError here
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert math.isclose(x0.grad.item(), FACTOR ** (DEPTH // 2), rel_tol=1e-9)
    # Backward keeps only bookkeeping per node, never a growing pile of gradients.
    assert peak < 1000 * DEPTH, f"backward peaked at {peak / DEPTH:.0f} bytes per op"
    assert now < 100 * DEPTH, f"backward left {now / DEPTH:.0f} bytes per op behind"
    assert all(node.saved == () for node in _nodes(y.grad_fn))


def test_saved_arrays_are_freed_while_walking_back() -> None:
    """The peak during backward is a small fraction of what the forward graph saved."""
    steps = 2_000
    x0 = glassgrad.ones(2_000, dtype=glassgrad.float64, requires_grad=True)
    gc.collect()
    tracemalloc.start()
    try:
        y = _chain(x0, steps).sum()
        graph_bytes, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        y.backward()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    saved = steps * x0.nbytes  # at least one saved array per multiplication
    assert graph_bytes > saved
    assert peak - graph_bytes < saved / 10, "gradients or saved arrays piled up during backward"
    assert after < graph_bytes - 0.9 * saved, "saved arrays outlived backward"
    assert glassgrad.allclose(x0.grad, glassgrad.full_like(x0, FACTOR**steps), rtol=1e-10)


def test_dropping_a_deep_graph_without_backward_is_safe() -> None:
    x0 = glassgrad.tensor(2.0, requires_grad=True)
    y = _chain(x0, DEPTH // 2)
    probe = _nodes(y.grad_fn)[:: DEPTH // 20]
    refs = [weakref.ref(node) for node in probe]
    del y, probe
    gc.collect()
    assert all(ref() is None for ref in refs)


def test_deep_chain_with_create_graph_gives_second_derivative() -> None:
    x0 = glassgrad.tensor(1.5, dtype=glassgrad.float64, requires_grad=True)
    steps = 5_000
    y = _chain(x0 * x0, steps)  # y = c * x^2, c = FACTOR ** steps
    (g,) = glassgrad.autograd.grad(y, x0, create_graph=True)
    (h,) = glassgrad.autograd.grad(g, x0)
    c = FACTOR**steps
    assert math.isclose(g.item(), 2 * c * 1.5, rel_tol=1e-9)
    assert math.isclose(h.item(), 2 * c, rel_tol=1e-9)
