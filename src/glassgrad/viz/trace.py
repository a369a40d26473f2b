"""Record a training run step by step, and warn about the classic slips it shows.

Example:
    >>> trace = viz.Trace(model, optimizer)
    >>> for epoch in range(100):
    ...     optimizer.zero_grad()
    ...     loss = loss_fn(model(x), y)
    ...     loss.backward()
    ...     optimizer.step()
    ...     trace.record(loss)
    >>> trace.to_csv("run.csv"); trace.plot_loss()
"""

from __future__ import annotations

import csv
import html
import math

from glassgrad._backend import xp
from glassgrad._warn import warn_at_user_line
from glassgrad.viz._html import table
from glassgrad.viz.graph import named_tensors

__all__ = ["Trace"]


def _norm(array) -> float:
    a = xp.asarray(array, dtype=xp.float64)
    return float(xp.sqrt((a * a).sum()))


def _matplotlib():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib: pip install 'glassgrad[viz]' (or pip install matplotlib)"
        ) from None
    return plt


class Trace:
    """Per-step loss, parameter values, gradients, update sizes and optimizer state norms.

    Call :meth:`record` once per iteration, after ``optimizer.step()``; the update size is
    the change of each parameter since the previous record.

    Args:
        params: a Module, a dict ``{name: tensor}``, or a list of tensors.
        optimizer: optional; its per-parameter state norms (``exp_avg`` ...) are recorded.
        warn: emit warnings for the slips detected (they are always kept in ``.warnings``).
    """

    def __init__(self, params, optimizer=None, *, warn: bool = True):
        self.params = named_tensors(params)
        self.optimizer = optimizer
        self.warn = warn
        self.steps: list[dict] = []
        self.warnings: list[str] = []
        self._last_values = {n: p.detach().numpy().copy() for n, p in self.params.items()}
        self._fresh = {n: True for n in self.params}
        self._stale = {n: 0 for n in self.params}
        self._said: set = set()
        for name, p in self.params.items():
            if p.requires_grad:
                p.register_hook(lambda g, name=name, p=p: self._on_grad(name, p))

    def _on_grad(self, name: str, p) -> None:
        """Tensor hook: at a step's first gradient, is last step's ``.grad`` still there?"""
        if not self._fresh[name]:
            return
        self._fresh[name] = False
        old = p.grad
        if old is not None and bool((old.detach().numpy() != 0).any()):
            self._stale[name] += 1
        else:
            self._stale[name] = 0

    def record(self, loss=None) -> dict:
        """Store this step's numbers and check for slips; returns the row."""
        row: dict = {"step": len(self.steps) + 1}
        if loss is not None:
            row["loss"] = float(loss.item() if hasattr(loss, "item") else loss)
            if not math.isfinite(row["loss"]):
                self._say("nan-loss", f"the loss is {row['loss']} at step {row['step']}")
        for name, p in self.params.items():
            value = p.detach().numpy().copy()
            row[f"{name}.value"] = value
            row[f"{name}.update_norm"] = _norm(value - self._last_values[name])
            self._last_values[name] = value
            grad = p.grad
            if grad is None:
                row[f"{name}.grad"] = None
                row[f"{name}.grad_norm"] = None
            else:
                g = grad.detach().numpy().copy()
                row[f"{name}.grad"] = g
                row[f"{name}.grad_norm"] = _norm(g)
                if not xp.isfinite(g).all():
                    self._say(
                        f"nan-grad-{name}",
                        f"the gradient of {name} has NaN/inf at step {row['step']}; run the "
                        "forward and backward inside torch.autograd.detect_anomaly() to find "
                        "the op",
                    )
            if not xp.isfinite(value).all():
                self._say(f"nan-value-{name}", f"{name} has NaN/inf values at step {row['step']}")
            self._check_accumulation(name)
            for key, norm in self._state_norms(p).items():
                row[f"{name}.state.{key}_norm"] = norm
        self.steps.append(row)
        self._check_unused()
        return row

    # -- checks
    def _say(self, key: str, message: str) -> None:
        if key in self._said:
            return
        self._said.add(key)
        self.warnings.append(message)
        if self.warn:
            warn_at_user_line(f"glassgrad.viz.Trace: {message}")

    def _check_accumulation(self, name: str) -> None:
        """Two steps running began with last step's gradient still in ``.grad``: the
        gradients are summing up because ``zero_grad()`` is never called."""
        self._fresh[name] = True
        if self._stale[name] >= 2:
            self._say(
                "zero-grad",
                f"the gradient of {name} keeps growing: for {self._stale[name]} steps in a row "
                "backward() added to the previous step's .grad — call optimizer.zero_grad() "
                "once per step",
            )

    def _check_unused(self) -> None:
        if len(self.steps) < 2:
            return
        for name in self.params:
            if all(row[f"{name}.grad"] is None for row in self.steps):
                self._say(
                    f"no-grad-{name}",
                    f"{name} has received no gradient in {len(self.steps)} steps: it is not "
                    "used in the loss, was detached, or has requires_grad=False",
                )

    def _state_norms(self, p) -> dict:
        if self.optimizer is None:
            return {}
        state = self.optimizer.state.get(p, {})
        out = {}
        for key, value in state.items():
            if key != "step" and hasattr(value, "detach"):
                out[key] = _norm(value.detach().numpy())
        return out

    # -- export
    def _repr_html_(self, shown: int = 8) -> str:
        """Jupyter's view: loss and gradient norms of the first and last steps, and the
        warnings so far."""
        data = self.to_dict()
        keys = [k for k in data if k in {"step", "loss"} or k.endswith("grad_norm")]
        n = len(self.steps)
        picked = (
            list(range(n)) if n <= shown else [*range(shown // 2), None, *range(n - shown // 2, n)]
        )
        rows = [
            ["⋯"] * len(keys) if i is None else [_short(data[k][i]) for k in keys] for i in picked
        ]
        caption = f"Trace of {len(self.params)} parameter(s), {n} step(s)"
        warned = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return table(keys, rows, caption) + (f"<ul>{warned}</ul>" if warned else "")

    def to_dict(self) -> dict:
        """Columns as lists: ``loss``, ``<name>.value``, ``<name>.grad_norm``, ... (arrays
        become nested lists)."""
        keys: list = []
        for row in self.steps:
            keys.extend(k for k in row if k not in keys)
        return {k: [_plain(row.get(k)) for row in self.steps] for k in keys}

    def to_csv(self, path) -> None:
        """One row per step; one-element parameters as numbers, larger ones as norms."""
        columns = ["step"] + (["loss"] if any("loss" in row for row in self.steps) else [])
        for name, p in self.params.items():
            if p.numel() == 1:
                columns += [f"{name}.value", f"{name}.grad"]
            else:
                columns += [f"{name}.value_norm", f"{name}.grad_norm"]
            columns.append(f"{name}.update_norm")
            for row in self.steps:
                columns.extend(
                    k for k in row if k.startswith(f"{name}.state.") and k not in columns
                )
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            for row in self.steps:
                writer.writerow([_cell(row, key) for key in columns])

    # -- plots
    def plot_loss(self, ax=None, log: bool = False):
        """Loss per step (matplotlib); returns the Axes."""
        plt = _matplotlib()
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.2))
        losses = [row.get("loss") for row in self.steps]
        ax.plot([row["step"] for row in self.steps], losses, marker=".")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        if log:
            ax.set_yscale("log")
        ax.set_title("training loss")
        return ax

    def plot_trajectory(self, loss_fn, names=None, ax=None, grid: int = 60, margin: float = 0.5):
        """The path of one or two one-element parameters over the loss surface.

        Args:
            loss_fn: the loss as a function of those parameters' values (floats).
            names: which parameters (default: the first one or two).
        """
        plt = _matplotlib()
        names = list(names or list(self.params)[:2])
        paths = [[float(xp.asarray(row[f"{n}.value"]).reshape(-1)[0]) for row in self.steps]
                 for n in names]  # fmt: skip
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4))
        spans = []
        for path in paths:
            lo, hi = min(path), max(path)
            pad = margin * max(hi - lo, 1e-3)
            spans.append(xp.linspace(lo - pad, hi + pad, grid))
        if len(names) == 1:
            ax.plot(spans[0], [float(loss_fn(v)) for v in spans[0]], color="#555555")
            ax.plot(paths[0], [float(loss_fn(v)) for v in paths[0]], "o-", color="#b91c1c")
            ax.set_xlabel(names[0])
            ax.set_ylabel("loss")
        else:
            gx, gy = xp.meshgrid(spans[0], spans[1])
            z = xp.vectorize(lambda a, b: float(loss_fn(a, b)))(gx, gy)
            contour = ax.contour(gx, gy, z, levels=20, cmap="viridis")
            ax.clabel(contour, inline=True, fontsize=7)
            ax.plot(paths[0], paths[1], "o-", color="#b91c1c", markersize=3)
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
        ax.set_title("parameter trajectory over the loss surface")
        return ax


def _plain(value):
    if value is None or isinstance(value, (int, float)):
        return value
    a = xp.asarray(value)
    return a.item() if a.ndim == 0 else a.tolist()


def _cell(row: dict, key: str):
    if key.endswith(".value_norm"):
        return _norm(row[key[: -len("_norm")]])
    value = row.get(key)
    if value is None:
        return ""
    return value if isinstance(value, (int, float)) else xp.asarray(value).reshape(-1)[0].item()


def _short(value) -> str:
    return "" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
