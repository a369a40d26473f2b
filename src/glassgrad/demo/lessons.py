"""The four gradient-descent lessons on y = 2x, run side by side, and what they teach.

Case 1 computes the gradient by hand in NumPy, Case 2 lets autograd compute it and updates
``w`` under ``no_grad``, Case 3 uses ``nn.MSELoss`` and ``optim.SGD``, Case 4 swaps the bare
weight for ``nn.Linear``. The lessons' hand gradient ``np.dot(2*x, y_pred - y).mean()`` is a
sum, not a mean (``.mean()`` of a scalar does nothing), so it is N = 4 times too large; the
gradient checker finds this, and with the 1/N restored Cases 1-3 agree step by step.
"""

from __future__ import annotations

import math

import glassgrad
from glassgrad import nn
from glassgrad._backend import xp
from glassgrad.viz import check_gradient, explain, explain_step

__all__ = [
    "LESSON_EPOCHS",
    "LESSON_LR",
    "X",
    "Y",
    "case1_numpy",
    "case2_autograd",
    "case3_loss_optim",
    "case4_linear",
    "corrected_gradient",
    "lesson_gradient",
    "run_lessons",
    "seed_graph",
    "stability",
    "walkthrough",
]

X = [1.0, 2.0, 3.0, 4.0]
Y = [2.0, 4.0, 6.0, 8.0]
LESSON_LR = 0.01
LESSON_EPOCHS = 20


def lesson_gradient(x, y, y_pred):
    """The lessons' hand gradient, verbatim: a sum over samples (N times the true one)."""
    return xp.dot(2 * x, y_pred - y).mean()


def corrected_gradient(x, y, y_pred):
    """d/dw mean((w x - y)^2) = mean(2 x (w x - y)): the 1/N restored."""
    return xp.mean(2 * x * (y_pred - y))


def case1_numpy(lr: float, epochs: int, gradient=lesson_gradient) -> list[dict]:
    """Case 1: NumPy forward, loss and hand-derived gradient."""
    x = xp.asarray(X, dtype=xp.float32)
    y = xp.asarray(Y, dtype=xp.float32)
    w = 0.0
    rows = []
    for epoch in range(epochs):
        with xp.errstate(over="ignore", invalid="ignore"):  # a too-large lr may diverge
            y_pred = w * x
            loss = ((y_pred - y) ** 2).mean()
            dw = gradient(x, y, y_pred)
        w -= lr * dw
        rows.append({"epoch": epoch + 1, "w": float(w), "loss": float(loss), "grad": float(dw)})
    return rows


def case2_autograd(lr: float, epochs: int) -> list[dict]:
    """Case 2: autograd computes dl/dw; the update runs under ``no_grad``."""
    x = glassgrad.tensor(X, dtype=glassgrad.float32)
    y = glassgrad.tensor(Y, dtype=glassgrad.float32)
    w = glassgrad.tensor(0.0, dtype=glassgrad.float32, requires_grad=True)
    rows = []
    for epoch in range(epochs):
        loss = ((w * x - y) ** 2).mean()
        loss.backward()
        grad = w.grad.item()
        with glassgrad.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
        rows.append({"epoch": epoch + 1, "w": w.item(), "loss": loss.item(), "grad": grad})
    return rows


def case3_loss_optim(lr: float, epochs: int) -> list[dict]:
    """Case 3: ``nn.MSELoss`` and ``optim.SGD`` do the loss and the update."""
    x = glassgrad.tensor(X, dtype=glassgrad.float32)
    y = glassgrad.tensor(Y, dtype=glassgrad.float32)
    w = glassgrad.tensor(0.0, dtype=glassgrad.float32, requires_grad=True)
    loss_fn = nn.MSELoss()
    optimizer = glassgrad.optim.SGD([w], lr=lr)
    rows = []
    for epoch in range(epochs):
        loss = loss_fn(w * x, y)
        loss.backward()
        grad = w.grad.item()
        optimizer.step()
        optimizer.zero_grad()
        rows.append({"epoch": epoch + 1, "w": w.item(), "loss": loss.item(), "grad": grad})
    return rows


def case4_linear(lr: float, epochs: int, seed: int) -> list[dict]:
    """Case 4: ``nn.Linear(1, 1)`` adds a bias and starts from a random weight."""
    glassgrad.manual_seed(seed)
    x = glassgrad.tensor([[v] for v in X], dtype=glassgrad.float32)
    y = glassgrad.tensor([[v] for v in Y], dtype=glassgrad.float32)
    model = nn.Linear(1, 1)
    loss_fn = nn.MSELoss()
    optimizer = glassgrad.optim.SGD(model.parameters(), lr=lr)
    rows = []
    for epoch in range(epochs):
        loss = loss_fn(model(x), y)
        loss.backward()
        grad = model.weight.grad[0][0].item()
        optimizer.step()
        optimizer.zero_grad()
        rows.append(
            {
                "epoch": epoch + 1,
                "w": model.weight[0][0].item(),
                "b": model.bias[0].item(),
                "loss": loss.item(),
                "grad": grad,
            }
        )
    return rows


def _check_hand_gradient(gradient, lr: float, epochs: int) -> dict:
    """Run the hand-gradient checker along Case 1's training run; return its findings."""
    x = glassgrad.tensor(X, dtype=glassgrad.float32)
    y = glassgrad.tensor(Y, dtype=glassgrad.float32)
    w = glassgrad.tensor(0.0, dtype=glassgrad.float32, requires_grad=True)
    x_np, y_np = x.numpy(), y.numpy()

    report = check_gradient(
        lambda w_value: gradient(x_np, y_np, w_value * x_np),
        lambda: ((w * x - y) ** 2).mean(),
        {"w": w},
        steps=epochs,
        lr=lr,
    )
    return {
        "ok": report.ok,
        "ratio": report.ratio,
        "diagnosis": report.diagnosis,
        "text": str(report),
        "hand": [float(step["w"][0]) for step in report.history],
        "autograd": [float(step["w"][1]) for step in report.history],
    }


