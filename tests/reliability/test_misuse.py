"""The misuse contract: every mistake a PyTorch user makes raises what PyTorch raises.

Each case runs in real PyTorch (the oracle for the exception type) and in glassgrad; the
glassgrad message must also name the op or tensor, the shapes or dtypes, and the fix.
"""

from __future__ import annotations

import copy
import operator
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from torch_oracle import torch

import glassgrad


@dataclass(frozen=True)
class Misuse:
    name: str
    run: Callable  # run(lib) performs the mistake with lib = torch or glassgrad
    needles: tuple[str, ...]  # substrings the glassgrad message must contain (any case)
    needs: str = ""  # dotted attribute of glassgrad the case needs (skipped until it lands)


def leaf(lib, *shape):
    return lib.ones(*shape, dtype=lib.float64, requires_grad=True)


def _backward_twice(lib):
    x = leaf(lib, 3)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _modified_input(lib):
    x = leaf(lib, 3)
    y = x * 2
    z = y * y
    y.mul_(2)
    z.sum().backward()


def _modified_output(lib):
    y = leaf(lib, 3).exp()
    y.add_(1)
    y.sum().backward()


def _binary(op):
    def run(lib):
        getattr(lib, op)(leaf(lib, 2, 3), lib.ones(4, dtype=lib.float64))

    return run


OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "<": operator.lt,
    ">=": operator.ge,
    "==": operator.eq,
}


def _operator(symbol):
    def run(lib):
        OPERATORS[symbol](leaf(lib, 2, 3), lib.ones(4, dtype=lib.float64))

    return run


def _load_state(lib, edit):
    model = lib.nn.Linear(3, 4)
    state = model.state_dict()
    edit(lib, state)
    model.load_state_dict(state)


def _drop_bias(lib, state):
    del state["bias"]


def _add_extra(lib, state):
    state["extra"] = lib.ones(1)


def _wrong_shapes(lib, state):
    state.update(lib.nn.Linear(3, 5).state_dict())


def _loss(name, input_shape, target, **kwargs):
    """A loss call: ``target`` is (shape, dtype name) or a list of class indices."""

    def run(lib):
        x = lib.ones(*input_shape, dtype=lib.float64, requires_grad=True)
        if isinstance(target, list):
            t = lib.tensor(target)
        else:
            shape, dtype = target
            t = lib.ones(*shape, dtype=getattr(lib, dtype))
        getattr(lib.nn.functional, name)(x, t, **kwargs)

    return run


def _loss_module(name, input_shape, target_shape):
    def run(lib):
        x = lib.ones(*input_shape, dtype=lib.float64, requires_grad=True)
        getattr(lib.nn, name)()(x, lib.ones(*target_shape, dtype=lib.float64))

    return run


def _anomaly_nan(lib):
    x = lib.tensor([-1.0, 4.0], dtype=lib.float64, requires_grad=True)
    with lib.autograd.detect_anomaly():
        lib.sqrt(x).sum().backward()


def _anomaly_zero_times_inf(lib):
    x = lib.tensor([0.0, 4.0], dtype=lib.float64, requires_grad=True)
    with lib.autograd.detect_anomaly():
        (lib.sqrt(x) * 0).sum().backward()


BROADCAST = ("must match", "[2, 3]", "[4]", "broadcast")

