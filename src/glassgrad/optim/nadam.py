"""NAdam: Adam with Nesterov momentum and momentum decay."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import (
    Optimizer,
    _check_lr_eps_betas_wd,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam as PyTorch implements it (state 'step', 'mu_product', 'exp_avg', 'exp_avg_sq').

    Update rule (ψ = momentum_decay, t = step)::

        g ← −g (if maximize);  θ ← θ(1 − lr·λ) if decoupled else g ← g + λθ  (if λ ≠ 0)
        μₜ ← β1(1 − ½·0.96^(tψ));  μₜ₊₁ ← β1(1 − ½·0.96^((t+1)ψ));  Πμ ← Πμ·μₜ
        m ← lerp(m, g, 1 − β1);  v ← β2·v + (1 − β2)g²
        d ← √(v / (1 − β2ᵗ)) + ε
        θ ← θ − lr(1 − μₜ)/(1 − Πμ) · g/d − lr·μₜ₊₁/(1 − Πμ·μₜ₊₁) · m/d

    Example:
        >>> opt = torch.optim.NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_betas_wd(options)
        if not options["momentum_decay"] >= 0.0:
            raise ValueError(f"Invalid momentum_decay value: {options['momentum_decay']}")

    def _update(self, group: dict, params: list[Tensor]) -> None:
        beta1, beta2 = (float(b) for b in group["betas"])
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = F.step_tensor()
                state["mu_product"] = F.step_tensor(1.0)
                state["exp_avg"] = F.zeros_like(p)
                state["exp_avg_sq"] = F.zeros_like(p)
            _nadam(
                p._data,
                p._grad._data,
                state["exp_avg"]._data,
                state["exp_avg_sq"]._data,
                state["mu_product"]._data,
                F.increment_step(state),
                lr=float(group["lr"]),
                beta1=beta1,
                beta2=beta2,
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                momentum_decay=float(group["momentum_decay"]),
                decoupled=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )
            p._version_counter[0] += 1


def _nadam(
    param: ndarray,
    grad: ndarray,
    exp_avg: ndarray,
    exp_avg_sq: ndarray,
    mu_product: ndarray,
    step: float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled: bool,
    maximize: bool,
) -> None:
    """One NAdam step in place; ``mu_product`` is the 0-d running product of μ."""
    grad = F.signed_grad(grad, maximize)
    bias_correction2 = 1 - beta2**step
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            grad = F.with_weight_decay(grad, param, weight_decay)
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu
    mu_product_value = float(mu_product)
    F.lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    F.addcmul_(exp_avg_sq, grad, grad, 1 - beta2)
    denom = exp_avg_sq / bias_correction2
    xp.sqrt(denom, out=denom)
    denom += eps
    F.addcdiv_(param, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product_value))
    F.addcdiv_(param, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_value * mu_next))
