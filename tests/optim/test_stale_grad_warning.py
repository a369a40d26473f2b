"""A forgotten zero_grad() is pointed out once, at the user's line; accumulation is not."""

import warnings

import pytest

import glassgrad as torch


def _loss(w):
    return ((w * torch.tensor([1.0, 2.0]) - 1.0) ** 2).sum()


def _stale_warnings(record) -> list:
    return [w for w in record if "still holds the gradient" in str(w.message)]


def test_forgotten_zero_grad_warns_once_at_the_users_line():
    w = torch.tensor([0.5, -0.5], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(4):
            _loss(w).backward()
            opt.step()  # the line the warning must name
    stale = _stale_warnings(record)
    assert len(stale) == 1
    assert stale[0].filename == __file__
    assert "zero_grad()" in str(stale[0].message)


@pytest.mark.parametrize(
    "zero",
    [
        lambda opt, model, w: opt.zero_grad(),
        lambda opt, model, w: opt.zero_grad(set_to_none=False),
        lambda opt, model, w: model.zero_grad(),
        lambda opt, model, w: model.zero_grad(set_to_none=False),
        lambda opt, model, w: [p.grad.zero_() for p in model.parameters()],
        lambda opt, model, w: [setattr(p, "grad", None) for p in model.parameters()],
    ],
    ids=["opt", "opt-zeros", "module", "module-zeros", "grad.zero_", "grad=None"],
)
def test_deliberate_accumulation_does_not_warn(zero):
    model = torch.nn.Linear(2, 1)
    w = model.weight
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    x = torch.tensor([[1.0, 2.0], [0.5, -1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            for half in (x[:1], x[1:]):  # two backward() calls summed into one step
                model(half).pow(2).sum().backward()
            opt.step()
            zero(opt, model, w)


def test_zeroing_before_backward_does_not_warn():
    w = torch.tensor([0.5, -0.5], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(4):
            opt.zero_grad(set_to_none=False)
            _loss(w).backward()
            opt.step()


def test_each_optimizer_warns_once():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([1.0, 2.0], requires_grad=True)
    first, second = torch.optim.SGD([a], lr=0.01), torch.optim.Adam([b], lr=0.01)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(3):
            (_loss(a) + _loss(b)).backward()
            first.step()
            second.step()
    assert [str(w.message).split(".")[0] for w in _stale_warnings(record)] == ["SGD", "Adam"]


def test_anomaly_warning_names_the_users_file():
    with (
        pytest.warns(UserWarning, match="Anomaly Detection") as record,
        torch.autograd.detect_anomaly(),
    ):
        pass
    assert record[0].filename == __file__
