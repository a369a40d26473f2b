"""Rprop: per-coordinate step sizes adapted from the sign agreement of successive gradients."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import Optimizer, _check_lr_eps_wd

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation as PyTorch implements it (state 'step', 'prev', 'step_size').

    Update rule (η⁻, η⁺ = etas; only the sign of the gradient is used)::

        g ← −g (if maximize)
        s ← g·g_prev > 0 ? η⁺ : (g·g_prev < 0 ? η⁻ : 1)
        Δ ← clamp(Δ·s, step_sizes[0], step_sizes[1])      (Δ starts at lr)
        g ← 0 where s = η⁻                                  (skip the step after a sign flip)
        θ ← θ − sign(g)·Δ;  g_prev ← g

    Example:
        >>> opt = torch.optim.Rprop(model.parameters(), lr=0.01)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_wd(options["lr"], None, 0.0)
        etaminus, etaplus = options["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid eta values: {etaminus}, {etaplus}")

    def _update(self, group: dict, params: list[Tensor]) -> None:
        etaminus, etaplus = (float(e) for e in group["etas"])
        low, high = (float(s) for s in group["step_sizes"])
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = F.step_tensor()
                state["prev"] = F.zeros_like(p)
                state["step_size"] = _new_tensor(xp.full_like(p._data, float(group["lr"])))
            F.increment_step(state)
            _rprop(
                p._data,
                p._grad._data,
                state["prev"]._data,
                state["step_size"]._data,
                etaminus=etaminus,
                etaplus=etaplus,
                step_size_min=low,
                step_size_max=high,
                maximize=group["maximize"],
            )
            p._version_counter[0] += 1


def _rprop(
    param: ndarray,
    grad: ndarray,
    prev: ndarray,
    step_size: ndarray,
    *,
    etaminus: float,
    etaplus: float,
    step_size_min: float,
    step_size_max: float,
    maximize: bool,
) -> None:
    grad = F.signed_grad(grad, maximize)
    agreement = xp.sign(grad * prev)
    factor = xp.where(agreement > 0, etaplus, xp.where(agreement < 0, etaminus, 1.0))
    factor = factor.astype(param.dtype)
    step_size *= factor
    xp.clip(step_size, step_size_min, step_size_max, out=step_size)
    grad = xp.where(factor == factor.dtype.type(etaminus), 0, grad).astype(param.dtype)
    param -= xp.sign(grad) * step_size
    prev[...] = grad