CASES = [
    # ------------------------------------------------------------------ autograd
    Misuse("backward twice", _backward_twice, ("second time", "retain_graph=True")),
    Misuse(
        "backward non-scalar",
        lambda lib: (leaf(lib, 3) * 2).backward(),
        ("scalar outputs", "[3]", "gradient="),
    ),
    Misuse(
        "backward without grad_fn",
        lambda lib: lib.ones(3).sum().backward(),
        ("does not require grad", "requires_grad=True"),
    ),
    Misuse(
        "backward gradient of wrong shape",
        lambda lib: (leaf(lib, 3) * 2).backward(lib.ones(4, dtype=lib.float64)),
        ("grad_output[0]", "[4]", "[3]"),
    ),
    Misuse(
        "in-place on a leaf requiring grad",
        lambda lib: leaf(lib, 3).add_(1),
        ("leaf variable", "in-place", "no_grad"),
    ),
    Misuse(
        "setitem on a leaf requiring grad",
        lambda lib: leaf(lib, 3).__setitem__(0, 5.0),
        ("leaf variable", "in-place", "no_grad"),
    ),
    Misuse(
        "saved input modified in place",
        _modified_input,
        ("modified by an inplace operation", "mulbackward0", "version 1", "out of place"),
    ),
    Misuse(
        "saved output modified in place",
        _modified_output,
        ("modified by an inplace operation", "expbackward0", "[3]", "clone()"),
    ),
    Misuse(
        "assigning .grad of the wrong shape",
        lambda lib: setattr(leaf(lib, 3), "grad", lib.ones(4, dtype=lib.float64)),
        ("grad", "[4]", "[3]"),
    ),
    Misuse(
        "requires_grad on an int tensor",
        lambda lib: lib.ones(3, dtype=lib.int64).requires_grad_(),
        ("floating point", "torch.int64", ".float()"),
    ),
    Misuse(
        "tensor(int data, requires_grad=True)",
        lambda lib: lib.tensor([1, 2], requires_grad=True),
        ("floating point", "torch.int64", ".float()"),
    ),
    Misuse(
        "requires_grad_(False) on a non-leaf",
        lambda lib: (leaf(lib, 3) * 2).requires_grad_(False),
        ("leaf variables", "detach()"),
    ),
    Misuse(
        "autograd.grad of an input that does not require grad",
        lambda lib: lib.autograd.grad((leaf(lib, 3) * lib.ones(3)).sum(), [lib.ones(3)]),
        ("does not require grad", "requires_grad=True"),
    ),
    Misuse(
        "autograd.grad of an unused input",
        lambda lib: lib.autograd.grad((leaf(lib, 3) * 2).sum(), [leaf(lib, 3)]),
        ("not have been used", "allow_unused=True"),
    ),
    Misuse(
        "deepcopy of a non-leaf",
        lambda lib: copy.deepcopy(leaf(lib, 3) * 2),
        ("graph leaves", "deepcopy"),
    ),
    Misuse(
        "NaN gradient under detect_anomaly",
        _anomaly_nan,
        ("sqrtbackward0", "nan"),
        needs="autograd.detect_anomaly",
    ),
    Misuse(
        "0 * inf gradient under detect_anomaly",
        _anomaly_zero_times_inf,
        ("sqrtbackward0", "nan", "0th output"),
        needs="autograd.detect_anomaly",
    ),
    # ------------------------------------------------------------------ conversions
    Misuse(
        ".numpy() on a tensor requiring grad",
        lambda lib: leaf(lib, 3).numpy(),
        ("numpy()", "requires grad", "detach().numpy()"),
    ),
    Misuse(
        "item() on a multi-element tensor",
        lambda lib: leaf(lib, 3).item(),
        ("3 elements", "scalar", "[3]", "t[0].item()"),
    ),
    Misuse(
        "bool() of a multi-element tensor",
        lambda lib: bool(leaf(lib, 3)),
        ("ambiguous", "[3]", ".any()"),
    ),
    Misuse("len() of a 0-d tensor", lambda lib: len(lib.tensor(1.0)), ("len()", "0-d")),
    # ------------------------------------------------------------------ binary ops
    *(
        Misuse(f"shape mismatch in {op}", _binary(op), (op, *BROADCAST))
        for op in ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder")
    ),
    *(
        Misuse(f"shape mismatch in {op}", _binary(op), BROADCAST)
        for op in ("eq", "ne", "lt", "le", "gt", "ge", "floor_divide")
    ),
    *(
        Misuse(f"shape mismatch in a {symbol} b", _operator(symbol), BROADCAST)
        for symbol in OPERATORS
    ),
    Misuse(
        "shape mismatch in where",
        lambda lib: lib.where(lib.ones(2, 3) > 0, leaf(lib, 2, 3), leaf(lib, 4)),
        ("where", "[2, 3]", "[4]", "broadcast"),
    ),
    Misuse(
        "shape mismatch in lerp",
        lambda lib: lib.lerp(leaf(lib, 3), leaf(lib, 4), 0.5),
        ("must match", "[3]", "[4]", "broadcast"),
    ),
    Misuse(
        "in-place op that would broadcast self",
        lambda lib: lib.ones(3).add_(lib.ones(2, 3)),
        ("[3]", "[2, 3]", "in-place"),
    ),
    Misuse(
        "masked_fill_ with a mask larger than the tensor",
        lambda lib: lib.ones(3).masked_fill_(lib.ones(2, 3, dtype=lib.bool), 0.0),
        ("[3]", "[2, 3]", "in-place"),
    ),
    Misuse(
        "in-place update of an expanded tensor",
        lambda lib: lib.ones(3).expand(2, 3).mul_(2.0),
        ("single memory location", "[2, 3]", "clone()"),
    ),
    Misuse(
        "in-place float result into an int tensor",
        lambda lib: lib.ones(3, dtype=lib.int64).add_(1.5),
        ("can't be cast", "torch.int64", ".float()"),
    ),
    # ------------------------------------------------------------------ matrix products
    Misuse(
        "matmul 2-D shape mismatch",
        lambda lib: leaf(lib, 2, 3) @ leaf(lib, 4, 5),
        ("matmul", "2x3 and 4x5", "transpose"),
    ),
    Misuse(
        "matmul 1-D length mismatch",
        lambda lib: lib.matmul(leaf(lib, 3), leaf(lib, 4)),
        ("[3]", "[4]", "same number of elements"),
    ),
    Misuse(
        "matmul dtype mismatch",
        lambda lib: lib.ones(2, 3) @ lib.ones(3, 2, dtype=lib.float64),
        ("same dtype", "torch.float32", "torch.float64", ".to("),
    ),
    Misuse(
        "mm shape mismatch",
        lambda lib: lib.mm(leaf(lib, 2, 3), leaf(lib, 4, 5)),
        ("mm", "2x3 and 4x5", "transpose"),
    ),
    Misuse(
        "mm of a 1-D tensor",
        lambda lib: lib.mm(leaf(lib, 3), leaf(lib, 3, 5)),
        ("mm", "2-d", "[3]", "matmul"),
    ),
    Misuse(
        "bmm matrix mismatch",
        lambda lib: lib.bmm(leaf(lib, 2, 3, 4), leaf(lib, 2, 5, 6)),
        ("batch2", "[2, 4]", "[2, 5]"),
    ),
    Misuse(
        "bmm batch mismatch",
        lambda lib: lib.bmm(leaf(lib, 2, 3, 4), leaf(lib, 3, 4, 6)),
        ("batch2", "[2, 4]", "[3, 4]"),
    ),
    Misuse(
        "addmm shape mismatch",
        lambda lib: lib.addmm(leaf(lib, 2, 5), leaf(lib, 2, 3), leaf(lib, 4, 5)),
        ("addmm", "2x3 and 4x5", "transpose"),
    ),
    Misuse(
        "F.linear in_features mismatch",
        lambda lib: lib.nn.functional.linear(leaf(lib, 2, 5), leaf(lib, 4, 3)),
        ("2x5 and 3x4", "in_features", "[2, 5]", "[4, 3]"),
    ),
    Misuse(
        "nn.Linear in_features mismatch",
        lambda lib: lib.nn.Linear(3, 4)(lib.ones(2, 5)),
        ("2x5 and 3x4", "in_features", "[2, 5]"),
    ),
    Misuse(
        "nn.Linear on an int input",
        lambda lib: lib.nn.Linear(3, 4)(lib.ones(2, 3, dtype=lib.int64)),
        ("same dtype", "torch.int64", "torch.float32", ".to("),
    ),
    # ------------------------------------------------------------------ losses
    Misuse(
        "mse_loss shape mismatch",
        _loss("mse_loss", (3,), ((4,), "float64")),
        ("mse", "[3]", "[4]", "broadcast"),
    ),
    Misuse(
        "MSELoss shape mismatch",
        _loss_module("MSELoss", (2, 3), (2, 4)),
        ("mse", "[2, 3]", "[2, 4]", "broadcast"),
    ),
    Misuse(
        "l1_loss shape mismatch",
        _loss("l1_loss", (3,), ((4,), "float64")),
        ("[3]", "[4]", "broadcast"),
        needs="nn.functional.l1_loss",
    ),
    Misuse(
        "smooth_l1_loss shape mismatch",
        _loss("smooth_l1_loss", (3,), ((4,), "float64")),
        ("[3]", "[4]", "broadcast"),
        needs="nn.functional.smooth_l1_loss",
    ),
    Misuse(
        "huber_loss shape mismatch",
        _loss("huber_loss", (3,), ((4,), "float64")),
        ("[3]", "[4]", "broadcast"),
        needs="nn.functional.huber_loss",
    ),
    Misuse(
        "binary_cross_entropy shape mismatch",
        _loss("binary_cross_entropy", (3,), ((4,), "float64")),
        ("target size", "[4]", "[3]"),
        needs="nn.functional.binary_cross_entropy",
    ),
    Misuse(
        "binary_cross_entropy_with_logits shape mismatch",
        _loss("binary_cross_entropy_with_logits", (3,), ((4,), "float64")),
        ("target size", "[4]", "[3]"),
        needs="nn.functional.binary_cross_entropy_with_logits",
    ),
    Misuse(
        "cross_entropy batch mismatch",
        _loss("cross_entropy", (4, 3), [0, 1, 2, 0, 1]),
        ("batch_size", "(4)", "(5)"),
        needs="nn.functional.cross_entropy",
    ),
    Misuse(
        "nll_loss batch mismatch",
        _loss("nll_loss", (4, 3), [0, 1, 2, 0, 1]),
        ("batch_size", "(4)", "(5)"),
        needs="nn.functional.nll_loss",
    ),
    Misuse(
        "cross_entropy with float class indices",
        _loss("cross_entropy", (4, 3), ((4,), "float64")),
        ("long", "double", ".long()"),
        needs="nn.functional.cross_entropy",
    ),
    Misuse(
        "nll_loss with float class indices",
        _loss("nll_loss", (4, 3), ((4,), "float64")),
        ("long", "double", "target.long()"),
        needs="nn.functional.nll_loss",
    ),
    Misuse(
        "cross_entropy class index out of range",
        _loss("cross_entropy", (2, 3), [0, 5]),
        ("target 5", "out of bounds", "3"),
        needs="nn.functional.cross_entropy",
    ),
    Misuse(
        "nll_loss negative class index",
        _loss("nll_loss", (2, 3), [0, -2]),
        ("target -2", "out of bounds", "3"),
        needs="nn.functional.nll_loss",
    ),
    Misuse(
        "kl_div shape mismatch",
        _loss("kl_div", (3,), ((4,), "float64"), reduction="batchmean"),
        ("[3]", "[4]", "broadcast"),
        needs="nn.functional.kl_div",
    ),
    Misuse(
        "binary_cross_entropy input outside [0, 1]",
        lambda lib: lib.nn.functional.binary_cross_entropy(
            lib.tensor([0.5, 1.5], dtype=lib.float64), lib.ones(2, dtype=lib.float64)
        ),
        ("between 0 and 1", "probabilities", "binary_cross_entropy_with_logits"),
        needs="nn.functional.binary_cross_entropy",
    ),
    Misuse(
        "cross_entropy with a 2-D class-index target",
        _loss("cross_entropy", (4, 3), ((4, 2), "int64")),
        ("1d target", "[4, 2]"),
        needs="nn.functional.cross_entropy",
    ),
    Misuse(
        "cross_entropy class weight of the wrong length",
        lambda lib: lib.nn.functional.cross_entropy(
            lib.ones(4, 3), lib.tensor([0, 1, 2, 0]), weight=lib.ones(4)
        ),
        ("weight", "3 classes", "[4]"),
        needs="nn.functional.cross_entropy",
    ),
    *(
        Misuse(
            f"{name} shape mismatch",
            _loss_module(name, (2, 3), (2, 4)),
            ("[2, 3]", "[2, 4]"),
            needs=f"nn.{name}",
        )
        for name in ("L1Loss", "SmoothL1Loss", "HuberLoss", "BCEWithLogitsLoss", "BCELoss")
    ),
    # ------------------------------------------------------------------ shapes and indexing
    Misuse(
        "view to a different number of elements",
        lambda lib: leaf(lib, 2, 3).view(4),
        ("'[4]'", "size 6", "[2, 3]"),
    ),
    Misuse(
        "view of a non-contiguous tensor",
        lambda lib: leaf(lib, 2, 3).t().view(6),
        ("view size", "stride", ".reshape("),
    ),
    Misuse(
        "reshape to a different number of elements",
        lambda lib: leaf(lib, 2, 3).reshape(4, -1),
        ("'[4, -1]'", "size 6", "[2, 3]"),
    ),
    Misuse(
        "integer index out of range",
        lambda lib: leaf(lib, 3)[5],
        ("index 5", "dimension 0", "size 3"),
    ),
    Misuse(
        "index out of range in dim 1",
        lambda lib: leaf(lib, 2, 3)[:, 7],
        ("index 7", "dimension 1", "size 3"),
    ),
    Misuse(
        "tensor index out of range",
        lambda lib: leaf(lib, 3)[lib.tensor([0, 5])],
        ("index 5", "dimension 0", "size 3"),
    ),
    Misuse(
        "too many indices",
        lambda lib: leaf(lib, 3)[0, 0],
        ("too many indices", "dimension 1"),
    ),
    Misuse(
        "gather index out of range",
        lambda lib: lib.gather(leaf(lib, 3), 0, lib.tensor([5])),
        ("index 5", "dimension 0", "size 3"),
    ),
    Misuse(
        "gather negative index",
        lambda lib: lib.gather(leaf(lib, 3), 0, lib.tensor([-1])),
        ("index -1", "dimension 0", "size 3"),
    ),
    Misuse(
        "index_select out of range",
        lambda lib: lib.index_select(leaf(lib, 3), 0, lib.tensor([5])),
        ("index 5", "size 3"),
    ),
    Misuse(
        "dim out of range in a reduction",
        lambda lib: leaf(lib, 2, 3).sum(dim=2),
        ("dimension out of range", "[-2, 1]", "got 2"),
    ),
    Misuse(
        "dim out of range in unsqueeze",
        lambda lib: leaf(lib, 2, 3).unsqueeze(4),
        ("dimension out of range", "[-3, 2]", "got 4"),
    ),
    Misuse(
        "dim out of range in softmax",
        lambda lib: lib.softmax(leaf(lib, 2, 3), dim=3),
        ("dimension out of range", "got 3"),
    ),
    Misuse(
        "permute with a repeated dim",
        lambda lib: leaf(lib, 2, 3).permute(0, 0),
        ("permute", "duplicate dims", "[2, 3]"),
    ),
    Misuse(
        "expand to an incompatible size",
        lambda lib: leaf(lib, 2, 3).expand(4, 3),
        ("expanded size", "[4, 3]", "[2, 3]"),
    ),
    Misuse(
        "cat with mismatched shapes",
        lambda lib: lib.cat([leaf(lib, 2, 3), leaf(lib, 2, 4)]),
        ("sizes of tensors must match", "dimension 0", "size 3", "size 4", "tensor number 1"),
    ),
    Misuse(
        "cat with different ranks",
        lambda lib: lib.cat([leaf(lib, 2, 3), leaf(lib, 3)]),
        ("same number of dimensions", "got 2 and 1"),
    ),
    Misuse("cat of an empty list", lambda lib: lib.cat([]), ("cat", "non-empty")),
    Misuse("stack of an empty list", lambda lib: lib.stack([]), ("stack", "non-empty")),
    Misuse(
        "stack with mismatched shapes",
        lambda lib: lib.stack([leaf(lib, 2, 3), leaf(lib, 3, 2)]),
        ("equal size", "[2, 3]", "[3, 2]", "entry 1"),
    ),
    # ------------------------------------------------------------------ optimizers
    Misuse(
        "optimizer given a non-leaf",
        lambda lib: lib.optim.SGD([leaf(lib, 3) * 2], lr=0.1),
        ("non-leaf", "detach()"),
    ),
    Misuse(
        "optimizer given a tensor instead of a list",
        lambda lib: lib.optim.SGD(leaf(lib, 3), lr=0.1),
        ("iterable of tensors", "[w]"),
    ),
    Misuse(
        "parameter in two groups",
        lambda lib: (
            lib.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
            if (p := leaf(lib, 3)) is not None
            else None
        ),
        ("more than one parameter group",),
    ),
    Misuse(
        "negative learning rate",
        lambda lib: lib.optim.SGD([leaf(lib, 3)], lr=-1.0),
        ("learning rate", "-1.0"),
    ),
    # ------------------------------------------------------------------ state dicts
    Misuse(
        "load_state_dict with a missing key",
        lambda lib: _load_state(lib, _drop_bias),
        ("missing key(s)", '"bias"', "linear"),
    ),
    Misuse(
        "load_state_dict with an unexpected key",
        lambda lib: _load_state(lib, _add_extra),
        ("unexpected key(s)", '"extra"', "linear"),
    ),
    Misuse(
        "load_state_dict with wrong shapes",
        lambda lib: _load_state(lib, _wrong_shapes),
        ("size mismatch for weight", "[5, 3]", "[4, 3]"),
    ),
]


