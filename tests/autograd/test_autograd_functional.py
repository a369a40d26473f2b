"""autograd.grad, higher-order derivatives, grad modes and custom Functions against PyTorch."""

from __future__ import annotations

import pytest
from _compare import assert_same, graph
from torch_oracle import torch

import glassgrad as gg


def _second_derivative_of_cube(m):
    x = m.tensor(2.0, dtype=m.float64, requires_grad=True)
    (g,) = m.autograd.grad(x**3, x, create_graph=True)
    (g2,) = m.autograd.grad(g, x)
    return g, g2


def _hessian_vector_product(m):
    x = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
    v = m.tensor([0.5, -1.0, 2.0], dtype=m.float64)
    f = (x**3).sum() + x[0] * x[1] * x[2] + (x.exp() * x.sin()).sum()
    (g,) = m.autograd.grad(f, x, create_graph=True)
    (hv,) = m.autograd.grad(g, x, grad_outputs=v)
    return g, hv


def _hvp_via_dot(m):
    x = m.tensor([0.3, -0.7], dtype=m.float64, requires_grad=True)
    v = m.tensor([1.0, 2.0], dtype=m.float64)
    f = (x.tanh() * x.sigmoid()).sum() + (x @ x) ** 2
    (g,) = m.autograd.grad(f, x, create_graph=True)
    (hv,) = m.autograd.grad((g * v).sum(), x)
    return hv


def _mixed_partial(m):
    x = m.tensor(2.0, requires_grad=True)
    y = m.tensor(3.0, requires_grad=True)
    gx, gy = m.autograd.grad(x * x * y, [x, y], create_graph=True)
    (gxy,) = m.autograd.grad(gx, y)
    return gx, gy, gxy


def _grad_then_backward(m):
    x = m.tensor(3.0, requires_grad=True)
    (g,) = m.autograd.grad(x**2, x, create_graph=True)
    g.backward()
    return x.grad


