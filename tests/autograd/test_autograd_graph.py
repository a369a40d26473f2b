"""Graph structure, leaves, .grad, hooks, backward/grad arguments: compared with PyTorch."""

from __future__ import annotations

import pytest
from _compare import assert_same, graph
from torch_oracle import torch

import glassgrad as gg


def _chain(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    w = m.tensor(3.0, requires_grad=True)
    return graph(((x * w + 1).mul(2) - x).mean().grad_fn, 7)


def _linear(m):
    lin = m.nn.Linear(3, 2)
    return graph(m.nn.functional.mse_loss(lin(m.ones(4, 3)), m.zeros(4, 2)).grad_fn, 4)


def _views(m):
    x = m.ones(2, 3, requires_grad=True)
    return (
        graph(x[0].grad_fn),
        graph(x.view(6).grad_fn),
        graph(x.t().grad_fn),
        graph(x.transpose(0, 1).grad_fn),
        graph(x.clone().grad_fn),
        graph(x.to(m.float64).grad_fn),
        graph(x.sum().grad_fn),
    )


def _shared_leaf(m):
    x = m.tensor(2.0, requires_grad=True)
    y = x * x + x.exp()
    return graph(y.grad_fn, 3)


SNIPPETS = {
    "graph_chain": _chain,
    "graph_linear": _linear,
    "graph_views": _views,
    "graph_shared_leaf": _shared_leaf,
    "leaf_flags": lambda m: (
        lambda x: (x.is_leaf, (x * 2).is_leaf, (x * 2).requires_grad, x.grad, x.grad_fn)
    )(m.tensor([1.0], requires_grad=True)),
    "plain_tensor_flags": lambda m: (
        lambda x: (x.is_leaf, x.requires_grad, x.grad, x.grad_fn, (x * 2).grad_fn)
    )(m.tensor([1.0])),
    "requires_grad_returns_self": lambda m: (lambda x: (x.requires_grad_() is x, x.requires_grad))(
        m.ones(1)
    ),
    "requires_grad_false_on_non_leaf": lambda m: (m.ones(1, requires_grad=True) * 2).requires_grad_(
        False
    ),
    "requires_grad_int": lambda m: m.tensor([1, 2]).requires_grad_(),
    "requires_grad_int_constructor": lambda m: m.ones(2, dtype=m.int64, requires_grad=True),
    "detach": lambda m: (lambda y: (y.is_leaf, y.requires_grad, y.grad_fn))(
        (m.ones(2, requires_grad=True) * 2).detach()
    ),
    "accumulates": lambda m: _accumulate(m),
    "retain_grad": lambda m: _retain(m),
    "non_leaf_grad_is_none": lambda m: (m.ones(2, requires_grad=True) * 2).grad,
    "grad_is_leaf_without_graph": lambda m: _grad_flags(m),
    "leaf_hook_scales": lambda m: _leaf_hook(m),
    "non_leaf_hook_modifies": lambda m: _non_leaf_hook(m),
    "hook_then_retain_grad": lambda m: _hook_order(m, retain_first=False),
    "retain_grad_then_hook": lambda m: _hook_order(m, retain_first=True),
    "backward_gradient": lambda m: _backward_gradient(m),
    "backward_inputs": lambda m: _backward_inputs(m),
    "backward_several_roots": lambda m: _several_roots(m),
    "retain_graph": lambda m: _retain_graph(m),
    "second_backward_raises": lambda m: _second_backward(m),
    "non_scalar_backward_raises": lambda m: (m.ones(2, requires_grad=True) * 2).backward(),
    "no_grad_backward_raises": lambda m: m.ones(2).sum().backward(),
    "gradient_shape_mismatch": lambda m: (m.ones(2, requires_grad=True) * 2).backward(m.ones(3)),
    "grad_assign_wrong_shape": lambda m: setattr(m.ones(2, requires_grad=True), "grad", m.ones(3)),
    "grad_assign": lambda m: _grad_assign(m),
    "float64_and_float32_leaves": lambda m: _mixed_dtypes(m),
    "broadcast_grads": lambda m: _broadcast(m),
    "grad_order_of_sums": lambda m: _sum_order(m),
    "to_dtype_grad": lambda m: _to_dtype(m),
    "backward_inputs_non_leaf": lambda m: _inputs_non_leaf(m),
    "backward_inputs_unrelated": lambda m: _inputs_unrelated(m),
    "backward_inputs_empty": lambda m: (
        (m.ones(2, requires_grad=True) * 2).sum().backward(inputs=[])
    ),
    "retain_grad_accumulates": lambda m: _retain_accumulates(m),
    "node_hooks": lambda m: _node_hooks(m),
    "grad_outputs_0d": lambda m: (lambda x: m.autograd.grad((x * 2).sum(), x, m.tensor(2.0)))(
        m.ones(2, requires_grad=True)
    ),
    "cast_back_to_leaf_dtype": lambda m: _cast_back(m),
    "split_grads": lambda m: _split(m),
}


def _inputs_non_leaf(m):
    x = m.ones(2, requires_grad=True)
    y = x * 2
    (y * y).sum().backward(inputs=[y])
    return y.grad, x.grad


def _inputs_unrelated(m):
    x = m.ones(2, requires_grad=True)
    y = m.ones(2, requires_grad=True)
    (x * 2).sum().backward(inputs=[y])
    return x.grad, y.grad


def _retain_accumulates(m):
    x = m.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    return y.grad, x.grad


def _node_hooks(m):
    x = m.ones(2, requires_grad=True)
    y = x * 2
    seen = []
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(len(grad_inputs)))
    y.grad_fn.register_prehook(lambda grad_outputs: seen.append(grad_outputs[0].tolist()))
    y.sum().backward()
    return seen, x.grad


