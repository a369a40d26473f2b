"""``glassgrad demo``'s driver: run the three sections, print their tables, write the report.

Section 1 (``lessons``) runs the four seed lessons side by side and checks their hand
gradient; section 2 draws the seed graph and explains its gradient; section 3 (``race``)
races the optimizers. ``run_demo`` prints each section as it finishes and writes the
results, with plots, to the report directory (``viz.report``).
"""

from __future__ import annotations

import math
import platform
import shutil
import sys
import textwrap
import time

import glassgrad
from glassgrad import viz
from glassgrad._backend import xp
from glassgrad.demo import DEFAULT_STEPS, DemoOptions
from glassgrad.demo.lessons import LESSON_EPOCHS, LESSON_LR, run_lessons, seed_graph
from glassgrad.demo.progress import Progress
from glassgrad.demo.race import run_race
from glassgrad.viz.plots import require_matplotlib
from glassgrad.viz.report import check_report_dir, write_report

__all__ = ["run_demo"]


def _say(text: str = "") -> None:
    print(text, flush=True)


def _width() -> int:
    """Columns to fill: the terminal's when wider than 80, else 80 (the output fits 80)."""
    return max(80, shutil.get_terminal_size((80, 24)).columns)


def _say_wrapped(text: str, indent: str = "") -> None:
    """Print ``text`` (one or more lines) wrapped at the width, continuation lines indented."""
    for line in text.split("\n"):
        lead = indent + " " * (len(line) - len(line.lstrip()))
        _say(textwrap.fill(line, _width(), initial_indent=indent, subsequent_indent=lead + "  "))


def _fmt(value: float | None, spec: str = ".4g") -> str:
    return "diverged" if value is None else format(value, spec)


# ----------------------------------------------------------------------------- section 1


def _print_lessons(lessons: dict) -> None:
    _say_wrapped(
        f"== 1. The four lessons on y = 2x (X = {lessons['x']}), lr = {lessons['lr']}, "
        f"{lessons['epochs']} epochs =="
    )
    columns = [
        (("Case 1 NumPy (lesson)", "1 NumPy lesson"), lessons["case1_lesson"]),
        (("Case 2 autograd", "2 autograd"), lessons["case2_autograd"]),
        (("Case 3 MSELoss + SGD", "3 MSELoss + SGD"), lessons["case3_loss_optim"]),
        (("Case 4 nn.Linear", "4 nn.Linear"), lessons["case4_linear"]),
    ]
    _print_side_by_side(columns)
    _say()
    _say_wrapped(
        "Why does Case 1 differ?  The hand gradient np.dot(2*x, y_pred - y).mean() is a sum "
        "(.mean() of a scalar does nothing), so it is N = 4 times too large. The checker:"
    )
    _say_wrapped(lessons["check_lesson"]["text"], indent="  ")
    stab = lessons["stability"]
    lam, lr = stab["curvature"], lessons["lr"]
    _say_wrapped(
        f"Why is Case 1 faster, then?  A 4× gradient is a 4× learning rate: w - lr·(4g) = "
        f"w - (4·lr)·g. The loss is a parabola with curvature λ = 2/N Σ x² = {lam:g}, and "
        f"each step multiplies the error w - 2 by 1 - lr·λ: {1 - lr * lam:.3g} at lr = {lr:g}, "
        f"{1 - 4 * lr * lam:.3g} at {4 * lr:g}. That only works while lr < 2/λ = "
        f"{stab['lr_bound']:.4g}; above it w diverges (the report plots both sides)."
    )
    _say()
    _say("With the 1/N restored, np.mean(2*x*(y_pred - y)):")
    _say_wrapped(lessons["check_corrected"]["text"], indent="  ")
    _print_side_by_side(
        [
            (("Case 1 NumPy (corrected)", "1 NumPy fixed"), lessons["case1_corrected"]),
            (("Case 2 autograd", "2 autograd"), lessons["case2_autograd"]),
            (("Case 3 MSELoss + SGD", "3 MSELoss + SGD"), lessons["case3_loss_optim"]),
        ]
    )
    verdict = "agree" if lessons["corrected_cases_agree"] else "still differ"
    _say_wrapped(
        f"Cases 1-3 now {verdict} step by step: max |w1 - w2| = "
        f"{lessons['max_w_gap_corrected_vs_case2']:.2e}, max |w2 - w3| = "
        f"{lessons['max_w_gap_case2_vs_case3']:.2e}"
    )
    _say()


