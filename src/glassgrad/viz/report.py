"""The demo's self-contained HTML report: ``index.html``, SVG figures and ``results.json``.

The directory is built under a temporary name next to its destination and renamed into
place only when complete, so an interrupted run never leaves a half report that looks done.
An existing directory is replaced only if it is empty or is itself a glassgrad report.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile

from glassgrad.viz import plots

__all__ = ["SECTIONS", "ReportDirError", "check_report_dir", "write_report"]

# id -> heading; every one is present in index.html (the browser test checks them)
SECTIONS = {
    "lessons": "1. Four lessons, one bug",
    "stepper": "Step through the training loop",
    "graph": "2. The seed graph and the chain rule",
    "race": "3. Optimizer race",
    "data": "Data sets",
}

MARKER = "results.json"

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1d2330; background: #f6f7fb; line-height: 1.45; }
header { background: #1d2330; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 1.6em; } header p { margin: 4px 0 0; color: #c9d1e4; }
nav { padding: 8px 32px; background: #e6e9f2; font-size: 0.95em; }
nav a { margin-right: 18px; color: #1d3f8f; text-decoration: none; }
main { max-width: 1100px; margin: 0 auto; padding: 8px 32px 40px; }
section { background: #fff; border-radius: 8px; padding: 8px 24px 20px; margin: 18px 0;
          box-shadow: 0 1px 3px rgba(0,0,0,0.08); }
h2 { border-bottom: 2px solid #e6e9f2; padding-bottom: 4px; }
table { border-collapse: collapse; font-size: 0.88em; margin: 10px 0; }
th, td { border: 1px solid #dde1ec; padding: 3px 9px; text-align: right; }
th { background: #eef1f8; } td.name, th.name { text-align: left; }
tr.best td { background: #e9f7ec; font-weight: 600; }
pre { background: #f3f4f8; padding: 10px 14px; border-radius: 6px; overflow-x: auto;
      font-size: 0.88em; }
pre.wrap { white-space: pre-wrap; overflow-wrap: anywhere; }
img.figure { max-width: 100%; display: block; margin: 10px 0; }
.finding { border-left: 4px solid #d62728; background: #fff4f4; padding: 8px 14px; }
.agree { border-left: 4px solid #2ca02c; background: #f1fbf3; padding: 8px 14px; }
#stepthrough input[type=range] { width: 100%; }
#stepthrough svg text { font-family: monospace; font-size: 13px; }
#stepthrough .grad { fill: #b91c1c; } #stepthrough rect { fill: #f3f4f8; stroke: #99a; }
#stepthrough line { stroke: #667; stroke-width: 1.2; marker-end: url(#arrow); }
.cols { display: flex; gap: 18px; flex-wrap: wrap; align-items: flex-start; }
footer { color: #667; font-size: 0.85em; text-align: center; padding: 10px; }
"""

# Records, once the page has loaded, whether every <img> decoded: the browser test reads it.
IMAGE_CHECK = """
window.addEventListener("load", function () {
  var status = Array.prototype.map.call(document.images, function (img) {
    return {src: img.getAttribute("src"), loaded: img.complete && img.naturalWidth > 0};
  });
  var ok = status.every(function (s) { return s.loaded; });
  document.getElementById("image-status").textContent = JSON.stringify(status);
  document.body.setAttribute("data-images", ok ? "all-loaded" : "some-missing");
});
"""


class ReportDirError(ValueError):
    """The report directory cannot be used (not writable, or not ours to replace)."""


def check_report_dir(out: str) -> None:
    """Fail early, before any work, if ``out`` cannot receive a report."""
    out = os.path.abspath(out)
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise ReportDirError(f"--out {out} exists and is not a directory")
        if os.listdir(out) and not os.path.exists(os.path.join(out, MARKER)):
            raise ReportDirError(
                f"--out {out} is a non-empty directory that is not a glassgrad report; "
                "choose a new or empty directory"
            )
    parent = os.path.dirname(out)
    try:  # really try: permission bits say little for root or on special file systems
        os.makedirs(parent, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=".glassgrad-probe-", dir=parent))
    except OSError as exc:
        raise ReportDirError(f"--out {out}: cannot write there ({exc.strerror})") from None


