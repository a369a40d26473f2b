"""The first call of a compiled function (or a call no variant's guard accepts): run it
eagerly with the recording wrappers in (``hooks``), then build a variant from what was
recorded (``codegen``), or say why the function must stay eager."""

from __future__ import annotations

from glassgrad import _random
from glassgrad._compile import codegen, hooks
from glassgrad._compile.capture import ACTIVE, Capture
from glassgrad._compile.effects import SideEffects
from glassgrad.autograd.grad_mode import STATE

__all__ = ["compile_call"]


def compile_call(fn, args: tuple, kwargs: dict, flat: tuple, fullgraph: bool, mode) -> tuple:
    """Call ``fn(*args, **kwargs)`` once under capture: ``(its result, the new variant or
    None, why it runs eagerly or None)``."""
    capture = Capture(args, kwargs, fullgraph)
    capture.grad_enabled = STATE.enabled
    bindings = _bindings(fn)
    _start(capture)
    try:
        with SideEffects() as effects:
            result = fn(*args, **kwargs)
    finally:
        _finish(capture)
    reason = capture.failed or effects.found or _rebound(bindings, _bindings(fn))
    if reason is None and not capture.program:
        reason = "it runs no glassgrad operation: nothing to compile"
    variant = None
    if reason is None:
        try:
            variant = codegen.build(capture, result, fn, flat, tuple(kwargs), mode)
            variant.kwargs_keys = tuple(kwargs)
        except codegen.CannotCompile as exc:
            reason = str(exc)
    return result, variant, reason


def _start(capture: Capture) -> None:
    """Install the recording wrappers (removed by ``capture.stop()``)."""
    capture.rng_state = _random.draw_mark()
    ACTIVE[0] = capture
    hooks.install(capture)


def _finish(capture: Capture) -> None:
    """Remove the wrappers. Random numbers drawn during the step keep it eager, and so does
    an in-place change the capture did not record (every in-place update in glassgrad counts
    in the tensor's version; the recorded ones are counted in ``bumps``)."""
    capture.stop()
    if capture.failed is None and _random.draw_mark() != capture.rng_state:
        capture.failed = "the step draws random numbers (each call must draw new ones)"
    for key, (counter, start, tensor) in capture.versions.items():
        if capture.failed is not None:
            break
        if key not in capture.opaque and counter[0] - start != capture.bumps.get(key, 0):
            shape = list(tensor.shape)
            capture.failed = (
                f"a tensor of shape {shape} was changed in place by code the capture does "
                "not record"
            )


def _bindings(fn) -> dict:
    """The function's globals and closure variables: a step that rebinds one (``global l``
    then ``l = ...``) has an effect a replay would not repeat."""
    fn = getattr(fn, "forward", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    names = dict(getattr(fn, "__globals__", {}))
    for var, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or ()):
        try:
            names["nonlocal " + var] = cell.cell_contents
        except ValueError:  # not bound yet
            names["nonlocal " + var] = cell
    return names


def _rebound(before: dict, after: dict) -> str | None:
    for name, value in after.items():
        if name not in before or before[name] is not value:
            return f"it assigns the variable {name.removeprefix('nonlocal ')} outside itself"
    return None
