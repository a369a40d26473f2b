"""Matplotlib figures for the demo report, returned as SVG text (no files, no global state).

Uses ``matplotlib.figure.Figure`` directly rather than pyplot, so nothing opens a window
and nothing leaks between figures.
"""

from __future__ import annotations

import io

from glassgrad._backend import xp

__all__ = [
    "lesson_figure",
    "loss_curves_figure",
    "require_matplotlib",
    "rosenbrock_figure",
    "stability_figure",
]

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


def _log_floor(series: list[list[float]]) -> float:
    """Where a log axis draws a loss of exactly 0: a decade below the smallest positive loss,
    so a run that reaches 0 stays on the plot instead of dropping off it."""
    positive = [v for values in series for v in values if v == v and v > 0]
    return max(min(positive, default=1.0) / 10, 1e-12)


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
    floor = _log_floor([_column(rows, "loss") for _, rows, _, _ in series])
    for label, rows, color, style in series:
        epochs = [r["epoch"] for r in rows]
        losses = [max(v, floor) if v == v else v for v in _column(rows, "loss")]
        ax_w.plot(epochs, _column(rows, "w"), style, color=color, label=label, lw=1.8)
        ax_loss.semilogy(epochs, losses, style, color=color, lw=1.8)
    ax_w.axhline(2.0, color="black", lw=0.8, alpha=0.5)
    ax_loss.axhline(floor, color="black", lw=0.6, ls=":", alpha=0.6)
    ax_loss.annotate(
        "loss 0 (exact) drawn here",
        (1, floor),
        xytext=(2, 4),
        textcoords="offset points",
        fontsize=7,
        alpha=0.7,
    )
    ax_w.set(xlabel="epoch", ylabel="w (after the update)", title="w per epoch (true w = 2)")
    ax_loss.set(xlabel="epoch", ylabel="MSE loss (log scale)", title="loss per epoch")
    ax_w.legend(fontsize=7.5, loc="lower right")
    for ax in (ax_w, ax_loss):
        ax.grid(alpha=0.3)
    return _svg(figure)


def stability_figure(stability: dict) -> str:
    """|w − 2| per epoch at learning rates below and above the bound 2/λ (log scale)."""
    Figure = require_matplotlib()
    figure = Figure(figsize=(7.5, 3.8))
    ax = figure.subplots()
    styles = ["-", "--", "-.", ":"]
    errors = []
    for (label, run), style in zip(stability["runs"].items(), styles):
        error = [abs(w - 2.0) if w == w else float("nan") for w in _column(run["rows"], "w")]
        errors.append((label, run, style, error))
    floor = _log_floor([e for *_, e in errors])
    for label, run, style, error in errors:
        epochs = [r["epoch"] for r in run["rows"]]
        text = f"{label}: lr = {run['lr']:g}, 1 − lr·λ = {run['factor']:.2f}"
        ax.semilogy(epochs, [max(e, floor) for e in error], style, lw=1.8, label=text)
    ax.set(
        xlabel="epoch",
        ylabel="|w − 2| (log scale)",
        title=f"Converges only for lr < 2/λ = {stability['lr_bound']:.4g} (λ = "
        f"{stability['curvature']:g})",
    )
    ax.title.set_fontsize(10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5)
    return _svg(figure)


def path_view(paths: list) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) holding the valley's usual window [−2, 2] × [−1, 3] and every
    point of every path, with a 5% margin: no path leaves its panel."""
    points = [p for path in paths for p in path] + [(-2.0, -1.0), (2.0, 3.0)]
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    pad_x, pad_y = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    return x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y


def rosenbrock_figure(race: dict) -> str:
    """Each racer's path over the Rosenbrock contours, one small panel per optimizer so the
    paths do not hide each other; every panel's view holds the whole path."""
    Figure = require_matplotlib()
    racers = list(race["racers"].items())
    paths = {
        name: [p for p in racer["trajectory"] if p and None not in p and max(map(abs, p)) < 1e3]
        for name, racer in racers
    }
    x0, x1, y0, y1 = path_view(list(paths.values()))
    gx, gy = xp.meshgrid(xp.linspace(x0, x1, 200), xp.linspace(y0, y1, 200))
    levels = xp.log10((1 - gx) ** 2 + 100 * (gy - gx**2) ** 2 + 1e-3)
    columns = 4
    rows = -(-len(racers) // columns)
    figure = Figure(figsize=(3.1 * columns, 2.7 * rows))
    axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, (name, racer) in zip(axes, racers):
        path = paths[name]
        ax.contour(gx, gy, levels, levels=20, cmap="Greys", linewidths=0.5)
        ax.plot([p[0] for p in path], [p[1] for p in path], "-", color=COLORS.get(name), lw=1.4)
        if path:
            ax.plot([path[-1][0]], [path[-1][1]], "o", color=COLORS.get(name), ms=5)
        ax.plot([-1.5], [2.0], "ks", ms=4)
        ax.plot([1.0], [1.0], "*", color="gold", mec="black", ms=10)
        final = racer["final_loss"]
        ending = "diverged" if final is None else f"final loss {final:.3g}"
        ax.set_title(f"{racer['label']} (lr {racer['lr']:g}): {ending}", fontsize=8)
        ax.set(xlim=(x0, x1), ylim=(y0, y1))
    for ax in axes[len(racers) :]:
        ax.axis("off")
    figure.suptitle(
        f"Rosenbrock, {race['steps']} steps each from the square (−1.5, 2) to the star (1, 1)",
        fontsize=10,
    )
    return _svg(figure)


def loss_curves_figure(race: dict) -> str:
    """Loss against steps for every racer on one problem (log scale)."""
    Figure = require_matplotlib()
    figure = Figure(figsize=(7.5, 4.0))
    ax = figure.subplots()
    curves = {
        name: [(s, v) for s, v in zip(racer["loss_steps"], racer["losses"]) if v is not None]
        for name, racer in race["racers"].items()
    }
    floor = _log_floor([[v for _, v in points] for points in curves.values()])
    for name, racer in race["racers"].items():
        points = curves[name]
        ax.semilogy(
            [s for s, _ in points],
            [max(v, floor) for _, v in points],
            color=COLORS.get(name),
            lw=1.6,
            label=racer["label"],
        )
    ax.axhline(race["target"], color="black", lw=0.8, ls="--", label="target")
    if any(v <= 0 for points in curves.values() for _, v in points):
        ax.axhline(floor, color="black", lw=0.6, ls=":", alpha=0.6)
        ax.annotate(
            "loss 0 (exact) drawn here",
            (max(s for points in curves.values() for s, _ in points), floor),
            xytext=(-2, 4),
            ha="right",
            textcoords="offset points",
            fontsize=7,
            alpha=0.7,
        )
        ax.set_ylim(bottom=floor / 3)
    ylabel = "training-set loss after each epoch" if race["problem"] == "iris" else "loss"
    ax.set(xlabel="step", ylabel=f"{ylabel} (log scale)", title=race["title"])
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="best")
    return _svg(figure)
