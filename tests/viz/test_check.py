"""The hand-gradient checker on the lessons' Case 1 and other classic slips."""

import numpy as np

import glassgrad as torch
from glassgrad import viz

x = np.array([1, 2, 3, 4], dtype=np.float32)
y = np.array([2, 4, 6, 8], dtype=np.float32)
X, Y = torch.tensor(x), torch.tensor(y)


def setup():
    w = torch.tensor(0.0, requires_grad=True)

    def loss_fn():
        return ((w * X - Y) ** 2).mean()

    return w, loss_fn


def test_case1_sum_instead_of_mean_is_four_times_autograd():
    w, loss_fn = setup()

    def gradient(w):  # the lessons' Case 1: np.dot already sums, .mean() of a scalar is itself
        return np.dot(2 * x, w * x - y).mean()

    report = viz.check_gradient(gradient, loss_fn, {"w": w}, steps=20, lr=0.005)
    assert not report.ok
    assert round(report.ratio, 2) == 4.00
    assert "your gradient is 4.00× autograd's at every step — a missing 1/N in a mean?" in str(
        report
    )
    assert w.item() == 0.0  # restored


def test_corrected_gradient_passes():
    w, loss_fn = setup()
    report = viz.check_gradient(
        lambda w: np.dot(2 * x, w * x - y) / len(x), loss_fn, {"w": w}, steps=20, lr=0.005
    )
    assert report.ok and report.ratio == 1.0
    assert "✓ w: matches autograd at every step" in str(report)


def test_wrong_sign():
    w, loss_fn = setup()
    report = viz.check_gradient(lambda w: np.dot(2 * x, y - w * x) / len(x), loss_fn, w)
    assert report.ratio == -1.0 or abs(report.ratio + 1) < 1e-6
    assert "wrong sign" in report.diagnosis


def test_transposed_shape():
    torch.manual_seed(0)
    W = torch.randn(3, 2, requires_grad=True)
    A, B = torch.randn(5, 3), torch.randn(5, 2)
    a, b = A.numpy(), B.numpy()
    report = viz.check_gradient(
        lambda W: (2 * a.T @ (a @ W - b)).T, lambda: ((A @ W - B) ** 2).sum(), {"W": W}
    )
    assert not report.ok and "transposed" in report.diagnosis
    good = viz.check_gradient(
        lambda W: 2 * a.T @ (a @ W - b), lambda: ((A @ W - B) ** 2).sum(), {"W": W}
    )
    assert good.ok
