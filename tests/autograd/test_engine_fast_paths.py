"""The engine's short paths give what its general path and PyTorch give.

Recording sets only what every node needs; a node gets ``_special`` (and the general path)
when hooks are added or it is freed. Leaves adopt unshared gradients, views included;
``mm``/``addmm`` compute a transposed operand's gradient in its layout; some backwards skip
gradients nobody needs. Each of these is checked here against PyTorch or the plain formula.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg
from glassgrad.autograd import engine
from glassgrad.autograd.engine import _unshared


def _pair(values, dtype="float32", requires_grad=True):
    array = np.asarray(values, dtype=dtype)
    return (
        gg.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def _same_bits(ours, theirs) -> bool:
    a = np.asarray(ours.detach().numpy() if hasattr(ours, "numpy") else ours)
    b = theirs.detach().numpy()
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_hooks_added_after_recording_run_on_the_general_path():
    calls = {"gg": [], "torch": []}
    for lib, mod in (("gg", gg), ("torch", torch)):
        x = mod.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 2
        z = (y * y).sum()
        y.register_hook(lambda g, lib=lib: calls[lib].append(("tensor", g.tolist())))
        z.grad_fn.register_prehook(lambda gs, lib=lib: calls[lib].append(("pre", len(gs))))
        y.grad_fn.register_hook(
            lambda gi, go, lib=lib: calls[lib].append(("post", [g.tolist() for g in go]))
        )
        y.retain_grad()
        z.backward()
        calls[lib].append(("retained", y.grad.tolist()))
        calls[lib].append(("leaf", x.grad.tolist()))
    assert calls["gg"] == calls["torch"]


def test_a_freed_node_refuses_a_second_backward():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert y.grad_fn.next_functions[0][0]._special  # freed: the general path checks it
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_nodes_that_saved_nothing_run_again():
    for mod in (gg, torch):
        x = mod.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 1).sum()
        y.backward()
        y.backward()
        assert x.grad.tolist() == [2.0, 2.0]


def test_linear_gradients_are_adopted_row_major_and_match_torch(monkeypatch):
    rng = np.random.default_rng(0)
    w, b, x = (rng.standard_normal(s) for s in ((3, 5), (3,), (7, 5)))
    ours = gg.nn.Linear(5, 3).double()
    theirs = torch.nn.Linear(5, 3).double()
    with gg.no_grad():
        ours.weight.copy_(gg.tensor(w))
        ours.bias.copy_(gg.tensor(b))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
        theirs.bias.copy_(torch.tensor(b))
    copies = []
    real_accumulate = engine._accumulate
    monkeypatch.setattr(
        engine, "_accumulate", lambda *args, **kw: copies.append(1) or real_accumulate(*args, **kw)
    )
    ours(gg.tensor(x)).square().sum().backward()
    theirs(torch.tensor(x)).square().sum().backward()
    assert not copies  # both gradients were adopted as they are, none copied
    for p, q in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        grad = p.grad._data
        assert grad.flags.c_contiguous and grad.flags.writeable
        np.testing.assert_allclose(grad, q.grad.numpy(), rtol=1e-12, atol=1e-12)
    # the adopted arrays belong to nobody else
    assert not np.shares_memory(ours.weight.grad._data, ours.bias.grad._data)
    assert not np.shares_memory(ours.weight.grad._data, ours.weight._data)


def test_unshared_accepts_only_a_whole_row_major_view_of_an_otherwise_unused_base():
    # (each verdict is taken outside ``assert``: pytest's rewriting holds extra references)
    def verdict(view):
        return _unshared(view.base, view)

    fresh = verdict(np.ones((3, 4)).reshape(12))
    kept = np.ones((3, 4))
    still_referenced = verdict(kept.reshape(12))
    column_major = verdict(np.ones((4, 3)).T)
    part_of_larger = verdict(np.ones(12)[:6])  # a slice would keep a larger base alive
    read_only = verdict(np.broadcast_to(np.ones(1), (4,)))
    no_base = verdict(np.ones(3))
    assert fresh and no_base
    assert not (still_referenced or column_major or part_of_larger or read_only)


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("op", ["mm", "addmm"])
def test_mm_gradients_in_the_operands_layout_match_torch(op, transpose_a, transpose_b):
    rng = np.random.default_rng(1)
    n, k, m = 6, 4, 5
    a = rng.standard_normal((k, n) if transpose_a else (n, k))
    b = rng.standard_normal((m, k) if transpose_b else (k, m))
    bias = rng.standard_normal(m)
    grads = {}
    for mod in (gg, torch):
        ta, tb = mod.tensor(a, requires_grad=True), mod.tensor(b, requires_grad=True)
        left = ta.t() if transpose_a else ta
        right = tb.t() if transpose_b else tb
        if op == "mm":
            out = mod.mm(left, right)
        else:
            out = mod.addmm(mod.tensor(bias), left, right)
        (out * out).sum().backward()
        grads[mod] = (ta.grad.numpy(), tb.grad.numpy())
    for ours, theirs in zip(grads[gg], grads[torch]):
        assert ours.flags.c_contiguous
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_sub_skips_the_gradient_of_a_constant_subtrahend():
    x, tx = _pair([1.0, 2.0, 3.0])
    y, ty = _pair([3.0, 2.0, 1.0], requires_grad=False)
    (x - y).square().sum().backward()
    (tx - ty).square().sum().backward()
    assert _same_bits(x.grad, tx.grad) and y.grad is None
    node = (x - y).grad_fn
    grads = type(node).backward(node, np.ones(3, dtype=np.float32))
    assert grads[1] is None


@pytest.mark.parametrize("size", [1, 5, 63, 64, 65, 300])
def test_relu_backward_is_exact_for_small_and_large_arrays(size):
    rng = np.random.default_rng(size)
    values = rng.standard_normal(size).astype(np.float32)
    values[::3] = 0.0
    upstream = rng.standard_normal(size).astype(np.float32)
    upstream[::4] = np.nan
    upstream[1::5] = -0.0
    upstream[2::7] = np.inf
    x, tx = _pair(values)
    x.relu().backward(gg.tensor(upstream))
    tx.relu().backward(torch.tensor(upstream))
    assert _same_bits(x.grad, tx.grad)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_square_backward_matches_torch_bit_for_bit(dtype):
    values = [0.0, -0.0, 1.5, -3.25, np.inf, -np.inf, np.nan, 1e-30, 3e19]
    x, tx = _pair(values, dtype)
    upstream = np.array([1.0, -1.0, 0.5, np.nan, 2.0, -0.0, 1.0, 3.0, 7.0], dtype=dtype)
    (x**2).backward(gg.tensor(upstream))
    (tx**2).backward(torch.tensor(upstream))
    assert _same_bits(x.grad, tx.grad)


def test_inline_version_checks_raise_only_when_a_modified_value_is_used():
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    b = gg.tensor([3.0, 4.0])
    out = (a * b).sum()
    b.add_(1)  # b's value is needed for a's gradient
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()

    a = gg.tensor([1.0, 2.0])
    b = gg.tensor([3.0, 4.0], requires_grad=True)
    out = (a * b).sum()
    b.detach().add_(1)  # b's own value is not used for b's gradient: as in PyTorch, fine
    out.backward()
    assert b.grad.tolist() == [1.0, 2.0]

    x = gg.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # saves its output
    y.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward0"):
        y.sum().backward()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sum_to_one_element_is_torch_s_sum(dtype):
    """Reducing a broadcast gradient to a one-element shape (a scalar or a one-unit bias)
    takes the whole-sum path: the same bits as PyTorch's sum over those dimensions."""
    rng = np.random.default_rng(7)
    for trial in range(200):
        shape = tuple(int(s) for s in rng.integers(1, 30, int(rng.integers(1, 4))))
        grad = (rng.standard_normal(shape) * 10.0 ** int(rng.integers(-4, 5))).astype(dtype)
        if trial % 9 == 0:
            grad = np.full(shape, -0.0, dtype)
        for target in ((), (1,) * len(shape), (1,) * (len(shape) - 1)):
            if grad.shape == target:
                continue
            ours = engine.sum_to(grad, target)
            dims = tuple(range(len(shape)))
            theirs = torch.from_numpy(grad).sum(dims, keepdim=True).reshape(target)
            assert ours.shape == target
            assert np.asarray(ours).tobytes() == theirs.numpy().tobytes(), (shape, target)


