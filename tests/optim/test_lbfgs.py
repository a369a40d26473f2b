"""LBFGS against PyTorch: same iterates with and without the strong-Wolfe line search."""

import numpy as np
import pytest

import glassgrad
from glassgrad import optim

torch = pytest.importorskip("torch")


def _rosenbrock(lib, x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _run(lib, np_dtype, steps=4, **options):
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
        losses.append(float(opt.step(closure)))
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
    gx, gw, glosses, gstate = _run(glassgrad, np_dtype, **options)
    tx, tw, tlosses, tstate = _run(torch, np_dtype, **options)
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
