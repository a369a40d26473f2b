"""How fast W2 could possibly be on NumPy 0-d arrays: a bare reverse-mode engine, for scale.

Nodes and tensors with the slots an autograd library needs, W2's five ops with their
gradients written in, a heap-ordered backward; and nothing else: no broadcasting, dtype or
version checks, hooks, grad modes, views or error messages. Run it with
``OMP_NUM_THREADS=1 python bench/w2_floor.py`` and compare with W2's row in RESULTS.md.
"""

from __future__ import annotations

import heapq
import time

import numpy as np


class Tensor:
    __slots__ = ("data", "grad", "grad_fn", "requires_grad", "sink", "version")

    def __init__(self, data, grad_fn=None, requires_grad=False):
        self.data = data
        self.grad_fn = grad_fn
        self.grad = None
        self.requires_grad = requires_grad or grad_fn is not None
        self.version = [0]
        self.sink = None


class Node:
    __slots__ = ("edges", "kind", "saved", "seq")


class Sink:
    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor


_counter = [0]


def _edge(t):
    if t.grad_fn is not None:
        return t.grad_fn
    if t.requires_grad:
        if t.sink is None:
            t.sink = Sink(t)
        return t.sink
    return None


def _record(kind, inputs, out, saved):
    node = Node()
    node.kind = kind
    node.edges = tuple(_edge(t) for t in inputs)
    node.saved = saved
    _counter[0] += 1
    node.seq = _counter[0]
    return Tensor(out if type(out) is np.ndarray else np.asarray(out), node)


def mul(a, b):
    return _record("mul", (a, b), a.data * b.data, (a.data, b.data))


def add(a, b):
    return _record("add", (a, b), a.data + b.data, ())


def relu(a):
    out = np.maximum(a.data, 0)
    return _record("relu", (a,), out, (out,))


def square(a):
    return _record("square", (a,), a.data * a.data, (a.data,))


def total(a):
    return _record("sum", (a,), a.data.sum(), ())


def _vjp(node, g):
    kind, saved = node.kind, node.saved
    if kind == "mul":
        return g * saved[1], g * saved[0]
    if kind == "add":
        return g, g
    if kind == "relu":
        return (g if saved[0][()] > 0 else np.zeros((), g.dtype),)
    if kind == "square":
        return (g * (saved[0] + saved[0]),)
    return (g,)


def backward(root):
    grads = {root.grad_fn: np.ones((), root.data.dtype)}
    pending = [(-root.grad_fn.seq, root.grad_fn)]
    sinks = []
    while pending:
        node = heapq.heappop(pending)[1]
        for nxt, g in zip(node.edges, _vjp(node, grads.pop(node))):
            if nxt is None:
                continue
            g = g if type(g) is np.ndarray else np.asarray(g)
            if nxt in grads:
                grads[nxt] = grads[nxt] + g
                continue
            grads[nxt] = g
            if type(nxt) is Sink:
                sinks.append(nxt)
            else:
                heapq.heappush(pending, (-nxt.seq, nxt))
    for sink in sinks:
        sink.tensor.grad = grads.pop(sink)


def main() -> None:
    a, b, c = (Tensor(np.asarray(np.float32(v)), requires_grad=True) for v in (2.0, -3.0, 10.0))

    def step():
        a.grad = b.grad = c.grad = None
        backward(total(square(relu(add(mul(a, b), c)))))

    for _ in range(1000):
        step()
    best = float("inf")
    for _ in range(7):
        start = time.process_time()
        for _ in range(20000):
            step()
        best = min(best, (time.process_time() - start) / 20000 * 1e6)
    print(f"bare engine, W2 step: {best:.1f} µs (gradients {a.grad}, {b.grad}, {c.grad})")


if __name__ == "__main__":
    main()
