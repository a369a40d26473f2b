"""Every loss against PyTorch 2.13: values and gradients, all reductions, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from nn_oracle import assert_close
from torch_oracle import torch

import glassgrad
import glassgrad.nn as gnn
import glassgrad.nn.functional as gF

tF = torch.nn.functional

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float32, np.float64]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _run(name, arrays, grads, kwargs, dtype, check_grad_fn=True):
    """Call ``F.name`` in both libraries; compare value, grad_fn name and input gradients."""
    g_args = [glassgrad.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    t_args = [torch.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    g_kw = {k: glassgrad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    t_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = getattr(tF, name)(*t_args, **t_kw)
        g_out = getattr(gF, name)(*g_args, **g_kw)
    assert_close(g_out, t_out, dtype)
    assert g_out.dtype.name == str(t_out.dtype).replace("torch.", "")
    if check_grad_fn:
        assert type(g_out.grad_fn).__name__ == type(t_out.grad_fn).__name__
    upstream = _rng(7).standard_normal(tuple(t_out.shape)).astype(dtype)
    t_out.backward(torch.tensor(upstream))
    g_out.backward(glassgrad.tensor(upstream))
    for i in grads:
        assert_close(g_args[i].grad, t_args[i].grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name, extra",
    [
        ("mse_loss", {}),
        ("l1_loss", {}),
        ("smooth_l1_loss", {}),
        ("smooth_l1_loss", {"beta": 0.5}),
        ("smooth_l1_loss", {"beta": 0.0}),
        ("huber_loss", {}),
        ("huber_loss", {"delta": 0.3}),
    ],
)
def test_regression_losses(name, extra, reduction, dtype):
    rng = _rng()
    x = (rng.standard_normal((4, 3)) * 2).astype(dtype)
    y = rng.standard_normal((4, 3)).astype(dtype)
    y[0, 0] = x[0, 0]  # a zero difference
    y[1, 1] = x[1, 1] - 1.0  # exactly at the default beta / delta boundary
    _run(name, [x, y], {0, 1}, {"reduction": reduction, **extra}, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses(name, reduction, dtype):
    rng = _rng(1)
    x, y = (rng.standard_normal((3, 4)).astype(dtype) for _ in range(2))
    weight = rng.random((3, 4)).astype(dtype)
    _run(name, [x, y], {0, 1}, {"reduction": reduction, "weight": weight}, dtype, False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted, dtype):
    rng = _rng(2)
    p = (1 / (1 + np.exp(-rng.standard_normal((5, 3))))).astype(dtype)
    p[0, 0], p[0, 1] = 0.0, 1.0  # log clamps at -100
    t = rng.random((5, 3)).astype(dtype)
    t[0, 0], t[0, 1] = 1.0, 0.0
    kwargs = {"reduction": reduction}
    if weighted:
        kwargs["weight"] = rng.random(3).astype(dtype)
    _run("binary_cross_entropy", [p, t], {0, 1}, kwargs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits(reduction, options, dtype):
    rng = _rng(3)
    x = (rng.standard_normal((4, 3)) * 3).astype(dtype)
    x[0] = [100.0, -100.0, 0.0]  # extreme logits stay finite
    t = rng.random((4, 3)).astype(dtype)
    kwargs = {"reduction": reduction}
    if options in ("weight", "both"):
        kwargs["weight"] = rng.random((4, 3)).astype(dtype)
    if options in ("pos_weight", "both"):
        kwargs["pos_weight"] = (rng.random(3) * 3).astype(dtype)
    _run("binary_cross_entropy_with_logits", [x, t], {0, 1}, kwargs, dtype)


def _class_case(shape, classes, rng, ignore=None):
    x = rng.standard_normal(shape)
    target_shape = (shape[0],) + tuple(shape[2:]) if len(shape) > 1 else ()
    t = rng.integers(0, classes, size=target_shape)
    if ignore is not None and t.ndim:
        t.reshape(-1)[1] = ignore
    return x, t


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (2, 4, 2, 3), (4,)])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"weight": True},
        {"ignore_index": 1},
        {"ignore_index": -100, "ignored": True},
        {"label_smoothing": 0.2},
        {"label_smoothing": 0.1, "weight": True, "ignore_index": 2, "ignored": True},
    ],
    ids=["plain", "weight", "ignore1", "ignore-100", "smooth", "smooth-weight-ignore"],
)
def test_cross_entropy_class_indices(shape, options, reduction, dtype):
    rng = _rng(4)
    options = dict(options)
    ignored = options.pop("ignored", False)
    x, t = _class_case(shape, 4, rng, options.get("ignore_index") if ignored else None)
    kwargs = {"reduction": reduction, **options}
    if kwargs.pop("weight", False):
        kwargs["weight"] = (rng.random(4) + 0.5).astype(dtype)
    check = "label_smoothing" not in options
    _run("cross_entropy", [x.astype(dtype), t], {0}, kwargs, dtype, check)
    logp = torch.log_softmax(torch.tensor(x), 1 if len(shape) > 1 else 0).numpy().astype(dtype)
    if not options.get("label_smoothing"):
        _run("nll_loss", [logp, t], {0}, kwargs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)])
def test_cross_entropy_probabilities(shape, weighted, smoothing, reduction, dtype):
    rng = _rng(5)
    x = rng.standard_normal(shape).astype(dtype)
    p = rng.random(shape)
    p = (p / p.sum(1, keepdims=True)).astype(dtype)
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        kwargs["weight"] = rng.random(3).astype(dtype)
    _run("cross_entropy", [x, p], {0, 1}, kwargs, dtype, check_grad_fn=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_extreme_logits(reduction, dtype):
    x = np.array([[100.0, -100.0, 0.0], [-100.0, -100.0, 100.0], [50.0, 50.0, -50.0]], dtype)
    t = np.array([1, 2, 0])
    _run("cross_entropy", [x, t], {0}, {"reduction": reduction}, dtype)
    _run(
        "cross_entropy", [x, t], {0}, {"reduction": reduction, "label_smoothing": 0.1}, dtype, False
    )


def test_cross_entropy_all_targets_ignored_is_nan_like_torch():
    x = np.zeros((2, 3), np.float32)
    t = np.array([-100, -100])
    _run("cross_entropy", [x, t], {0}, {}, np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, dtype):
    rng = _rng(6)
    x = np.log(rng.dirichlet(np.ones(4), size=3)).astype(dtype)
    q = rng.dirichlet(np.ones(4), size=3)
    q[0, 0] = 0.0  # 0 * log 0 counts as 0
    target = np.log(q + 1e-3) if log_target else q
    kwargs = {"reduction": reduction, "log_target": log_target}
    _run("kl_div", [x, target.astype(dtype)], {0, 1}, kwargs, dtype, check_grad_fn=False)


# ----------------------------------------------------------------------------- modules
MODULE_CASES = [
    ("MSELoss", {}, "float"),
    ("L1Loss", {"reduction": "sum"}, "float"),
    ("SmoothL1Loss", {"beta": 0.5}, "float"),
    ("HuberLoss", {"delta": 0.5, "reduction": "none"}, "float"),
    ("BCELoss", {}, "prob"),
    ("BCEWithLogitsLoss", {"pos_weight": np.array([2.0, 0.5, 1.0], np.float32)}, "prob"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 0}, "index"),
    ("NLLLoss", {"weight": np.array([1.0, 2.0, 0.5], np.float32)}, "index"),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, "float"),
]


@pytest.mark.parametrize("name, kwargs, kind", MODULE_CASES, ids=[c[0] for c in MODULE_CASES])
def test_loss_modules_match_torch(name, kwargs, kind):
    rng = _rng(8)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    if name == "BCELoss":
        x = 1 / (1 + np.exp(-x))
    if kind == "float":
        t = rng.standard_normal((4, 3)).astype(np.float32)
    elif kind == "prob":
        t = rng.random((4, 3)).astype(np.float32)
    else:
        t = np.array([0, 2, 1, 2])
    g_kw = {k: glassgrad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    t_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    g_loss, t_loss = getattr(gnn, name)(**g_kw), getattr(torch.nn, name)(**t_kw)
    assert repr(g_loss) == repr(t_loss)
    assert list(g_loss.state_dict()) == list(t_loss.state_dict())
    gx, tx = glassgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_out, t_out = g_loss(gx, glassgrad.tensor(t)), t_loss(tx, torch.tensor(t))
    assert_close(g_out, t_out)
    g_out.sum().backward()
    t_out.sum().backward()
    assert_close(gx.grad, tx.grad)


# ----------------------------------------------------------------------------- errors
def _both_raise(fn_name, args_np, kwargs=None):
    """Both libraries raise the same exception type; return glassgrad's message."""
    kwargs = kwargs or {}
    with pytest.raises(Exception) as t_err:
        getattr(tF, fn_name)(*[torch.tensor(a) for a in args_np], **kwargs)
    with pytest.raises(Exception) as g_err:
        getattr(gF, fn_name)(*[glassgrad.tensor(a) for a in args_np], **kwargs)
    assert g_err.type is t_err.type, (g_err.value, t_err.value)
    assert str(t_err.value).split(" (")[0].rstrip(".") in str(g_err.value)
    return str(g_err.value)


