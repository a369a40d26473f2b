"""Open the demo report in headless Chromium: every section present, every image decoded.

The report records each <img>'s load state into the DOM once the page has loaded
(``#image-status`` and ``body[data-images]``); ``--dump-dom`` lets us read it back.
``GLASSGRAD_SCREENSHOT_TO=docs/images/report.png`` also copies the screenshot there (that is
how the README's picture is made).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from headless_chromium import needs_chromium, run_chromium

import glassgrad
from glassgrad.demo import DATASETS
from glassgrad.viz.report import SECTIONS

pytestmark = needs_chromium
SRC = os.path.dirname(os.path.dirname(os.path.abspath(glassgrad.__file__)))


def chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_chromium(*args, profile=cwd / "profile", cwd=cwd)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("browser")
    proc = subprocess.run(
        [sys.executable, "-m", "glassgrad", "demo", "--steps", "60", "--out", "report"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": SRC},
    )
    assert proc.returncode == 0, proc.stderr
    return cwd / "report" / "index.html"


def test_every_section_present_and_every_image_loaded(report: Path):
    proc = chromium("--dump-dom", report.as_uri(), cwd=report.parent.parent)
    dom = proc.stdout
    assert "<body" in dom, proc.stderr[-2000:]
    for section in list(SECTIONS) + [f"race-{p}" for p in DATASETS]:
        assert f'id="{section}"' in dom, section
    status_text = re.search(r'<pre id="image-status"[^>]*>(.*?)</pre>', dom, re.S).group(1)
    status = json.loads(status_text.replace("&quot;", '"').replace("&amp;", "&"))
    assert len(status) >= 3 + len(DATASETS)
    assert [s["src"] for s in status if not s["loaded"]] == []
    assert 'data-images="all-loaded"' in dom


def test_screenshot_is_a_real_png(report: Path):
    shot = report.parent.parent / "report.png"
    proc = chromium(
        f"--screenshot={shot}", "--window-size=1280,1600", report.as_uri(), cwd=shot.parent
    )
    assert shot.exists(), proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
    if os.environ.get("GLASSGRAD_SCREENSHOT_TO"):
        shutil.copyfile(shot, os.environ["GLASSGRAD_SCREENSHOT_TO"])