# ----------------------------------------------------------------------------- leaf timing
def _graphs(mod):
    """Graphs with shared leaves, diamonds, a leaf as a root, unused branches and gradients
    that stop (``None``) before a leaf: (roots, leaves)."""
    a = mod.tensor([1.5, -2.0, 0.25], requires_grad=True)
    b = mod.tensor([0.5, 3.0, -1.0], requires_grad=True)
    c = mod.tensor(2.0, requires_grad=True)
    shared = a * b
    diamond = (shared.exp() + shared * c).sum() * (a - c).mean()
    stopped = (a.detach() * b + c).pow(2).sum()  # a's branch carries no gradient
    unused = (b * 3).sum()  # a root whose graph touches b only
    return {
        "diamond": ([diamond], [a, b, c]),
        "stopped": ([stopped], [a, b, c]),
        "two roots": ([diamond, unused], [a, b, c]),
        "leaf root": ([b, unused], [a, b, c]),
    }


@pytest.mark.parametrize("exact", [False, True], ids=["at the end", "when complete"])
@pytest.mark.parametrize("name", ["diamond", "stopped", "two roots", "leaf root"])
def test_leaves_accumulate_the_same_bits_at_the_end_or_when_complete(monkeypatch, exact, name):
    """Without hooks leaves accumulate after the graph has run; with them, as soon as each is
    complete (as PyTorch). Either way every gradient is PyTorch's, bit for bit."""
    monkeypatch.setattr(gg.autograd.graph, "EXACT_SINK_TIMING", exact)
    roots, leaves = _graphs(gg)[name]
    troots, tleaves = _graphs(torch)[name]
    gg.autograd.backward(roots, [gg.ones_like(r) for r in roots])
    torch.autograd.backward(troots, [torch.ones_like(r) for r in troots])
    for ours, theirs in zip(leaves, tleaves):
        assert (ours.grad is None) == (theirs.grad is None)
        if theirs.grad is not None:
            assert _same_bits(ours.grad, theirs.grad)
    assert gg.autograd.graph.EXACT_SINK_TIMING is exact  # plain backward never changes it


