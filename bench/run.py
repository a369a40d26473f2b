"""Benchmark glassgrad against PyTorch and NumPy written by hand.

    python bench/run.py                       # every workload, every installed backend
    python bench/run.py --quick               # fewer steps and repeats, for a smoke run
    python bench/run.py --workloads W1 W2 --backends glassgrad numpy --profile

Each workload (``bench/workloads.py``) is written once against the PyTorch API and run with
``torch`` or ``glassgrad`` as the module; a NumPy-by-hand twin is the floor, and micrograd,
MyGrad and HIPS autograd run the workloads they can express when they are installed. Before
any time counts, every backend's final loss must agree with the reference (torch when
installed). Repeats are interleaved across backends so machine load drifts hit all of them
alike; the table shows medians and the ratios glassgrad/torch and glassgrad/NumPy.

Time is process CPU time by default (``--timer cpu``): on a machine shared with other jobs,
elapsed time mostly measures how long the process waited for a core. Run with
``OMP_NUM_THREADS=1`` so that BLAS threads do not add their CPU time up (``--timer wall``
measures elapsed time instead). Peak memory is the tracemalloc peak of one extra run (NumPy
reports its array allocations to tracemalloc; torch's do not show there). Results also go
to ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import json
import os
import platform
import pstats
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if (HERE.parent / "src").is_dir():
    sys.path.insert(0, str(HERE.parent / "src"))

from workloads import WORKLOADS  # noqa: E402

TORCH_API = ("glassgrad", "torch")
#: the workload's step through ``T.compile`` (``torch.compile`` is opt-in: it needs a C
#: compiler and takes long to compile)
#: backend -> (module, compile mode); ``compiled-fast``: glassgrad's ``mode="fast"`` (plain
#: NumPy arithmetic, within float rounding of eager)
COMPILED = {
    "compiled": ("glassgrad", None),
    "compiled-fast": ("glassgrad", "fast"),
    "torch.compile": ("torch", None),
}
OPTIONAL = ("micrograd", "mygrad", "autograd")
DEFAULT_BACKENDS = ("glassgrad", "compiled", "compiled-fast", "torch", "numpy", *OPTIONAL)
HEADLINE = ("glassgrad", "compiled", "torch", "numpy")


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _maker(workload, backend: str):
    """The workload's ``make(data) -> run`` for a backend, or None if it cannot run it."""
    if backend in TORCH_API:
        module = importlib.import_module(backend)
        return lambda data: workload.make(module, data)
    if backend in COMPILED:
        name, mode = COMPILED[backend]
        make = workload.compiled_make(mode)
        if make is None:
            return None
        module = importlib.import_module(name)
        return lambda data: make(module, data)
    if backend == "numpy":
        return workload.numpy_make
    return workload.extra.get(backend)


TIMERS = {"cpu": time.process_time, "wall": time.perf_counter}


def _time_once(
    make, data, steps: int, timer=time.process_time, warm: bool = False
) -> tuple[float, float]:
    """Seconds per step of one fresh run, and the final loss it computed. ``warm``: one
    untimed step first (a compiled step's capture, reported apart as its first call)."""
    run = make(data)
    if warm:
        run(1)
    gc.collect()
    start = timer()
    loss = run(steps)
    return (timer() - start) / steps, loss


def _first_call(make, data, timer, runs: int = 5) -> float:
    """Seconds of a fresh run's first step: for a compiled step, the capture and code
    generation (compare with one eager step). The median of ``runs`` fresh runs: one call
    of about a millisecond is one sample of a noisy clock. The collection comes before the
    set-up, as in a program, not between the set-up and the call: a ``gc.collect()`` right
    between them walks every object of the process and left the call ~1.5× slower (W1, cold
    caches) than a program's first call after its set-up."""
    times = []
    for _ in range(runs):
        gc.collect()
        run = make(data)
        start = timer()
        run(1)
        times.append(timer() - start)
    return statistics.median(times)


def _peak_memory(make, data, steps: int, warm: bool = False) -> int:
    """Peak traced bytes allocated during one run (after set-up, and the first step if
    ``warm``)."""
    run = make(data)
    if warm:
        run(1)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    run(steps)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def run_workload(workload, backends, repeats: int, quick: bool, memory: bool, timer) -> dict:
    data = workload.data()
    steps = workload.quick_steps if quick else workload.steps
    makers, errors = {}, {}
    for backend in backends:
        make = _maker(workload, backend)
        if make is None:
            continue
        try:  # one untimed warm-up run: imports, caches, and the loss check below
            _, loss = _time_once(make, data, steps)
        except Exception as exc:  # a backend without the API this workload needs
            errors[backend] = f"{type(exc).__name__}: {exc}"
            continue
        makers[backend] = (make, loss)

    reference = "torch" if "torch" in makers else "numpy" if "numpy" in makers else None
    mismatched = {}
    if reference is not None:
        ref_loss = makers[reference][1]
        for backend, (_, loss) in list(makers.items()):
            if not _close(loss, ref_loss, workload.rtol, workload.atol):
                mismatched[backend] = f"final loss {loss!r} != {reference} {ref_loss!r}"
                del makers[backend]

    times = {b: [] for b in makers}
    for _ in range(repeats):
        for backend, (make, _) in makers.items():
            warm = backend in COMPILED
            times[backend].append(_time_once(make, data, steps, timer, warm)[0])

    first = {b: _first_call(make, data, timer) for b, (make, _) in makers.items() if b in COMPILED}
    peaks = {}
    if memory:
        for backend, (make, _) in makers.items():
            if backend != "torch":
                peaks[backend] = _peak_memory(make, data, steps, backend in COMPILED)

    return {
        "title": workload.title,
        "unit": workload.unit,
        "steps": steps,
        "repeats": repeats,
        "median_s": {b: statistics.median(t) for b, t in times.items()},
        "times_s": times,
        "loss": {b: loss for b, (_, loss) in makers.items()},
        "peak_bytes": peaks,
        "first_call_s": first,
        "errors": {**errors, **mismatched},
    }


