"""RAdam: Adam with a rectified (variance-aware) adaptive learning rate."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import (
    Optimizer,
    _check_lr_eps_betas_wd,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam as PyTorch implements it (state 'step', 'exp_avg', 'exp_avg_sq').

    Update rule::

        g ← −g (if maximize);  θ ← θ(1 − lr·λ) if decoupled else g ← g + λθ  (if λ ≠ 0)
        m ← lerp(m, g, 1 − β1);  v ← β2·v + (1 − β2)g²;  m̂ ← m / (1 − β1ᵗ)
        ρ∞ ← 2/(1 − β2) − 1;  ρₜ ← ρ∞ − 2tβ2ᵗ/(1 − β2ᵗ)
        if ρₜ > 5: r ← √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ));  θ ← θ − lr·m̂·√(1 − β2ᵗ)/(√v + ε)·r
        else:      θ ← θ − lr·m̂

    Example:
        >>> opt = torch.optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
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
                state["exp_avg_sq"] = F.zeros_like(p)
            _radam(
                p._data,
                p._grad._data,
                state["exp_avg"]._data,
                state["exp_avg_sq"]._data,
                F.increment_step(state),
                lr=float(group["lr"]),
                beta1=beta1,
                beta2=beta2,
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                decoupled=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )
            p._version_counter[0] += 1


def _radam(
    param: ndarray,
    grad: ndarray,
    exp_avg: ndarray,
    exp_avg_sq: ndarray,
    step: float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled: bool,
    maximize: bool,
) -> None:
    grad = F.signed_grad(grad, maximize)
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            grad = F.with_weight_decay(grad, param, weight_decay)
    F.lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    F.addcmul_(exp_avg_sq, grad, grad, 1 - beta2)
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    update = exp_avg / bias_correction1
    update *= lr
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
    if rho_t > 5.0:
        adaptive = xp.sqrt(exp_avg_sq)
        adaptive += eps
        xp.divide(param.dtype.type(bias_correction2**0.5), adaptive, out=adaptive)
        update *= adaptive
        rect = (
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        ) ** 0.5
        update *= rect
    param -= update