class _Drop(gg.autograd.Function):
    """Passes no gradient on: the nodes below receive ``None``."""

    @staticmethod
    def forward(ctx, t):
        return t.clone()

    @staticmethod
    def backward(ctx, g):
        return None


@pytest.mark.parametrize("exact", [False, True])
def test_nodes_reached_without_a_gradient_still_run_and_are_freed(monkeypatch, exact):
    """As in PyTorch, a node that only ever receives ``None`` still runs (passing ``None``
    on) and frees what it saved: a second backward through it raises."""
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    dropped = _Drop.apply(h).sum()
    monkeypatch.setattr(gg.autograd.graph, "EXACT_SINK_TIMING", exact)
    dropped.backward()
    assert x.grad is None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        h.sum().backward()


@pytest.mark.parametrize(
    "observe",
    [
        lambda x, y: x.register_hook(lambda g: None),
        lambda x, y: y.register_hook(lambda g: None),
        lambda x, y: y.retain_grad(),
        lambda x, y: y.grad_fn.register_hook(lambda gi, go: None),
        lambda x, y: y.grad_fn.register_prehook(lambda go: None),
        lambda x, y: x.register_post_accumulate_grad_hook(lambda t: None),
        lambda x, y: _Identity.apply(y),
    ],
    ids=[
        "leaf hook",
        "tensor hook",
        "retain_grad",
        "node hook",
        "node prehook",
        "post-accumulate hook",
        "custom Function",
    ],
)
def test_anything_that_can_watch_leaves_turns_on_exact_timing(monkeypatch, observe):
    monkeypatch.setattr(gg.autograd.graph, "EXACT_SINK_TIMING", False)
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    observe(x, y)
    assert gg.autograd.graph.EXACT_SINK_TIMING


class _Identity(gg.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        return t.clone()

    @staticmethod
    def backward(ctx, g):
        return g


def test_hooks_see_leaves_accumulate_when_pytorch_does(monkeypatch):
    """A node hook that runs after a leaf is complete reads its new ``.grad`` in both."""
    monkeypatch.setattr(gg.autograd.graph, "EXACT_SINK_TIMING", False)
    seen = {}
    for lib, mod in (("gg", gg), ("torch", torch)):
        a = mod.tensor([1.0, 2.0], requires_grad=True)
        b = mod.tensor([3.0, 4.0], requires_grad=True)
        older = b * 2  # runs last: after a is complete
        early = a * 3  # a is complete once this node has run
        late = (older * early).sum()
        log = seen.setdefault(lib, [])
        a.register_post_accumulate_grad_hook(lambda t, log=log: log.append("a"))
        late.grad_fn.register_hook(lambda gi, go, log=log: log.append("sum"))
        for node in (early.grad_fn, older.grad_fn):
            node.register_hook(lambda gi, go, log=log, a=a: log.append(a.grad is None))
        late.backward()
        log.append(a.grad.tolist())
    assert seen["gg"] == seen["torch"]


def test_gradients_added_to_an_existing_grad_are_freed_as_they_are_added(monkeypatch):
    """Accumulating into ``.grad`` (no ``zero_grad``) keeps at most a few incoming gradients
    alive at once, as PyTorch does, not one per parameter until backward ends."""
    import tracemalloc

    monkeypatch.setattr(gg.autograd.graph, "EXACT_SINK_TIMING", False)
    size = 250_000  # 1 MB of float32 per parameter
    params = [gg.zeros(size, requires_grad=True) for _ in range(8)]

    def backward_peak() -> int:
        total = params[0].sum() * 2
        for p in params[1:]:
            total = total + (p * 2).sum()
        tracemalloc.start()
        total.backward()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    backward_peak()  # first: every gradient is adopted as .grad (8 MB kept, as in PyTorch)
    assert backward_peak() < 3 * 4 * size  # then added: freed one by one
    assert all(p.grad[:2].tolist() == [4.0, 4.0] for p in params)


def test_a_gradient_of_another_dtype_is_cast_to_the_outputs_first():
    """PyTorch casts ``backward(gradient)`` to the output's dtype before anything adds it up:
    float64 -1 and 1 cast to float32 cancel to 0.0, where adding in float64 left 3.7e-16."""
    x = gg.tensor(np.array([1.1, 2.3, 3.7], np.float32), requires_grad=True)
    y = (x * 3.3)[gg.tensor([0, 1, 2, 0, 1, 2])]
    y.backward(gg.tensor(np.linspace(-1, 1, 6)))
    assert x.grad.dtype == gg.float32
    assert x.grad.tolist()[1] == 0.0
    (g,) = gg.autograd.grad((x * 2).sum(), x, gg.tensor(1.0, dtype=gg.float64))
    assert g.dtype == gg.float32