X = np.zeros((4, 3), np.float32)


def test_float_class_indices_are_refused():
    msg = _both_raise("cross_entropy", [X, np.array([0.0, 1, 2, 1], np.float32)])
    assert "Long" in msg and "Float" in msg


def test_out_of_range_class_index_names_the_bound():
    msg = _both_raise("cross_entropy", [X, np.array([0, 1, 2, 3])])
    assert "Target 3" in msg and "[0, 2]" in msg
    _both_raise("nll_loss", [X, np.array([0, -1, 2, 1])])


def test_batch_size_mismatch_names_both_sizes():
    msg = _both_raise("cross_entropy", [X, np.array([0, 1, 2])])
    assert "(4)" in msg and "(3)" in msg


def test_multi_target_and_bad_weight():
    _both_raise("nll_loss", [X, np.zeros((4, 2), np.int64)])
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        gF.cross_entropy(glassgrad.tensor(X), glassgrad.tensor([0, 1, 2, 1]), glassgrad.ones(2))


def test_bce_shape_and_range_errors():
    msg = _both_raise(
        "binary_cross_entropy", [np.full(3, 0.5, np.float32), np.zeros((3, 1), np.float32)]
    )
    assert "[3, 1]" in msg and "[3]" in msg
    _both_raise("binary_cross_entropy", [np.array([1.5], np.float32), np.zeros(1, np.float32)])
    _both_raise(
        "binary_cross_entropy_with_logits", [np.zeros(3, np.float32), np.zeros((3, 1), np.float32)]
    )


