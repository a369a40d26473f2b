"""Headless Chromium for the report tests: found on PATH, else those tests skip.

Chromium is not part of the README's set-up (no system package is), so on a fresh machine
and in CI the browser tests skip with this module's reason.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (optional: e.g. apt-get install chromium)",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
]


def run_chromium(*args: str, profile: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Chromium with ``args``, a fresh profile in ``profile``; its output captured."""
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
