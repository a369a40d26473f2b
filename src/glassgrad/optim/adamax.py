"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import (
    Optimizer,
    _check_lr_eps_betas_wd,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax as PyTorch implements it (state 'step', 'exp_avg', 'exp_inf').

    Update rule::

        g ← −g (if maximize);  g ← g + λθ (if λ ≠ 0)
        m ← lerp(m, g, 1 − β1)
        u ← max(β2·u, |g| + ε)
        θ ← θ − (lr / (1 − β1ᵗ)) · m / u

    Example:
        >>> opt = torch.optim.Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_betas_wd(options)

    def _update(self, group: dict, params: list[Tensor]) -> None:
        beta1, beta2 = (float(b) for b in group["betas"])
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = F.step_tensor()
                state["exp_avg"] = F.zeros_like(p)
                state["exp_inf"] = F.zeros_like(p)
            _adamax(
                p._data,
                p._grad._data,
                state["exp_avg"]._data,
                state["exp_inf"]._data,
                F.increment_step(state),
                lr=float(group["lr"]),
                beta1=beta1,
                beta2=beta2,
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                maximize=group["maximize"],
            )
            p._version_counter[0] += 1


def _adamax(
    param: ndarray,
    grad: ndarray,
    exp_avg: ndarray,
    exp_inf: ndarray,
    step: float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    grad = F.with_weight_decay(F.signed_grad(grad, maximize), param, weight_decay)
    F.lerp_(exp_avg, grad, 1 - beta1)
    exp_inf *= beta2
    norm = xp.abs(grad)
    norm += eps
    xp.maximum(exp_inf, norm, out=exp_inf)
    clr = lr / (1 - beta1**step)
    F.addcdiv_(param, exp_avg, exp_inf, -clr)
