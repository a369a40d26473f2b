"""Random hyper-parameters for every optimizer: 20 float64 steps agree with PyTorch."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_oracle import torch

import glassgrad

rates = st.floats(1e-4, 0.05)
decay = st.sampled_from([0.0, 1e-3, 0.1])
beta = st.floats(0.0, 0.99)
flag = st.booleans()

OPTIONS = {
    "SGD": st.fixed_dictionaries(
        {"lr": rates, "momentum": st.floats(0, 0.95), "weight_decay": decay, "maximize": flag},
        optional={"dampening": st.floats(0, 0.9)},
    ),
    "Adam": st.fixed_dictionaries(
        {
            "lr": rates,
            "betas": st.tuples(beta, st.floats(0.5, 0.999)),
            "eps": st.sampled_from([1e-8, 1e-3]),
            "weight_decay": decay,
            "amsgrad": flag,
            "maximize": flag,
            "decoupled_weight_decay": flag,
        }
    ),
    "AdamW": st.fixed_dictionaries(
        {"lr": rates, "betas": st.tuples(beta, st.floats(0.5, 0.999)), "amsgrad": flag}
    ),
    "RMSprop": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.01),
            "alpha": st.floats(0.5, 0.999),
            "momentum": st.sampled_from([0.0, 0.5, 0.9]),
            "centered": flag,
            "weight_decay": decay,
            "maximize": flag,
        }
    ),
    "Adagrad": st.fixed_dictionaries(
        {
            "lr": rates,
            "lr_decay": st.sampled_from([0.0, 0.01, 0.5]),
            "initial_accumulator_value": st.sampled_from([0.0, 0.1, 2.0]),
            "weight_decay": decay,
        }
    ),
    "Adadelta": st.fixed_dictionaries(
        {"lr": st.floats(0.1, 2.0), "rho": st.floats(0.5, 0.99), "weight_decay": decay}
    ),
    "Adamax": st.fixed_dictionaries(
        {"lr": rates, "betas": st.tuples(beta, st.floats(0.5, 0.999)), "weight_decay": decay}
    ),
    "NAdam": st.fixed_dictionaries(
        {
            "lr": rates,
            "betas": st.tuples(beta, st.floats(0.5, 0.999)),
            "momentum_decay": st.sampled_from([4e-3, 0.1]),
            "weight_decay": decay,
            "decoupled_weight_decay": flag,
        }
    ),
    "RAdam": st.fixed_dictionaries(
        {
            "lr": rates,
            "betas": st.tuples(beta, st.floats(0.5, 0.999)),
            "weight_decay": decay,
            "decoupled_weight_decay": flag,
        }
    ),
    "Rprop": st.fixed_dictionaries(
        {
            "lr": rates,
            "etas": st.tuples(st.floats(0.1, 0.9), st.floats(1.1, 2.0)),
            "step_sizes": st.tuples(st.sampled_from([1e-6, 1e-3]), st.sampled_from([0.1, 50])),
            "maximize": flag,
        }
    ),
    "ASGD": st.fixed_dictionaries(
        {
            "lr": rates,
            "lambd": st.sampled_from([1e-4, 0.1]),
            "alpha": st.floats(0.5, 1.0),
            "t0": st.sampled_from([0, 5, 1e6]),
            "weight_decay": decay,
        }
    ),
}


def _run(lib, name, options, start, grads):
    p = lib.tensor(start.copy(), requires_grad=True)
    opt = getattr(lib.optim, name)([p], **options)
    for g in grads:
        p.grad = lib.tensor(g + 0.1 * p.detach().numpy())  # depends on the trajectory
        opt.step()
    return p.detach().numpy()


@pytest.mark.parametrize("name", list(OPTIONS))
@given(data=st.data())
def test_random_options_match_torch(name, data):
    options = data.draw(OPTIONS[name])
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    start = rng.standard_normal(5)
    grads = rng.standard_normal((20, 5))
    mine = _run(glassgrad, name, options, start, grads)
    theirs = _run(torch, name, options, start, grads)
    np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-9)
