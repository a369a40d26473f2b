"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import Optimizer, _check_lr_eps_wd

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad as PyTorch implements it (state 'step' and 'sum', created at construction).

    Update rule (η = lr_decay, τ = initial_accumulator_value, t = step)::

        sum₀ ← τ
        g ← −g (if maximize);  g ← g + λθ (if λ ≠ 0)
        clr ← lr / (1 + (t − 1)η)
        sum ← sum + g²
        θ ← θ − clr·g / (√sum + ε)

    Example:
        >>> opt = torch.optim.Adagrad(model.parameters(), lr=0.01)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_wd(options["lr"], None, 0.0)
        if not options["lr_decay"] >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {options['lr_decay']}")
        _check_lr_eps_wd(options["lr"], None, options["weight_decay"])
        value = options["initial_accumulator_value"]
        if not value >= 0.0:
            raise ValueError(f"Invalid initial_accumulator_value value: {value}")
        _check_lr_eps_wd(options["lr"], options["eps"], 0.0)

    def _init_state(self, p: Tensor, group: dict) -> None:
        state = self.state[p]
        state["step"] = F.step_tensor()
        state["sum"] = _new_tensor(xp.full_like(p._data, group["initial_accumulator_value"]))

    def _update(self, group: dict, params: list[Tensor]) -> None:
        for p in params:
            state = self.state[p]
            if not state:
                self._init_state(p, group)
            _adagrad(
                p._data,
                p._grad._data,
                state["sum"]._data,
                F.increment_step(state),
                lr=float(group["lr"]),
                lr_decay=float(group["lr_decay"]),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                maximize=group["maximize"],
            )
            p._version_counter[0] += 1


def _adagrad(
    param: ndarray,
    grad: ndarray,
    state_sum: ndarray,
    step: float,
    *,
    lr: float,
    lr_decay: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    grad = F.with_weight_decay(F.signed_grad(grad, maximize), param, weight_decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    F.addcmul_(state_sum, grad, grad)
    std = xp.sqrt(state_sum)
    std += eps
    F.addcdiv_(param, grad, std, -clr)
