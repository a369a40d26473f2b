"""The ``glassgrad`` command: ``demo``, ``run`` and ``explain``.

``glassgrad demo`` teaches gradient descent end to end and writes an HTML report;
``glassgrad run script.py`` runs an unchanged PyTorch script on glassgrad;
``glassgrad explain EXPR`` derives a gradient by the chain rule for a small expression.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import sys
import tokenize
import traceback
import types
from collections.abc import Sequence

__all__ = ["main", "TorchAliasFinder", "UsageError"]

DEMO_EPILOG = """\
examples:
  glassgrad demo                                  full demo, report in ./glassgrad-report/
  glassgrad demo --steps 200 --out /tmp/report    shorter race, report elsewhere
  glassgrad demo --optimizers sgd,adam --datasets rosenbrock,iris
  glassgrad demo --no-report --quiet              just the printed tables
"""

RUN_EPILOG = """\
examples:
  glassgrad run train.py --epochs 3               train.py sees sys.argv == ['train.py', ...]
  glassgrad run --graph graph.svg lesson.py       draw the graph of the last backward()
  glassgrad run --explain w lesson.py             explain d(loss)/dw of the last backward()
"""

EXPLAIN_EPILOG = """\
examples:
  glassgrad explain "(w*x - y)**2" --at w=1 x=1 y=2 --wrt w
  glassgrad explain "tanh(a*b) + a" --at a=0.5 b=2 --wrt a
