"""Matplotlib figures for the demo report, returned as SVG text (no files, no global state).

Uses ``matplotlib.figure.Figure`` directly rather than pyplot, so nothing opens a window
and nothing leaks between figures.
"""

from __future__ import annotations

import io

__all__ = ["lesson_figure", "rosenbrock_figure", "loss_curves_figure", "require_matplotlib"]

COLORS = {
    "sgd": "#1f77b4",
    "momentum": "#ff7f0e",
    "nesterov": "#2ca02c",
    "rmsprop": "#d62728",
    "adagrad": "#9467bd",
    "adam": "#8c564b",
    "adamw": "#e377c2",
}


def require_matplotlib():
    """The ``Figure`` class, or an ImportError saying how to install matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "the report's plots need matplotlib: pip install 'glassgrad[demo]' "
            "(or run glassgrad demo --no-report)"
        ) from None
    return Figure


def _column(rows: list[dict], key: str) -> list[float]:
    """One column of a results table; a diverged (None) entry becomes NaN, a gap in the line."""
    return [float("nan") if r[key] is None else r[key] for r in rows]


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()


def lesson_figure(lessons: dict) -> str:
    """w and loss per epoch for the lesson's gradient, the corrected one and Cases 2-4."""
    Figure = require_matplotlib()
    figure = Figure(figsize=(10, 3.6))
    ax_w, ax_loss = figure.subplots(1, 2)
    series = [
        ("Case 1, lesson gradient (4× too large)", lessons["case1_lesson"], "#d62728", "-"),
        ("Case 1, corrected gradient", lessons["case1_corrected"], "#1f77b4", "-"),
        ("Case 2, autograd", lessons["case2_autograd"], "#2ca02c", "--"),
        ("Case 3, MSELoss + SGD", lessons["case3_loss_optim"], "#ff7f0e", ":"),
        ("Case 4, nn.Linear (w and a bias)", lessons["case4_linear"], "#7f7f7f", "-."),
    ]
    for label, rows, color, style in series:
        epochs = [r["epoch"] for r in rows]
        ax_w.plot(epochs, _column(rows, "w"), style, color=color, label=label, lw=1.8)
        ax_loss.semilogy(epochs, _column(rows, "loss"), style, color=color, lw=1.8)
    ax_w.axhline(2.0, color="black", lw=0.8, alpha=0.5)
    ax_w.set(xlabel="epoch", ylabel="w (after the update)", title="w per epoch (true w = 2)")
    ax_loss.set(xlabel="epoch", ylabel="MSE loss (log scale)", title="loss per epoch")
    ax_w.legend(fontsize=7.5, loc="lower right")
    for ax in (ax_w, ax_loss):
        ax.grid(alpha=0.3)
    return _svg(figure)


def rosenbrock_figure(race: dict) -> str:
    """Every racer's path over the contours of the Rosenbrock function."""
    from glassgrad._backend import xp

    Figure = require_matplotlib()

    figure = Figure(figsize=(7.5, 5.2))
    ax = figure.subplots()
    xs = xp.linspace(-2.0, 2.0, 300)
    ys = xp.linspace(-1.0, 3.0, 300)
    gx, gy = xp.meshgrid(xs, ys)
    surface = (1 - gx) ** 2 + 100 * (gy - gx**2) ** 2
    ax.contour(gx, gy, xp.log10(surface + 1e-3), levels=25, cmap="Greys", linewidths=0.6)
    for name, racer in race["racers"].items():
        path = [p for p in racer["trajectory"] if p and None not in p]
        px = [p[0] for p in path]
        py = [p[1] for p in path]
        ax.plot(px, py, "-", color=COLORS.get(name), lw=1.6, label=racer["label"], alpha=0.9)
        ax.plot(px[-1:], py[-1:], "o", color=COLORS.get(name), ms=5)
    ax.plot([-1.5], [2.0], "ks", ms=6, label="start (-1.5, 2)")
    ax.plot([1.0], [1.0], "*", color="gold", mec="black", ms=14, label="minimum (1, 1)")
    ax.set(xlim=(-2, 2), ylim=(-1, 3), xlabel="x", ylabel="y")
    ax.set_title(f"Rosenbrock: {race['steps']} steps each")
    ax.legend(fontsize=7.5, loc="lower right")
    return _svg(figure)


def loss_curves_figure(race: dict) -> str:
    """Loss against steps for every racer on one problem (log scale)."""
    Figure = require_matplotlib()
    figure = Figure(figsize=(7.5, 4.0))
    ax = figure.subplots()
    for name, racer in race["racers"].items():
        points = [(s, v) for s, v in zip(racer["loss_steps"], racer["losses"]) if v is not None]
        ax.semilogy(
            [s for s, _ in points],
            [max(v, 1e-12) for _, v in points],
            color=COLORS.get(name),
            lw=1.6,
            label=racer["label"],
        )
    ax.axhline(race["target"], color="black", lw=0.8, ls="--", label="target")
    ylabel = "training-set loss after each epoch" if race["problem"] == "iris" else "loss"
    ax.set(xlabel="step", ylabel=f"{ylabel} (log scale)", title=race["title"])
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5)
    return _svg(figure)
