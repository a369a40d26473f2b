"""glassgrad.compile: a compiled step computes exactly what the eager step computes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import glassgrad as torch

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _sgd_lesson(compiled: bool, steps: int = 6, **opt):
    X = torch.tensor([1, 2, 3, 4], dtype=torch.float32)
    Y = torch.tensor([2, 4, 6, 8], dtype=torch.float32)
    w = torch.tensor(0.0, dtype=torch.float32, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.01, **opt)

    def step(x, y):
        loss = ((w * x - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss

    if compiled:
        step = torch.compile(step)
    losses = [step(X, Y).item() for _ in range(steps)]
    return losses, w.detach().clone(), step


@pytest.mark.parametrize("opt", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}])
def test_seed_lesson_step_is_bit_exact(opt):
    eager, w_eager, _ = _sgd_lesson(False, **opt)
    compiled, w_compiled, step = _sgd_lesson(True, **opt)
    assert compiled == eager
    assert w_compiled.item() == w_eager.item()
    assert step.replays == 5 and step.eager_reason is None
    assert "d_w = d_mul * x" in step.code and "sum_to(d_w, ())" in step.code


def _mlp(compiled: bool, mode=None, steps=4, optimizer="adam", batch=8, eval_at=None):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    opt_cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    opt = opt_cls(model.parameters(), lr=1e-2)
    gen = np.random.default_rng(1)
    data = [
        (
            torch.tensor(gen.standard_normal((batch, 5)).astype(np.float32)),
            torch.tensor(gen.integers(0, 3, batch)),
        )
        for _ in range(steps)
    ]

    def step(x, labels):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        return loss

    if compiled:
        step = torch.compile(step, mode=mode)
    losses = [step(x, y).item() for x, y in data]
    return losses, [p.detach().clone() for p in model.parameters()], step, (model, opt, data)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_mlp_step_is_bit_exact(optimizer):
    eager, pe, _, _ = _mlp(False, optimizer=optimizer)
    compiled, pc, step, _ = _mlp(True, optimizer=optimizer)
    assert step.eager_reason is None, step.eager_reason
    assert step.replays >= 2
    assert compiled == eager
    for a, b in zip(pe, pc):
        assert np.array_equal(a.numpy(), b.numpy())


def test_a_step_that_starts_with_zero_grad_is_captured_once():
    """``zero_grad()`` first: whether the parameters had a ``.grad`` before changes nothing,
    so no guard asks it (the first call, before any ``.grad``, fits every later one)."""
    _, _, step, _ = _mlp(True)
    assert len(step.variants) == 1 and step.replays == 3
    assert "._grad is" not in step.code


def test_fast_mode_is_close():
    eager, pe, _, _ = _mlp(False)
    fast, pf, step, _ = _mlp(True, mode="fast")
    assert step.eager_reason is None
    assert "kernels.set_exact(False)" in step.code  # the plain twins while the step runs,
    assert torch.is_exact()  # and PyTorch's rounding again after it
    np.testing.assert_allclose(fast, eager, rtol=1e-6)
    for a, b in zip(pe, pf):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)


def _compare(make_step, calls):
    """Run the same sequence of calls (each may first change state) eagerly and compiled."""
    results = []
    for compiled in (False, True):
        state = make_step()
        step = torch.compile(state["step"]) if compiled else state["step"]
        out = []
        for change in calls:
            if change is not None:
                change(state)
            r = step(*state["args"])
            out.append(r.item())
            out += [p.detach().clone().numpy().tolist() for p in state["model"].parameters()]
        results.append(out)
    assert results[0] == results[1]
    return step


def _linear_state(batch=4, adam=False):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(0.0), torch.nn.Linear(4, 1))
    if adam:
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    x = torch.linspace(-1, 1, batch * 3).reshape(batch, 3)
    y = torch.linspace(0, 1, batch).reshape(batch, 1)

    def step(x, y):
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    return {"model": model, "opt": opt, "step": step, "args": [x, y]}


def _set_lr(state):
    state["opt"].param_groups[0]["lr"] = 0.2


def _eval(state):
    state["model"].eval()


def _new_batch(state):
    state["args"] = [torch.ones(6, 3), torch.zeros(6, 1)]


def _load_state(state):
    other = _linear_state()
    state["model"].load_state_dict(other["model"].state_dict())
    state["opt"].load_state_dict(other["opt"].state_dict())


def _requires_grad(state):
    state["args"][0].requires_grad_(True)


@pytest.mark.parametrize("change", [_set_lr, _eval, _new_batch, _load_state, _requires_grad])
def test_guarded_changes_equal_eager(change):
    _compare(_linear_state, [None, None, None, change, None, None])


def _new_exp_avg(state):
    opt = state["opt"]
    first = opt.state[opt.param_groups[0]["params"][0]]
    first["exp_avg"] = first["exp_avg"] * 0.5  # a new tensor, other values


def _set_option(key, value):
    def change(state):
        state["opt"].param_groups[0][key] = value

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set_lr,
        _new_exp_avg,
        _set_option("betas", (0.3, 0.5)),
        _set_option("weight_decay", 0.1),
        _set_option("amsgrad", True),
        _set_option("maximize", True),
    ],
)
def test_adam_written_out_and_guarded_changes_equal_eager(change):
    step = _compare(lambda: _linear_state(adam=True), [None, None, None, change, None, None])
    assert "adam_update(None, adam_grad, adam_state, adam_scratch, adam)" in step.variants[0]


def test_new_batch_size_recaptures_with_the_failed_guard_named():
    state = _linear_state()
    step = torch.compile(state["step"])
    step(*state["args"])
    step(*state["args"])
    step(torch.ones(6, 3), torch.zeros(6, 1))
    assert len(step.variants) == 2
    assert "x.shape == (4, 3)" in step.variants[0]


def test_a_replay_of_the_newer_variant_does_not_name_the_older_ones_miss(monkeypatch):
    state = _linear_state()
    step = torch.compile(state["step"])
    batches = [(torch.ones(6, 3), torch.zeros(6, 1)), state["args"]]
    for args in batches:
        step(*args)
    assert len(step._variants) == 2

    def named(self, args):
        raise AssertionError("a replay evaluated the guards one by one to name a miss")

    monkeypatch.setattr(type(step._variants[0]._failed), "__call__", named)
    for args in batches + batches:  # each call: the variant that ran last, or the other one
        step(*args)
    assert step.replays == 4


def test_too_many_variants_fall_back_to_eager_with_one_warning():
    w = torch.tensor(1.0, requires_grad=True)

    @torch.compile
    def f(x):
        return (w * x).sum().detach()

    with pytest.warns(UserWarning, match="x.shape"):
        for n in range(1, 12):
            f(torch.ones(n))
    assert f.eager_reason is not None


@pytest.mark.parametrize(
    "body",
    [
        lambda loss: loss.item(),
        lambda loss: bool(loss > 0),
        lambda loss: float(loss),
        lambda loss: print(loss),
        lambda loss: loss.detach().numpy(),
        lambda loss: loss.tolist(),
    ],
)
def test_graph_breaks_run_eagerly_and_equal_eager(body, capsys):
    def make():
        w = torch.tensor(0.5, requires_grad=True)

        def step(x):
            loss = (w * x).square().mean()
            body(loss)
            loss.backward()
            with torch.no_grad():
                w.sub_(0.1 * w.grad)
            w.grad = None
            return loss

        return w, step

    w1, eager = make()
    w2, compiled = make()
    compiled = torch.compile(compiled)
    x = torch.tensor([1.0, 2.0])
    for _ in range(3):
        assert eager(x).item() == compiled(x).item()
    assert w1.item() == w2.item()
    assert compiled.eager_reason.startswith("graph break")


def test_fullgraph_names_the_line():
    w = torch.tensor(0.5, requires_grad=True)

    def step(x):
        loss = (w * x).sum()
        if loss.item() > 0:  # the break
            loss = loss * 2
        return loss.detach()

    compiled = torch.compile(step, fullgraph=True)
    with pytest.raises(torch._compile.GraphBreakError, match=r"test_compile.py:\d+"):
        compiled(torch.ones(2))


def test_manual_update_in_no_grad_is_replayed():
    def make():
        params = [torch.tensor([0.0, 1.0], requires_grad=True)]
        w = params[0]
        X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
        Y = torch.tensor([1.0, 2.0])

        def step(x, y):
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            p = params[0]
            with torch.no_grad():
                p -= 0.01 * p.grad
            p.grad.zero_()
            return loss

        return w, X, Y, step

    w1, X, Y, eager = make()
    w2, _, _, compiled = make()
    compiled = torch.compile(compiled)
    for _ in range(4):
        assert eager(X, Y).item() == compiled(X, Y).item()
        assert np.array_equal(w1.detach().numpy(), w2.detach().numpy())
    assert compiled.eager_reason is None and compiled.replays == 2


def test_random_numbers_keep_the_step_eager():
    @torch.compile
    def f(x):
        return (x + torch.randn(3)).sum()

    torch.manual_seed(0)
    a = [f(torch.ones(3)).item() for _ in range(3)]
    torch.manual_seed(0)
    b = [(torch.ones(3) + torch.randn(3)).sum().item() for _ in range(3)]
    assert a == b
    assert "random" in f.eager_reason


def test_decorator_with_arguments_and_disable(monkeypatch):
    @torch.compile(mode="default", fullgraph=False)
    def f(x):
        return x * 2

    assert f(torch.ones(2)).tolist() == [2.0, 2.0]
    assert "mul = x * 2" in f.code
    g = torch.compile(lambda x: x + 1, disable=True)
    assert g(torch.ones(1)).item() == 2.0 and g.calls == 1 and g.replays == 0
    with pytest.warns(UserWarning, match="backend"):
        torch.compile(lambda x: x, backend="made-up")
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        torch.compile(lambda x: x, mode="quick")
    monkeypatch.setenv("GLASSGRAD_COMPILE", "0")
    h = torch.compile(lambda x: x * 3)
    h(torch.ones(1))
    h(torch.ones(1))
    assert h.replays == 0


def test_code_names_parameters_and_arguments():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    @torch.compile
    def train_step(inputs, targets):
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    train_step(torch.ones(3, 2), torch.zeros(3, 1))
    code = train_step.code
    assert "def step(inputs_t, targets_t)" in code
    assert "weight" in code and "bias" in code and "opt.step()" in code


@pytest.mark.parametrize("name", ["W1", "W2", "W3", "W4", "W5"])
def test_bench_workloads_equal_eager(name):
    sys.path.insert(0, str(BENCH))
    try:
        from workloads import WORKLOADS
    finally:
        sys.path.remove(str(BENCH))
    workload = WORKLOADS[name]
    if workload.compiled_make() is None:
        pytest.skip("no compiled form")
    data = workload.data()
    eager = workload.make(torch, data)(3)
    compiled = workload.compiled_make()(torch, data)(3)
    assert compiled == eager
    fast = workload.compiled_make("fast")(torch, data)(3)
    assert torch.is_exact()
    assert fast == pytest.approx(eager, rel=1e-6)


def test_values_computed_in_the_step_are_never_baked_in():
    """0-d math gives NumPy scalars: they must stay values of the step, not constants."""

    def make():
        a = torch.tensor(2.0, requires_grad=True)
        b = torch.tensor(-3.0, requires_grad=True)

        def step(c):
            out = ((a * b + c).relu() ** 2).sum()
            out.backward()
            with torch.no_grad():
                a.sub_(0.01 * a.grad)
                b.sub_(0.01 * b.grad)
            a.grad = None
            b.grad = None
            return out

        return a, b, step

    results = []
    for compiled in (False, True):
        a, b, step = make()
        step = torch.compile(step) if compiled else step
        outs = [step(torch.tensor(float(c))).item() for c in (10.0, 11.0, 9.5, 12.0)]
        results.append((outs, a.item(), b.item(), a.grad, b.grad))
        if compiled:
            assert step.replays == 3 and step.eager_reason is None
    assert results[0] == results[1]


def test_two_backwards_accumulate_into_grad():
    def make():
        w = torch.tensor([1.0, -2.0], requires_grad=True)

        def step(x):
            (w * x).sum().backward()
            (w * w).sum().backward()
            with torch.no_grad():
                w.sub_(0.1 * w.grad)
            w.grad = None

        return w, step

    w1, eager = make()
    w2, compiled = make()
    compiled = torch.compile(compiled)
    for k in range(4):
        x = torch.tensor([float(k), 1.5])
        eager(x)
        compiled(x)
        assert w1.tolist() == w2.tolist()
    assert compiled.replays == 3
    assert "np.add(" in compiled.code


def test_batch_norm_running_stats_keep_the_step_eager():
    """Running statistics change in place outside the ops: the step must stay eager."""

    def make():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)

        def step(x):
            loss = model(x).square().mean()
            loss.backward()
            opt.step()
            opt.zero_grad()
            return loss

        return model, step

    (m1, eager), (m2, compiled) = make(), make()
    compiled = torch.compile(compiled)
    for k in range(3):
        x = torch.linspace(-1, 1 + k, 12).reshape(4, 3)
        assert eager(x).item() == compiled(x).item()
    assert m1[1].running_mean.tolist() == m2[1].running_mean.tolist()
    assert compiled.eager_reason is not None


def test_one_hot_of_an_argument_is_not_baked_in():
    def make():
        w = torch.ones(3, 3, requires_grad=True)

        def step(labels):
            target = torch.nn.functional.one_hot(labels, 3).float()
            loss = ((w - target) ** 2).sum()
            loss.backward()
            with torch.no_grad():
                w.sub_(0.1 * w.grad)
            w.grad = None
            return loss

        return w, step

    (w1, eager), (w2, compiled) = make(), make()
    compiled = torch.compile(compiled)
    for labels in ([0, 1, 2], [2, 2, 0], [1, 0, 1]):
        assert eager(torch.tensor(labels)).item() == compiled(torch.tensor(labels)).item()
    assert w1.tolist() == w2.tolist()


def test_a_buffer_created_and_updated_in_the_step():
    def make():
        w = torch.tensor([1.0, 2.0], requires_grad=True)

        def step(x):
            acc = torch.zeros(2)
            acc += x
            loss = (w * acc).sum()
            loss.backward()
            with torch.no_grad():
                w.sub_(0.5 * w.grad)
            w.grad = None
            return loss

        return w, step

    (w1, eager), (w2, compiled) = make(), make()
    compiled = torch.compile(compiled)
    for k in range(3):
        x = torch.tensor([1.0, float(k)])
        assert eager(x).item() == compiled(x).item()
    assert w1.tolist() == w2.tolist()


RESULT = None


def test_assigning_a_global_keeps_the_step_eager():
    w = torch.tensor(2.0, requires_grad=True)

    @torch.compile
    def step(x):
        global RESULT
        RESULT = (w * x).sum()
        return RESULT.detach()

    for k in range(3):
        step(torch.tensor([float(k)]))
        assert RESULT.item() == 2.0 * k
    assert "assigns the variable RESULT" in step.eager_reason


@pytest.mark.parametrize("effect", ["append", "attribute", "item_store"])
def test_python_side_effects_keep_the_step_eager(effect):
    history: list = []
    box = type("Box", (), {})()
    table: dict = {}
    w = torch.tensor(1.0, requires_grad=True)

    def step(x):
        loss = (w * x).sum()
        if effect == "append":
            history.append(loss.detach())
        elif effect == "attribute":
            box.last = loss.detach()
        else:
            table["last"] = loss.detach()
        return loss.detach()

    compiled = torch.compile(step)
    for k in range(3):
        compiled(torch.tensor([float(k)]))
    assert compiled.eager_reason.startswith("a Python side effect")
    if effect == "append":
        assert [t.item() for t in history] == [0.0, 1.0, 2.0]


def test_a_step_of_numpy_code_only_stays_eager():
    import numpy

    state = {"w": numpy.zeros(1)}

    @torch.compile
    def step():
        return state["w"] + 1.0

    assert step()[0] == 1.0
    assert "returns a ndarray" in step.eager_reason or "nothing to compile" in step.eager_reason


def _scheduled(compiled: bool, inside: bool, optimizer: str):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    cls = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    opt = cls(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    x = torch.linspace(-1, 1, 6).reshape(2, 3)

    def step(x):
        loss = model(x).square().mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        if inside:
            sched.step()
        return loss

    fn = torch.compile(step) if compiled else step
    out = []
    for _ in range(6):
        out.append(fn(x).item())
        if not inside:
            sched.step()
    if compiled:
        assert (fn.eager_reason is not None) == inside, fn.eager_reason
    return out, model.weight.tolist(), opt.param_groups[0]["lr"]


@pytest.mark.parametrize("inside", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_lr_scheduler_with_a_compiled_step(inside, optimizer):
    eager = _scheduled(False, inside, optimizer)
    assert _scheduled(True, inside, optimizer) == eager


def test_model_eval_inside_the_step_keeps_it_eager():
    model = torch.nn.Linear(2, 1)

    @torch.compile
    def evaluate(x):
        model.eval()
        with torch.no_grad():
            out = model(x)
        model.train()
        return out

    for _ in range(3):
        evaluate(torch.ones(1, 2))
        assert model.training
    assert "train()" in evaluate.eager_reason


def test_compiled_module_for_inference_and_training():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    compiled = torch.compile(model)
    assert compiled.training is True and compiled.parameters  # the module's attributes
    x = torch.linspace(-1, 1, 6).reshape(2, 3)
    with torch.no_grad():
        outs = [compiled(x * k) for k in (1.0, 2.0, 3.0)]
    with torch.no_grad():
        assert [o.tolist() for o in outs] == [model(x * k).tolist() for k in (1.0, 2.0, 3.0)]
    assert compiled.replays == 2 and compiled._orig_mod is model
    # with grad: the caller needs the graph, so the module runs eagerly (and equals eager)
    out = compiled(x)
    out.sum().backward()
    assert model[0].weight.grad is not None and out.grad_fn is not None


LEARNING_RATE = 0.1


def _global_lr_run(compiled: bool):
    global LEARNING_RATE
    w = torch.tensor([1.0, 2.0], requires_grad=True)

    def step(x):
        loss = (w * x).sum()
        loss.backward()
        with torch.no_grad():
            w.sub_(LEARNING_RATE * w.grad)
        w.grad = None
        return loss

    fn = torch.compile(step) if compiled else step
    x = torch.tensor([1.0, -1.0])
    try:
        fn(x)
        fn(x)
        LEARNING_RATE = 0.5
        fn(x)
    finally:
        LEARNING_RATE = 0.1
    return w.tolist(), fn


def test_a_global_number_the_step_reads_is_guarded():
    eager, _ = _global_lr_run(False)
    compiled, fn = _global_lr_run(True)
    assert compiled == eager
    assert len(fn.variants) == 2 and "LEARNING_RATE == 0.1" in fn.variants[0]


def test_compiles_after_a_hook_was_used_elsewhere():
    """A hook registered once (on another tensor) switches the engine to exact leaf timing
    for good; a step without hooks still compiles, and equals eager."""
    other = torch.tensor(1.0, requires_grad=True)
    handle = other.register_hook(lambda g: g * 2)
    (other * 3).backward()
    handle.remove()
    eager, w_eager, _ = _sgd_lesson(False)
    compiled, w_compiled, step = _sgd_lesson(True)
    assert compiled == eager and w_compiled.item() == w_eager.item()
    assert step.eager_reason is None and step.replays == 5


def test_a_hook_on_a_parameter_keeps_the_step_eager():
    w = torch.tensor(1.0, requires_grad=True)
    w.register_hook(lambda g: g * 2)

    @torch.compile
    def step(x):
        (w * x).sum().backward()
        g = w.grad.detach().clone()
        w.grad = None
        return g

    assert [step(torch.ones(2)).item() for _ in range(3)] == [4.0, 4.0, 4.0]
    assert "hooks" in step.eager_reason


def test_two_setups_of_one_step_share_bytecode_not_state():
    """A step set up twice generates the same source (compiled once per process), but each
    variant reads its own parameter and optimizer."""

    def setup(w0, lr):
        w = torch.tensor(w0, requires_grad=True)
        opt = torch.optim.SGD([w], lr=lr)

        def step(x):
            loss = (w * x).sum()
            loss.backward()
            opt.step()
            opt.zero_grad()
            return loss

        return w, step

    x = torch.tensor([1.0, 2.0])
    (w1, f1), (w2, f2) = setup(1.0, 0.1), setup(-2.0, 0.5)
    (e1, g1), (e2, g2) = setup(1.0, 0.1), setup(-2.0, 0.5)
    f1, f2 = torch.compile(f1), torch.compile(f2)
    for _ in range(3):
        assert [f1(x).item(), f2(x).item()] == [g1(x).item(), g2(x).item()]
    assert [w1.item(), w2.item()] == [e1.item(), e2.item()]
    assert f1.code.replace("f1", "") == f2.code.replace("f2", "") and f2.replays == 2


def test_guard_labels_are_comments_and_name_the_failed_guard():
    f = torch.compile(lambda x: (x * 2).sum())
    f(torch.ones(3))
    assert "x._data.shape == (3,)" not in f.code  # (guards read args[i])
    assert "args[0]._data.shape == (3,) and  # x.shape == (3,)" in f.code
    assert f._variants[0].guard((torch.ones(4),)) == "x.shape == (3,)"
    assert f._variants[0].guard((torch.ones(3),)) is None


@pytest.mark.parametrize("action", ["seed", "restore"])
def test_reseeding_inside_the_step_keeps_it_eager(action):
    state = torch.get_rng_state()

    @torch.compile
    def f(x):
        if action == "seed":
            torch.manual_seed(3)
        else:
            torch.set_rng_state(state)
        return x * 2

    assert f(torch.ones(2)).tolist() == [2.0, 2.0]
    assert "random" in f.eager_reason


def test_code_is_formatted_when_read():
    """The capture runs source with terse ``#@ path:line`` comments; ``.code`` quotes the
    user's lines, made on the first read."""
    _, _, step = _sgd_lesson(True, steps=2)
    variant = step._variants[0]
    assert variant._code is None
    assert f"#@ {__file__}:" in variant.source
    assert "    # test_compile.py:" in step.code and "#@" not in step.code
    assert "loss = ((w * x - y) ** 2).mean()" in step.code
    assert variant._code is step.code


