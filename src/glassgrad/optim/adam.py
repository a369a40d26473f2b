"""Adam and its AdamW (decoupled weight decay) variant."""

from __future__ import annotations

from glassgrad import _kernels as kernels
from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad.optim import _functional as F
from glassgrad.optim._flat import FlatPlan, Scratch
from glassgrad.optim.optimizer import Optimizer, _check_betas, _check_lr_eps_wd

__all__ = ["Adam", "adam_step"]


class Adam(Optimizer):
    r"""Adam with PyTorch's operation order.

    State per parameter: 'step', 'exp_avg', 'exp_avg_sq' and (amsgrad) 'max_exp_avg_sq'.

    Update rule (g = gradient, λ = weight_decay, t = step)::

        g ← −g                                   (if maximize)
        θ ← θ(1 − lr·λ)  if decoupled_weight_decay, else  g ← g + λθ   (if λ ≠ 0)
        m ← lerp(m, g, 1 − β1);  v ← β2·v + (1 − β2)·g²
        v_max ← max(v_max, v)  and use v_max for v below  (if amsgrad; uncorrected max)
        θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)

    The arithmetic is written once, in ``_adam_kernel``. A step usually runs it over a whole
    group with a few array calls: the state of its parameters lives in shared flat buffers
    (``optim/_flat.py``) of which the tensors in ``self.state`` are views; otherwise
    it runs on each parameter's own arrays (``adam_step``).

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

    def _check_group(self, group_index: int, group: dict, params: list[Tensor]):
        """Most steps: the group's flat plan is still valid and updates it in a few calls."""
        keys = _KEYS_AMSGRAD if group["amsgrad"] else _KEYS
        plans = self._flat_plans
        plan = plans.get(group_index)
        if plan is not None and plan.keys is keys and plan.matches(self.state, group, params):
            return plan
        super()._check_group(group_index, group, params)
        plan = FlatPlan.build(self.state, group, params, keys)
        if plan is None:
            plans.pop(group_index, None)
            return None
        plan.update = _adam_flat
        plan.collect_grads()
        plans[group_index] = plan
        return plan

    @staticmethod
    def _step_arrays(param, grad, buffers: tuple, group: dict, step: float) -> None:
        """``adam_step``: the update on plain arrays (``explain_step`` runs it on float64
        copies of a parameter and its state to show the numbers)."""
        adam_step(param, grad, buffers, group, step)

    def _update(self, group: dict, params: list[Tensor]) -> None:
        constants: dict[tuple, _Constants] = {}  # (step, dtype) -> usually one for the group
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = F.step_tensor()
                state["exp_avg"] = F.zeros_like(p)
                state["exp_avg_sq"] = F.zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = F.zeros_like(p)
            buffers: tuple = (state["exp_avg"]._data, state["exp_avg_sq"]._data)
            if group["amsgrad"] and "max_exp_avg_sq" in state:  # (absent: amsgrad set later)
                buffers += (state["max_exp_avg_sq"]._data,)
            key = (F.increment_step(state), p._data.dtype)
            c = constants.get(key) or constants.setdefault(key, _Constants(group, *key))
            _adam_kernel(p._data, p._grad._data, buffers, Scratch.like(p._data), c)
            p._version_counter[0] += 1


_KEYS = ("exp_avg", "exp_avg_sq")
_KEYS_AMSGRAD = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


class _Constants:
    """One step's scalars, in the array dtype where the one-parameter path casts them."""

    __slots__ = (
        "addcdiv_value",
        "addcmul_value",
        "beta2",
        "bias2_sqrt",
        "decay",
        "decay_factor",
        "eps",
        "lerp_small",
        "lerp_weight",
        "maximize",
    )

    def __init__(self, group: dict, step: float, dtype) -> None:
        to = dtype.type
        betas = group["betas"]
        beta1, beta2 = float(betas[0]), float(betas[1])
        lr = float(group["lr"])
        weight_decay = float(group["weight_decay"])
        self.maximize = group["maximize"]
        self.decay = self.decay_factor = None
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                self.decay_factor = to(1 - lr * weight_decay)
            else:
                self.decay = weight_decay  # a Python float: see _fused_add_'s one-element path
        w = to(1 - beta1)
        self.lerp_small = abs(w) < 0.5
        self.lerp_weight = w if self.lerp_small else 1 - w
        self.beta2 = to(beta2)
        value = 1 - beta2
        self.addcmul_value = None if value == 1 else to(value)
        self.bias2_sqrt = to((1 - beta2**step) ** 0.5)
        self.eps = to(float(group["eps"]))
        self.addcdiv_value = to(-(lr / (1 - beta1**step)))


