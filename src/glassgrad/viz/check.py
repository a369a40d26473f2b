"""Check a gradient you derived by hand against autograd, and say what the slip is.

Example (the lessons' Case 1: a sum where the mean's gradient was meant)::

    >>> w = torch.tensor(0.0, requires_grad=True)
    >>> def loss_fn():
    ...     return ((w * X - Y) ** 2).mean()
    >>> def manual(w):
    ...     return np.dot(2 * x, w * x - y).mean()
    >>> print(viz.check_gradient(manual, loss_fn, {"w": w}, steps=20, lr=0.005))
    ✗ w: your gradient is 4.00× autograd's at every step — a missing 1/N in a mean? ...
"""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad.autograd import grad
from glassgrad.autograd.grad_mode import no_grad
from glassgrad.viz._html import table
from glassgrad.viz.graph import named_tensors

__all__ = ["GradientReport", "check_gradient"]


class GradientReport:
    """What ``check_gradient`` found.

    Attributes:
        ok: True when the hand gradient matches autograd everywhere it was checked.
        ratio: hand ÷ autograd when that ratio is the same everywhere (per the first
            mismatching parameter, or 1.0 when all match); None when it is not constant.
        diagnosis: one sentence saying what is wrong (or that it matches).
        per_param: ``{name: (ok, ratio, diagnosis)}``.
        history: per step, ``{name: (hand, autograd)}`` arrays.
    """

    def __init__(self, per_param: dict, history: list, steps: int):
        self.per_param = per_param
        self.history = history
        self.steps = steps
        self.ok = all(ok for ok, _, _ in per_param.values())
        first_bad = next((v for v in per_param.values() if not v[0]), None)
        chosen = first_bad or next(iter(per_param.values()))
        self.ratio = chosen[1]
        self.diagnosis = chosen[2]

    def __bool__(self) -> bool:
        return self.ok

    def _repr_html_(self) -> str:
        """Jupyter's view: one row per parameter, ✓/✗ and the diagnosis (wraps freely)."""
        rows = [
            ("✓" if ok else "✗", name, "—" if ratio is None else f"{ratio:.4g}", diagnosis)
            for name, (ok, ratio, diagnosis) in self.per_param.items()
        ]
        where = f"{self.steps} steps" if self.steps > 1 else "the current point"
        caption = f"Hand-derived gradient vs autograd, checked at {where}"
        return table(["", "parameter", "hand ÷ autograd", "diagnosis"], rows, caption)

    def __str__(self) -> str:
        where = f"{self.steps} steps" if self.steps > 1 else "the current point"
        lines = [f"Hand-derived gradient vs autograd, checked at {where}:"]
        for name, (ok, _, diagnosis) in self.per_param.items():
            lines.append(f"  {'✓' if ok else '✗'} {name}: {diagnosis}")
        return "\n".join(lines)

    __repr__ = __str__


def _plain(value):
    """A parameter's value as the hand-written code expects it: float or array."""
    array = value.detach().numpy().copy()
    return float(array) if array.ndim == 0 else array


def _as_array(value):
    if hasattr(value, "detach"):
        value = value.detach().numpy()
    return xp.asarray(value, dtype=xp.float64)


def check_gradient(
    manual_grad_fn,
    loss_fn,
    params,
    *,
    steps: int = 1,
    lr: float = 0.01,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    restore: bool = True,
) -> GradientReport:
    """Compare ``manual_grad_fn`` with autograd at the current point or along a run.

    Args:
        manual_grad_fn: called with the parameters' current values (floats or arrays, in
            the order of ``params``); returns the hand-derived gradient(s): one value, a
            tuple in the same order, or a dict by name.
        loss_fn: no-argument function computing the loss from the parameters (a closure).
        params: a tensor, a list of tensors, a dict ``{name: tensor}`` or a Module.
        steps: how many points to check; between them the parameters take a plain
            gradient-descent step with autograd's gradient (``p -= lr * grad``).
        lr: step size of that run.
        rtol, atol: tolerance of the comparison.
        restore: put the parameters back to their starting values afterwards.

    Returns:
        A :class:`GradientReport` with ``.ok``, ``.ratio``, ``.diagnosis``.
    """
    named = named_tensors(params)
    tensors = list(named.values())
    start = [t.detach().clone() for t in tensors]
    history = []
    try:
        for _ in range(max(steps, 1)):
            loss = loss_fn()
            auto = grad(loss, tensors, allow_unused=True, materialize_grads=True)
            hand = _one_per_param(manual_grad_fn(*[_plain(t) for t in tensors]), named)
            history.append({n: (_as_array(h), _as_array(a)) for n, h, a in zip(named, hand, auto)})
            with no_grad():
                for t, g in zip(tensors, auto):
                    t.sub_(g * lr)
    finally:
        if restore:
            with no_grad():
                for t, s in zip(tensors, start):
                    t.copy_(s)
    per_param = {n: _diagnose(n, [h[n] for h in history], rtol, atol) for n in named}
    return GradientReport(per_param, history, max(steps, 1))


