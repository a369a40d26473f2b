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
    ("Adamax", dict()),
    ("NAdam", dict()),
    ("RAdam", dict()),
]


@pytest.mark.parametrize(("name", "options"), CASES)
def test_numbers_equal_the_step(name, options):
    cls = getattr(optim, name, None)
    if cls is None:
        pytest.skip(f"optim.{name} is not implemented yet")
    w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = cls([w], **options)
    for _ in range(3):
        opt.zero_grad()
        ((w * 3 - 1) ** 2).sum().backward()
        before = w.detach().numpy().copy()
        explanation = opt.explain_step(w)
        np.testing.assert_array_equal(w.detach().numpy(), before)  # explaining changes nothing
        opt.step()
        np.testing.assert_allclose(explanation.new_value, w.detach().numpy(), rtol=2e-6, atol=1e-6)
        np.testing.assert_allclose(explanation.update, w.detach().numpy() - before, atol=2e-6)
    assert str(explanation).startswith(f"{name} update of param 0")


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