def _has(lib, dotted: str) -> bool:
    obj = lib
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            return False
    return True


def _raised(run, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            run(lib)
        except Exception as exc:  # the oracle: whatever PyTorch raises
            return exc
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_misuse_raises_like_torch_and_explains(case: Misuse) -> None:
    if case.needs and not _has(glassgrad, case.needs):
        pytest.skip(f"glassgrad.{case.needs} does not exist yet")
    expected = _raised(case.run, torch)
    assert expected is not None, f"PyTorch accepts '{case.name}': not a misuse"
    got = _raised(case.run, glassgrad)
    assert got is not None, f"glassgrad silently accepted '{case.name}' ({expected!r} in torch)"
    assert type(got) is type(expected), f"{case.name}: torch raises {expected!r}, got {got!r}"
    message = str(got).lower()
    missing = [n for n in case.needles if n.lower() not in message]
    assert not missing, f"{case.name}: message lacks {missing}: {got}"


def test_duplicate_parameter_warns_like_torch() -> None:
    for lib in (torch, glassgrad):
        p = leaf(lib, 3)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            lib.optim.SGD([p, p], lr=0.1)


OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]


def _snapshot(opt, params) -> list:
    state = [
        {k: v.clone() if isinstance(v, glassgrad.Tensor) else v for k, v in opt.state[p].items()}
        for p in params
    ]
    return [p.detach().clone() for p in params], state


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_failed_step_updates_no_parameter(name: str) -> None:
    """A bad gradient on one parameter must not leave the others stepped (PyTorch does)."""
    params = [glassgrad.ones(3, requires_grad=True) for _ in range(3)]
    kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    opt = getattr(glassgrad.optim, name)(params, lr=0.1, **kwargs)
    for p in params:
        p.grad = glassgrad.full((3,), 0.5)
    opt.step()
    values, state = _snapshot(opt, params)
    params[1].grad.data = glassgrad.ones(5)  # bypasses the .grad setter's shape check
    with pytest.raises(RuntimeError, match=r"parameter 1 of group 0 .*\[3\].*\[5\]"):
        opt.step()
    new_values, new_state = _snapshot(opt, params)
    for old, new in zip(values, new_values):
        assert glassgrad.equal(old, new)
    for old, new in zip(state, new_state):
        assert old.keys() == new.keys()
        for key in old:
            same = old[key] == new[key]
            assert same.all() if isinstance(same, glassgrad.Tensor) else same, key


