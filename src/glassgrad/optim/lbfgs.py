"""L-BFGS: a quasi-Newton method that needs a closure re-evaluating the loss."""

from __future__ import annotations

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.autograd.grad_mode import enable_grad, no_grad
from glassgrad.optim.optimizer import Optimizer, _check_lr_eps_wd

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``."""
    if bounds is not None:
        low, high = bounds
    else:
        low, high = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = xp.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, low), high)
    return (low + high) / 2.0


def _strong_wolfe(evaluate, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search for a step ``t`` along ``d`` satisfying the strong Wolfe conditions.

    Bracketing phase, then cubic-interpolation zoom (Nocedal & Wright, Alg. 3.5/3.6), with
    PyTorch's choices of safeguards so the chosen steps agree. Returns (loss, flat gradient,
    step, evaluations) at the chosen step.
    """
    search = _WolfeSearch(evaluate, x, d, f, gtd, c1, c2, max_ls)
    done = search.bracket(t, g)
    return search.zoom(done, tolerance_change)


class _WolfeSearch:
    """One strong-Wolfe line search: the bracket [lo, hi] of steps with their losses (``fs``),
    flat gradients (``gs``) and directional derivatives (``gtds``)."""

    def __init__(self, evaluate, x, d, f, gtd, c1, c2, max_ls):
        self.evaluate, self.x, self.d, self.f, self.gtd = evaluate, x, d, f, gtd
        self.c1, self.c2, self.max_ls = c1, c2, max_ls
        self.evals = self.ls_iter = 0
        self.steps = self.fs = self.gs = self.gtds = None

    def _at(self, t):
        """Loss, flat gradient and directional derivative at step ``t``."""
        f_new, g_new = self.evaluate(self.x, t, self.d)
        self.evals += 1
        return f_new, g_new, xp.dot(g_new, self.d)

    def _too_little_decrease(self, t, f_new) -> bool:
        """The Armijo condition fails (written as PyTorch compares, so NaN does not fail it)."""
        return f_new > (self.f + self.c1 * t * self.gtd)

    def _curvature(self, gtd_new) -> bool:
        return abs(gtd_new) <= -self.c2 * self.gtd

    def bracket(self, t, g) -> bool:
        """Grow the step until an interval holds a Wolfe point; True if ``t`` already is one."""
        f, gtd = self.f, self.gtd
        g = g.copy()
        f_new, g_new, gtd_new = self._at(t)
        t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
        while self.ls_iter < self.max_ls:
            if self._too_little_decrease(t, f_new) or (self.ls_iter > 1 and f_new >= f_prev):
                break
            if self._curvature(gtd_new):
                self.steps, self.fs, self.gs = [t], [f_new], [g_new]
                return True
            if gtd_new >= 0:
                break
            min_step = t + 0.01 * (t - t_prev)
            max_step = t * 10
            previous = t
            t = _cubic_interpolate(
                t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
            )
            t_prev, f_prev, g_prev, gtd_prev = previous, f_new, g_new.copy(), gtd_new
            f_new, g_new, gtd_new = self._at(t)
            self.ls_iter += 1
        else:
            if self.ls_iter == self.max_ls:  # (a negative max_ls leaves no bracket, as in torch)
                self.steps, self.fs, self.gs = [0, t], [f, f_new], [g, g_new]
            return False
        self.steps, self.fs = [t_prev, t], [f_prev, f_new]
        self.gs, self.gtds = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
        return False

    def zoom(self, done: bool, tolerance_change):
        """Shrink the bracket by cubic interpolation until a step satisfies both conditions."""
        steps, fs, gs, gtds = self.steps, self.fs, self.gs, self.gtds
        d_norm = xp.abs(self.d).max()
        insufficient_progress = False
        low, high = (0, 1) if fs[0] <= fs[-1] else (1, 0)
        while not done and self.ls_iter < self.max_ls:
            if abs(steps[1] - steps[0]) * d_norm < tolerance_change:
                break
            t = _cubic_interpolate(steps[0], fs[0], gtds[0], steps[1], fs[1], gtds[1])
            t, insufficient_progress = _away_from_ends(t, steps, insufficient_progress)
            f_new, g_new, gtd_new = self._at(t)
            self.ls_iter += 1
            if self._too_little_decrease(t, f_new) or f_new >= fs[low]:
                steps[high], fs[high], gs[high], gtds[high] = t, f_new, g_new.copy(), gtd_new
                low, high = (0, 1) if fs[0] <= fs[1] else (1, 0)
            else:
                if self._curvature(gtd_new):
                    done = True
                elif gtd_new * (steps[high] - steps[low]) >= 0:
                    steps[high], fs[high] = steps[low], fs[low]
                    gs[high], gtds[high] = gs[low], gtds[low]
                steps[low], fs[low], gs[low], gtds[low] = t, f_new, g_new.copy(), gtd_new
        return fs[low], gs[low], steps[low], self.evals


