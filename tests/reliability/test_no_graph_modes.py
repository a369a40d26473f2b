"""no_grad / inference_mode / set_grad_enabled(False) record nothing, exactly as in PyTorch."""

from __future__ import annotations

import gc

import pytest
from torch_oracle import torch

import glassgrad
from glassgrad.autograd.graph import Node


def _node_count() -> int:
    gc.collect()
    return sum(issubclass(type(o), Node) for o in gc.get_objects())


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2))


MODES = {
    "no_grad": lambda lib: lib.no_grad(),
    "inference_mode": lambda lib: lib.inference_mode(),
    "set_grad_enabled(False)": lambda lib: lib.set_grad_enabled(False),
    "autograd.no_grad": lambda lib: lib.autograd.no_grad(),
}


def _ops(lib, w, x):
    """A mix of op families applied to a leaf that requires grad.

    Views of ``w`` (``w.t()``, ``w[0]``) are left out: PyTorch marks a view of a leaf that
    requires grad as requiring grad even under no_grad, a quirk glassgrad does not copy.
    """
    h = (x @ w).relu()
    return [
        h,
        h.sum(),
        h.mean(dim=0),
        lib.cat([w, w]),
        lib.softmax(h, dim=1),
        lib.nn.functional.mse_loss(h, lib.zeros_like(h)),
        lib.nn.functional.cross_entropy(h, lib.tensor([0, 1, 2])),
        w.exp().log(),
        lib.where(w > 0, w, -w),
        w.clone(),
        w.detach(),
    ]


@pytest.mark.parametrize("mode", list(MODES))
def test_ops_record_nothing_like_torch(mode: str) -> None:
    results = {}
    for lib in (torch, glassgrad):
        lib.manual_seed(0)
        w = lib.randn(4, 3, requires_grad=True)
        x = lib.randn(3, 4)
        with MODES[mode](lib):
            outs = _ops(lib, w, x)
        results[lib] = [(o.requires_grad, o.grad_fn is None, o.is_leaf) for o in outs]
    assert results[glassgrad] == results[torch]
    assert all(flags == (False, True, True) for flags in results[glassgrad])


@pytest.mark.parametrize("mode", list(MODES))
def test_training_loop_under_the_mode_creates_no_nodes(mode: str) -> None:
    """A forward + manual update under the mode leaves no graph node alive or created."""
    model = _model(glassgrad)
    x = glassgrad.randn(16, 4)
    target = glassgrad.randn(16, 2)
    before = _node_count()
    with MODES[mode](glassgrad):
        for _ in range(5):
            out = model(x)
            loss = glassgrad.nn.functional.mse_loss(out, target)
            assert out.grad_fn is None and loss.grad_fn is None
            assert not loss.requires_grad
            for p in model.parameters():
                p.sub_(0.01 * p)  # in-place on a leaf is allowed here
                assert p.grad_fn is None and p.is_leaf
        live = _node_count()
    assert live == before
    with pytest.raises(RuntimeError, match="does not require grad"):
        loss.backward()
    assert all(p.grad is None for p in model.parameters())


def test_gradient_step_inside_no_grad_then_training_resumes() -> None:
    """The canonical manual loop: compute with grad, update under no_grad, repeat."""
    for lib in (torch, glassgrad):
        w = lib.zeros(3, requires_grad=True)
        x = lib.linspace(-1.0, 1.0, 24).reshape(8, 3) ** 2
        y = x @ lib.tensor([1.0, -2.0, 0.5])
        for _ in range(20):
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            with lib.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
            assert w.is_leaf and w.grad_fn is None and w.requires_grad
        if lib is torch:
            expected = w.detach().numpy().copy()
    assert glassgrad.tensor(expected).allclose(w.detach(), atol=1e-6)


def test_modes_nest_and_restore() -> None:
    w = glassgrad.ones(2, requires_grad=True)
    with glassgrad.no_grad():
        assert (w * 2).grad_fn is None
        with glassgrad.enable_grad():
            assert (w * 2).grad_fn is not None
        assert (w * 2).grad_fn is None
        with glassgrad.set_grad_enabled(True):
            assert (w * 2).requires_grad
    assert glassgrad.is_grad_enabled()
    with glassgrad.inference_mode():
        assert glassgrad.is_inference_mode_enabled()
        with glassgrad.inference_mode(False):
            assert (w * 2).requires_grad
    with glassgrad.no_grad(), glassgrad.inference_mode(False):
        assert (w * 2).requires_grad  # PyTorch: inference_mode(False) turns grad mode on
    assert not glassgrad.is_inference_mode_enabled()
    assert (w * 2).grad_fn is not None


def test_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(ValueError), glassgrad.no_grad():
        raise ValueError("boom")
    assert glassgrad.is_grad_enabled()
    with pytest.raises(ValueError), glassgrad.inference_mode():
        raise ValueError("boom")
    assert glassgrad.is_grad_enabled() and not glassgrad.is_inference_mode_enabled()


def test_decorated_function_records_nothing() -> None:
    @glassgrad.no_grad()
    def predict(model, x):
        return model(x)

    @glassgrad.inference_mode()
    def predict_inference(model, x):
        return model(x)

    model = _model(glassgrad)
    x = glassgrad.randn(2, 4)
    assert predict(model, x).grad_fn is None
    assert predict_inference(model, x).grad_fn is None
    assert model(x).grad_fn is not None
