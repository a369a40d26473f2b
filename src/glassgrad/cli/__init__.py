"""The ``glassgrad`` command: ``demo``, ``run`` and ``explain``.

``glassgrad demo`` teaches gradient descent end to end and writes an HTML report;
``glassgrad run script.py`` runs an unchanged PyTorch script on glassgrad;
``glassgrad explain EXPR`` derives a gradient by the chain rule for a small expression.

This module parses the command line and dispatches; each subcommand lives in its own module
(``_demo``, ``_run``, ``_explain``), which imports what it needs (the demo, ``viz``, ``nn``)
at its top. Only the subcommand that runs is imported, so ``glassgrad --version`` and
``--help`` cost no more than ``import glassgrad``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.util
import os
import sys
import types
from collections.abc import Sequence

from glassgrad import __version__
from glassgrad.demo import DATASETS, OPTIMIZERS

__all__ = ["TorchAliasFinder", "UsageError", "main"]

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
    parser = _Parser(
        prog="glassgrad",
        description="glassgrad: autodiff on NumPy with the PyTorch API, built to be seen through.",
    )
    parser.add_argument("--version", action="version", version=f"glassgrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{demo,run,explain}")
    sub.required = True
    _add_demo(sub)
    _add_run(sub)
    _add_explain(sub)
    return parser


def _add_demo(sub) -> None:
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


def _add_run(sub) -> None:
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


def _add_explain(sub) -> None:
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


# ----------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``glassgrad`` command; returns the exit code."""
    args = _build_parser().parse_args(argv)
    try:
        # the one subcommand that runs (see the module docstring): ``_demo.main(args)``, ...
        return importlib.import_module(f"glassgrad.cli._{args.command}").main(args)
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
