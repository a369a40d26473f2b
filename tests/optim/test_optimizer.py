"""Optimizer base behaviour: construction errors, groups, zero_grad, closures, state dicts."""

import copy

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad
from glassgrad import nn, optim

ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]
ALL += ["Rprop", "ASGD"]


def _w():
    return glassgrad.zeros(2, requires_grad=True)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda w: optim.SGD([w], lr=-1), ValueError, "Invalid learning rate: -1"),
        (lambda w: optim.Adam([w], betas=(1.0, 0.9)), ValueError, "beta parameter at index 0"),
        (lambda w: optim.AdamW([w], betas=(0.9, -0.1)), ValueError, "beta parameter at index 1"),
        (lambda w: optim.Adam([w], eps=-1), ValueError, "Invalid epsilon value: -1"),
        (lambda w: optim.RMSprop([w], alpha=-1), ValueError, "Invalid alpha value"),
        (lambda w: optim.SGD([w], momentum=-1), ValueError, "Invalid momentum value"),
        (lambda w: optim.Adagrad([w], weight_decay=-1), ValueError, "Invalid weight_decay"),
        (lambda w: optim.Adadelta([w], rho=2), ValueError, "Invalid rho value"),
        (lambda w: optim.SGD([w], nesterov=True), ValueError, "Nesterov momentum requires"),
        (
            lambda w: optim.SGD([w], momentum=0.9, dampening=0.1, nesterov=True),
            ValueError,
            "Nesterov",
        ),
        (lambda w: optim.SGD([]), ValueError, "empty parameter list"),
        (
            lambda w: optim.SGD([{"params": [w]}, {"params": [w]}]),
            ValueError,
            "more than one parameter group",
        ),
        (lambda w: optim.SGD([w * 2]), ValueError, "can't optimize a non-leaf Tensor"),
        (lambda w: optim.SGD(w), TypeError, "iterable of Tensors or dicts"),
        (lambda w: optim.SGD([1.0]), TypeError, "can only optimize Tensors"),
        (lambda w: optim.SGD([{"params": {w}}]), TypeError, "ordered collections"),
        (lambda w: optim.SGD([{"params": [w], "lr": -0.5}]), ValueError, "Invalid learning rate"),
    ],
)
def test_construction_errors(make, error, match):
    with pytest.raises(error, match=match):
        make(_w())


