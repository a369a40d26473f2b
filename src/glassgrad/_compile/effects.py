"""Python side effects of the user's code during a capture, which a replay would not repeat.

A replay reruns the recorded array program, not the function's Python: appending to a list,
setting an attribute of an object or writing into a dict would happen once (at the capture)
instead of every call. While a capture runs, the user's frames (not glassgrad's, the
standard library's or installed packages') are traced opcode by opcode, and such a store or
mutating method call ends the capture: the step stays eager. Assignments to a tensor's
``.grad`` are recorded by the capture itself and allowed; ``global``/``nonlocal`` rebinding
is checked apart, by identity, after the call.
"""

from __future__ import annotations

import dis
import os
import sys

__all__ = ["SideEffects", "is_own", "untraced"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STDLIB = os.path.dirname(os.__file__)
#: (``global``/``nonlocal`` stores are compared by identity after the call instead:
#: ``w -= lr * w.grad`` stores the same tensor back)
_STORES = {"STORE_ATTR", "STORE_SUBSCR", "DELETE_ATTR", "DELETE_SUBSCR"}
#: attribute stores the capture records itself (``w.grad = None``)
_RECORDED_ATTRS = {"grad"}
#: methods that change a list, dict, set, deque or file in place
#: (not ``add`` or ``sort``: tensors have those)
_MUTATING = {
    "append",
    "extend",
    "insert",
    "pop",
    "remove",
    "clear",
    "update",
    "setdefault",
    "popitem",
    "discard",
    "reverse",
    "appendleft",
    "popleft",
    "extendleft",
    "write",
    "writelines",
    "send",
}
#: code object -> {offset: what} of its instructions that may be side effects, or None for
#: code not traced (glassgrad's, the standard library's, installed packages', or user code
#: without such an instruction): decided once per code object
_SUSPECTS: dict = {}


def _suspects(code) -> dict | None:
    path = code.co_filename
    if (
        path.startswith((_PACKAGE_DIR, _STDLIB, "<frozen", "<glassgrad.compile"))
        or "site-packages" in path  # libraries: not the step's
        or "dist-packages" in path
    ):
        return None  # ("<glassgrad.compile": a nested compiled step's generated code)
    found = {}
    for ins in dis.get_instructions(code):
        opname, argval = ins.opname, ins.argval
        if opname in _STORES and not (opname == "STORE_ATTR" and argval in _RECORDED_ATTRS):
            found[ins.offset] = f"{opname.lower().replace('_', ' ')} {argval or ''}".rstrip()
        elif opname in ("LOAD_METHOD", "LOAD_ATTR") and argval in _MUTATING:
            found[ins.offset] = f"a call of .{argval}()"
    return found or None


class SideEffects:
    """``with SideEffects() as seen:`` runs code; ``seen.found`` names the first effect.

    Only the user's code objects that hold a store or a mutating call are traced opcode by
    opcode (to see whether it runs); every other frame costs one dictionary lookup."""

    def __init__(self) -> None:
        self.found: str | None = None
        self._previous = None

    def __enter__(self):
        self._previous = sys.gettrace()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(self._previous)

    def _call(self, frame, event, arg):
        code = frame.f_code
        try:
            suspects = _SUSPECTS[code]
        except KeyError:
            suspects = _SUSPECTS[code] = _suspects(code)
        if suspects is None or self.found is not None:
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return self._opcode

    def _opcode(self, frame, event, arg):
        if event != "opcode" or self.found is not None:
            return self._opcode
        what = _SUSPECTS[frame.f_code].get(frame.f_lasti)
        if what is not None:
            where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
            self.found = f"a Python side effect ({what}) at {where}"
        return self._opcode


def untraced(fn, *args):
    """``fn(*args)`` with the tracing off: for glassgrad's own code run by the capture (an
    op, the recorded backward), where there is nothing to look for and a trace call per
    frame cost a third of a small step's capture."""
    trace = sys.gettrace()
    if trace is None:
        return fn(*args)
    sys.settrace(None)
    try:
        return fn(*args)
    finally:
        sys.settrace(trace)


def is_own(cls) -> bool:
    """Whether a class (an op, a graph node) is glassgrad's: its code is not the user's."""
    return cls.__module__.startswith("glassgrad.")