def _away_from_ends(t, steps, insufficient_progress):
    """Keep ``t`` a tenth of the bracket away from its ends, unless the last step made too
    little progress; returns (t, insufficient_progress) as PyTorch's safeguard does."""
    margin = 0.1 * (max(steps) - min(steps))
    if min(max(steps) - t, t - min(steps)) < margin:
        if insufficient_progress or t >= max(steps) or t <= min(steps):
            if abs(t - max(steps)) < abs(t - min(steps)):
                return max(steps) - margin, False
            return min(steps) + margin, False
        return t, True
    return t, False


def _wrap(value):
    """Store arrays and NumPy scalars in the state as tensors (as PyTorch keeps them)."""
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, (ndarray, xp.generic)):
        return _new_tensor(xp.asarray(value))
    return value


def _unwrap(value):
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, Tensor):
        data = value._data
        return data[()] if data.ndim == 0 else data.copy()
    return value


_MEMORY = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss", "al")


class _Memory:
    """What L-BFGS carries from one ``step`` to the next, under PyTorch's state keys: the last
    direction and step, the curvature pairs, the previous gradient and loss."""

    __slots__ = _MEMORY

    def __init__(self, state: dict) -> None:
        for key in _MEMORY:
            setattr(self, key, _unwrap(state.get(key)))

    def save(self, state: dict) -> None:
        """Back into ``state`` in PyTorch's key order (``al`` only once the recursion ran)."""
        for key in _MEMORY:
            value = getattr(self, key)
            if key != "al" or value is not None:
                state[key] = _wrap(value)


