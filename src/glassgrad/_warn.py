"""Warnings that point at the user's line, not at the glassgrad line that noticed.

A fixed ``stacklevel`` is right for one call path only: ``optimizer.step()`` reached through
a hook wrapper, a subclass's ``super().step()`` or a scheduler lands at different depths.
``warn_at_user_line`` counts the frames inside the package instead, so the warning names
the first line outside it: the line in the user's script that did it.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["PACKAGE_DIR", "user_line", "warn_at_user_line"]

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _first_user_frame(frame):
    """``frame`` or its first caller outside the package, and how many frames up that is."""
    steps = 0
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back
        steps += 1
    return frame, steps


def user_line() -> str:
    """``path:line`` of the innermost caller outside glassgrad (the user's code)."""
    frame, _ = _first_user_frame(sys._getframe(1))
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def warn_at_user_line(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the innermost frame outside the glassgrad package."""
    _, steps = _first_user_frame(sys._getframe(0))
    warnings.warn(message, category, stacklevel=steps + 1)