def test_invalid_reduction_and_label_smoothing():
    _both_raise("l1_loss", [X, X], {"reduction": "avg"})
    _both_raise("cross_entropy", [X, np.array([0, 1, 2, 1])], {"label_smoothing": 1.5})


def test_mse_broadcast_warns_like_torch_and_mismatch_raises():
    a, b = glassgrad.zeros(3), glassgrad.zeros(3, 1)
    with pytest.warns(UserWarning, match=r"target size \(torch.Size\(\[3, 1\]\)\)"):
        out = gF.mse_loss(a, b)
    assert out.item() == 0.0
    for fn in (gF.l1_loss, gF.smooth_l1_loss, gF.huber_loss):
        with pytest.warns(UserWarning, match="different to the input size"):
            fn(a, b)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match=r"\[3\] and \[4\]"):
        gF.mse_loss(glassgrad.zeros(3), glassgrad.zeros(4))


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="batchmean"):
        gF.kl_div(glassgrad.zeros(2), glassgrad.ones(2))


def test_deprecated_size_average_maps_to_reduction():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        loss = gnn.MSELoss(size_average=False)
    assert loss.reduction == "sum"


def test_double_backward_through_losses():
    x = np.random.default_rng(9).standard_normal((3, 4))
    t = np.array([0, 3, 1])
    results = []
    for lib, F in ((torch, tF), (glassgrad, gF)):
        xx = lib.tensor(x, requires_grad=True)
        zeros = lib.zeros(3, 4, dtype=lib.float64)
        loss = (
            F.cross_entropy(xx, lib.tensor(t), label_smoothing=0.1)
            + F.nll_loss(xx.log_softmax(1), lib.tensor(t), reduction="sum")
            + F.mse_loss(xx, zeros)
            + F.huber_loss(xx, zeros, delta=0.5)
            + F.smooth_l1_loss(xx, zeros, beta=0.5)
        )
        (grad,) = lib.autograd.grad(loss, xx, create_graph=True)
        (grad * grad).sum().backward()
        results.append(xx.grad)
    assert_close(results[1], results[0], np.float64)