def _print_side_by_side(columns: list[tuple[tuple[str, str], list[dict]]]) -> None:
    """Training runs as table columns, ``w=…, loss=…`` per epoch; on a narrow terminal the
    short titles and a ``w loss`` sub-header replace the long ones."""
    width = 24
    wide = 6 + len(columns) * (width + 2) <= _width()
    if wide:
        _say("epoch " + "".join(f"| {long:<{width}}" for (long, _), _ in columns).rstrip())
    else:
        width = min(width, (_width() - 6) // len(columns) - 2)
        titles = "".join(f"| {short[:width]:<{width}}" for (_, short), _ in columns)
        _say("case  " + titles.rstrip())
        _say("epoch " + "".join(f"| {'w      loss':<{width}}" for _ in columns).rstrip())
    for index in range(len(columns[0][1])):
        cells = []
        for _, rows in columns:
            row = rows[index]
            cell = (
                f"w={row['w']:.3f}, loss={row['loss']:.3f}"
                if wide
                else f"{row['w']:<6.3f} {row['loss']:.3f}"
            )
            cells.append(f"| {cell[:width]:<{width}}")
        _say(f"{index + 1:>5} " + "".join(cells).rstrip())


# ----------------------------------------------------------------------------- section 2


def _graph_section() -> tuple[dict, dict]:
    """The seed graph: its picture (SVG text) and the chain-rule derivation of dloss/dw."""
    with viz.watch():  # keeps the forward values, which backward() frees, for the picture
        loss, leaves = seed_graph()
    picture = viz.graph(loss, params=leaves, use_locals=False)
    explanation = viz.explain(loss, wrt=leaves["w"], params=leaves, use_locals=False)
    numbers = {
        "x": leaves["x"].item(),
        "w": leaves["w"].item(),
        "y": leaves["y"].item(),
        "loss": loss.item(),
        "w_grad": leaves["w"].grad.item(),
        "explained_value": float(explanation.value),
        "explanation_text": str(explanation),
        "dot": picture.to_dot(),
    }
    return numbers, {"graph_svg": picture.to_svg()}  # system dot if installed, else built in


def _print_graph(graph: dict) -> None:
    _say_wrapped("== 2. The seed graph: x, w -> y_hat = w*x -> s = y_hat - y -> loss = s**2 ==")
    _say(f"x = {graph['x']:g}, w = {graph['w']:g}, y = {graph['y']:g}: loss = {graph['loss']:g}")
    _say_wrapped(graph["explanation_text"])
    _say(f"autograd's w.grad = {graph['w_grad']:g}")
    _say()


# ----------------------------------------------------------------------------- section 3


#: race table columns: (header, wide width, narrow width); narrow fits 80 columns
_RACE_COLUMNS = (
    ("optimizer", 16, 15),
    ("lr", 8, 7),
    ("final loss", 13, 11),
    ("best loss", 12, 11),
    ("steps to target", 17, 10),
    ("test acc", 10, 9),
    ("time (s)", 10, 9),
)


def _print_race(race: dict) -> None:
    _say_wrapped(f"-- {race['title']} ({race['steps']} steps, target loss {race['target']:g}) --")
    iris = race["problem"] == "iris"
    columns = [c for c in _RACE_COLUMNS if iris or c[0] != "test acc"]
    wide = sum(c[1] for c in columns) <= _width()
    widths = [c[1] if wide else c[2] for c in columns]
    headers = [c[0] if wide or c[0] != "steps to target" else "to target" for c in columns]
    _say(
        "".join(
            f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(headers, widths))
        )
    )
    for racer in race["racers"].values():
        reached = racer["steps_to_target"]
        cells = [
            racer["label"],
            f"{racer['lr']:g}",
            _fmt(racer["final_loss"]),
            _fmt(racer["best_loss"]),
            "-" if reached is None else str(reached),
            *([f"{racer['test_accuracy']:.1%}"] if iris else []),
            f"{racer['wall_time_s']:.2f}",
        ]
        _say(
            "".join(
                f"{c[: w - 1]:<{w}}" if i == 0 else f"{c:>{w}}"
                for i, (c, w) in enumerate(zip(cells, widths))
            )
        )
    _say()


# ----------------------------------------------------------------------------- driver


def _json_safe(value):
    """Replace NaN/inf (which JSON cannot hold) by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _compute(options: DemoOptions, steps: int) -> tuple[dict, dict]:
    """Sections 1-3, printed as they finish; returns (numbers, artefacts for the report)."""
    lessons = run_lessons(options.lr or LESSON_LR, LESSON_EPOCHS, options.seed)
    _print_lessons(lessons)
    graph, artefacts = _graph_section()
    _print_graph(graph)
    _say(f"== 3. Optimizer race: {len(options.optimizers)} optimizers, equal steps ==")
    races = {}
    with Progress(enabled=not options.quiet) as progress:
        for problem in options.datasets:
            race = run_race(problem, options.optimizers, steps, options.lr, options.seed, progress)
            races[problem] = race
            _print_race(race)
    return {"lessons": lessons, "graph": graph, "race": races}, artefacts


def run_demo(options: DemoOptions) -> dict:
    """Run every section, print the tables, write the report; return results.json's dict."""
    if options.out is not None:
        check_report_dir(options.out)
        require_matplotlib()
    steps = options.steps or DEFAULT_STEPS
    started = time.perf_counter()
    meta = {
        "glassgrad_version": glassgrad.__version__,
        "python": platform.python_version(),
        "seed": options.seed,
        "steps": steps,
        "lr_override": options.lr,
        "optimizers": options.optimizers,
        "datasets": options.datasets,
    }
    glassgrad.manual_seed(options.seed)
    # A too-large --lr diverges: the tables then say "diverged" rather than NumPy warning.
    with xp.errstate(over="ignore", invalid="ignore", divide="ignore"):
        sections, artefacts = _compute(options, steps)
    meta["wall_time_s"] = time.perf_counter() - started
    results = _json_safe({"meta": meta, **sections})

    _say("Look inside your own training loop the same way: glassgrad.explain(loss, wrt=w)")
    _say("writes out the chain rule, optimizer.explain_step(w) the update, and")
    _say("glassgrad.viz.Trace(model, optimizer) records every step and warns about slips")
    _say("such as a forgotten zero_grad().")
    if options.out is not None:
        index = write_report(results, artefacts, options.out)
        _say(f"Report written to {index}")
    else:
        print("(no report written: --no-report)", file=sys.stderr)
    return results