def profile_workload(workload, steps: int, top: int = 25) -> None:
    """Print where glassgrad's time goes on one workload (cProfile, by own time)."""
    import glassgrad

    run = workload.make(glassgrad, workload.data())
    profiler = cProfile.Profile()
    profiler.enable()
    run(steps)
    profiler.disable()
    print(f"\n--- cProfile of glassgrad on {workload.name} ({steps} steps), by own time ---")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)


def _fmt_time(seconds: float, unit: str) -> str:
    return f"{seconds * 1e3:.1f} ms" if unit == "ms" else f"{seconds * 1e6:.1f} µs"


def _fmt_bytes(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB"


def _ratio(results: dict, a: str, b: str) -> str:
    med = results["median_s"]
    return f"{med[a] / med[b]:.2f}×" if a in med and b in med else "—"


def format_table(all_results: dict, backends) -> str:
    shown = [b for b in backends if any(b in r["median_s"] for r in all_results.values())]
    head = ["workload", *shown, "gg/torch", "gg/NumPy", "compiled/NumPy", "fast/NumPy"]
    head += ["peak gg/NumPy", "peak compiled/NumPy"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in all_results.items():
        cells = [f"{name} {r['title']}"]
        for b in shown:
            cells.append(_fmt_time(r["median_s"][b], r["unit"]) if b in r["median_s"] else "—")
        cells += [_ratio(r, "glassgrad", "torch"), _ratio(r, "glassgrad", "numpy")]
        cells.append(_ratio(r, "compiled", "numpy"))
        cells.append(_ratio(r, "compiled-fast", "numpy"))
        peaks = r["peak_bytes"]
        for b in ("glassgrad", "compiled"):
            if peaks.get(b) and peaks.get("numpy"):
                cells.append(
                    f"{peaks[b] / peaks['numpy']:.2f}× "
                    f"({_fmt_bytes(peaks[b])} / {_fmt_bytes(peaks['numpy'])})"
                )
            else:
                cells.append("—")
        lines.append("| " + " | ".join(cells) + " |")
    firsts = [
        f"{name} {b} {_fmt_time(t, 'ms')} ({t / r['median_s']['glassgrad']:.0f}× an eager step)"
        if b == "compiled" and "glassgrad" in r["median_s"]
        else f"{name} {b} {_fmt_time(t, 'ms')}"
        for name, r in all_results.items()
        for b, t in r.get("first_call_s", {}).items()
    ]
    if firsts:
        lines.append("\nfirst call (capture + code generation): " + "; ".join(firsts))
    return "\n".join(lines)


def machine_facts() -> dict:
    import numpy

    facts = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }
    if _importable("torch"):
        import torch

        facts["torch"] = torch.__version__
        facts["torch_threads"] = torch.get_num_threads()
    try:
        from threadpoolctl import threadpool_info

        facts["blas"] = [
            {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ]
    except ImportError:
        facts["blas"] = "threadpoolctl not installed"
    return facts


def _cpu_model() -> str:
    """The CPU's model name with its family/model numbers (a VM may show a generic name)."""
    try:
        fields = {}
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
        return f"{fields['model name']} (family {fields['cpu family']}, model {fields['model']})"
    except (OSError, KeyError):
        return platform.processor() or "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument("--backends", nargs="+", default=list(DEFAULT_BACKENDS))
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per backend")
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    parser.add_argument("--profile", action="store_true", help="cProfile glassgrad on W1/W2")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument(
        "--timer",
        choices=TIMERS,
        default="cpu",
        help="cpu: process time, immune to other processes taking the cores (run with "
        "OMP_NUM_THREADS=1, or BLAS threads add up); wall: elapsed time",
    )
    parser.add_argument("--json", default=str(HERE / "results.json"), help="output file")
    args = parser.parse_args(argv)

    backends = [
        b
        for b in args.backends
        if b in ("glassgrad", "numpy") or _importable(COMPILED.get(b, (b,))[0])
    ]
    skipped = sorted(set(args.backends) - set(backends))
    repeats = args.repeats or (3 if args.quick else 7)
    facts = machine_facts()
    facts["timer"] = args.timer
    facts["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS")
    print("machine:", json.dumps(facts))
    if skipped:
        print("not installed, skipped:", ", ".join(skipped))

    all_results = {}
    for name in args.workloads:
        workload = WORKLOADS[name]
        result = run_workload(
            workload, backends, repeats, args.quick, not args.no_memory, TIMERS[args.timer]
        )
        all_results[name] = result
        line = ", ".join(
            f"{b} {_fmt_time(t, result['unit'])}" for b, t in result["median_s"].items()
        )
        print(f"{name}: {line}", flush=True)
        for backend, err in result["errors"].items():
            print(f"  {backend}: not timed ({err})", flush=True)

    print()
    print(format_table(all_results, backends))
    if args.profile:
        for name in ("W1", "W2"):
            if name in args.workloads:
                profile_workload(WORKLOADS[name], WORKLOADS[name].quick_steps * 5)

    Path(args.json).write_text(
        json.dumps(
            {"command": " ".join(sys.argv), "machine": facts, "results": all_results}, indent=1
        )
    )
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
