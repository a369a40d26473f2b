"""``glassgrad.compile`` (``torch.compile``): a step traced once, replayed as straight-line NumPy.

The first call of a compiled function runs eagerly while every primitive it executes is
recorded (``capture``): forward ops, ``loss.backward()``, the optimizer's ``step`` and
``zero_grad``, in-place updates. The recording becomes Python source of NumPy calls on
arrays (``codegen``), readable as ``compiled.code``, guarded by the facts it assumed (input
shapes and dtypes, grad mode, ``module.training``, which parameters have a ``.grad``, ...).
Later calls whose guards hold run that source; a failed guard captures a new variant (up to
``CACHE_SIZE``), then the function runs eagerly with one warning naming the guard.

Where a step needs a tensor's value in Python (``.item()``, ``print``, ``bool(t)``: a graph
break), draws random numbers, or does something the capture cannot express, it runs eagerly
on every call: the result always equals eager. ``fullgraph=True`` makes a graph break an
error naming the line. ``GLASSGRAD_COMPILE=0`` turns every ``compile`` into a no-op.
"""

from __future__ import annotations

import functools
import os
import warnings

from glassgrad._compile.compiler import compile_call
from glassgrad._compile.program import ACTIVE, GraphBreakError

__all__ = ["CompiledFunction", "GraphBreakError", "compile", "summary"]

CACHE_SIZE = 8  # variants per function, as ``torch._dynamo.config.cache_size_limit``
_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_NOTED: set = set()
#: every compiled function made in this process (``glassgrad run --compile`` reports them)
REGISTRY: list = []


def _note(message: str) -> None:
    """Say once per process that an option is accepted but changes nothing here."""
    if message not in _NOTED:
        _NOTED.add(message)
        warnings.warn(message, UserWarning, stacklevel=4)


def compile(
    model=None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend="inductor",
    mode: str | None = None,
    options: dict | None = None,
    disable: bool = False,
):
    """Compile a function or ``nn.Module`` into a replay of straight-line NumPy.

    Use it as ``torch.compile``: ``step = glassgrad.compile(step)`` or as a decorator, with
    or without arguments. ``mode="fast"`` (a glassgrad mode) drops PyTorch's rounding for
    speed: the engine's gradient sums use NumPy's order and the kernels their plain-NumPy
    twins while the step runs (see ``glassgrad.set_exact``; results within float rounding
    of eager); every other mode keeps eager's bits. ``backend``, ``dynamic`` and
    ``options`` are accepted for PyTorch's code and change nothing (a note says so once).

    Example:
        >>> @glassgrad.compile
        ... def train_step(x, y):
        ...     loss = ((model(x) - y) ** 2).mean()
        ...     loss.backward()
        ...     optimizer.step()
        ...     optimizer.zero_grad()
        ...     return loss
        >>> print(train_step.code)  # after the first call
    """
    if mode not in _MODES and mode != "fast":
        raise RuntimeError(
            f"Unrecognized mode={mode!r}, should be one of: "
            f"{', '.join(repr(m) for m in (*_MODES[1:], 'fast'))}"
        )
    if backend not in ("inductor", "eager", "aot_eager"):
        _note(f"glassgrad.compile: backend={backend!r} is ignored (glassgrad generates NumPy)")
    if dynamic:
        _note("glassgrad.compile: dynamic=True is ignored (new shapes are captured anew)")
    if options:
        _note(f"glassgrad.compile: options {sorted(options)} are ignored")
    if mode in ("reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"):
        _note(f"glassgrad.compile: mode={mode!r} compiles as the default mode")

    def wrap(fn):
        return CompiledFunction(fn, fullgraph=fullgraph, mode=mode, disable=disable)

    return wrap if model is None else wrap(model)