def _e(value) -> str:
    return html.escape(str(value))


def _num(value, spec: str = ".4g") -> str:
    return "diverged" if value is None else format(value, spec)


def _table(header: list[str], rows: list[list[str]], best: int | None = None) -> str:
    head = "".join(
        f'<th class="name">{_e(h)}</th>' if i == 0 else f"<th>{_e(h)}</th>"
        for i, h in enumerate(header)
    )
    body = []
    for index, row in enumerate(rows):
        cells = "".join(
            f'<td class="name">{_e(c)}</td>' if i == 0 else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        css = ' class="best"' if index == best else ""
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _lessons_table(columns: list[tuple[str, list[dict]]]) -> str:
    header = ["epoch"] + [title for title, _ in columns]
    rows = []
    for index in range(len(columns[0][1])):
        cells = [str(index + 1)]
        for _, table in columns:
            row = table[index]
            cells.append(f"w={_num(row['w'], '.3f')}, loss={_num(row['loss'], '.3f')}")
        rows.append(cells)
    return _table(header, rows)


def _lessons_html(lessons: dict) -> str:
    verdict = "agree" if lessons["corrected_cases_agree"] else "still differ"
    first = _num(lessons["case1_lesson"][0]["w"], ".3f")
    auto = _num(lessons["case2_autograd"][0]["w"], ".3f")
    as_printed = _lessons_table(
        [
            ("Case 1 NumPy (lesson)", lessons["case1_lesson"]),
            ("Case 2 autograd", lessons["case2_autograd"]),
            ("Case 3 MSELoss + SGD", lessons["case3_loss_optim"]),
            ("Case 4 nn.Linear", lessons["case4_linear"]),
        ]
    )
    corrected = _lessons_table(
        [
            ("Case 1 NumPy (corrected)", lessons["case1_corrected"]),
            ("Case 2 autograd", lessons["case2_autograd"]),
            ("Case 3 MSELoss + SGD", lessons["case3_loss_optim"]),
        ]
    )
    return f"""
<p>The same problem four ways: learn <code>w</code> in <code>y = w·x</code> from
X = {_e(lessons["x"])}, Y = {_e(lessons["y"])}, starting at w = 0 with learning rate
{lessons["lr"]:g} for {lessons["epochs"]} epochs. Case 1 derives the gradient by hand in NumPy,
Case 2 lets autograd compute it and updates under <code>no_grad()</code>, Case 3 uses
<code>nn.MSELoss</code> and <code>optim.SGD</code>, Case 4 uses <code>nn.Linear(1, 1)</code>
(a bias and a random start, so its path differs by design).</p>
<img class="figure" src="lessons.svg" alt="w and loss per epoch for every case">
<div class="finding"><p><b>Finding.</b> After one step Case 1 has w = {first} but
autograd has w = {auto}. That is not floating-point precision: the lesson's gradient
<code>np.dot(2*x, y_pred - y).mean()</code> is a <em>sum</em> over the N = 4 samples
(<code>.mean()</code> of a scalar does nothing), so it is N times the gradient of the mean
squared error. The hand-gradient checker, run along the training path:</p>
<pre class="wrap">{_e(lessons["check_lesson"]["text"])}</pre></div>
{_why_html(lessons)}
<div class="agree"><p>With the 1/N restored, <code>np.mean(2*x*(y_pred - y))</code>:</p>
<pre class="wrap">{_e(lessons["check_corrected"]["text"])}</pre>
<p>and Cases 1–3 {verdict} step by step (largest difference in w:
{_num(lessons["max_w_gap_corrected_vs_case2"], ".2e")} between Cases 1 and 2,
{_num(lessons["max_w_gap_case2_vs_case3"], ".2e")} between Cases 2 and 3).</p></div>
<h3>The lessons' tables, side by side</h3>
{as_printed}
<h3>With the corrected gradient</h3>
{corrected}
"""


def _why_html(lessons: dict) -> str:
    """Why the buggy Case 1 converges faster, and where faster turns into diverging."""
    lr = lessons["lr"]
    stab = lessons["stability"]
    lam, bound = stab["curvature"], stab["lr_bound"]
    rows = []
    for label, run in stab["runs"].items():
        last = run["rows"][-1]
        factor = run["factor"]
        fate = "converges" if abs(factor) < 1 else "diverges"
        if abs(factor) < 1 and factor < 0:
            fate += ", overshooting each step"
        rows.append([label, f"{run['lr']:g}", f"{factor:.3g}", fate, _num(last["w"], ".4g")])
    table = _table(["run", "lr", "1 − lr·λ", "so the error", "w after 20 epochs"], rows)
    return f"""
<h3>Why is the buggy Case 1 <em>faster</em>?</h3>
<p>A gradient 4× too large is exactly a 4× learning rate: w − lr·(4g) = w − (4·lr)·g. So
Case 1 is plain gradient descent with lr = {4 * lr:g} instead of {lr:g}. On this loss that
helps, up to a limit. L(w) = 1/N Σ (w·xᵢ − yᵢ)² is a parabola with curvature
λ = L″(w) = 2/N Σ xᵢ² = {lam:g}, so one step multiplies the error w − 2 by (1 − lr·λ):
{1 - lr * lam:.3g} at lr = {lr:g}, {1 - 4 * lr * lam:.3g} at lr = {4 * lr:g}, which is why
Case 1 gets there first. The error shrinks only while |1 − lr·λ| &lt; 1, that is for
<b>lr &lt; 2/λ_max = 2/{lam:g} = {bound:.4g}</b>. Above it every step overshoots by more than
it corrects and w runs away. With the lesson's 4×-too-large gradient the limit is
{bound / 4:.4g}: the same bug at a larger learning rate diverges.</p>
{table}
<img class="figure" src="stability.svg" alt="w per epoch for learning rates below and above 2/λ">
"""


_STEPPER_GRAPH = """
<svg viewBox="0 0 1160 200" width="100%" role="img" aria-label="the loop's graph at this step">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7"
markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker></defs>
<rect x="5" y="5" width="250" height="36" rx="6"/>
<text id="node-x" data-fit="232" x="14" y="28"></text>
<rect x="5" y="120" width="250" height="56" rx="6"/>
<text id="node-w" data-fit="232" x="14" y="143"></text>
<text id="node-w-grad" data-fit="232" class="grad" x="14" y="166"></text>
<rect x="290" y="50" width="310" height="56" rx="6"/>
<text id="node-yhat" data-fit="292" x="299" y="73"></text>
<text id="node-yhat-grad" data-fit="292" class="grad" x="299" y="96"></text>
<rect x="290" y="140" width="310" height="36" rx="6"/>
<text id="node-y" data-fit="292" x="299" y="163"></text>
<rect x="635" y="90" width="310" height="56" rx="6"/>
<text id="node-s" data-fit="292" x="644" y="113"></text>
<text id="node-s-grad" data-fit="292" class="grad" x="644" y="136"></text>
<rect x="975" y="90" width="180" height="56" rx="6"/>
<text id="node-loss" data-fit="166" x="982" y="123"></text>
<line x1="255" y1="30" x2="290" y2="70"/><line x1="255" y1="140" x2="290" y2="90"/>
<line x1="600" y1="85" x2="635" y2="108"/><line x1="600" y1="158" x2="635" y2="130"/>
<line x1="945" y1="118" x2="975" y2="118"/>
</svg>"""


def _stepper_html(lessons: dict) -> str:
    """The step-through: a slider over the Case 2/3 loop; ``viz/stepper.js`` fills in the
    graph, the explanation, the update and the loss-curve point for the chosen step."""
    from importlib.resources import files

    steps = lessons["walkthrough"]
    data = json.dumps(steps, allow_nan=False).replace("</", "<\\/")
    script = files("glassgrad.viz").joinpath("stepper.js").read_text(encoding="utf-8")
    return f"""
<div id="stepthrough" data-step="">
<p>The loop of Cases 2 and 3 (<code>loss = ((w·x − y)²).mean()</code>,
<code>loss.backward()</code>, <code>optimizer.step()</code> with lr = {lessons["lr"]:g}),
one step at a time. Move the slider: the graph shows each node's value and, in red, the
gradient backward() sent to it; below are the chain rule for ∂loss/∂w and the update
<code>step()</code> made, with the step's numbers.</p>
<label>step <b id="stepper-k"></b> of {len(steps)}
<input id="stepper-slider" type="range" min="0" max="{len(steps) - 1}" value="0" step="1">
</label>
{_STEPPER_GRAPH}
<div class="cols">
<div><h4>∂loss/∂w by the chain rule</h4><pre id="stepper-explanation" class="wrap"></pre>
<h4>The update</h4><pre id="stepper-update" class="wrap"></pre>
<p>w after this step: <b id="stepper-w-after"></b></p></div>
<div><h4>Loss per step (log scale)</h4>
<svg id="stepper-curve" viewBox="0 0 360 160" width="360" height="160">
<rect x="0" y="0" width="360" height="160" fill="#fff" stroke="#dde1ec"/>
<polyline id="stepper-line" fill="none" stroke="#1f77b4" stroke-width="1.6" points=""/>
<circle id="stepper-dot" r="5" fill="#d62728" cx="0" cy="0"/>
<text id="stepper-loss-label" x="34" y="18"></text></svg></div>
</div>
<script type="application/json" id="stepper-data">{data}</script>
<script>{script}</script>
</div>
"""


def _graph_html(graph: dict) -> str:
    return f"""
<p>The seed example: x = {graph["x"]:g}, w = {graph["w"]:g}, y = {graph["y"]:g};
ŷ = w·x, s = ŷ − y, loss = s² = {graph["loss"]:g}. Each node shows its forward value and,
after <code>loss.backward()</code>, the gradient flowing back along each edge.</p>
<img class="figure" src="graph.svg" alt="computational graph of the seed">
<h3>∂loss/∂w by the chain rule</h3>
<pre class="explanation wrap">{_e(graph["explanation_text"])}</pre>
<p>autograd's <code>w.grad</code> = {graph["w_grad"]:g}; the explanation's sum =
{graph["explained_value"]:g}.</p>
"""


def _race_html(race: dict) -> str:
    problem = race["problem"]
    racers = list(race["racers"].values())
    extra = problem == "iris"
    header = ["optimizer", "lr", "final loss", "best loss", "steps to target"]
    header += ["train acc", "test acc"] if extra else []
    header += ["R²"] if problem == "diabetes" else []
    header += ["w, b"] if problem == "line" else []
    header += ["final point"] if problem == "rosenbrock" else []
    header += ["time (s)"]
    rows = []
    for r in racers:
        row = [
            r["label"],
            f"{r['lr']:g}",
            _num(r["final_loss"]),
            _num(r["best_loss"]),
            "not reached" if r["steps_to_target"] is None else str(r["steps_to_target"]),
        ]
        if extra:
            row += [f"{r['train_accuracy']:.1%}", f"{r['test_accuracy']:.1%}"]
        if problem == "diabetes":
            row += [_num(r["r2"], ".3f")]
        if problem == "line":
            row += [f"{_num(r['w'], '.3f')}, {_num(r['b'], '.3f')}"]
        if problem == "rosenbrock":
            point = r["final_point"]
            row += ["diverged" if None in point else f"({point[0]:.3f}, {point[1]:.3f})"]
        row += [f"{r['wall_time_s']:.2f}"]
        rows.append(row)
    best, what = _best(racers, extra)
    figures = f'<img class="figure" src="race-{problem}.svg" alt="loss curves on {problem}">'
    if problem == "rosenbrock":
        figures = (
            '<div class="cols"><img class="figure" src="rosenbrock-paths.svg" '
            'alt="optimizer paths over the Rosenbrock contours">'
            f"{figures}</div>"
        )
    return f"""
<section id="race-{problem}">
<h3>{_e(race["title"])}</h3>
<p>{race["steps"]} steps for every optimizer from the same start; target loss
{race["target"]:g}. The {what} is highlighted.</p>
{_table(header, rows, best)}
{figures}
</section>
"""


def _best(racers: list, by_accuracy: bool) -> tuple[int | None, str]:
    """The row to highlight: the best test accuracy when there is one (ties: lower final
    loss), else the lowest final loss."""
    valid = [i for i, r in enumerate(racers) if r["final_loss"] is not None]
    if not valid:
        return None, "best result"
    if by_accuracy:
        best = max(valid, key=lambda i: (racers[i]["test_accuracy"], -racers[i]["final_loss"]))
        return best, "best test accuracy"
    return min(valid, key=lambda i: racers[i]["final_loss"]), "lowest final loss"


def _data_html() -> str:
    return """
<p>Both real data sets ship inside the package (<code>glassgrad/datasets/data/</code>) and
load with <code>glassgrad.datasets.load_diabetes()</code> / <code>load_iris()</code>.</p>
<ul>
<li><b>Diabetes</b> (442 patients × 10 baseline features, disease progression after one
year): Efron, Hastie, Johnstone &amp; Tibshirani (2004), <i>Least Angle Regression</i>,
Annals of Statistics 32(2); the copy distributed with scikit-learn (BSD 3-Clause).</li>
<li><b>Iris</b> (150 flowers × 4 measurements, 3 species): R. A. Fisher (1936), <i>The use of
multiple measurements in taxonomic problems</i>, Annals of Eugenics 7(2); public domain;
the copy distributed with scikit-learn.</li>
</ul>
"""


def _index_html(results: dict) -> str:
    meta = results["meta"]
    races = "".join(_race_html(race) for race in results["race"].values())
    nav = "".join(f'<a href="#{key}">{_e(title)}</a>' for key, title in SECTIONS.items())
    nav += '<a href="results.json">results.json</a>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>glassgrad demo report</title>
<style>{STYLE}</style></head>
<body>
<header><h1>glassgrad demo report</h1>
<p>Gradient descent, seen through. glassgrad {_e(meta["glassgrad_version"])}, Python
{_e(meta["python"])}, seed {meta["seed"]}, {meta["steps"]} race steps,
{meta["wall_time_s"]:.1f} s.</p></header>
<nav>{nav}</nav>
<main>
<section id="lessons"><h2>{SECTIONS["lessons"]}</h2>{_lessons_html(results["lessons"])}</section>
<section id="stepper"><h2>{SECTIONS["stepper"]}</h2>{_stepper_html(results["lessons"])}</section>
<section id="graph"><h2>{SECTIONS["graph"]}</h2>
{_graph_html(results["graph"])}</section>
<section id="race"><h2>{SECTIONS["race"]}</h2>
<p>SGD, SGD with momentum, Nesterov, RMSprop, Adagrad, Adam and AdamW, each with the learning
rate listed, the same number of steps and the same starting point or initial weights.
"Steps to target" is the first step whose loss reached the target.</p>
{races}</section>
<section id="data"><h2>{SECTIONS["data"]}</h2>{_data_html()}</section>
</main>
<footer>Every number on this page is in <a href="results.json">results.json</a>.
<pre id="image-status" hidden></pre></footer>
<script>{IMAGE_CHECK}</script>
</body></html>
"""


def _figures(results: dict, artefacts: dict) -> dict[str, str]:
    figures = {
        "lessons.svg": plots.lesson_figure(results["lessons"]),
        "stability.svg": plots.stability_figure(results["lessons"]["stability"]),
        "graph.svg": artefacts["graph_svg"],
    }
    for problem, race in results["race"].items():
        figures[f"race-{problem}.svg"] = plots.loss_curves_figure(race)
        if problem == "rosenbrock":
            figures["rosenbrock-paths.svg"] = plots.rosenbrock_figure(race)
    return figures


def write_report(results: dict, artefacts: dict, out: str) -> str:
    """Write the report directory atomically; return the path of its ``index.html``.

    ``artefacts`` holds what is not a number: ``graph_svg``, the SVG text of the seed graph.
    """
    out = os.path.abspath(out)
    check_report_dir(out)
    figures = _figures(results, artefacts)
    page = _index_html(results)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.partial-", dir=parent)
    try:
        for name, svg in figures.items():
            with open(os.path.join(staging, name), "w", encoding="utf-8") as fh:
                fh.write(svg)
        with open(os.path.join(staging, "index.html"), "w", encoding="utf-8") as fh:
            fh.write(page)
        with open(os.path.join(staging, MARKER), "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1, allow_nan=False)
        os.chmod(staging, 0o755)
        if os.path.exists(out):
            retired = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.old-", dir=parent)
            os.rename(out, os.path.join(retired, "report"))
            os.rename(staging, out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return os.path.join(out, "index.html")
