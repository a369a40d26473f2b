"""Progress bars on stderr for the demo's long loops (rich), off when quiet or not a TTY."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Progress"]


class Progress:
    """One progress display for the whole demo; ``task`` opens a bar for one loop."""

    def __init__(self, enabled: bool):
        self._bars = None
        if enabled and sys.stderr.isatty():
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    TextColumn,
                    TimeElapsedColumn,
                )
                from rich.progress import Progress as RichProgress
            except ImportError:
                print("(progress bars need rich: pip install 'glassgrad[demo]')", file=sys.stderr)
                return
            self._bars = RichProgress(
                TextColumn("{task.description:<28}"),
                BarColumn(bar_width=None),  # the bar takes what the terminal width leaves
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> Progress:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bars is not None:
            self._bars.stop()

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[[], None]]:
        """Yield ``advance()``; call it once per step of the loop."""
        if self._bars is None:
            yield lambda: None
            return
        task_id = self._bars.add_task(description, total=total)
        try:
            yield lambda: self._bars.advance(task_id)
        finally:
            self._bars.remove_task(task_id)
