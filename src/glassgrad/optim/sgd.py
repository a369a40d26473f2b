"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad.optim.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""PyTorch's SGD, same operation order so float32 trajectories agree.

    Update rule (g = gradient, μ = momentum, τ = dampening, λ = weight_decay)::

        g ← −g if maximize
        g ← g + λθ                      (if λ ≠ 0)
        b ← g on the first step, else μb + (1 − τ)g   (if μ ≠ 0)
        g ← g + μb if nesterov else b   (if μ ≠ 0)
        θ ← θ − lr·g

    Example:
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        >>> loss.backward(); opt.step(); opt.zero_grad()
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        if isinstance(lr, (int, float)) and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update(self, group: dict, params: list) -> None:
        lr = group["lr"]
        momentum = group["momentum"]
        dampening = group["dampening"]
        weight_decay = group["weight_decay"]
        nesterov = group["nesterov"]
        maximize = group["maximize"]
        for p in params:
            param = p._data
            grad = p._grad._data
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * param
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = grad.copy()
                    state["momentum_buffer"] = _tensor(buf)
                else:
                    buf = buf._data
                    buf *= momentum
                    buf += (1 - dampening) * grad
                grad = grad + momentum * buf if nesterov else buf
            param -= lr * grad
            p._version[0] += 1


def _tensor(array):
    from glassgrad.tensor import _new_tensor

    return _new_tensor(array)


_ = xp