class LBFGS(Optimizer):
    r"""Limited-memory BFGS as PyTorch implements it; ``step(closure)`` runs up to ``max_iter``
    iterations, each re-evaluating the loss through ``closure``.

    All parameters are treated as one flat vector (a single parameter group only). The
    search direction comes from the two-loop recursion over the last ``history_size`` curvature
    pairs; the step is ``lr`` (the first one scaled by ``min(1, 1/‖g‖₁)``) or chosen by a
    strong-Wolfe line search when ``line_search_fn="strong_wolfe"``.

    Example:
        >>> opt = torch.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
        >>> opt.step(closure)
    """

    def __init__(
        self,
        params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        _check_lr_eps_wd(lr, None, 0.0)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self) -> ndarray:
        pieces = [
            p._grad._data.reshape(-1) if p._grad is not None else xp.zeros(p.numel(), p._data.dtype)
            for p in self._params
        ]
        return xp.concatenate(pieces)

    def _add_step(self, step_size, direction: ndarray) -> None:
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += direction[offset : offset + n].reshape(p._data.shape) * step_size
            p._version_counter[0] += 1
            offset += n

    def _restore(self, saved: list[ndarray]) -> None:
        for p, data in zip(self._params, saved):
            p._data[...] = data
            p._version_counter[0] += 1

    def _evaluate(self, closure, x, t, d):
        """Loss and flat gradient at ``x + t·d``; the parameters are put back to ``x``."""
        self._add_step(t, d)
        with enable_grad():
            loss = float(closure())
        flat_grad = self._flat_grad()
        self._restore(x)
        return loss, flat_grad

    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss before the first one."""
        if closure is None:
            raise RuntimeError(
                "LBFGS.step() needs a closure that recomputes the loss: "
                "opt.step(lambda: (opt.zero_grad(), loss_fn().backward())...)"
            )
        with no_grad():
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if xp.abs(flat_grad).max() <= group["tolerance_grad"]:
            return orig_loss
        memory = _Memory(state)
        self._iterate(closure, group, state, memory, float(orig_loss), flat_grad)
        memory.save(state)
        return orig_loss

    def _iterate(self, closure, group, state, m: _Memory, loss: float, flat_grad) -> None:
        """Up to ``max_iter`` iterations from ``loss``/``flat_grad``, updating ``m``."""
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        current_evals = 1
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                m.d = -flat_grad
                m.old_dirs, m.old_stps, m.ro, m.H_diag = [], [], [], 1
            else:
                y, s = flat_grad - m.prev_flat_grad, m.d * m.t
                m.H_diag = _remember_pair(
                    y, s, m.old_dirs, m.old_stps, m.ro, m.H_diag, history_size
                )
                if m.al is None:
                    m.al = [None] * history_size
                m.d = _two_loop(flat_grad, m.old_dirs, m.old_stps, m.ro, m.H_diag, m.al)
            m.prev_flat_grad = flat_grad.copy()
            m.prev_loss = loss
            if state["n_iter"] == 1:
                m.t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
            else:
                m.t = lr
            gtd = xp.dot(flat_grad, m.d)
            if gtd > -tolerance_change:
                break
            if group["line_search_fn"] is not None:
                loss, flat_grad, m.t, evals = self._line_search(
                    closure, m.t, m.d, loss, flat_grad, gtd, max_eval - current_evals
                )
                self._add_step(m.t, m.d)
                opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_step(m.t, m.d)
                evals, opt_cond = 0, False
                if n_iter != max_iter:  # the loss and gradient where the step landed
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._flat_grad()
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals
            if (
                n_iter == max_iter
                or current_evals >= max_eval
                or opt_cond
                or xp.abs(m.d * m.t).max() <= tolerance_change
                or abs(loss - m.prev_loss) < tolerance_change
            ):
                break

    def _line_search(self, closure, t, d, loss, flat_grad, gtd, max_evals):
        """``_strong_wolfe`` from the current parameters: (loss, flat grad, step, evaluations)."""
        x_init = [p._data.copy() for p in self._params]
        return _strong_wolfe(
            lambda x, step, direction: self._evaluate(closure, x, step, direction),
            x_init,
            t,
            d,
            loss,
            flat_grad,
            gtd,
            max_ls=max_evals,
        )


def _remember_pair(y, s, old_dirs, old_stps, ro, h_diag, history_size):
    """Append the curvature pair (y = Δgrad, s = Δx) to the history if its curvature yᵀs is
    positive, dropping the oldest beyond ``history_size``; returns the new ``H_diag``."""
    ys = xp.dot(y, s)
    if not ys > 1e-10:  # (not ``<=``: a NaN curvature keeps the history, as in PyTorch)
        return h_diag
    if len(old_dirs) == history_size:
        old_dirs.pop(0)
        old_stps.pop(0)
        ro.pop(0)
    old_dirs.append(y)
    old_stps.append(s)
    ro.append(1.0 / ys)
    return ys / xp.dot(y, y)


def _two_loop(flat_grad, old_dirs, old_stps, ro, h_diag, al):
    """The two-loop recursion: ``−H·g`` for the inverse-Hessian estimate ``H`` built from the
    stored pairs (``al``: PyTorch's scratch list, kept in the state as it does)."""
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = xp.dot(old_stps[i], q) * ro[i]
        q += old_dirs[i] * -al[i]
    d = r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = xp.dot(old_dirs[i], r) * ro[i]
        r += old_stps[i] * (al[i] - be_i)
    return d