def _cast_back(m):
    x = m.ones(2, dtype=m.float64, requires_grad=True)
    (x.float() * 2).sum().backward()
    return x.grad


def _split(m):
    x = m.ones(3, requires_grad=True)
    a, b = x.split(2)
    (a.sum() * 2 + b.sum() * 3).backward()
    return x.grad


def _accumulate(m):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.exp().sum().backward()
    first = x.grad.clone()
    (x * x).sum().backward()
    return first, x.grad


def _retain(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    return y.grad, x.grad, y.retains_grad, x.retains_grad


def _grad_flags(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    return x.grad.requires_grad, x.grad.is_leaf, x.grad.grad_fn


def _leaf_hook(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    first = x.grad.clone()
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    return first, x.grad


def _non_leaf_hook(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()) or g + 1)
    (y * y).sum().backward()
    return x.grad, seen


def _hook_order(m, retain_first):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    if retain_first:
        y.retain_grad()
    y.register_hook(lambda g: g * 2)
    if not retain_first:
        y.retain_grad()
    y.sum().backward()
    return x.grad, y.grad


def _backward_gradient(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(gradient=m.tensor([1.0, 0.5]))
    return x.grad


def _backward_inputs(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = m.tensor([3.0, 4.0], requires_grad=True)
    (x * y).sum().backward(inputs=[x])
    return x.grad, y.grad


def _several_roots(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    m.autograd.backward([(x * 2).sum(), (x * x).sum()])
    return x.grad


def _retain_graph(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def _second_backward(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _grad_assign(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    x.grad = m.tensor([1.0, 1.0])
    (x * 2).sum().backward()
    return x.grad


def _mixed_dtypes(m):
    x = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
    y = m.tensor([1.0, 2.0], requires_grad=True)
    z = (x * y).sum()
    z.backward()
    return x.grad, y.grad, z.dtype


def _broadcast(m):
    a = m.ones(3, 1, requires_grad=True)
    b = m.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    c = m.tensor(2.0, requires_grad=True)
    ((a * b + c) ** 2).sum().backward()
    return a.grad, b.grad, c.grad


def _sum_order(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x.sum(0).sum() + x.exp().sum() + x.tanh().mean()).backward()
    return x.grad


def _to_dtype(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    (x.to(m.float64) * 3).sum().backward()
    return x.grad, graph(x.double().grad_fn)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_matches_torch(name):
    assert_same(SNIPPETS[name], torch)


def test_error_messages():
    x = gg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        gg.ones(2).sum().backward()
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="floating point"):
        gg.tensor([1, 2], requires_grad=True)


def test_non_leaf_grad_warns():
    y = gg.ones(2, requires_grad=True) * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None


def test_create_graph_backward_warns_like_torch():
    import glassgrad.autograd.gradients as ag

    ag._warned_create_graph = False
    x = gg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="reference cycle"):
        (x * x).sum().backward(create_graph=True)


def test_long_chain_backprops_without_recursion_error():
    x0 = gg.tensor(1.0, requires_grad=True)
    x = x0
    for _ in range(100_000):
        x = x * 1.0001 + 0.0
    x.backward()
    assert x0.grad.item() == pytest.approx(1.0001**100_000, rel=1e-2)  # float32 rounding


def test_backward_frees_saved_values_unless_retained():
    x = gg.ones(2, requires_grad=True)
    y = (x.exp() * x).sum()
    node = y.grad_fn.next_functions[0][0]
    y.backward(retain_graph=True)
    assert node.saved
    y.backward()
    assert not node.saved


def test_view_made_under_no_grad_keeps_requires_grad_like_torch():
    for lib in (torch, gg):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            view, product = w[0], w * 2
        assert (view.requires_grad, view.grad_fn, product.requires_grad) == (True, None, False)
        assert repr(view) == "tensor(1., requires_grad=True)"