def test_failed_step_in_a_later_group_leaves_earlier_groups_alone() -> None:
    a, b = glassgrad.ones(2, requires_grad=True), glassgrad.ones(2, requires_grad=True)
    opt = glassgrad.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad = glassgrad.ones(2)
    b.grad = glassgrad.ones(2)
    b.grad.data = glassgrad.ones(2, dtype=glassgrad.int64)
    with pytest.raises(RuntimeError, match="group 1 .*torch.int64"):
        opt.step()
    assert a.tolist() == [1.0, 1.0]


def test_failed_backward_leaves_grads_untouched() -> None:
    """A backward that fails on a modified saved tensor does not half-fill ``.grad``."""
    for lib in (torch, glassgrad):
        w = leaf(lib, 3)
        w.grad = lib.ones(3, dtype=lib.float64)
        y = w.exp()
        loss = (y * 2).sum() + (w * 3).sum()
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
        assert w.grad.tolist() == [1.0, 1.0, 1.0], lib.__name__


def test_nan_input_with_finite_gradient_passes_detect_anomaly_like_torch() -> None:
    for lib in (torch, glassgrad):
        x = lib.tensor([float("nan"), 4.0], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Anomaly Detection has been enabled"
            with lib.autograd.detect_anomaly():
                (x * 2).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
