"""What ``optimizer.step()`` is about to do to one parameter, rule and numbers.

``explain_step(opt, w)`` reads the gradient, the hyper-parameters and the optimizer state
and writes out PyTorch's update rule with the numbers filled in (for Adam: m, v, the bias
corrections, the step size and the new value), naming the weight-decay variant in effect.
Nothing is changed: the numbers are what the next ``step()`` will produce.

Example:
    >>> loss.backward()
    >>> print(opt.explain_step(w))
    >>> opt.step()
"""

from __future__ import annotations

import functools
import html
import math

from glassgrad import _formula as F
from glassgrad._backend import xp
from glassgrad._tensor_base import _new_tensor
from glassgrad.autograd.grad_mode import no_grad
from glassgrad.viz._html import pre
from glassgrad.viz.graph import format_array, resolve_names, user_frame

__all__ = ["StepExplanation", "explain_step"]


class StepExplanation:
    """The coming update of one parameter.

    Attributes:
        old_value: the parameter now (array).
        new_value: the parameter after the next ``step()`` (array).
        update: ``new_value - old_value``.
        lines: the text lines; ``str()`` joins them.
    """

    def __init__(self, lines: list, old, new):
        self.lines = lines
        self.old_value = old
        self.new_value = new
        self.update = new - old

    def __str__(self) -> str:
        return "\n".join(self.lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """Jupyter's view: the rule lines, aligned, under the optimizer's heading."""
        head, *rule = self.lines
        return (
            f'<div class="glassgrad-step"><b>{html.escape(head)}</b>{pre(chr(10).join(rule))}</div>'
        )


def _v(x) -> str:
    """A value standing alone (a result)."""
    return format_array(x)


def _e(x, digits: int = 4) -> F.Expr:
    """A value as an operand of a formula: a number, or a vector in brackets."""
    return F.number(x, digits) if xp.ndim(x) == 0 else F.name(format_array(x))


def _f(x) -> str:
    """A hyper-parameter as a factor: ``0.1``, ``(−0.5)``."""
    return _e(x, 6).within(F.PRODUCT)


def _n(x) -> str:
    """A scalar result, to 6 digits."""
    return F.number(x, 6).text


def _blend(beta: float, old, weight: float, new: F.Expr) -> str:
    """``β·old + (1 − β)·new`` with the numbers: ``0.9·0 + 0.1·(−2)``."""
    return str(F.total(F.product(_e(beta, 6), _e(old)), F.product(_e(weight, 6), new)))


def explain_step(optimizer, param=None, name: str | None = None) -> StepExplanation:
    """Explain the next ``optimizer.step()`` for ``param`` (default: the first parameter with
    a gradient). Writes out SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam and
    RAdam with every option; other optimizers get their update computed, not written out."""
    group, param = _find(optimizer, param)
    if name is None:
        name = _name_of(param, optimizer)
    if param.grad is None:
        raise RuntimeError(
            f"explain_step: {name} has no gradient yet, so step() would leave it unchanged; "
            "call loss.backward() first."
        )
    theta = param.detach().numpy().astype(xp.float64)
    grad = param.grad.detach().numpy().astype(xp.float64)
    state = optimizer.state.get(param, {})
    kind = type(optimizer).__name__
    writers = {
        "SGD": _sgd,
        "Adam": functools.partial(_adam, type(optimizer)),
        "AdamW": functools.partial(_adam, type(optimizer)),
        "RMSprop": _rmsprop,
        "Adagrad": _adagrad,
        "Adadelta": _adadelta,
        "Adamax": _adamax,
        "NAdam": _nadam,
        "RAdam": _radam,
    }
    writer = writers.get(kind)
    if writer is None:
        return _simulated(optimizer, group, param, name)
    lines, new = writer(group, state, theta, grad, name)
    options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params" and v is not None)
    lines.insert(0, f"{kind} update of {name} ({options}):")
    return StepExplanation(lines, theta, new)


def _name_of(param, optimizer) -> str:
    """The user's variable (or module attribute) name for ``param``, else ``param <i>``."""
    for name, tensor in resolve_names(None, user_frame()):
        if tensor is param:
            return name
    index = [id(p) for g in optimizer.param_groups for p in g["params"]].index(id(param))
    return f"param {index}"


def _find(optimizer, param):
    for group in optimizer.param_groups:
        for p in group["params"]:
            if (param is None and p.grad is not None) or p is param:
                return group, p
    if param is None:
        raise RuntimeError(
            "explain_step: no parameter has a gradient yet; call loss.backward() first."
        )
    raise ValueError("explain_step: this tensor is not one of the optimizer's parameters.")


def _step_count(state) -> int:
    step = state.get("step")
    return 0 if step is None else int(float(step.item() if hasattr(step, "item") else step))


def _state(state, key, like):
    value = state.get(key)
    if value is None:
        return None
    return value.detach().numpy().astype(xp.float64) if hasattr(value, "detach") else like * 0


def _gradient_lines(group, theta, grad, name, coupled_decay: bool = True):
    lines = [f"  g = ∂loss/∂{name} = {_v(grad)}"]
    g = grad
    if group.get("maximize"):
        g = -g
        lines.append(f"  maximize=True: g ← −g = {_v(g)}")
    wd = group.get("weight_decay", 0)
    if wd and coupled_decay:
        g = g + wd * theta
        lines.append(
            f"  weight decay as L2 (added to the gradient): g ← g + λ·θ = g + {_f(wd)}·θ = {_v(g)}"
        )
    return lines, g


def _sgd(group, state, theta, grad, name):
    lines, g = _gradient_lines(group, theta, grad, name)
    lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
    if mu:
        buf = _state(state, "momentum_buffer", theta)
        if buf is None:
            b = g
            lines.append(f"  momentum buffer, first step: b ← g = {_v(b)}")
        else:
            b = mu * buf + (1 - tau) * g
            lines.append(
                f"  momentum: b ← μ·b + (1 − τ)·g = {_blend(mu, buf, 1 - tau, _e(g))} = {_v(b)}"
            )
        if group["nesterov"]:
            g = g + mu * b
            lines.append(f"  Nesterov: g ← g + μ·b = {_v(g)}")
        else:
            g = b
            lines.append("  g ← b")
    new = theta - lr * g
    update = F.difference(_e(theta), F.product(_e(lr, 6), _e(g)))
    lines.append(f"  θ ← θ − lr·g = {update} = {_v(new)}")
    return lines, new


def _adam(adam, group, state, theta, grad, name):
    """``adam``: the optimizer's class, whose ``_step_arrays`` makes the numbers (read from the
    optimizer handed in, so that viz needs no import of glassgrad.optim)."""
    theta0 = theta
    decoupled = bool(group.get("decoupled_weight_decay"))
    lines, g = _gradient_lines(group, theta, grad, name, coupled_decay=not decoupled)
    lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
    beta1, beta2 = (float(b) for b in group["betas"])
    if wd and decoupled:
        before = theta
        theta = theta * (1 - lr * wd)
        lines.append(
            f"  decoupled weight decay (AdamW, not added to g): θ ← θ·(1 − lr·λ) = "
            f"{F.product(_e(before), _e(1 - lr * wd, 6))} = {_v(theta)}"
        )
    elif not wd:
        lines.append("  no weight decay (weight_decay=0)")
    t = _step_count(state) + 1
    m0, v0 = _zeros_or(state, "exp_avg", theta), _zeros_or(state, "exp_avg_sq", theta)
    # the numbers: Adam's own kernel run on float64 copies of the parameter and its state
    moments = [xp.array(m0, xp.float64), xp.array(v0, xp.float64)]
    if group.get("amsgrad"):
        moments.append(xp.array(_zeros_or(state, "max_exp_avg_sq", theta), xp.float64))
    new = xp.array(theta0, xp.float64)
    adam._step_arrays(new, xp.array(grad, xp.float64), tuple(moments), group, t)
    m, v = moments[0], moments[-1]
    lines.append(f"  step t = {t}")
    lines.append(f"  m ← β1·m + (1 − β1)·g = {_blend(beta1, m0, 1 - beta1, _e(g))} = {_v(m)}")
    blend = _blend(beta2, v0, 1 - beta2, F.power(_e(g), 2))
    lines.append(f"  v ← β2·v + (1 − β2)·g² = {blend} = {_v(moments[1])}")
    if group.get("amsgrad"):
        lines.append(f"  AMSGrad: v_max ← max(v_max, v) = {_v(v)} (used as v below)")
    bc1 = 1 - beta1**t
    bc2 = 1 - beta2**t
    m_hat = m / bc1
    v_hat = v / bc2
    lines.append(f"  bias corrections: 1 − β1ᵗ = {_n(bc1)}, 1 − β2ᵗ = {_n(bc2)}")
    lines.append(f"  m̂ = m/(1 − β1ᵗ) = {_v(m_hat)},  v̂ = v/(1 − β2ᵗ) = {_v(v_hat)}")
    step = F.product(_e(lr, 6), _e(m_hat / (xp.sqrt(v_hat) + eps)))
    lines.append(f"  step = lr·m̂/(√v̂ + ε) = {step} = {_v(theta - new)}")
    lines.append(f"  θ ← θ − step = {_v(new)}")
    return lines, new


def _rmsprop(group, state, theta, grad, name):
    lines, g = _gradient_lines(group, theta, grad, name)
    lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
    v0 = _state(state, "square_avg", theta)
    v0 = theta * 0 if v0 is None else v0
    v = alpha * v0 + (1 - alpha) * g * g
    blend = _blend(alpha, v0, 1 - alpha, F.power(_e(g), 2))
    lines.append(f"  v ← α·v + (1 − α)·g² = {blend} = {_v(v)}")
    if group.get("centered"):
        ga0 = _state(state, "grad_avg", theta)
        ga0 = theta * 0 if ga0 is None else ga0
        ga = alpha * ga0 + (1 - alpha) * g
        avg = xp.sqrt(v - ga * ga) + eps
        lines.append(f"  centered: ḡ ← α·ḡ + (1 − α)·g = {_v(ga)};  √(v − ḡ²) + ε = {_v(avg)}")
    else:
        avg = xp.sqrt(v) + eps
        lines.append(f"  √v + ε = {_v(avg)}  (ε added after the square root)")
    if mu > 0:
        b0 = _state(state, "momentum_buffer", theta)
        b0 = theta * 0 if b0 is None else b0
        b = mu * b0 + g / avg
        lines.append(f"  momentum: b ← μ·b + g/(√v + ε) = {_v(b)}")
        new = theta - lr * b
        lines.append(f"  θ ← θ − lr·b = {_v(new)}")
    else:
        new = theta - lr * g / avg
        update = F.difference(_e(theta), F.product(_e(lr, 6), _e(g / avg)))
        lines.append(f"  θ ← θ − lr·g/(√v + ε) = {update} = {_v(new)}")
    return lines, new


def _adagrad(group, state, theta, grad, name):
    lines, g = _gradient_lines(group, theta, grad, name)
    lr, eta, eps = group["lr"], group["lr_decay"], group["eps"]
    t = _step_count(state) + 1
    clr = lr / (1 + (t - 1) * eta)
    lines.append(f"  step t = {t}; lr decayed: lr/(1 + (t − 1)·lr_decay) = {_n(clr)}")
    s0 = _state(state, "sum", theta)
    s0 = theta * 0 + group["initial_accumulator_value"] if s0 is None else s0
    s = s0 + g * g
    lines.append(f"  sum ← sum + g² = {F.total(_e(s0), F.power(_e(g), 2))} = {_v(s)}")
    new = theta - clr * g / (xp.sqrt(s) + eps)
    lines.append(f"  θ ← θ − lr·g/(√sum + ε) = {_v(new)}")
    return lines, new


def _zeros_or(state, key, theta):
    value = _state(state, key, theta)
    return theta * 0 if value is None else value


def _decay(group, theta, grad, name):
    """Gradient lines plus the weight-decay variant of NAdam/RAdam (coupled or decoupled)."""
    decoupled = bool(group.get("decoupled_weight_decay"))
    lines, g = _gradient_lines(group, theta, grad, name, coupled_decay=not decoupled)
    wd = group["weight_decay"]
    if wd and decoupled:
        theta = theta * (1 - group["lr"] * wd)
        lines.append(f"  decoupled weight decay: θ ← θ·(1 − lr·λ) = {_v(theta)}")
    return lines, g, theta


def _adadelta(group, state, theta, grad, name):
    lines, g = _gradient_lines(group, theta, grad, name)
    lr, rho, eps = group["lr"], group["rho"], group["eps"]
    v0, u0 = _zeros_or(state, "square_avg", theta), _zeros_or(state, "acc_delta", theta)
    v = rho * v0 + (1 - rho) * g * g
    delta = xp.sqrt(u0 + eps) / xp.sqrt(v + eps) * g
    u = rho * u0 + (1 - rho) * delta * delta
    blend = _blend(rho, v0, 1 - rho, F.power(_e(g), 2))
    lines.append(f"  v ← ρ·v + (1 − ρ)·g² = {blend} = {_v(v)}")
    lines.append(f"  Δ ← √(u + ε)/√(v + ε)·g = {_v(delta)}  (u = {_v(u0)})")
    lines.append(f"  u ← ρ·u + (1 − ρ)·Δ² = {_v(u)}")
    new = theta - lr * delta
    update = F.difference(_e(theta), F.product(_e(lr, 6), _e(delta)))
    lines.append(f"  θ ← θ − lr·Δ = {update} = {_v(new)}")
    return lines, new


def _adamax(group, state, theta, grad, name):
    lines, g = _gradient_lines(group, theta, grad, name)
    lr, eps = group["lr"], group["eps"]
    beta1, beta2 = (float(b) for b in group["betas"])
    t = _step_count(state) + 1
    m0, u0 = _zeros_or(state, "exp_avg", theta), _zeros_or(state, "exp_inf", theta)
    m = beta1 * m0 + (1 - beta1) * g
    u = xp.maximum(beta2 * u0, xp.abs(g) + eps)
    lines.append(f"  step t = {t}")
    lines.append(f"  m ← β1·m + (1 − β1)·g = {_v(m)}")
    lines.append(f"  u ← max(β2·u, |g| + ε) = {_v(u)}")
    step = lr / (1 - beta1**t)
    new = theta - step * m / u
    lines.append(f"  step size lr/(1 − β1ᵗ) = {_n(step)}")
    lines.append(f"  θ ← θ − lr/(1 − β1ᵗ)·m/u = {_v(new)}")
    return lines, new


def _nadam(group, state, theta, grad, name):
    lines, g, theta = _decay(group, theta, grad, name)
    lr, eps, psi = group["lr"], group["eps"], group["momentum_decay"]
    beta1, beta2 = (float(b) for b in group["betas"])
    t = _step_count(state) + 1
    product0 = float(state["mu_product"].item()) if "mu_product" in state else 1.0
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    product = product0 * mu
    m = beta1 * _zeros_or(state, "exp_avg", theta) + (1 - beta1) * g
    v = beta2 * _zeros_or(state, "exp_avg_sq", theta) + (1 - beta2) * g * g
    d = xp.sqrt(v / (1 - beta2**t)) + eps
    lines.append(f"  step t = {t}; μₜ = {_n(mu)}, μₜ₊₁ = {_n(mu_next)}, Πμ = {_n(product)}")
    lines.append(f"  m ← β1·m + (1 − β1)·g = {_v(m)};  v ← β2·v + (1 − β2)·g² = {_v(v)}")
    lines.append(f"  d = √(v/(1 − β2ᵗ)) + ε = {_v(d)}")
    new = theta - lr * (1 - mu) / (1 - product) * g / d
    new = new - lr * mu_next / (1 - product * mu_next) * m / d
    lines.append(f"  θ ← θ − lr(1 − μₜ)/(1 − Πμ)·g/d − lr·μₜ₊₁/(1 − Πμ·μₜ₊₁)·m/d = {_v(new)}")
    return lines, new


def _radam(group, state, theta, grad, name):
    lines, g, theta = _decay(group, theta, grad, name)
    lr, eps = group["lr"], group["eps"]
    beta1, beta2 = (float(b) for b in group["betas"])
    t = _step_count(state) + 1
    m = beta1 * _zeros_or(state, "exp_avg", theta) + (1 - beta1) * g
    v = beta2 * _zeros_or(state, "exp_avg_sq", theta) + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    lines.append(f"  step t = {t}; m̂ = m/(1 − β1ᵗ) = {_v(m_hat)}")
    lines.append(f"  ρ∞ = {_n(rho_inf)}, ρₜ = {_n(rho)}")
    if rho > 5:
        rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        adaptive = math.sqrt(1 - beta2**t) / (xp.sqrt(v) + eps)
        new = theta - lr * m_hat * rect * adaptive
        lines.append(f"  ρₜ > 5: rectified, r = {_n(rect)}; √(1 − β2ᵗ)/(√v + ε) = {_v(adaptive)}")
        lines.append(f"  θ ← θ − lr·m̂·r·√(1 − β2ᵗ)/(√v + ε) = {_v(new)}")
    else:
        new = theta - lr * m_hat
        lines.append(f"  ρₜ ≤ 5: no adaptive step yet, θ ← θ − lr·m̂ = {_v(new)}")
    return lines, new


def _simulated(optimizer, group, param, name) -> StepExplanation:
    """Optimizers without a written-out rule: run their update on a saved copy, undo it."""
    old = param.detach().numpy().copy()
    saved_state = {
        k: (v.clone() if hasattr(v, "clone") else v) for k, v in optimizer.state[param].items()
    }
    had_state = bool(saved_state)
    with no_grad():
        optimizer._update(group, [param])
        new = param.detach().numpy().astype(xp.float64)
        param.copy_(_new_tensor(old))
    if had_state:
        optimizer.state[param] = saved_state
    else:
        optimizer.state.pop(param, None)
    kind = type(optimizer).__name__
    lines = [
        f"{kind} update of {name}: the rule is not written out here (see the optimizer's "
        "docstring); its numbers:",
        f"  θ = {_v(old)}",
        f"  θ after step() = {_v(new)}  (change {_v(new - old)})",
    ]
    return StepExplanation(lines, old.astype(xp.float64), new)
