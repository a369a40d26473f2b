"""Adadelta: step sizes from the ratio of running RMS of updates and of gradients."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import Optimizer, _check_lr_eps_wd

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta as PyTorch implements it (state 'step', 'square_avg', 'acc_delta').

    Update rule (ρ = rho)::

        g ← −g (if maximize);  g ← g + λθ (if λ ≠ 0)
        v ← ρv + (1 − ρ)g²
        Δ ← √(u + ε) / √(v + ε) · g
        u ← ρu + (1 − ρ)Δ²
        θ ← θ − lr·Δ

    Example:
        >>> opt = torch.optim.Adadelta(model.parameters())
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_wd(options["lr"], None, 0.0)
        if not 0.0 <= options["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {options['rho']}")
        _check_lr_eps_wd(options["lr"], options["eps"], options["weight_decay"])

    def _update(self, group: dict, params: list[Tensor]) -> None:
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = F.step_tensor()
                state["square_avg"] = F.zeros_like(p)
                state["acc_delta"] = F.zeros_like(p)
            F.increment_step(state)
            _adadelta(
                p._data,
                p._grad._data,
                state["square_avg"]._data,
                state["acc_delta"]._data,
                lr=float(group["lr"]),
                rho=float(group["rho"]),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                maximize=group["maximize"],
            )
            p._version_counter[0] += 1


def _adadelta(
    param: ndarray,
    grad: ndarray,
    square_avg: ndarray,
    acc_delta: ndarray,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    grad = F.with_weight_decay(F.signed_grad(grad, maximize), param, weight_decay)
    square_avg *= rho
    F.addcmul_(square_avg, grad, grad, 1 - rho)
    std = xp.sqrt(square_avg + eps)  # (not out=: a 0-d parameter's sum is a NumPy scalar)
    delta = xp.sqrt(acc_delta + eps)
    delta /= std
    delta *= grad
    acc_delta *= rho
    F.addcmul_(acc_delta, delta, delta, 1 - rho)
    F.add_scaled_(param, delta, -lr)
