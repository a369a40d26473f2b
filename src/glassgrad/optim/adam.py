"""Adam and its AdamW (decoupled weight decay) variant."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import Optimizer, _check_betas, _check_lr_eps_wd
from glassgrad.tensor import Tensor

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam with PyTorch's operation order.

    State per parameter: 'step', 'exp_avg', 'exp_avg_sq' and (amsgrad) 'max_exp_avg_sq'.

    Update rule (g = gradient, λ = weight_decay, t = step)::

        g ← −g                                   (if maximize)
        θ ← θ(1 − lr·λ)  if decoupled_weight_decay, else  g ← g + λθ   (if λ ≠ 0)
        m ← lerp(m, g, 1 − β1);  v ← β2·v + (1 − β2)·g²
        v_max ← max(v_max, v)  and use v_max for v below  (if amsgrad; uncorrected max)
        θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)

    Example:
        >>> opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_wd(options["lr"], options["eps"], options["weight_decay"])
        _check_betas(options["betas"])

    def _update(self, group: dict, params: list[Tensor]) -> None:
        beta1, beta2 = (float(b) for b in group["betas"])
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = F.step_tensor()
                state["exp_avg"] = F.zeros_like(p)
                state["exp_avg_sq"] = F.zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = F.zeros_like(p)
            max_sq = state.get("max_exp_avg_sq") if group["amsgrad"] else None
            _adam(
                p._data,
                p._grad._data,
                state["exp_avg"]._data,
                state["exp_avg_sq"]._data,
                None if max_sq is None else max_sq._data,
                F.increment_step(state),
                lr=lr,
                beta1=beta1,
                beta2=beta2,
                eps=eps,
                weight_decay=weight_decay,
                maximize=group["maximize"],
                decoupled=group["decoupled_weight_decay"],
            )
            p._version_counter[0] += 1


def _adam(
    param: ndarray,
    grad: ndarray,
    exp_avg: ndarray,
    exp_avg_sq: ndarray,
    max_exp_avg_sq: ndarray | None,
    step: float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
    decoupled: bool,
) -> None:
    """One Adam/AdamW step in place (``max_exp_avg_sq`` given means amsgrad)."""
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
    step_size = lr / bias_correction1
    if max_exp_avg_sq is not None:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = xp.sqrt(max_exp_avg_sq)
    else:
        denom = xp.sqrt(exp_avg_sq)
    denom /= bias_correction2**0.5
    denom += eps
    F.addcdiv_(param, exp_avg, denom, -step_size)
