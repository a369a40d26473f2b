"""The optimizers' fast paths give exactly the numbers of their one-parameter paths (and of
PyTorch where its float32 arithmetic is reproducible), and never show in ``state_dict``.

Adam/AdamW keep the state of a whole group in flat buffers (``optim/_flat.py``); these tests
run every option both ways, bit for bit, and poke at everything the fast path caches.
"""

import copy
import itertools

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad
from glassgrad.optim import _flat
from glassgrad.optim import _functional as F

# bits that depend on PyTorch's SIMD build (fused multiply-adds, register widths)
pytestmark = pytest.mark.simd_bits

SHAPES = [(70, 300), (64,), (1,), (), (7, 3), (300, 250), (5, 5), (40000,)]


def _grads(shapes, steps, seed=1, varied=True, dtype=np.float32):
    """Each step's gradients: random, of varied magnitudes unless ``varied`` is False."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        scales = rng.choice([1e-3, 1.0, 1e3], len(shapes)) if varied else np.ones(len(shapes))
        out.append([(c * rng.standard_normal(s)).astype(dtype) for c, s in zip(scales, shapes)])
    return out


def _params(lib, shapes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return [
        lib.tensor((3 * rng.standard_normal(s)).astype(dtype), requires_grad=True) for s in shapes
    ]


def _run(lib, name, options, shapes=SHAPES, steps=12, dtype=np.float32, varied=True):
    """``steps`` steps of a fresh optimizer on random params/grads; (params, optimizer)."""
    params = _params(lib, shapes, dtype)
    opt = getattr(lib.optim, name)(params, **options)
    for grads in _grads(shapes, steps, varied=varied, dtype=dtype):
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g)
        opt.step()
    return params, opt


def _arrays(params):
    return [p.detach().numpy().copy() for p in params]


def _assert_same_state_dicts(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert list(a["state"]) == list(b["state"])
    for index, values in a["state"].items():
        other = b["state"][index]
        assert list(values) == list(other)
        for key, value in values.items():
            assert value.dtype == other[key].dtype and value.shape == other[key].shape
            np.testing.assert_array_equal(value.numpy(), other[key].numpy(), err_msg=key)


ADAM_OPTIONS = [
    dict(weight_decay=wd, amsgrad=ams, maximize=mx, lr=lr, betas=betas)
    for wd, ams, mx, lr, betas in itertools.product(
        [0, 0.1, 1.0], [False, True], [False, True], [1e-3, 0.5], [(0.9, 0.999), (0.6, 0.0)]
    )
]


def _flat_and_one_param(name, options, dtype, monkeypatch):
    params, opt = _run(glassgrad, name, options, dtype=dtype)
    assert opt._flat_plans, "the flat path should have been used"
    with monkeypatch.context() as m:
        m.setattr(_flat.FlatPlan, "build", classmethod(lambda *args: None))
        ref_params, ref_opt = _run(glassgrad, name, options, dtype=dtype)
    assert not ref_opt._flat_plans
    return params, opt, ref_params, ref_opt


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_flat_path_is_bitwise_the_one_param_path(name, options, monkeypatch):
    params, opt, ref_params, ref_opt = _flat_and_one_param(name, options, np.float32, monkeypatch)
    for mine, ref in zip(_arrays(params), _arrays(ref_params)):
        np.testing.assert_array_equal(mine, ref)
    _assert_same_state_dicts(opt.state_dict(), ref_opt.state_dict())


@pytest.mark.parametrize("options", ADAM_OPTIONS[::5], ids=str)
def test_adam_flat_path_float64(options, monkeypatch):
    params, opt, ref_params, ref_opt = _flat_and_one_param("Adam", options, np.float64, monkeypatch)
    for mine, ref in zip(_arrays(params), _arrays(ref_params)):
        np.testing.assert_array_equal(mine, ref)
    _assert_same_state_dicts(opt.state_dict(), ref_opt.state_dict())


SGD_OPTIONS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "maximize": True},
    {"lr": 0.1, "weight_decay": 0.1, "maximize": True},
]


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=str)
def test_sgd_matches_torch_bitwise(options):
    shapes = [(64, 64), (64,), (1,), (), (7, 3), (1000,)]
    mine, opt = _run(glassgrad, "SGD", options, shapes, steps=50, varied=False)
    theirs, ref = _run(torch, "SGD", {**options, "foreach": False}, shapes, 50, varied=False)
    for a, b in zip(_arrays(mine), _arrays(theirs)):
        np.testing.assert_array_equal(a, b)
    for p, q in zip(mine, theirs):
        if "momentum_buffer" in ref.state[q]:
            buf = ref.state[q]["momentum_buffer"].numpy()
            np.testing.assert_array_equal(opt.state[p]["momentum_buffer"].numpy(), buf)


@pytest.mark.parametrize("size", [1, 3, 17, 1000, 40001])
def test_update_helpers_round_like_torch(size):
    """The in-place helpers Adam, SGD and the others build on give torch's float32 results
    bit for bit. (Adam as a whole cannot: torch's CPU sqrt is not correctly rounded in this
    build, and its lerp_ rounds once with a fused multiply-add where glassgrad rounds twice.)"""
    rng = np.random.default_rng(size)
    a, b = rng.standard_normal((2, size)).astype(np.float32)
    c = (np.abs(rng.standard_normal(size)) + 0.01).astype(np.float32)
    ta, tb, tc = (torch.from_numpy(x.copy()) for x in (a, b, c))
    cases = [
        (F.addcmul_, (b, b, 0.001), ta.clone().addcmul_(tb, tb, value=0.001)),
        (F.addcdiv_, (b, c, -0.0123), ta.clone().addcdiv_(tb, tc, value=-0.0123)),
        (F.add_scaled_, (b, -0.01), ta.clone().add_(tb, alpha=-0.01)),
        (F.add_scaled_, (b, 1), ta.clone().add_(tb, alpha=1)),
    ]
    for helper, args, expected in cases:
        target = a.copy()
        helper(target, *args)
        np.testing.assert_array_equal(target, expected.numpy(), err_msg=helper.__name__)


def test_adam_state_dict_layout_is_torchs():
    params, opt = _run(glassgrad, "Adam", {"amsgrad": True}, steps=3)
    _theirs, ref = _run(torch, "Adam", {"amsgrad": True}, steps=3)
    mine, other = opt.state_dict(), ref.state_dict()
    assert list(mine["state"]) == list(other["state"])
    for index, values in mine["state"].items():
        assert list(values) == list(other["state"][index])
        for key, value in values.items():
            assert str(value.dtype) == str(other["state"][index][key].dtype)
            assert tuple(value.shape) == tuple(other["state"][index][key].shape)
    assert float(mine["state"][0]["step"]) == 3.0
    # state_dict hands out copies: changing them changes nothing
    mine["state"][0]["exp_avg"].zero_()
    assert opt.state[params[0]]["exp_avg"].abs().sum().item() > 0


def test_state_dict_round_trip_and_resume():
    options = {"lr": 0.01, "amsgrad": True}
    straight, opt = _run(glassgrad, "Adam", options, steps=8)
    params, first = _run(glassgrad, "Adam", options, steps=4)
    again = glassgrad.optim.Adam(params, **options)
    again.load_state_dict(first.state_dict())
    _assert_same_state_dicts(again.state_dict(), first.state_dict())
    for grads in _grads(SHAPES, 8)[4:]:
        for p, g in zip(params, grads):
            p.grad = glassgrad.tensor(g)
        again.step()
    for a, b in zip(_arrays(params), _arrays(straight)):
        np.testing.assert_array_equal(a, b)
    _assert_same_state_dicts(again.state_dict(), opt.state_dict())


def _twin_runs(edit, steps=6, name="Adam", options=None, shapes=SHAPES[:6]):
    """Run with the flat path and without it, calling ``edit(params, opt, step)`` before each
    step in both; return both final parameter lists and optimizers."""
    results = []
    for flat in (True, False):
        build = _flat.FlatPlan.build
        if not flat:
            _flat.FlatPlan.build = classmethod(lambda *args: None)
        try:
            params = _params(glassgrad, shapes)
            opt = getattr(glassgrad.optim, name)(params, **(options or {"lr": 0.01}))
            for step, grads in enumerate(_grads(shapes, steps)):
                for p, g in zip(params, grads):
                    p.grad = glassgrad.tensor(g)
                edit(params, opt, step)
                opt.step()
        finally:
            _flat.FlatPlan.build = build
        results.append((params, opt))
    (params, opt), (ref_params, ref_opt) = results
    for a, b in zip(_arrays(params), _arrays(ref_params)):
        np.testing.assert_array_equal(a, b)
    _assert_same_state_dicts(opt.state_dict(), ref_opt.state_dict())
    return opt


def test_params_without_grad_on_some_steps():
    def edit(params, opt, step):
        if step in (2, 3):
            params[1].grad = None
        if step == 4:
            params[0].grad = None

    _twin_runs(edit)


def test_state_replaced_or_reset_between_steps():
    def edit(params, opt, step):
        if step == 2:
            opt.state[params[0]]["exp_avg"] = glassgrad.zeros_like(params[0])
        if step == 3:
            opt.state[params[1]]["exp_avg_sq"].data = glassgrad.ones_like(params[1])
        if step == 4:
            opt.state[params[2]]["step"].fill_(0.0)  # in place: a view of the flat counters
        if step == 5:
            opt.state.clear()

    _twin_runs(edit)


def test_whole_state_reset_and_reloaded():
    def edit(params, opt, step):
        if step == 2:
            opt.state = type(opt.state)(dict)
        if step == 4:
            opt.load_state_dict(copy.deepcopy(opt.state_dict()))

    _twin_runs(edit)


def test_param_rebound_and_in_place_edits():
    def edit(params, opt, step):
        if step == 2:
            params[0].data = params[0].detach().numpy().copy() * 0 + 1  # a new array
        if step == 3:
            with glassgrad.no_grad():
                params[1].mul_(0.5)
            opt.state[params[1]]["exp_avg"].zero_()
        if step == 4:
            opt.param_groups[0]["lr"] = 0.5
            opt.param_groups[0]["amsgrad"] = True  # no max_exp_avg_sq yet: as before

    _twin_runs(edit)


def test_group_added_later_gets_its_own_plan():
    params = _params(glassgrad, SHAPES[:6])
    opt = glassgrad.optim.AdamW(params[:4], lr=0.01)
    for step, grads in enumerate(_grads(SHAPES[:6], 5)):
        for p, g in zip(params, grads):
            p.grad = glassgrad.tensor(g)
        if step == 2:
            opt.add_param_group({"params": params[4:], "lr": 0.1})
        opt.step()
    assert set(opt._flat_plans) == {0, 1}
    assert [float(opt.state[p]["step"]) for p in params] == [5.0] * 4 + [3.0] * 2


def test_bad_gradient_raises_and_changes_nothing_after_fast_steps():
    params, opt = _run(glassgrad, "Adam", {}, shapes=[(3, 2), (4,)], steps=3)
    before = _arrays(params)
    state = copy.deepcopy(opt.state_dict())
    params[1]._grad = glassgrad.zeros(5)  # wrong shape slipped past the setter
    with pytest.raises(RuntimeError, match=r"parameter 1 of group 0 has shape \[4\]"):
        opt.step()
    params[1]._grad = glassgrad.zeros(4, dtype=glassgrad.float64)
    with pytest.raises(RuntimeError, match="dtype"):
        opt.step()
    params[1]._grad = glassgrad.zeros(4)
    kept = params[0].data
    params[0].data = glassgrad.zeros(7)
    params[0]._grad = glassgrad.zeros(7)
    with pytest.raises(RuntimeError, match="optimizer state 'exp_avg' has shape"):
        opt.step()
    params[0].data = kept
    for a, b in zip(_arrays(params), before):
        np.testing.assert_array_equal(a, b)
    _assert_same_state_dicts(opt.state_dict(), state)


def test_state_tensors_keep_identity_and_see_updates():
    params, opt = _run(glassgrad, "Adam", {}, shapes=[(3, 2), (4,)], steps=1)
    held = opt.state[params[0]]["exp_avg"]
    step = opt.state[params[0]]["step"]
    before = held.clone()
    params[0].grad = glassgrad.ones(3, 2)
    params[1].grad = glassgrad.ones(4)
    opt.step()
    assert opt.state[params[0]]["exp_avg"] is held and not glassgrad.equal(held, before)
    assert step.item() == 2.0 and step.dim() == 0 and step.dtype == glassgrad.float32


def test_duplicate_params_take_the_one_param_path():
    w = glassgrad.ones(3, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate"):
        opt = glassgrad.optim.Adam([w, w], lr=0.1)
    w.grad = glassgrad.ones(3)
    opt.step()
    assert not opt._flat_plans
    assert opt.state[w]["step"].item() == 2.0


def test_sgd_maximize_momentum_on_0d_param():
    """Regression: ``-grad`` of a 0-d array is a NumPy scalar, which broke the buffer."""
    mine, _ = _run(glassgrad, "SGD", SGD_OPTIONS[4], shapes=[()], steps=3, varied=False)
    theirs, _ = _run(torch, "SGD", SGD_OPTIONS[4], shapes=[()], steps=3, varied=False)
    np.testing.assert_array_equal(_arrays(mine)[0], _arrays(theirs)[0])


def test_zero_grad_set_to_none_and_to_zero():
    w = glassgrad.ones(2, requires_grad=True)
    b = glassgrad.ones(1, requires_grad=True)
    opt = glassgrad.optim.SGD([w, b], lr=0.1)
    w.grad = glassgrad.ones(2)
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0] and b.grad is None
    opt.zero_grad()
    assert w.grad is None and b.grad is None


def test_sgd_zero_lr_keeps_signed_zeros_like_torch():
    """lr = -0.0 then 0.0: the rounded step size is not reused across the zeros' signs."""
    results = []
    for lib in (glassgrad, torch):
        for lr in (-0.0, 0.0):
            w = lib.tensor([-0.0], requires_grad=True)
            opt = lib.optim.SGD([w], lr=lr)
            w.grad = lib.tensor([1.0])
            opt.step()
            results.append(np.signbit(w.detach().numpy()).tolist())
    assert results[:2] == results[2:]


def test_params_sharing_memory_take_the_one_param_path():
    base = glassgrad.arange(8.0)
    params = [base[:4].detach().requires_grad_(), base[4:].detach().requires_grad_()]
    opt = glassgrad.optim.AdamW(params, lr=0.1)
    for p in params:
        p.grad = glassgrad.ones(4)
    opt.step()
    assert not opt._flat_plans


def test_step_hooks_get_torchs_args_and_kwargs():
    """Hooks see ``(optimizer, args, kwargs)`` with ``args`` as ``step`` got them."""
    seen = []
    for lib in (glassgrad, torch):
        w = lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        opt.register_step_pre_hook(lambda o, a, k: seen.append((a[0] is o, len(a), sorted(k))))
        opt.register_step_post_hook(lambda o, a, k: seen.append(("post", len(a), sorted(k))))
        w.grad = lib.ones(2)
        opt.step()
        opt.step(None)
        opt.step(closure=None)
        opt.register_step_pre_hook(lambda o, a, k: ((o,), {"closure": lambda: 7.0}))
        assert opt.step() == 7.0
    assert seen[: len(seen) // 2] == seen[len(seen) // 2 :]
