"""``glassgrad explain EXPR --at NAME=VALUE ... --wrt NAME``: the chain rule, written out."""

from __future__ import annotations

import argparse

from glassgrad.cli import UsageError
from glassgrad.viz import explain_expression


def main(args: argparse.Namespace) -> int:
    values = {}
    for item in args.at:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--at expects NAME=VALUE, got {item!r}")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise UsageError(f"--at {name.strip()}: {text!r} is not a number") from None
    try:
        print(explain_expression(args.expr, at=values, wrt=args.wrt))
    except (ValueError, SyntaxError, KeyError, NameError) as exc:
        raise UsageError(str(exc).splitlines()[0] if str(exc) else repr(exc)) from None
    return 0
