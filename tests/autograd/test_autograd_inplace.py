"""In-place ops, version counters and views inside and outside the graph, against PyTorch."""

from __future__ import annotations

import pytest
from _compare import assert_same, graph
from torch_oracle import torch

import glassgrad as gg


def _no_grad_updates(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    with m.no_grad():
        x.add_(1)
        x -= 0.5
        x *= 2
        x /= 4
        x += m.tensor([1.0, 1.0])
        x.sub_(m.tensor([0.5, 0.5]), alpha=2)
        x.mul_(3).div_(2)
    return x, x.requires_grad, x.is_leaf


def _no_grad_fills(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    with m.no_grad():
        x.normal_()
        x.uniform_(0, 1)
        x.clamp_(0, 0.5)
        ok = bool((x <= 0.5).all())
        x.fill_(2.0)
        x.copy_(m.tensor([5.0, 6.0]))
        copied = x.clone()
        x.zero_()
    return ok, copied, x


def _rebased(m, update):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    update(m, y, x)
    (y * x).sum().backward()
    return x.grad, y, graph(y.grad_fn, 1)


UPDATES = {
    "add_": lambda m, y, x: y.add_(1),
    "add_tensor_alpha": lambda m, y, x: y.add_(m.tensor([1.0, 1.0, 1.0]), alpha=2),
    "sub_": lambda m, y, x: y.sub_(x),
    "mul_": lambda m, y, x: y.mul_(x),
    "div_": lambda m, y, x: y.div_(2),
    "iadd": lambda m, y, x: y.__iadd__(x),
    "isub": lambda m, y, x: y.__isub__(1),
    "imul": lambda m, y, x: y.__imul__(3),
    "itruediv": lambda m, y, x: y.__itruediv__(x),
    "zero_": lambda m, y, x: y.zero_(),
    "fill_": lambda m, y, x: y.fill_(3.0),
    "copy_": lambda m, y, x: y.copy_(m.tensor([3.0, 4.0, 5.0])),
    "copy_from_graph": lambda m, y, x: y.copy_(x * x),
    "clamp_": lambda m, y, x: y.clamp_(3, 5),
    "chained": lambda m, y, x: y.add_(1).mul_(x).sub_(2),
    "setitem_scalar": lambda m, y, x: y.__setitem__(1, 5.0),
    "setitem_tensor": lambda m, y, x: y.__setitem__(slice(0, 2), x[1:] * 3),
    "setitem_index_tensor": lambda m, y, x: y.__setitem__(m.tensor([0, 2]), m.tensor([5.0, 6.0])),
    "slice_iadd": lambda m, y, x: y[0:2].__iadd__(1),
}


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_inplace_in_graph_matches_torch(name):
    assert_same(lambda m: _rebased(m, UPDATES[name]), torch)


def _copy_into_plain(m):
    a = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
    b = m.zeros(2, 2)
    b.copy_(a)
    (b * 3).sum().backward()
    return a.grad, b.requires_grad, graph(b.grad_fn)


def _setitem_into_plain(m):
    x = m.zeros(3)
    w = m.tensor(2.0, requires_grad=True)
    x[0] = w * 3
    x.sum().backward()
    return w.grad, graph(x.grad_fn), x


def _view_mul(m):
    x = m.ones(2, 2, requires_grad=True)
    y = x * 1
    v = y[0]
    v.mul_(3)
    (y * y).sum().backward()
    return x.grad, y, v, graph(y.grad_fn, 1), graph(v.grad_fn, 1)


def _view_of_view(m):
    x = m.ones(2, 3, requires_grad=True)
    y = x * 2
    z = y.t()
    z[1].mul_(x[:, 1])
    (y * y).sum().backward()
    return x.grad, y


def _base_changed_after_view(m):
    x = m.ones(2, 3, requires_grad=True)
    y = x * 2
    v = y[1]
    y.mul_(3)
    (v * 1).sum().backward()
    return x.grad, v


def _reshape_view_add(m):
    x = m.ones(2, requires_grad=True)
    y = x * 2
    z = y.view(2)
    z.add_(1)
    (y * y).sum().backward()
    return x.grad, y, z


def _view_twice(m):
    x = m.ones(4, requires_grad=True)
    y = x * 1
    v = y[1:3]
    v.mul_(2)
    v.add_(x[1:3])
    (y * y).sum().backward()
    return x.grad, y


def _plain_views_share(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = x[0]
    v.add_(10)
    t = x.t()
    t[0, 1] = -1
    flat = x.view(4)
    flat[3] = 7
    return x, v, t, flat


def _detach_shares_version(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x**2
    x.detach().zero_()
    y.sum().backward()


def _modified_saved_output(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    y.add_(1)
    z.backward()


def _modified_saved_input(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y
    y.mul_(2)
    z.sum().backward()


def _no_grad_update_of_non_leaf(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with m.no_grad():
        y.add_(1)
    y.sum().backward()
    return x.grad, y, graph(y.grad_fn)


SNIPPETS = {
    "no_grad_updates": _no_grad_updates,
    "no_grad_fills": _no_grad_fills,
    "copy_into_plain": _copy_into_plain,
    "setitem_into_plain": _setitem_into_plain,
    "view_mul": _view_mul,
    "view_of_view": _view_of_view,
    "base_changed_after_view": _base_changed_after_view,
    "reshape_view_add": _reshape_view_add,
    "view_twice": _view_twice,
    "plain_views_share": _plain_views_share,
    "detach_shares_version": _detach_shares_version,
    "modified_saved_output": _modified_saved_output,
    "modified_saved_input": _modified_saved_input,
    "no_grad_update_of_non_leaf": _no_grad_update_of_non_leaf,
    "leaf_inplace_raises": lambda m: m.ones(2, requires_grad=True).add_(1),
    "leaf_iadd_raises": lambda m: m.ones(2, requires_grad=True).__iadd__(1),
    "leaf_normal_raises": lambda m: m.ones(2, requires_grad=True).normal_(),
    "leaf_zero_raises": lambda m: m.ones(2, requires_grad=True).zero_(),
    "view_of_leaf_raises": lambda m: m.ones(2, requires_grad=True)[0].add_(1),
    "int_tensor_float_update_raises": lambda m: m.ones(2, dtype=m.int64).add_(1.5),
    "int_div_raises": lambda m: m.ones(2, dtype=m.int64).div_(2),
    "shape_change_raises": lambda m: m.ones(2).add_(m.ones(2, 2)),
    "float_update_of_int_ok": lambda m: m.ones(2, dtype=m.int64).add_(m.tensor(2)),
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_matches_torch(name):
    assert_same(SNIPPETS[name], torch)


def test_modified_saved_tensor_message():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        y.sum().backward()
    assert "torch.FloatTensor [2]" in str(info.value)
    assert "SigmoidBackward0" in str(info.value)


def test_leaf_inplace_message_names_the_fix():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*no_grad"):
        gg.ones(2, requires_grad=True).mul_(2)


def test_version_counter():
    x = gg.ones(3)
    v = x[1:]
    assert x._version == 0
    x.add_(1)
    v.mul_(2)
    x[0] = 5
    assert x._version == v._version == 3
    assert x.tolist() == [5.0, 4.0, 4.0]
    assert x.detach()._version_counter is x._version_counter


def test_views_share_data_with_base():
    x = gg.arange(6.0).reshape(2, 3)
    for view in (x[0], x.view(6), x.transpose(0, 1), x[:, 1:], x.t()):
        view.mul_(1)  # touch every view type
    x[0].fill_(-1)
    assert x.tolist()[0] == [-1.0, -1.0, -1.0]
    x.view(6)[5] = 100
    assert x[1, 2].item() == 100
    x.t()[0, 1] = 7
    assert x[1, 0].item() == 7
