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

__all__ = ["warn_at_user_line"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_at_user_line(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the innermost frame outside the glassgrad package."""
    frame = sys._getframe(0)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