def _adam_kernel(param, grad, buffers: tuple, s: Scratch, c: _Constants) -> None:
    """Adam's update, the one place its arithmetic is written (the rule: see ``Adam``).

    ``buffers``: (exp_avg, exp_avg_sq) or, amsgrad, (exp_avg, exp_avg_sq, max_exp_avg_sq),
    updated in place; ``param`` is updated in place, or is None and the update to add is left
    in ``s.update``. Each operation is the one PyTorch's single-tensor Adam makes, in its order
    and dtype: ``m.lerp_(g, 1 − β1)``, ``v.mul_(β2).addcmul_(g, g, value=1 − β2)``,
    ``denom = (v.sqrt() / √(1 − β2ᵗ)).add_(ε)``, ``θ.addcdiv_(m, denom, value=−lr/(1 − β1ᵗ))``.
    The same code runs on one parameter's arrays (``adam_step``) and on the 1-D slices of a
    group's flat buffers (``FlatPlan``); the arithmetic is elementwise, so both give the
    same numbers.
    """
    exp_avg, exp_avg_sq = buffers[0], buffers[1]
    if c.maximize:
        xp.negative(grad, out=s.grad)
        grad = s.grad
    if c.decay is not None:
        if grad is not s.grad:
            xp.copyto(s.grad, grad)
            grad = s.grad
        F.add_scaled_(grad, param, c.decay, s.wide)
    diff = s.a
    xp.subtract(grad, exp_avg, out=diff)
    xp.multiply(diff, c.lerp_weight, out=diff)
    if c.lerp_small:
        exp_avg += diff
    else:
        xp.subtract(grad, diff, out=exp_avg)
    xp.multiply(exp_avg_sq, c.beta2, out=exp_avg_sq)
    scaled = grad
    if c.addcmul_value is not None:
        scaled = xp.multiply(grad, c.addcmul_value, out=s.update)
    kernels.add_product_(exp_avg_sq, scaled, grad, s.wide)
    if len(buffers) == 3:
        xp.maximum(buffers[2], exp_avg_sq, out=buffers[2])
        exp_avg_sq = buffers[2]
    denom = xp.sqrt(exp_avg_sq, out=s.a)
    xp.divide(denom, c.bias2_sqrt, out=denom)
    xp.add(denom, c.eps, out=denom)
    update = xp.multiply(exp_avg, c.addcdiv_value, out=s.update)
    xp.divide(update, denom, out=update)
    if param is not None:
        if c.decay_factor is not None:
            param *= c.decay_factor
        param += update


def _adam_flat(plan: FlatPlan, group: dict) -> None:
    """One Adam step of a whole group through its flat plan."""
    step = plan.advance()
    constants = _Constants(group, step, plan.dtype)
    uses_param = constants.decay is not None or constants.decay_factor is not None
    plan.run(_adam_kernel, constants, uses_param)


def adam_step(param: ndarray, grad: ndarray, buffers: tuple, group: dict, step: float) -> None:
    """One Adam/AdamW step of one parameter in place: ``_adam_kernel`` on its own arrays.

    ``buffers`` as for ``_adam_kernel``; ``group`` holds the options (lr, betas, eps,
    weight_decay, maximize, decoupled_weight_decay); ``step``: the count after this step.
    (``Adam._update`` does the same, sharing the constants between parameters;
    ``glassgrad.viz.explain_step`` runs this, as ``Adam._step_arrays``, on float64 copies.)
    """
    constants = _Constants(group, step, param.dtype)
    _adam_kernel(param, grad, buffers, Scratch.like(param), constants)
