"""``glassgrad demo``: the command-line options become ``DemoOptions`` for ``run_demo``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from glassgrad.cli import UsageError
from glassgrad.demo import DATASETS, OPTIMIZERS, DemoOptions
from glassgrad.demo.driver import run_demo
from glassgrad.viz.report import ReportDirError


def _split_choice(text: str, allowed: Sequence[str], what: str) -> list[str]:
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not chosen:
        raise UsageError(f"--{what} needs at least one of: {','.join(allowed)}")
    for name in chosen:
        if name not in allowed:
            raise UsageError(f"unknown {what[:-1]} {name!r}; choose from {','.join(allowed)}")
    return list(dict.fromkeys(chosen))


def main(args: argparse.Namespace) -> int:
    options = DemoOptions(
        out=None if args.no_report else os.path.abspath(args.out),
        steps=args.steps,
        lr=args.lr,
        optimizers=_split_choice(args.optimizers, OPTIMIZERS, "optimizers"),
        datasets=_split_choice(args.datasets, DATASETS, "datasets"),
        seed=args.seed,
        quiet=args.quiet,
    )
    try:
        run_demo(options)
    except ReportDirError as exc:
        raise UsageError(str(exc)) from None
    return 0