def stability(lr: float, epochs: int) -> dict:
    """Why a learning rate converges or diverges on this quadratic, with the numbers.

    L(w) = 1/N Σ (w·xᵢ − yᵢ)² has the constant curvature λ = L''(w) = 2/N Σ xᵢ², so one
    gradient step maps the error e = w − 2 to (1 − lr·λ)·e. It shrinks only while
    |1 − lr·λ| < 1, i.e. lr < 2/λ (the bound lr < 2/λ_max of any quadratic). A gradient k
    times too large is the same as a k times larger learning rate: w − lr·(k·g) =
    w − (k·lr)·g. The runs use the corrected gradient at the lesson's lr, at 4× it (what the
    lesson's 4×-too-large gradient amounts to), just under the bound and just over it.
    """
    curvature = 2.0 * sum(x * x for x in X) / len(X)
    bound = 2.0 / curvature
    rates = {
        "lesson lr": lr,
        "4× lr (the lesson's gradient)": 4 * lr,
        "just under 2/λ": round(0.95 * bound, 4),
        "just over 2/λ": round(1.1 * bound, 4),
    }
    runs = {}
    for label, rate in rates.items():
        rows = case1_numpy(rate, epochs, gradient=corrected_gradient)
        runs[label] = {"lr": rate, "factor": 1 - rate * curvature, "rows": rows}
    return {"curvature": curvature, "lr_bound": bound, "runs": runs}


def walkthrough(lr: float, epochs: int) -> list[dict]:
    """Every step of the Case 2/3 training loop with what the report's step-through shows:
    the graph's values and gradients, the chain-rule explanation, the optimizer's update.

    The loss is written out as ``((ŷ − y)²).mean()`` so the graph has named nodes; its
    numbers are Case 2's and Case 3's (they agree step by step).
    """
    x = glassgrad.tensor(X, dtype=glassgrad.float32)
    y = glassgrad.tensor(Y, dtype=glassgrad.float32)
    w = glassgrad.tensor(0.0, dtype=glassgrad.float32, requires_grad=True)
    optimizer = glassgrad.optim.SGD([w], lr=lr)
    steps = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        y_hat = w * x
        s = y_hat - y
        loss = (s**2).mean()
        y_hat.retain_grad()
        s.retain_grad()
        loss.backward()
        names = {"w": w, "x": x, "y": y, "y_hat": y_hat, "s": s, "loss": loss}
        why = explain(loss, wrt=w, params=names, use_locals=False)
        update = explain_step(optimizer, w, name="w")
        steps.append(
            {
                "step": epoch + 1,
                "w": w.item(),
                "x": x.tolist(),
                "y": y.tolist(),
                "y_hat": y_hat.tolist(),
                "s": s.tolist(),
                "loss": loss.item(),
                "grad_w": w.grad.item(),
                "grad_y_hat": y_hat.grad.tolist(),
                "grad_s": s.grad.tolist(),
                "explanation": str(why),
                "update": str(update),
            }
        )
        optimizer.step()
        steps[-1]["w_after"] = w.item()
    return steps


def run_lessons(lr: float, epochs: int, seed: int) -> dict:
    """Every number of section 1: the four tables, the diagnosis, the corrected agreement."""
    lesson_rows = case1_numpy(lr, epochs)
    case2 = case2_autograd(lr, epochs)
    case3 = case3_loss_optim(lr, epochs)
    case4 = case4_linear(lr, epochs, seed)
    corrected = case1_numpy(lr, epochs, gradient=corrected_gradient)

    buggy_check = _check_hand_gradient(lesson_gradient, lr, epochs)
    fixed_check = _check_hand_gradient(corrected_gradient, lr, epochs)

    def max_gap(a, b):
        gaps = [abs(r["w"] - s["w"]) for r, s in zip(a, b)]
        return max(gaps) if all(math.isfinite(g) for g in gaps) else math.inf

    return {
        "lr": lr,
        "epochs": epochs,
        "x": X,
        "y": Y,
        "case1_lesson": lesson_rows,
        "case1_corrected": corrected,
        "case2_autograd": case2,
        "case3_loss_optim": case3,
        "case4_linear": case4,
        "first_step_ratio": lesson_rows[0]["grad"] / case2[0]["grad"],
        "check_lesson": buggy_check,
        "check_corrected": fixed_check,
        "max_w_gap_corrected_vs_case2": max_gap(corrected, case2),
        "max_w_gap_case2_vs_case3": max_gap(case2, case3),
        "max_w_gap_lesson_vs_case2": max_gap(lesson_rows, case2),
        "corrected_cases_agree": max_gap(corrected, case2) <= 1e-5
        and max_gap(case2, case3) <= 1e-5,
        "stability": stability(lr, epochs),
        "walkthrough": walkthrough(lr, epochs),
    }


def seed_graph():
    """The seed's graph x, w -> ŷ -> s -> loss at x = 1, w = 1, y = 2, after backward.

    Run it inside ``viz.watch()`` to keep the forward values for pictures.
    """
    x = glassgrad.tensor(1.0)
    y = glassgrad.tensor(2.0)
    w = glassgrad.tensor(1.0, requires_grad=True)
    y_hat = w * x
    s = y_hat - y
    loss = s**2
    loss.backward()
    return loss, {"x": x, "w": w, "y": y, "ŷ": y_hat, "s": s, "loss": loss}
