"""Anomaly detection: find the forward line whose backward produced NaN (or inf).

With anomaly mode on, every recorded node remembers where the user's code created it, and
the engine checks each node's gradients right after its backward. Off, it costs one flag
check per node. Like PyTorch, only NaN raises by default; ``check_inf=True`` (a glassgrad
extra) also stops at infinite gradients.

Example:
    >>> with torch.autograd.detect_anomaly():
    ...     x = torch.tensor(0.0, requires_grad=True)
    ...     (torch.log(x) * 0).backward()
    RuntimeError: Function 'LogBackward0' returned nan values in its 0th output. ...
"""

from __future__ import annotations

import linecache
import os
import sys

from glassgrad._backend import xp
from glassgrad._warn import warn_at_user_line
from glassgrad.autograd import graph as _graph

__all__ = ["check_gradients", "detect_anomaly", "is_anomaly_enabled", "set_detect_anomaly"]

_CHECK_INF = [False]
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_anomaly_enabled() -> bool:
    return _graph.DETECT_ANOMALY


def _remember_source(node, inputs, output) -> None:
    """Record hook: store (file, line, function) of the first frame outside glassgrad."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is not None:
        node._trace = (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


class set_detect_anomaly:
    """Turn anomaly mode on or off; usable as a call or as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True, *, check_inf: bool = False) -> None:
        self.prev = (_graph.DETECT_ANOMALY, _CHECK_INF[0])
        _CHECK_INF[0] = check_inf
        _set(bool(mode))

    def __enter__(self) -> set_detect_anomaly:
        return self

    def __exit__(self, *exc) -> None:
        _set(self.prev[0])
        _CHECK_INF[0] = self.prev[1]


class detect_anomaly:
    """Context manager that enables anomaly mode for the forward and backward inside it."""

    def __init__(self, check_nan: bool = True, *, check_inf: bool = False) -> None:
        self.check_inf = check_inf
        self.prev = (False, False)

    def __enter__(self) -> detect_anomaly:
        warn_at_user_line(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging."
        )
        self.prev = (_graph.DETECT_ANOMALY, _CHECK_INF[0])
        _CHECK_INF[0] = self.check_inf
        _set(True)
        return self

    def __exit__(self, *exc) -> None:
        _set(self.prev[0])
        _CHECK_INF[0] = self.prev[1]


def _set(mode: bool) -> None:
    _graph.DETECT_ANOMALY = mode
    hooks = _graph.RECORD_HOOKS
    if mode and _remember_source not in hooks:
        hooks.append(_remember_source)
    elif not mode and _remember_source in hooks:
        hooks.remove(_remember_source)


def _source_text(node) -> str:
    trace = getattr(node, "_trace", None)
    if not trace:
        return (
            "The forward call that created it was not recorded (run the forward pass inside "
            "detect_anomaly() too)."
        )
    filename, lineno, function = trace
    line = linecache.getline(filename, lineno).strip()
    return (
        f"Traceback of forward call that caused the error:\n"
        f'  File "{filename}", line {lineno}, in {function}\n    {line}'
    )


def check_gradients(node, results) -> None:
    """Raise if a gradient ``node``'s backward produced contains NaN (or inf if asked)."""
    for i, g in enumerate(results):
        if g is None:
            continue
        array = g._data if hasattr(g, "_data") else xp.asarray(g)
        if array.dtype.kind not in "fc":
            continue
        if xp.isnan(array).any():
            bad = "nan"
        elif _CHECK_INF[0] and xp.isinf(array).any():
            bad = "inf"
        else:
            continue
        raise RuntimeError(
            f"Function '{node.name()}' returned {bad} values in its {i}th output.\n"
            f"{_source_text(node)}"
        )
