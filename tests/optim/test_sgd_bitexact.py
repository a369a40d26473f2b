"""SGD against PyTorch 2.13, bit for bit: 200 steps of every option combination.

Both libraries get the same gradients each step, so any difference is the optimizer's own
rounding. Holds under every ATEN_CPU_CAPABILITY (PyTorch fuses ``add(…, alpha=…)`` into one
multiply-add on AVX2/AVX-512 and rounds twice on its default build; see _kernels/fma.py).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import glassgrad

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")

SHAPES = [(), (1,), (5,), (17,), (33, 7), (300,)]
STEPS = 200

OPTIONS = [
    {"momentum": m, "dampening": d, "nesterov": n, "weight_decay": wd, "maximize": mx}
    for m, d, n, wd, mx in itertools.product(
        [0.0, 0.9], [0.0, 0.3], [False, True], [0, 1e-2], [False, True]
    )
    if not (n and (m == 0 or d != 0)) and not (m == 0 and d != 0)  # dampening needs momentum
]


def _trajectory(lib, options: dict, dtype, foreach):
    rng = np.random.default_rng(0)
    params = [lib.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]
    opt = lib.optim.SGD(params, lr=0.05, foreach=foreach, **options)
    steps = []
    for _ in range(STEPS):
        for p in params:
            p.grad = lib.tensor(rng.standard_normal(p.shape).astype(dtype))
        opt.step()
        steps.append([p.detach().numpy().copy() for p in params])
    grads = [p.grad.numpy().copy() for p in params]
    buffers = [opt.state[p]["momentum_buffer"].numpy().copy() for p in params if opt.state[p]]
    return steps, grads, buffers


@pytest.mark.parametrize("foreach", [None, False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items())
)
def test_sgd_trajectory_is_bit_identical(options, dtype, foreach):
    theirs = _trajectory(torch, options, dtype, foreach)
    mine = _trajectory(glassgrad, options, dtype, foreach)
    for step, (t_params, g_params) in enumerate(zip(theirs[0], mine[0])):
        for index, (t, g) in enumerate(zip(t_params, g_params)):
            assert g.dtype == t.dtype
            assert np.array_equal(g, t), f"step {step}, parameter {index} {t.shape}"
    # foreach + Nesterov: PyTorch leaves the Nesterov direction in p.grad; so must glassgrad
    for t, g in zip(theirs[1] + theirs[2], mine[1] + mine[2]):
        np.testing.assert_array_equal(g, t)