def test_weight_that_does_not_broadcast_is_refused():
    x, t = glassgrad.full((4, 3), 0.5), glassgrad.zeros(4, 3)
    with pytest.raises(RuntimeError, match=r"weight of shape \[2\].*\[4, 3\]"):
        gF.binary_cross_entropy(x, t, weight=glassgrad.ones(2))
    with pytest.raises(RuntimeError, match=r"pos_weight of shape \[4\]"):
        gF.binary_cross_entropy_with_logits(x, t, pos_weight=glassgrad.ones(4))


def _pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_embedding_losses(reduction):
    rng = _rng(11)
    x1, x2 = (rng.standard_normal((5, 3)).astype(np.float32) for _ in range(2))
    x, y = rng.standard_normal(5).astype(np.float32), _pm1(rng, 5)
    r = {"reduction": reduction}
    _run("soft_margin_loss", [x1, _pm1(rng, (5, 3))], {0}, r, np.float32, False)
    _run(
        "margin_ranking_loss",
        [x, x1[:, 0].copy(), y],
        {0, 1},
        {**r, "margin": 0.3},
        np.float32,
        False,
    )
    _run(
        "hinge_embedding_loss",
        [x1, _pm1(rng, (5, 3))],
        {0},
        {**r, "margin": 0.5},
        np.float32,
        False,
    )
    _run("cosine_embedding_loss", [x1, x2, y], {0, 1}, {**r, "margin": 0.1}, np.float32, False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "log_input, full", [(True, False), (False, False), (True, True), (False, True)]
)
def test_poisson_nll_loss(log_input, full, reduction):
    rng = _rng(12)
    x = rng.random((4, 3)).astype(np.float32) + (0.0 if log_input else 0.1)
    target = rng.integers(0, 5, size=(4, 3)).astype(np.float32)
    kwargs = {"log_input": log_input, "full": full, "reduction": reduction}
    _run("poisson_nll_loss", [x, target], {0}, kwargs, np.float32, False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4, 1), (4,)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(var_shape, full, reduction):
    rng = _rng(13)
    x, target = (rng.standard_normal((4, 3)).astype(np.float32) for _ in range(2))
    var = (rng.random(var_shape) + 1e-7).astype(np.float32)
    var.reshape(-1)[0] = 1e-9  # clamped at eps, gradient still flows
    _run(
        "gaussian_nll_loss",
        [x, target, var],
        {0, 2},
        {"full": full, "reduction": reduction},
        np.float32,
        False,
    )


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SoftMarginLoss", {}),
        ("PoissonNLLLoss", {"log_input": False, "full": True}),
        ("GaussianNLLLoss", {"full": True}),
        ("MarginRankingLoss", {"margin": 0.2}),
        ("HingeEmbeddingLoss", {"margin": 2.0}),
        ("CosineEmbeddingLoss", {"margin": 0.5, "reduction": "sum"}),
    ],
)
def test_extra_loss_modules_repr(name, kwargs):
    assert repr(getattr(gnn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


MIXED = [
    ("mse_loss", np.float32, np.float64),
    ("smooth_l1_loss", np.float32, np.float64),
    ("binary_cross_entropy_with_logits", np.float64, np.float32),
    ("binary_cross_entropy_with_logits", np.float32, np.float64),
    ("soft_margin_loss", np.float32, np.float64),
]


@pytest.mark.parametrize("name, in_dtype, target_dtype", MIXED)
def test_mixed_dtypes_give_torch_result_dtype(name, in_dtype, target_dtype):
    x = np.full((3, 2), 0.3, in_dtype)
    y = np.full((3, 2), 0.6, target_dtype)
    _run(name, [x, y], {0}, {}, np.float32, check_grad_fn=False)


DTYPE_ERRORS = [
    ("binary_cross_entropy", [np.full(2, 0.5, np.float32), np.ones(2)], {}),
    ("binary_cross_entropy", [np.full(2, 0.5, np.float32), np.ones(2, np.int64)], {}),
    ("binary_cross_entropy_with_logits", [np.zeros(2, np.float32), np.ones(2, np.int64)], {}),
    ("kl_div", [np.zeros(2, np.float32), np.ones(2, np.int64)], {}),
    ("cross_entropy", [np.zeros((2, 3), np.int64), np.array([0, 1])], {}),
    ("mse_loss", [np.zeros(2, np.int64), np.zeros(2, np.int64)], {}),
]


@pytest.mark.parametrize("name, arrays, kwargs", DTYPE_ERRORS)
def test_dtype_errors_match_torch(name, arrays, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _both_raise(name, arrays, kwargs)


def test_class_weight_dtype_must_match_input():
    x, t = np.zeros((2, 3), np.float32), np.array([0, 1])
    for name in ("cross_entropy", "nll_loss"):
        with pytest.raises(RuntimeError) as t_err:
            getattr(tF, name)(
                torch.tensor(x), torch.tensor(t), weight=torch.ones(3, dtype=torch.float64)
            )
        with pytest.raises(RuntimeError) as g_err:
            getattr(gF, name)(
                glassgrad.tensor(x),
                glassgrad.tensor(t),
                weight=glassgrad.ones(3, dtype=glassgrad.float64),
            )
        assert str(t_err.value) in str(g_err.value)


def test_huber_mixed_dtypes_compute_in_the_input_dtype():
    for a, b in ((np.float32, np.float64), (np.float64, np.float32)):
        x, y = np.full(3, 0.3, a), np.full(3, 2.6, b)
        g = gF.huber_loss(glassgrad.tensor(x), glassgrad.tensor(y))
        t = tF.huber_loss(torch.tensor(x), torch.tensor(y))
        assert g.dtype.name == str(t.dtype).replace("torch.", "")
        assert_close(g, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_multilabel_and_multi_margin_losses(reduction):
    rng = _rng(14)
    a, pos, neg = (rng.standard_normal((5, 4)).astype(np.float32) for _ in range(3))
    r = {"reduction": reduction}
    _run("triplet_margin_loss", [a, pos, neg], {0, 1, 2}, {**r, "margin": 0.7}, np.float32, False)
    _run(
        "triplet_margin_loss",
        [a, pos, neg],
        {0, 1, 2},
        {**r, "p": 1, "swap": True},
        np.float32,
        False,
    )
    labels = (rng.random((5, 4)) < 0.5).astype(np.float32)
    weight = rng.random(4).astype(np.float32)
    _run("multilabel_soft_margin_loss", [a, labels], {0}, r, np.float32, False)
    _run(
        "multilabel_soft_margin_loss", [a, labels], {0}, {**r, "weight": weight}, np.float32, False
    )
    target = np.array([0, 3, 1, 1, 2])
    _run("multi_margin_loss", [a, target], {0}, r, np.float32, False)
    _run(
        "multi_margin_loss",
        [a, target],
        {0},
        {**r, "p": 2, "margin": 0.5, "weight": weight},
        np.float32,
        False,
    )


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("TripletMarginLoss", {"margin": 2.0}),
        ("MultiLabelSoftMarginLoss", {}),
        ("MultiMarginLoss", {"p": 2}),
    ],
)
def test_more_loss_module_reprs(name, kwargs):
    assert repr(getattr(gnn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))