def _backward_create_graph(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    first = x.grad
    (g2,) = m.autograd.grad(first.sum(), x)
    return first, first.requires_grad, g2


def _hook_with_create_graph(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * x)
    (x**2).sum().backward(create_graph=True)
    return x.grad, x.grad.requires_grad


def _grad_unused(m):
    x = m.tensor(1.0, requires_grad=True)
    y = m.tensor(2.0, requires_grad=True)
    return m.autograd.grad(x * 2, [x, y], allow_unused=True)


def _grad_materialize(m):
    x = m.tensor(1.0, requires_grad=True)
    y = m.tensor(2.0, requires_grad=True)
    return m.autograd.grad(x * 2, [x, y], materialize_grads=True)


SNIPPETS = {
    "second_derivative_of_cube": _second_derivative_of_cube,
    "hessian_vector_product": _hessian_vector_product,
    "hvp_via_dot": _hvp_via_dot,
    "mixed_partial": _mixed_partial,
    "grad_then_backward": _grad_then_backward,
    "backward_create_graph": _backward_create_graph,
    "hook_with_create_graph": _hook_with_create_graph,
    "grad_unused_allowed": _grad_unused,
    "grad_materialize": _grad_materialize,
    "grad_unused_raises": lambda m: (lambda x, y: m.autograd.grad(x * 2, [x, y]))(
        m.tensor(1.0, requires_grad=True), m.tensor(2.0, requires_grad=True)
    ),
    "grad_does_not_touch_dot_grad": lambda m: (
        lambda x: (m.autograd.grad((x * 2).sum(), x), x.grad)
    )(m.tensor([1.0, 2.0], requires_grad=True)),
    "grad_outputs": lambda m: (lambda x: m.autograd.grad(x * 2, x, grad_outputs=m.ones(3)))(
        m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ),
    "grad_several_outputs": lambda m: (
        lambda x: m.autograd.grad([(x * 2).sum(), (x * x).sum()], [x])
    )(m.tensor([1.0, 2.0], requires_grad=True)),
    "grad_of_non_leaf": lambda m: (lambda x: (lambda y: m.autograd.grad((y * y).sum(), y))(x * 2))(
        m.tensor([1.0, 2.0], requires_grad=True)
    ),
    "grad_non_scalar_raises": lambda m: (lambda x: m.autograd.grad(x * 2, x))(
        m.ones(2, requires_grad=True)
    ),
    "grad_result_requires_grad_with_create_graph": lambda m: (
        lambda x: m.autograd.grad((x * x).sum(), x, create_graph=True)[0].requires_grad
    )(m.ones(2, requires_grad=True)),
    "grad_then_backward_retained": lambda m: _retained(m),
}


def _retained(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    grads = m.autograd.grad(y, x, retain_graph=True)
    y.backward()
    return grads, x.grad


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_matches_torch(name):
    assert_same(SNIPPETS[name], torch)


def _modes(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    with m.no_grad():
        a = x * 2
        with m.enable_grad():
            b = x * 2
    with m.set_grad_enabled(False):
        c = x * 2
    with m.set_grad_enabled(True):
        d = x * 2
    with m.inference_mode():
        e = x * 2
    with m.inference_mode(False):
        f = x * 2
    return [t.requires_grad for t in (a, b, c, d, e, f)] + [m.is_grad_enabled()]


def _decorators(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)

    @m.no_grad()
    def called(a):
        return a * 2, m.is_grad_enabled()

    @m.no_grad
    def bare(a):
        return a * 2

    @m.inference_mode()
    def inference(a):
        return a * 2

    @m.inference_mode
    def bare_inference(a):
        return a * 2

    @m.enable_grad()
    def enabled(a):
        return a * 2

    @m.set_grad_enabled(False)
    def disabled(a):
        return a * 2

    outside = m.is_grad_enabled()
    with m.no_grad():
        inside = enabled(x).requires_grad
    return (
        called(x)[0].requires_grad,
        called(x)[1],
        bare(x).requires_grad,
        inference(x).requires_grad,
        bare_inference(x).requires_grad,
        inside,
        disabled(x).requires_grad,
        outside,
        m.is_grad_enabled(),
        called.__name__,
    )


def _set_grad_enabled_function(m):
    m.set_grad_enabled(False)
    off = m.is_grad_enabled()
    y = m.ones(1, requires_grad=True) * 2
    m.set_grad_enabled(True)
    return off, y.requires_grad, m.is_grad_enabled()


def _exception_restores(m):
    try:
        with m.no_grad():
            raise ValueError
    except ValueError:
        pass
    return m.is_grad_enabled()


MODES = {
    "modes": _modes,
    "decorators": _decorators,
    "set_grad_enabled_function": _set_grad_enabled_function,
    "exception_restores": _exception_restores,
    "inference_mode_flag": lambda m: _inference_flag(m),
}


def _inference_flag(m):
    with m.inference_mode():
        inside = m.is_inference_mode_enabled()
    return inside, m.is_inference_mode_enabled()


@pytest.mark.parametrize("name", sorted(MODES))
def test_grad_modes_match_torch(name):
    assert_same(MODES[name], torch)


def _function_classes(m):
    class MulAdd(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_backward(x, y)
            ctx.k = k
            return x * y * k, x + y

        @staticmethod
        def backward(ctx, g1, g2):
            x, y = ctx.saved_tensors
            return g1 * y * ctx.k + g2, g1 * x * ctx.k + g2, None

    class Exp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    class ArgmaxTwice(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x * 2, index

        @staticmethod
        def backward(ctx, grad, grad_index):
            return grad * 2

    class Needs(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            return x * 2 + y * k

        @staticmethod
        def backward(ctx, grad):
            seen.append(tuple(ctx.needs_input_grad))
            return (grad * 2 if ctx.needs_input_grad[0] else None), None, None

    seen = []
    return MulAdd, Exp, ArgmaxTwice, Needs, seen


def _custom_multi_output(m):
    MulAdd, *_ = _function_classes(m)
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = m.tensor([3.0, 4.0], requires_grad=True)
    a, b = MulAdd.apply(x, y, 2.0)
    (a.sum() + (b * b).sum()).backward()
    return a, b, x.grad, y.grad, graph(a.grad_fn), b.grad_fn is a.grad_fn


def _custom_saved_output(m):
    _, Exp, *_ = _function_classes(m)
    x = m.tensor([0.5, 1.0], dtype=m.float64, requires_grad=True)
    y = Exp.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    return y, x.grad


def _custom_second_backward(m):
    _, Exp, *_ = _function_classes(m)
    x = m.tensor([0.5, 1.0], requires_grad=True)
    y = Exp.apply(x).sum()
    y.backward()
    y.backward()


def _custom_non_differentiable(m):
    _, _, ArgmaxTwice, *_ = _function_classes(m)
    x = m.tensor([1.0, 3.0], requires_grad=True)
    out, index = ArgmaxTwice.apply(x)
    out.sum().backward()
    return out, index, index.requires_grad, x.grad


def _custom_needs_input_grad(m):
    *_, Needs, seen = _function_classes(m)
    x = m.tensor([1.0], requires_grad=True)
    Needs.apply(x, m.tensor([2.0]), 3).sum().backward()
    return x.grad, seen


def _custom_no_grad_input(m):
    _, Exp, *_ = _function_classes(m)
    y = Exp.apply(m.tensor([0.0]))
    return y, y.requires_grad, y.grad_fn


def _custom_modified_saved(m):
    _, Exp, *_ = _function_classes(m)
    x = m.tensor([0.5], requires_grad=True)
    y = Exp.apply(x)
    y.add_(1)
    y.sum().backward()


FUNCTIONS = {
    "multi_output": _custom_multi_output,
    "saved_output": _custom_saved_output,
    "second_backward_raises": _custom_second_backward,
    "non_differentiable": _custom_non_differentiable,
    "needs_input_grad": _custom_needs_input_grad,
    "no_grad_input": _custom_no_grad_input,
    "modified_saved_raises": _custom_modified_saved,
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_custom_function_matches_torch(name):
    assert_same(FUNCTIONS[name], torch)


def test_custom_function_wrong_gradient_count_is_named():
    class Bad(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match="BadBackward.*incorrect number of gradients"):
        Bad.apply(gg.ones(1, requires_grad=True), gg.ones(1)).sum().backward()


def _setup_context_style(m):
    once_differentiable = m.autograd.function.once_differentiable

    class Square(m.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = m.tensor([1.0, 3.0], requires_grad=True)
    y = Square.apply(x)
    y.sum().backward()
    return y, x.grad, type(y.grad_fn).__name__


def test_setup_context_and_once_differentiable_match_torch():
    assert_same(_setup_context_style, torch)
