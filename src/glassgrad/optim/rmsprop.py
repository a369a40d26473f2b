"""RMSprop (Hinton), optionally centered and with momentum."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import Optimizer, _check_lr_eps_wd

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop as PyTorch implements it (ε added after the square root, no bias correction).

    Update rule (state: 'step', 'square_avg', 'momentum_buffer', 'grad_avg')::

        g ← −g (if maximize);  g ← g + λθ (if λ ≠ 0)
        v ← αv + (1 − α)g²
        if centered: ḡ ← lerp(ḡ, g, 1 − α);  avg ← √(v − ḡ²) + ε   else avg ← √v + ε
        if momentum > 0: b ← μb + g/avg;  θ ← θ − lr·b
        else:            θ ← θ − lr·g/avg

    Example:
        >>> opt = torch.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.9)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_wd(options["lr"], options["eps"], 0.0)
        if not options["momentum"] >= 0.0:
            raise ValueError(f"Invalid momentum value: {options['momentum']}")
        _check_lr_eps_wd(options["lr"], None, options["weight_decay"])
        if not options["alpha"] >= 0.0:
            raise ValueError(f"Invalid alpha value: {options['alpha']}")

    def _update(self, group: dict, params: list[Tensor]) -> None:
        momentum = float(group["momentum"])
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = F.step_tensor()
                state["square_avg"] = F.zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = F.zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = F.zeros_like(p)
            F.increment_step(state)
            _rmsprop(
                p._data,
                p._grad._data,
                state["square_avg"]._data,
                state["grad_avg"]._data if group["centered"] else None,
                state["momentum_buffer"]._data if momentum > 0 else None,
                lr=float(group["lr"]),
                alpha=float(group["alpha"]),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                momentum=momentum,
                maximize=group["maximize"],
            )
            p._version_counter[0] += 1


def _rmsprop(
    param: ndarray,
    grad: ndarray,
    square_avg: ndarray,
    grad_avg: ndarray | None,
    buf: ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    maximize: bool,
) -> None:
    """One RMSprop step in place (``grad_avg`` given means centered)."""
    grad = F.with_weight_decay(F.signed_grad(grad, maximize), param, weight_decay)
    square_avg *= alpha
    F.addcmul_(square_avg, grad, grad, 1 - alpha)
    if grad_avg is not None:
        F.lerp_(grad_avg, grad, 1 - alpha)
        avg = square_avg.copy()
        F.addcmul_(avg, grad_avg, grad_avg, -1)
        xp.sqrt(avg, out=avg)
    else:
        avg = xp.sqrt(square_avg)
    avg += eps
    if buf is not None:
        buf *= momentum
        F.addcdiv_(buf, grad, avg)
        F.add_scaled_(param, buf, -lr)
    else:
        F.addcdiv_(param, grad, avg, -lr)