@pytest.mark.parametrize("c0", [10.0, -10.0, 6.0, -0.0, float("nan"), float("inf")])
def test_scalar_graph_written_out_on_numpy_scalars_is_bit_exact(c0):
    """A 0-d graph runs on NumPy scalars (relu and its gradient as choices, the sum of one
    value as the value); what leaves the step (the result, each .grad) is a 0-d array with
    eager's bits, -0.0 and NaN included."""

    def setup():
        a, b = torch.tensor(2.0, requires_grad=True), torch.tensor(-3.0, requires_grad=True)
        c = torch.tensor(c0, requires_grad=True)

        def step():
            a.grad = b.grad = c.grad = None
            out = ((a * b + c).relu() ** 2).sum()
            out.backward()
            return out

        return (a, b, c), step

    def bits(t):
        return (type(t._data), t._data.dtype, t._data.shape, t._data.tobytes())

    (ea, eb, ec), eager = setup()
    (ca, cb, cc), compiled = setup()
    compiled = torch.compile(compiled)
    for _ in range(3):
        out_e, out_c = eager(), compiled()
        assert bits(out_c) == bits(out_e) and out_c.grad_fn.name() == out_e.grad_fn.name()
        for te, tc in ((ea, ca), (eb, cb), (ec, cc)):
            assert bits(tc.grad) == bits(te.grad)
    assert compiled.replays == 2 and "a_v = a[()]" in compiled.code
    assert "np.maximum" not in compiled.code and "np.where" not in compiled.code


