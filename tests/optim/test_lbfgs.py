"""LBFGS against PyTorch: same iterates with and without the strong-Wolfe line search."""

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad
from glassgrad import optim


def _rosenbrock(lib, x):
    return (1 - x[0]) ** 2 + 5 * (x[1] - x[0] ** 2) ** 2


def _run(lib, np_dtype, steps=3, **options):
    x = lib.tensor(np.array([-1.5, 2.0], dtype=np_dtype), requires_grad=True)
    w = lib.tensor(np.array([[0.5, -0.3]], dtype=np_dtype).T, requires_grad=True)
    a = lib.tensor(np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], dtype=np_dtype))
    b = lib.tensor(np.array([[1.0], [0.0], [2.0]], dtype=np_dtype))
    opt = lib.optim.LBFGS([x, w], **options)
    losses = []

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(lib, x) + ((a @ w - b) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(opt.step(closure).item())
    state = opt.state[x]
    return x.detach().numpy().copy(), w.detach().numpy().copy(), losses, state


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"lr": 0.1, "max_iter": 5},
        {"line_search_fn": "strong_wolfe"},
        {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7},
    ],
)
@pytest.mark.parametrize("np_dtype, rtol", [(np.float64, 1e-9), (np.float32, 1e-4)])
def test_lbfgs_matches_torch(options, np_dtype, rtol):
    if np_dtype == np.float32:
        # near the optimum float32 rounding noise decides the stopping tests: compare the
        # early iterations, where both runs are still far from converged
        options = dict(options, max_iter=min(options.get("max_iter", 6), 6))
    steps = 3 if np_dtype == np.float64 else 1
    gx, gw, glosses, gstate = _run(glassgrad, np_dtype, steps, **options)
    tx, tw, tlosses, tstate = _run(torch, np_dtype, steps, **options)
    np.testing.assert_allclose(glosses, tlosses, rtol=rtol)
    np.testing.assert_allclose(gx, tx, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(gw, tw, rtol=rtol, atol=rtol)
    assert gstate["func_evals"] == tstate["func_evals"]
    assert gstate["n_iter"] == tstate["n_iter"]
    assert sorted(gstate) == sorted(tstate)
    assert gstate["d"].dtype.name == str(tstate["d"].dtype).removeprefix("torch.")


def test_lbfgs_errors():
    w = glassgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [glassgrad.zeros(1, requires_grad=True)]}])
    opt = optim.LBFGS([w], line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(lambda: (w**2).sum())
    with pytest.raises(RuntimeError, match="needs a closure"):
        optim.LBFGS([w]).step()


def test_lbfgs_state_survives_save_and_load(tmp_path):
    def make():
        w = glassgrad.tensor([3.0, -2.0, 1.0], dtype=glassgrad.float64, requires_grad=True)
        opt = optim.LBFGS([w], max_iter=3, history_size=4)

        def closure():
            opt.zero_grad()
            loss = ((w - glassgrad.tensor([1.0, 2.0, 3.0])) ** 4).sum() + (w**2).sum()
            loss.backward()
            return loss

        return w, opt, closure

    w, opt, closure = make()
    opt.step(closure)
    glassgrad.save({"w": w, "opt": opt.state_dict()}, tmp_path / "lbfgs.gg")
    opt.step(closure)
    v, fresh, fresh_closure = make()
    saved = glassgrad.load(tmp_path / "lbfgs.gg")
    with glassgrad.no_grad():
        v.copy_(saved["w"])
    fresh.load_state_dict(saved["opt"])
    assert len(fresh.state[v]["old_dirs"]) >= 1
    fresh.step(fresh_closure)
    np.testing.assert_array_equal(v.detach().numpy(), w.detach().numpy())