def _one_per_param(hand, named: dict) -> list:
    """What ``manual_grad_fn`` returned as one gradient per parameter, in order."""
    if isinstance(hand, dict):
        hand = [hand[name] for name in named]
    elif (len(named) == 1 and not isinstance(hand, (tuple, list))) or (
        isinstance(hand, list) and len(named) == 1 and len(hand) != 1
    ):
        hand = [hand]
    if len(hand) != len(named):
        raise ValueError(
            f"check_gradient: manual_grad_fn returned {len(hand)} gradients for "
            f"{len(named)} parameters ({', '.join(named)}); return one per parameter"
        )
    return hand


def _diagnose(name: str, pairs: list, rtol: float, atol: float) -> tuple:
    """(ok, ratio, sentence) for one parameter over all checked points."""
    every = "at every step" if len(pairs) > 1 else "at this point"
    for hand, auto in pairs:
        if hand.shape != auto.shape and hand.size != 1:
            if hand.shape == auto.shape[::-1]:
                return (
                    False,
                    None,
                    f"your gradient has shape {list(hand.shape)} but {name} has shape "
                    f"{list(auto.shape)} — transposed? (a gradient has its parameter's shape; "
                    "check the order in the outer product / matmul, e.g. X.T @ err)",
                )
            return (
                False,
                None,
                f"your gradient has shape {list(hand.shape)} but {name} has shape "
                f"{list(auto.shape)}; a gradient has exactly its parameter's shape",
            )
    if all(xp.allclose(h, a, rtol=rtol, atol=atol) for h, a in pairs):
        return True, 1.0, f"matches autograd {every} (largest |difference| {_max_diff(pairs):.2g})"
    ratios = []
    for hand, auto in pairs:
        hand = xp.broadcast_to(hand, auto.shape)
        mask = xp.abs(auto) > atol
        ratios.extend((hand[mask] / auto[mask]).tolist())
    if ratios:
        r = sum(ratios) / len(ratios)
        constant = all(abs(x - r) <= 1e-3 * max(1.0, abs(r)) for x in ratios)
        if constant:
            return False, r, _factor_sentence(r, every)
    return (
        False,
        None,
        f"differs from autograd by up to {_max_diff(pairs):.4g} and not by a constant factor "
        "— a term is missing or wrong (re-derive one factor of the chain rule at a time; "
        "glassgrad.explain(loss, wrt=...) writes autograd's derivation out)",
    )


def _max_diff(pairs) -> float:
    return max(float(xp.abs(xp.broadcast_to(h, a.shape) - a).max()) for h, a in pairs)


def _factor_sentence(r: float, every: str) -> str:
    if abs(r + 1) < 1e-3:
        return (
            f"your gradient is −1× autograd's {every} — a wrong sign (did you write (y − ŷ) "
            "where the derivative has (ŷ − y), or step uphill?)"
        )
    text = f"your gradient is {r:.2f}× autograd's {every}"
    rounded = round(r)
    if r > 1 and abs(r - rounded) < 1e-3:
        return text + f" — a missing 1/N in a mean? (N = {rounded} would explain it)"
    if r < 1 and abs(1 / r - round(1 / r)) < 1e-3 and r > 0:
        n = round(1 / r)
        if n == 2:
            return text + " — a missing factor 2 (the derivative of a square is 2·(…))?"
        return text + f" — an extra 1/N (N = {n}): dividing by N twice, or a mean taken twice?"
    return text + " — a constant factor is off"
