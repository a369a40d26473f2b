"""Grad mode: whether new operations are recorded in the autograd graph."""

from __future__ import annotations

import functools

__all__ = [
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
]


class _GradState:
    """Module-level flags read by every op; a plain class attribute is the cheapest lookup."""

    enabled = True
    inference = False


STATE = _GradState


def is_grad_enabled() -> bool:
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _GradModeContext:
    """Base for the context managers that also work as decorators."""

    def _target(self) -> bool:
        raise NotImplementedError

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._target()
        return self

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return func(*args, **kwargs)

        return wrapper

    def _args(self) -> tuple:
        return ()


class _BareDecorator(_GradModeContext):
    """Also usable as a bare decorator: ``@torch.no_grad`` as well as ``@torch.no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments, got {orig_func!r}")
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_BareDecorator):
    """Disable graph recording: ``with torch.no_grad(): w -= lr * w.grad``."""

    def _target(self) -> bool:
        return False


class enable_grad(_BareDecorator):
    """Re-enable graph recording inside a ``no_grad`` block."""

    def _target(self) -> bool:
        return True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once, like PyTorch, and undoes on exit."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self.mode

    def __enter__(self):
        return self  # the mode was already set by the constructor

    def __call__(self, func):
        STATE.enabled = self._prev  # used as a decorator: only calls of func change the mode
        return super().__call__(func)

    def _target(self) -> bool:
        return self.mode

    def _args(self) -> tuple:
        return (self.mode,)


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (glassgrad has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if callable(mode):  # bare ``@torch.inference_mode``
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def _target(self) -> bool:
        return not self.mode  # inference_mode(False) enables grad, as in PyTorch

    def __enter__(self):
        self._prev_inference = STATE.inference
        STATE.inference = self.mode
        return super().__enter__()

    def __exit__(self, *exc) -> None:
        STATE.inference = self._prev_inference
        super().__exit__(*exc)

    def _args(self) -> tuple:
        return (self.mode,)
