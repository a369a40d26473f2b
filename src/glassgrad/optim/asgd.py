"""ASGD: SGD with a decaying step size and a running (Polyak) average of the iterates."""

from __future__ import annotations

from glassgrad._backend import ndarray
from glassgrad._tensor import Tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import Optimizer, _check_lr_eps_wd

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD as PyTorch implements it (state 'step', 'eta', 'mu', 'ax').

    Update rule (λ = lambd, α = alpha, t₀ = t0, wd = weight_decay, t = step)::

        g ← −g (if maximize);  g ← g + wd·θ (if wd ≠ 0)
        θ ← θ(1 − λη) − η·g                       (η starts at lr)
        ax ← ax + μ(θ − ax)   (ax ← θ while μ = 1)
        η ← lr / (1 + λ·lr·t)^α;  μ ← 1 / max(1, t − t₀)

    Example:
        >>> opt = torch.optim.ASGD(model.parameters(), lr=0.01)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_wd(options["lr"], None, options["weight_decay"])

    def _update(self, group: dict, params: list[Tensor]) -> None:
        lr = float(group["lr"])
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = F.step_tensor()
                state["eta"] = F.step_tensor(lr)
                state["mu"] = F.step_tensor(1.0)
                state["ax"] = F.zeros_like(p)
            _asgd(
                p._data,
                p._grad._data,
                state["ax"]._data,
                state["eta"]._data,
                state["mu"]._data,
                F.increment_step(state),
                lr=lr,
                lambd=float(group["lambd"]),
                alpha=float(group["alpha"]),
                t0=float(group["t0"]),
                weight_decay=float(group["weight_decay"]),
                maximize=group["maximize"],
            )
            p._version_counter[0] += 1


def _asgd(
    param: ndarray,
    grad: ndarray,
    ax: ndarray,
    eta: ndarray,
    mu: ndarray,
    step: float,
    *,
    lr: float,
    lambd: float,
    alpha: float,
    t0: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One ASGD step in place; ``eta`` and ``mu`` are 0-d arrays updated for the next step."""
    grad = F.with_weight_decay(F.signed_grad(grad, maximize), param, weight_decay)
    eta_value = float(eta)
    param *= 1 - lambd * eta_value
    param += grad * -eta_value
    if float(mu) != 1:
        ax += (param - ax) * ax.dtype.type(mu)
    else:
        ax[...] = param
    eta[...] = lr / ((1 + lambd * lr * step) ** alpha)
    mu[...] = 1 / max(1, step - t0)
