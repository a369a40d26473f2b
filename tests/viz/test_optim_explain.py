"""explain_step's numbers are exactly what step() then does, for every optimizer."""

import numpy as np
import pytest

import glassgrad as torch
from glassgrad import optim

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1, weight_decay=0.5, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.1, weight_decay=0.1)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.1, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
]


@pytest.mark.parametrize(("name", "options"), CASES)
def test_numbers_equal_the_step(name, options):
    cls = getattr(optim, name, None)
    if cls is None:
        pytest.skip(f"optim.{name} is not implemented yet")
    w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = cls([w], **options)
    for _ in range(8):  # RAdam switches to its rectified step at t = 6
        opt.zero_grad()
        ((w * 3 - 1) ** 2).sum().backward()
        before = w.detach().numpy().copy()
        explanation = opt.explain_step(w)
        np.testing.assert_array_equal(w.detach().numpy(), before)  # explaining changes nothing
        opt.step()
        np.testing.assert_allclose(explanation.new_value, w.detach().numpy(), rtol=2e-6, atol=1e-6)
        change = w.detach().numpy() - before
        np.testing.assert_allclose(explanation.update, change, rtol=1e-5, atol=2e-6)
    assert str(explanation).startswith(f"{name} update of w")


def test_weight_decay_variant_is_named():
    w = torch.tensor([1.0], requires_grad=True)
    (w * 2).sum().backward()
    adam = optim.Adam([w], lr=0.1, weight_decay=0.1).explain_step()
    adamw = optim.AdamW([w], lr=0.1, weight_decay=0.1).explain_step()
    assert "L2 (added to the gradient)" in str(adam)
    assert "decoupled weight decay (AdamW" in str(adamw)
    assert "bias corrections: 1 − β1ᵗ = 0.1, 1 − β2ᵗ = 0.001" in str(adam)


def test_no_gradient_is_explained():
    w = torch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="backward"):
        optim.SGD([w], lr=0.1).explain_step(w)


class SignSGD(optim.Optimizer):
    """A user-written optimizer: explain_step computes its update without writing it out."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))

    def _update(self, group, params):
        for p in params:
            p.sub_(p.grad.sign() * group["lr"])


def test_other_optimizers_get_their_numbers_simulated():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = SignSGD([w])
    (w * w).sum().backward()
    explanation = opt.explain_step()
    assert "not written out" in str(explanation)
    assert w.tolist() == [1.0, -2.0] and not opt.state[w]
    opt.step()
    np.testing.assert_allclose(explanation.new_value, w.detach().numpy())