class CompiledFunction:
    """A compiled function or module: call it as the original.

    ``code`` is the generated source of the newest variant (guard and step); ``variants``
    lists every variant's source; ``eager_reason`` says why it runs eagerly, if it does.
    Attributes of a compiled module (``compiled.weight``) are the module's.
    """

    def __init__(self, fn, *, fullgraph: bool, mode, disable: bool) -> None:
        self._orig = fn
        self._fullgraph = fullgraph
        self._mode = mode
        # (read once: a test of the environment per call costs more than a small step)
        self._disable = disable or os.environ.get("GLASSGRAD_COMPILE", "1") == "0"
        self._variants: list = []
        self._last = None  # the variant that ran the latest call: tried first
        self.eager_reason: str | None = None
        self._warned = False
        self.calls = self.replays = 0
        functools.update_wrapper(self, fn, updated=())
        REGISTRY.append(self)

    @property
    def _orig_mod(self):
        """The module that was compiled (as on PyTorch's ``OptimizedModule``)."""
        return self._orig

    def __getattr__(self, name):
        if name.startswith("__") or name == "_orig":
            raise AttributeError(name)
        return getattr(self._orig, name)

    @property
    def code(self) -> str:
        if self._variants:
            return self._variants[-1].code
        if self.eager_reason is not None:
            return f"# runs eagerly: {self.eager_reason}\n"
        raise RuntimeError(
            f"{getattr(self._orig, '__name__', 'this function')} has not been compiled yet: "
            "call it once (the first call captures it), then read .code"
        )

    @property
    def variants(self) -> list[str]:
        return [v.code for v in self._variants]

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if not kwargs and not self._disable and self.eager_reason is None and ACTIVE[0] is None:
            last = self._last  # (the common call: the variant that ran last fits again)
            if last is not None and last.fits(args) and not last.kwargs_keys:
                self.replays += 1
                return last.step(*args)
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        """A call the fast path of ``__call__`` did not replay: eager, keywords, or a miss."""
        if (
            self._disable
            or self.eager_reason is not None
            or ACTIVE[0] is not None  # inside another capture: its ops are recorded
        ):
            return self._orig(*args, **kwargs)
        flat = args + tuple(kwargs.values()) if kwargs else args
        keys = tuple(kwargs) if kwargs else ()
        for variant in self._variants:
            if variant.fits(flat) and keys == variant.kwargs_keys:
                self._last = variant
                self.replays += 1
                return variant.step(*flat)
        if len(self._variants) >= CACHE_SIZE:
            newest = self._variants[-1]
            failed = newest.guard(flat) or "the same keyword arguments"
            self.eager_reason = f"guard failed: {failed} (after {CACHE_SIZE} variants)"
            warnings.warn(
                f"glassgrad.compile: {getattr(self._orig, '__name__', 'function')} is "
                f"recompiled too often (guard failed: {failed}); it runs eagerly from now on.",
                UserWarning,
                stacklevel=3,
            )
            return self._orig(*args, **kwargs)
        return self._capture(args, kwargs, flat)

    def _capture(self, args, kwargs, flat):
        result, variant, reason = compile_call(
            self._orig, args, kwargs, flat, self._fullgraph, self._mode
        )
        if variant is not None:
            self._variants.append(variant)
            self._last = variant
        if reason is not None:
            self.eager_reason = reason
            if self._fullgraph and not reason.startswith("graph break"):
                raise RuntimeError(f"glassgrad.compile(fullgraph=True): {reason}")
        return result


def summary() -> str:
    """One line per compiled function of this process: how its calls ran."""
    lines = []
    for fn in REGISTRY:
        name = getattr(fn._orig, "__qualname__", type(fn._orig).__name__)
        if fn.eager_reason is not None:
            how = f"eager ({fn.eager_reason})"
        elif fn._disable:
            how = "eager (disable=True)"
        else:
            how = f"{fn.replays} replayed, {len(fn._variants)} variant(s) captured"
        lines.append(f"glassgrad.compile: {name}: {fn.calls} call(s), {how}\n")
    return "".join(lines) or "glassgrad.compile: the script compiled nothing\n"
