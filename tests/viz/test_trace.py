"""Training traces: per-step records, slip warnings, CSV, plots."""

import csv

import pytest

import glassgrad as torch
from glassgrad import viz

X = torch.tensor([1.0, 2.0, 3.0, 4.0])
Y = torch.tensor([2.0, 4.0, 6.0, 8.0])


def run(steps, zero_grad=True, extra=None):
    w = torch.tensor(0.0, requires_grad=True)
    params = {"w": w} if extra is None else {"w": w, "unused": extra}
    opt = torch.optim.SGD(list(params.values()), lr=0.01, momentum=0.5)
    trace = viz.Trace(params, opt, warn=False)
    for _ in range(steps):
        if zero_grad:
            opt.zero_grad()
        loss = ((w * X - Y) ** 2).mean()
        loss.backward()
        opt.step()
        trace.record(loss)
    return trace, w


def test_records_loss_values_grads_updates_and_state():
    trace, w = run(4)
    data = trace.to_dict()
    assert data["step"] == [1, 2, 3, 4]
    assert data["loss"][0] == 30.0
    assert data["w.grad"][0] == -30.0
    assert data["w.update_norm"][0] == pytest.approx(0.3)
    assert data["w.state.momentum_buffer_norm"][0] == pytest.approx(30.0)
    assert data["w.value"][-1] == pytest.approx(w.item())
    assert trace.warnings == []


def test_warns_when_zero_grad_is_never_called():
    trace, _ = run(6, zero_grad=False)
    assert any("zero_grad" in m for m in trace.warnings)
    with pytest.warns(UserWarning, match="zero_grad"):
        w = torch.tensor(0.0, requires_grad=True)
        t = viz.Trace({"w": w})
        for _ in range(5):
            ((w * X - Y) ** 2).mean().backward()
            t.record()


def test_warns_about_a_parameter_without_gradient_and_nan():
    trace, _ = run(3, extra=torch.tensor(1.0, requires_grad=True))
    assert any("unused has received no gradient" in m for m in trace.warnings)
    w = torch.tensor(0.0, requires_grad=True)
    t = viz.Trace([w], warn=False)
    (w * float("nan")).backward()
    t.record(torch.tensor(float("nan")))
    assert any("NaN/inf" in m for m in t.warnings) and any("loss is nan" in m for m in t.warnings)


def test_csv_and_plots(tmp_path):
    trace, _ = run(5)
    path = tmp_path / "run.csv"
    trace.to_csv(path)
    rows = list(csv.reader(path.open()))
    assert rows[0][:5] == ["step", "loss", "w.value", "w.grad", "w.update_norm"]
    assert len(rows) == 6 and float(rows[1][3]) == -30.0
    matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    matplotlib.use("Agg")
    assert trace.plot_loss().get_ylabel() == "loss"
    x, y = X.numpy(), Y.numpy()
    ax = trace.plot_trajectory(lambda v: float(((v * x - y) ** 2).mean()))
    assert ax.get_xlabel() == "w"
    w, b = torch.tensor(0.0, requires_grad=True), torch.tensor(0.0, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.02)
    t2 = viz.Trace({"w": w, "b": b}, opt)
    for _ in range(5):
        opt.zero_grad()
        loss = ((w * X + b - Y) ** 2).mean()
        loss.backward()
        opt.step()
        t2.record(loss)
    ax = t2.plot_trajectory(lambda p, q: float(((p * x + q - y) ** 2).mean()), grid=15)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("w", "b")


def test_trace_warning_names_the_users_line():
    w = torch.tensor(0.0, requires_grad=True)
    t = viz.Trace({"w": w})
    with pytest.warns(UserWarning, match="zero_grad") as record:
        for _ in range(5):
            ((w * X - Y) ** 2).mean().backward()
            t.record()
    assert {r.filename for r in record if "Trace" in str(r.message)} == {__file__}