def test_accepts_generators_groups_and_named_parameters():
    model = nn.Linear(2, 1)
    assert len(optim.SGD(model.parameters()).param_groups[0]["params"]) == 2
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    opt = optim.SGD([{"params": [model.weight]}, {"params": model.bias, "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    extra = _w()
    opt.add_param_group({"params": [extra], "momentum": 0.9})
    assert opt.param_groups[2]["momentum"] == 0.9 and opt.param_groups[2]["lr"] == 0.1
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([extra, extra])


def test_zero_grad_and_params_without_grad():
    a, b = _w(), _w()
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = glassgrad.ones(2)
    opt.step()
    assert a.tolist() == [-1.0, -1.0] and b.tolist() == [0.0, 0.0]
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_step_returns_closure_loss_and_runs_with_grad_enabled():
    w = glassgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    with glassgrad.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])


def test_step_is_all_or_nothing():
    a, b = _w(), glassgrad.zeros(3, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = glassgrad.ones(2)
    b._grad = glassgrad.ones(2)  # wrong shape slipped past the setter
    with pytest.raises(RuntimeError, match=r"parameter 1 of group 0 has shape \[3\]"):
        opt.step()
    assert a.tolist() == [0.0, 0.0] and len(opt.state) == 0
    b._grad = glassgrad.ones(3, dtype=glassgrad.float64)
    with pytest.raises(RuntimeError, match="dtype"):
        opt.step()
    assert a.tolist() == [0.0, 0.0]


def test_step_bumps_version_so_autograd_sees_the_change():
    w = glassgrad.tensor([1.0], requires_grad=True)
    y = w * w
    w.grad = glassgrad.ones(1)
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_state_layout_and_step_dtype():
    w = _w()
    w.grad = glassgrad.ones(2)
    opt = optim.Adam([w], amsgrad=True)
    opt.step()
    state = opt.state[w]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert state["step"].dtype == glassgrad.float32 and state["step"].shape == ()
    assert state["step"].item() == 1.0
    assert list(optim.Adagrad([_w()]).state_dict()["state"][0]) == ["step", "sum"]


@pytest.mark.parametrize("name", ALL)
def test_state_dict_resume_matches_uninterrupted_training(name):
    rng = np.random.default_rng(1)
    target = rng.standard_normal((2, 3))

    def grads(p):
        return glassgrad.tensor(2 * (p.detach().numpy() - target))

    def make():
        p = glassgrad.tensor(np.zeros((2, 3)), requires_grad=True)
        return p, getattr(optim, name)([p], lr=0.05) if name != "Adadelta" else optim.Adadelta([p])

    def train(p, opt, steps):
        for _ in range(steps):
            p.grad = grads(p)
            opt.step()

    p, opt = make()
    train(p, opt, 10)
    saved = copy.deepcopy(opt.state_dict())
    snapshot = p.detach().clone()
    train(p, opt, 10)

    q, fresh = make()
    with glassgrad.no_grad():
        q.copy_(snapshot)
    fresh.load_state_dict(saved)
    assert fresh.state_dict()["param_groups"] == saved["param_groups"]
    train(q, fresh, 10)
    # NAdam's mu_product and ASGD's eta are float32 scalars that loading casts to the
    # parameter's float64, exactly as PyTorch does: close, not bit-identical
    rtol = 1e-7 if name in ("NAdam", "ASGD") else 1e-15
    np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=rtol)


def test_state_dict_is_torch_loadable_layout_and_accepts_torch_state():
    w, tw = _w(), torch.zeros(2, requires_grad=True)
    opt, topt = optim.SGD([w], lr=0.1, momentum=0.9), torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    w.grad, tw.grad = glassgrad.ones(2), torch.ones(2)
    opt.step()
    topt.step()
    mine, theirs = opt.state_dict(), topt.state_dict()
    assert mine["param_groups"] == theirs["param_groups"]
    assert list(mine["state"]) == list(theirs["state"]) == [0]
    assert mine["state"][0]["momentum_buffer"].tolist() == [1.0, 1.0]


def test_load_state_dict_errors():
    opt = optim.SGD([_w()], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict({"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]})
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 1})


def test_old_state_dict_is_upgraded():
    """A float 'step' and missing options (older PyTorch files) are filled in."""
    w = _w()
    opt = optim.Adam([w])
    opt.load_state_dict(
        {
            "state": {
                0: {"step": 3, "exp_avg": glassgrad.zeros(2), "exp_avg_sq": glassgrad.zeros(2)}
            },
            "param_groups": [
                {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "params": [0]}
            ],
        }
    )
    assert opt.state[w]["step"].dtype == glassgrad.float32
    assert opt.param_groups[0]["amsgrad"] is False and opt.param_groups[0]["lr"] == 0.1
    w.grad = glassgrad.ones(2)
    opt.step()
    assert opt.state[w]["step"].item() == 4.0


def test_float32_state_stays_float32():
    for name in ALL:
        w = glassgrad.zeros(3, requires_grad=True)
        w.grad = glassgrad.ones(3)
        opt = getattr(optim, name)([w], **({} if name == "Rprop" else {"weight_decay": 0.1}))
        opt.step()
        opt.step()
        assert w.dtype == glassgrad.float32
        for key, value in opt.state[w].items():
            assert value.dtype == glassgrad.float32, (name, key)


def test_custom_optimizer_subclass_overriding_step():
    class PlainGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @glassgrad.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self.state[p]["n"] = self.state[p].get("n", 0) + 1
                        p.sub_(group["lr"] * p.grad)

    w = glassgrad.tensor([1.0], requires_grad=True)
    opt = PlainGD([w])
    w.grad = glassgrad.tensor([2.0])
    opt.step()
    assert w.tolist() == [pytest.approx(0.8)]
    assert opt.state_dict()["state"] == {0: {"n": 1}}
    assert "lr: 0.1" in repr(opt)


def test_step_hooks_run_once_around_step_and_can_be_removed():
    calls = []
    w = glassgrad.tensor([1.0], requires_grad=True)
    opt = optim.AdamW([w], lr=0.1)
    pre = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", len(o.state))))
    post = opt.register_step_post_hook(
        lambda o, a, k: calls.append(("post", o.state[w]["step"].item()))
    )
    glob = optim.optimizer.register_optimizer_step_post_hook(lambda o, a, k: calls.append("g"))
    w.grad = glassgrad.ones(1)
    opt.step()
    assert calls == [("pre", 0), ("post", 1.0), "g"]
    pre.remove()
    post.remove()
    glob.remove()
    opt.step()
    assert len(calls) == 3


def test_hooks_wrap_custom_step_once_even_with_super_call():
    class Logged(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    w = glassgrad.tensor([1.0], requires_grad=True)
    opt = Logged([w], lr=0.1)
    seen = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(1))
    w.grad = glassgrad.ones(1)
    opt.step()
    assert seen == [1] and w.item() == pytest.approx(0.9)


def test_deepcopy_of_optimizer_keeps_working():
    w = glassgrad.tensor([1.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = glassgrad.ones(1)
    opt.step()
    twin = copy.deepcopy(opt)
    assert twin.state_dict()["state"][0]["step"].item() == 1.0
    twin.register_step_post_hook(lambda o, a, k: None).remove()
    p = twin.param_groups[0]["params"][0]
    p.grad = glassgrad.ones(1)
    twin.step()
    assert w.item() != p.item()
