"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from glassgrad._backend import ndarray
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.optim import _functional as F
from glassgrad.optim.optimizer import Optimizer, _check_lr_eps_wd

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""PyTorch's SGD, same operation order so float32 trajectories agree.

    Update rule (g = gradient, μ = momentum, τ = dampening, λ = weight_decay)::

        g ← −g                           (if maximize; before anything else)
        g ← g + λθ                       (if λ ≠ 0)
        b ← g on the first step, else μb + (1 − τ)g   (if μ ≠ 0; state 'momentum_buffer')
        g ← g + μb if nesterov else b    (if μ ≠ 0)
        θ ← θ − lr·g

    Each ``add(…, alpha=a)`` above is rounded as PyTorch's CPU kernel rounds it: one fused
    multiply-add on AVX2/AVX-512, a product then a sum on its default build (``_kernels/fma.py``).
    With ``foreach=True`` PyTorch's multi-tensor path computes the Nesterov direction in the
    gradient tensors themselves when neither maximize nor weight decay made a copy; so does
    this class, so ``p.grad`` after ``step()`` is the same too.

    Example:
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        >>> loss.backward(); opt.step(); opt.zero_grad()
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
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
        self._check_options(defaults)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        _check_lr_eps_wd(options["lr"], None, options["weight_decay"])
        if options["momentum"] < 0.0:
            raise ValueError(f"Invalid momentum value: {options['momentum']}")
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _check_group(self, group_index: int, group: dict, params: list[Tensor]):
        """Plain SGD (no momentum, decay or maximize) skips ``_sgd``'s per-call set-up."""
        super()._check_group(group_index, group, params)
        if group["momentum"] == 0 and group["weight_decay"] == 0 and not group["maximize"]:
            return _plain_sgd
        return None

    def _update(self, group: dict, params: list[Tensor]) -> None:
        momentum = float(group["momentum"])
        for p in params:
            state = self.state[p]
            buf = state.get("momentum_buffer") if momentum != 0 else None
            new_buf = _sgd(
                p._data,
                p._grad._data,
                None if buf is None else buf._data,
                lr=float(group["lr"]),
                momentum=momentum,
                dampening=float(group["dampening"]),
                weight_decay=float(group["weight_decay"]),
                nesterov=group["nesterov"],
                maximize=group["maximize"],
                foreach=bool(group["foreach"]),
            )
            if new_buf is not None:
                state["momentum_buffer"] = _new_tensor(new_buf)
            p._version_counter[0] += 1


def _plain_sgd(group: dict, params: list[Tensor]) -> None:
    """``θ ← θ − lr·g`` for every parameter: exactly what ``_sgd`` does for these options."""
    neg_lr = -float(group["lr"])
    for p in params:
        F.add_scaled_(p._data, p._grad._data, neg_lr)
        p._version_counter[0] += 1


def _sgd(
    param: ndarray,
    grad: ndarray,
    buf: ndarray | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    foreach: bool = False,
) -> ndarray | None:
    """One SGD step in place; returns a newly created momentum buffer (first step) or None.

    ``foreach``: the Nesterov direction overwrites ``grad`` when it is still the caller's
    array (PyTorch's multi-tensor path); otherwise it goes to a copy."""
    grad = F.with_weight_decay(F.signed_grad(grad, maximize), param, weight_decay)
    created = None
    if momentum != 0:
        if buf is None:
            buf = created = grad.copy()
        else:
            buf *= momentum
            F.add_scaled_(buf, grad, 1 - dampening)
        if nesterov:
            grad = grad if foreach else grad.copy()
            F.add_scaled_(grad, buf, momentum)
        else:
            grad = buf
    F.add_scaled_(param, grad, -lr)
    return created