"""


class UsageError(Exception):
    """Bad command-line input: reported as one line on stderr with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit with code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of steps, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    from glassgrad.demo import DATASETS, OPTIMIZERS

    parser = _Parser(
        prog="glassgrad",
        description="glassgrad: autodiff on NumPy with the PyTorch API, built to be seen through.",
    )
    from glassgrad import __version__

    parser.add_argument("--version", action="version", version=f"glassgrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{demo,run,explain}")
    sub.required = True

    demo = sub.add_parser(
        "demo",
        help="teach gradient descent end to end and write an HTML report",
        description="Run the four gradient-descent lessons side by side, check their hand "
        "gradient, explain the seed graph by the chain rule, race seven optimizers on four "
        "problems, and write a self-contained HTML report.",
        epilog=DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--out", default="glassgrad-report", help="report directory (default: %(default)s)"
    )
    demo.add_argument(
        "--steps",
        type=_positive_int,
        default=None,
        help="optimizer steps per race problem (default: 500)",
    )
    demo.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help="one learning rate for the lessons and every racer (default: the lessons' 0.01 "
        "and a tuned rate per optimizer and problem)",
    )
    demo.add_argument(
        "--optimizers",
        default=",".join(OPTIMIZERS),
        help="comma-separated racers from: %(default)s",
    )
    demo.add_argument(
        "--datasets",
        default=",".join(DATASETS),
        help="comma-separated race problems from: %(default)s",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.add_argument("--no-report", action="store_true", help="print only; write no report")
    demo.add_argument("--quiet", action="store_true", help="no progress bars, only results")

    run = sub.add_parser(
        "run",
        help="run an unchanged PyTorch script on glassgrad",
        description="Run a PyTorch script with torch (and every torch.X submodule) mapped to "
        "glassgrad, as if it were run with python directly.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--graph",
        metavar="OUT.svg",
        help="draw the graph of the last backward() (.svg, .png, .pdf or .dot; uses Graphviz's "
        "dot when installed, else glassgrad's own layout)",
    )
    run.add_argument(
        "--explain",
        metavar="NAME",
        help="explain the gradient of the last backward() w.r.t. the leaf named NAME "
        "(a script variable like w, or a parameter like model.lin.weight)",
    )
    run.add_argument(
        "--compile",
        action="store_true",
        help="compile what the script compiles (torch.compile) even if GLASSGRAD_COMPILE=0, "
        "and say afterwards how each compiled function ran",
    )
    run.add_argument("script", help="the Python file to run")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")

    explain = sub.add_parser(
        "explain",
        help="derive the gradient of an expression by the chain rule",
        description="Evaluate EXPR at the given point and explain d(EXPR)/d(WRT) along every "
        "path of its graph. EXPR is parsed safely: names, numbers, arithmetic and a small "
        "set of functions.",
        epilog=EXPLAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("expr", help='the expression, e.g. "(w*x - y)**2"')
    explain.add_argument(
        "--at", nargs="+", default=[], metavar="NAME=VALUE", help="values of the variables"
    )
    explain.add_argument("--wrt", required=True, help="the variable to differentiate by")
    return parser


# ----------------------------------------------------------------------------- demo


def _split_choice(text: str, allowed: Sequence[str], what: str) -> list[str]:
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not chosen:
        raise UsageError(f"--{what} needs at least one of: {','.join(allowed)}")
    for name in chosen:
        if name not in allowed:
            raise UsageError(f"unknown {what[:-1]} {name!r}; choose from {','.join(allowed)}")
    return list(dict.fromkeys(chosen))


def _cmd_demo(args: argparse.Namespace) -> int:
    from glassgrad.demo import DATASETS, OPTIMIZERS, DemoOptions, run_demo

    options = DemoOptions(
        out=None if args.no_report else os.path.abspath(args.out),
        steps=args.steps,
        lr=args.lr,
        optimizers=_split_choice(args.optimizers, OPTIMIZERS, "optimizers"),
        datasets=_split_choice(args.datasets, DATASETS, "datasets"),
        seed=args.seed,
        quiet=args.quiet,
    )
    from glassgrad.viz.report import ReportDirError

    try:
        run_demo(options)
    except ReportDirError as exc:
        raise UsageError(str(exc)) from None
    return 0


# ----------------------------------------------------------------------------- run


class TorchAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serve ``import torch`` / ``import torch.X.Y`` with ``glassgrad`` / ``glassgrad.X.Y``.

    A missing glassgrad submodule becomes ``ModuleNotFoundError: torch.X is not supported by
    glassgrad yet`` instead of a confusing error later on.
    """

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        real = "glassgrad" + fullname[len("torch") :]
        try:
            found = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise ModuleNotFoundError(
                f"{fullname} is not supported by glassgrad yet (no module {real})",
                name=fullname,
            )
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("glassgrad" + spec.name[len("torch") :])

    def exec_module(self, module: types.ModuleType) -> None:
        """The glassgrad module is already executed; nothing more to run."""


def _unsupported_api(exc: AttributeError) -> str | None:
    """'torch.nn.Conv3d' for an attribute glassgrad lacks on one of its modules or Tensor."""
    from glassgrad._tensor import Tensor

    owner = getattr(exc, "obj", None)
    name = getattr(exc, "name", None)
    if name is None or name.startswith("__"):
        return None
    if isinstance(owner, types.ModuleType) and owner.__name__.split(".")[0] == "glassgrad":
        return "torch" + owner.__name__[len("glassgrad") :] + "." + name
    if isinstance(owner, Tensor):
        return f"torch.Tensor.{name}"
    return None


def _user_traceback(exc: BaseException, script: str) -> str:
    """The traceback from the script's own frames on, as Python would show it."""
    tb = exc.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def _find_leaf(namespace: dict, name: str):
    """A tensor named ``name`` in the script: a variable, a dotted path, or a parameter name."""
    from glassgrad._tensor import Tensor
    from glassgrad.nn import Module

    head, *rest = name.split(".")
    obj = namespace.get(head)
    for attr in rest:
        obj = getattr(obj, attr, None)
    if isinstance(obj, Tensor):
        return obj
    for value in namespace.values():
        if isinstance(value, Module):
            params = dict(value.named_parameters())
            if name in params:
                return params[name]
    return None


def _leaf_names(namespace: dict) -> dict:
    """Script variables (and module parameters) naming tensors, for graph labels."""
    from glassgrad._tensor import Tensor
    from glassgrad.nn import Module

    names = {}
    for key, value in namespace.items():
        if isinstance(value, Tensor) and not key.startswith("_"):
            names[key] = value
        elif isinstance(value, Module):
            for pname, param in value.named_parameters():
                names[f"{key}.{pname}"] = param
    return names


def _no_such_tensor(name: str, names: dict) -> str:
    """The --explain error: which names the script does have, trainable ones first."""
    trainable = sorted(n for n, t in names.items() if t.requires_grad and t.grad_fn is None)
    others = sorted(n for n in names if n not in trainable)
    listed = "; ".join(
        f"{label}: {', '.join(found)}"
        for label, found in (("trainable", trainable), ("other tensors", others))
        if found
    )
    return f"--explain: the script has no tensor named {name!r}" + (
        f" (it has {listed})" if listed else " (it defines no tensors at module level)"
    )


@contextlib.contextmanager
def _watching(enabled: bool):
    """Keep forward values (``viz.watch``) so the last graph can be drawn after backward."""
    if not enabled:
        yield
        return
    from glassgrad import viz

    with viz.watch():
        yield


def _cmd_run(args: argparse.Namespace) -> int:
    script = os.path.abspath(args.script)
    if not os.path.isfile(script):
        raise UsageError(f"no such script: {args.script}")
    if args.graph:
        _check_writable(os.path.dirname(os.path.abspath(args.graph)) or ".", "--graph")
    import glassgrad.autograd as autograd

    remember = bool(args.graph or args.explain)
    autograd.remember_last_backward = remember
    if args.compile:
        os.environ["GLASSGRAD_COMPILE"] = "1"
    finder = TorchAliasFinder()
    sys.meta_path.insert(0, finder)
    saved_argv, saved_path0 = sys.argv[:], sys.path[0]
    sys.argv = [args.script, *args.args]
    sys.path[0] = os.path.dirname(script)
    main_module = types.ModuleType("__main__")
    main_module.__file__ = script
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = main_module
    try:
        with tokenize.open(script) as fh:  # honours a PEP 263 encoding line, like python
            code = compile(fh.read(), script, "exec")
        with _watching(remember):
            exec(code, main_module.__dict__)
    except SystemExit as exc:
        if exc.code not in (None, 0) or not remember:
            raise
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the script's own error: show it like python would
        sys.stderr.write(_user_traceback(exc, script))
        api = _unsupported_api(exc) if isinstance(exc, AttributeError) else None
        if api is not None:
            sys.stderr.write(f"glassgrad run: {api} is not supported by glassgrad yet\n")
        return 1
    finally:
        sys.modules["__main__"] = saved_main
        sys.argv, sys.path[0] = saved_argv, saved_path0
        sys.meta_path.remove(finder)
        autograd.remember_last_backward = False
        if args.compile:
            from glassgrad._compile import summary

            sys.stderr.write(summary())
    if remember:
        return _after_run(args, main_module.__dict__, autograd.last_backward_root)
    return 0


def _after_run(args: argparse.Namespace, namespace: dict, root) -> int:
    """Draw / explain the graph of the script's last backward() call."""
    from glassgrad import viz
    from glassgrad.viz import explain

    if root is None:
        raise UsageError("the script never called backward(); nothing to draw or explain")
    if args.graph:
        picture = viz.graph(root, params=_leaf_names(namespace), use_locals=False)
        path = os.path.abspath(args.graph)
        try:
            picture.render(path)
        except (RuntimeError, ValueError) as exc:  # e.g. .png with neither dot nor matplotlib
            print(f"glassgrad run: cannot draw {path}: {exc}", file=sys.stderr)
            return 1
        print(f"glassgrad run: graph of the last backward() written to {path}", file=sys.stderr)
    if args.explain:
        leaf = _find_leaf(namespace, args.explain)
        if leaf is None:
            raise UsageError(_no_such_tensor(args.explain, _leaf_names(namespace)))
        print(explain(root, wrt=leaf, params=_leaf_names(namespace), use_locals=False))
    return 0


# ----------------------------------------------------------------------------- explain


def _cmd_explain(args: argparse.Namespace) -> int:
    values = {}
    for item in args.at:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--at expects NAME=VALUE, got {item!r}")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise UsageError(f"--at {name.strip()}: {text!r} is not a number") from None
    from glassgrad.viz import explain_expression

    try:
        print(explain_expression(args.expr, at=values, wrt=args.wrt))
    except (ValueError, SyntaxError, KeyError, NameError) as exc:
        raise UsageError(str(exc).splitlines()[0] if str(exc) else repr(exc)) from None
    return 0


# ----------------------------------------------------------------------------- main


def _check_writable(directory: str, option: str) -> None:
    probe = directory
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{option}: cannot write to {directory} ({probe} is not writable)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``glassgrad`` command; returns the exit code."""
    args = _build_parser().parse_args(argv)
    command = {"demo": _cmd_demo, "run": _cmd_run, "explain": _cmd_explain}[args.command]
    try:
        return command(args)
    except UsageError as exc:
        print(f"glassgrad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"glassgrad {args.command}: interrupted", file=sys.stderr)
        return 130
    except ImportError as exc:  # an optional dependency; the message names the install command
        print(f"glassgrad {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
