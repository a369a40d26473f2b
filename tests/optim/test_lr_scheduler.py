"""LR schedulers against PyTorch 2.13: identical lr sequences, state dicts and warnings."""

import warnings

import pytest
from torch_oracle import torch

import glassgrad
from glassgrad.optim import lr_scheduler as gsched

EPOCHS = 30


def _factor(epoch):
    return 0.9**epoch


def _mult(epoch):
    return 0.95


CASES = {
    "StepLR": lambda s, o: s.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[3, 10, 10, 21], gamma=0.3),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=8, eta_min=0.001),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lr_lambda=_factor),
    "LambdaLR-list": lambda s, o: s.LambdaLR(o, lr_lambda=[_factor, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lr_lambda=_mult),
    "LinearLR": lambda s, o: s.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=12),
    "ConstantLR": lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=6),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o, total_iters=20, power=1.7),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=EPOCHS + 1),
    "OneCycleLR-3phase-linear": lambda s, o: s.OneCycleLR(
        o,
        max_lr=0.8,
        epochs=4,
        steps_per_epoch=8,
        three_phase=True,
        anneal_strategy="linear",
        pct_start=0.25,
    ),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.01
    ),
    "CyclicLR": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4),
    "CyclicLR-triangular2": lambda s, o: s.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda s, o: s.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.97
    ),
    "CyclicLR-custom": lambda s, o: s.CyclicLR(
        o,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=2,
        scale_fn=lambda x: 0.5**x,
        scale_mode="iterations",
        cycle_momentum=False,
    ),
    "SequentialLR": lambda s, o: s.SequentialLR(
        o,
        [s.LinearLR(o, start_factor=0.2, total_iters=5), s.ExponentialLR(o, gamma=0.9)],
        milestones=[5],
    ),
    "ChainedScheduler": lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.5, total_iters=4), s.ExponentialLR(o, gamma=0.9)]
    ),
}


def _optimizer(lib, name="SGD"):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.3}]
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


def _sequence(lib, make, optimizer_name="SGD"):
    opt = _optimizer(lib, optimizer_name)
    sched = make(lib.optim.lr_scheduler, opt)
    seen = [sched.get_last_lr()]
    momenta = []
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        seen.append(sched.get_last_lr())
        momenta.append([g.get("momentum", g.get("betas")) for g in opt.param_groups])
    return seen, momenta, sched


@pytest.mark.parametrize("name", list(CASES))
def test_lr_sequence_matches_torch(name):
    mine, my_momenta, _ = _sequence(glassgrad, CASES[name])
    theirs, their_momenta, _ = _sequence(torch, CASES[name])
    assert mine == theirs
    assert my_momenta == their_momenta


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
def test_momentum_cycling_of_adam_beta1_like_torch(name):
    make = CASES[name]
    mine, my_betas, _ = _sequence(glassgrad, make, "Adam")
    theirs, their_betas, _ = _sequence(torch, make, "Adam")
    assert mine == theirs and my_betas == their_betas


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_reduce_lr_on_plateau_matches_torch(mode, threshold_mode):
    metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.2] * 2
    sequences = []
    for lib in (glassgrad, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(
            opt,
            mode=mode,
            factor=0.5,
            patience=2,
            threshold=0.01,
            threshold_mode=threshold_mode,
            cooldown=1,
            min_lr=[0.01, 0.02],
        )
        lrs = []
        for m in metrics:
            sched.step(lib.tensor(m))
            lrs.append(sched.get_last_lr())
        sequences.append(lrs)
    assert sequences[0] == sequences[1]


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "SequentialLR"])
def test_state_dict_resume(name):
    make = CASES[name]
    full, _, _ = _sequence(glassgrad, make)
    opt = _optimizer(glassgrad)
    sched = make(gsched, opt)
    for _ in range(10):
        opt.step()
        sched.step()
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in sched_state
    opt2 = _optimizer(glassgrad)
    sched2 = make(gsched, opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    resumed = [sched2.get_last_lr()]
    for _ in range(EPOCHS - 10):
        opt2.step()
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == full[10:]


def test_lambda_state_dict_skips_functions_keeps_callable_objects():
    class Scale:
        def __init__(self):
            self.factor = 0.5

        def __call__(self, epoch):
            return self.factor

    opt = _optimizer(glassgrad)
    sched = gsched.LambdaLR(opt, [lambda e: 1.0, Scale()])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"factor": 0.5}]
    state["lr_lambdas"][1]["factor"] = 0.25
    sched.load_state_dict(state)
    assert sched.lr_lambdas[1].factor == 0.25


def test_closed_form_with_epoch_argument_matches_torch():
    results = []
    for lib in (glassgrad, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt.step()
            sched.step(7)
        results.append((sched.get_last_lr(), [str(w.message)[:40] for w in caught]))
    assert results[0] == results[1]


def _warnings_of(lib, order):
    opt = _optimizer(lib)
    sched = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for call in order:
            opt.step() if call == "opt" else sched.step()
        sched.get_lr()
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("order", [["opt", "sched"], ["sched", "opt"], ["sched", "sched"]])
def test_warnings_match_torch(order):
    assert _warnings_of(glassgrad, order) == _warnings_of(torch, order)


def test_constructor_errors():
    opt = _optimizer(glassgrad)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        gsched.StepLR(object(), step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        gsched.StepLR(_optimizer(glassgrad), step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        gsched.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        gsched.LambdaLR(opt, [_factor])
    with pytest.raises(ValueError, match="total_steps OR"):
        gsched.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        gsched.ReduceLROnPlateau(opt, factor=1.5)
    sched = gsched.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    opt.step()
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        sched.step()
