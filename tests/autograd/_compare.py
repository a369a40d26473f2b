"""Run one snippet under torch and under glassgrad and compare what comes out."""

from __future__ import annotations

import warnings

import glassgrad as gg


def summary(value, m):
    if isinstance(value, m.Tensor):
        data = value.detach().tolist()
        return ("tensor", str(value.dtype), data, value.requires_grad)
    if isinstance(value, (list, tuple)):
        return tuple(summary(v, m) for v in value)
    return str(value)


def graph(fn, depth: int = 4):
    """A node's name and its next_functions, ``depth`` levels down."""
    if fn is None or depth == 0:
        return None
    return (type(fn).__name__, [(graph(n, depth - 1), i) for n, i in fn.next_functions])


def assert_same(snippet, torch, rel: float = 1e-6) -> None:
    """``snippet(m)`` gives equal results (or the same exception type) for torch and gg."""
    results = []
    for m in (torch, gg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                results.append(summary(snippet(m), m))
            except Exception as exc:
                results.append(("raised", type(exc).__name__))
    expected, got = results
    assert _close(got, expected, rel), f"glassgrad {got} != torch {expected}"


def _close(a, b, rel) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= rel * max(abs(a), abs(b), 1.0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, rel) for x, y in zip(a, b))
    return a == b