def test_sum_of_a_0d_argument_is_a_new_array():
    def f(x):
        return x.sum(), (x * 1.5).sum() + x.sum()

    compiled = torch.compile(f)
    x = torch.tensor(-0.0)
    for _ in range(2):
        (s, y), (es, ey) = compiled(x), f(x)
        assert s._data is not x._data and type(s._data) is np.ndarray
        assert s._data.tobytes() == es._data.tobytes() and y._data.tobytes() == ey._data.tobytes()
    s.add_(1.0)
    assert x._data.tobytes() == np.float32(-0.0).tobytes() and compiled.replays == 1


@pytest.mark.parametrize("features", [(3, 4), (200, 200)])
def test_adam_on_large_parameters_stays_a_call_and_equals_eager(features):
    """A parameter too large for the packed buffers keeps Adam's own step (a live call)."""
    n_in, n_out = features

    def make():
        torch.manual_seed(0)
        model = torch.nn.Linear(n_in, n_out)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        x = torch.linspace(-1, 1, 2 * n_in).reshape(2, n_in)

        def step(x):
            opt.zero_grad()
            loss = model(x).square().mean()
            loss.backward()
            opt.step()
            return loss

        return {"model": model, "step": step, "args": [x]}

    step = _compare(make, [None] * 4)
    written_out = "adam_update(" in step.code
    assert written_out == (n_in * n_out < 1 << 15)
    called = any(line.strip() == "opt.step()" for line in step.code.splitlines())
    assert written_out != called
