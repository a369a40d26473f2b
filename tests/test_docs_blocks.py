"""Every ```python block of README.md and docs/*.md runs on its own and prints what it claims.

A claim is the comment on a ``print(...)`` line, or the run of comment lines right under it.
Each claimed line must appear in the block's output, in order; ``…`` stands for any text
(a whole ``…`` line skips output lines). Each block runs in a fresh interpreter in an empty
directory, so a block that leans on names from an earlier one fails here.

A block whose first line is ``# excerpt of PATH`` quotes a program of the repository that its
own test runs (docs/graduate.md walks through examples/graduate_to_pytorch.py this way): it
must parse, and PATH must exist.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import glassgrad

ROOT = Path(__file__).resolve().parents[1]
SRC = os.path.dirname(os.path.dirname(os.path.abspath(glassgrad.__file__)))
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks() -> list:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"```python\n(.*?)```", text, re.S):
            line = text[: match.start()].count("\n") + 1
            found.append(pytest.param(match.group(1), id=f"{path.name}:{line}"))
    return found


def claims(code: str) -> list[str]:
    """The output lines a block claims to print."""
    claimed = []
    lines = code.splitlines()
    for i, line in enumerate(lines):
        if "print(" not in line or line.lstrip().startswith("#"):
            continue
        if "  # " in line:
            claimed.append(line.split("  # ", 1)[1].strip())
            continue
        for below in lines[i + 1 :]:
            if not below.startswith("#"):
                break
            claimed.append(below[1:].strip())
    return claimed


def _matches(claim: str, line: str) -> bool:
    pattern = ".*".join(re.escape(part.strip()) for part in claim.split("…"))
    return re.fullmatch(pattern, line.strip()) is not None


def assert_printed(claimed: list[str], output: list[str]) -> None:
    position = 0
    for claim in claimed:
        if claim == "…":
            continue
        while position < len(output) and not _matches(claim, output[position]):
            position += 1
        assert position < len(output), f"claimed {claim!r} not printed; output:\n" + "\n".join(
            output
        )
        position += 1


def test_claims_are_read_from_comments():
    code = "print(1)   # 1\nfor i in range(3):\n    print(i)\n# 0\n# …\n# 2\nx = 1  # no print\n"
    assert claims(code) == ["1", "0", "…", "2"]
    assert_printed(["∂… = −2", "…", "b"], ["∂a/∂b = 2 = −2", "x", "b"])
    with pytest.raises(AssertionError):
        assert_printed(["b", "a"], ["a", "b"])


EXCERPT = re.compile(r"# excerpt of (\S+)")


@pytest.mark.parametrize("code", _blocks())
def test_block_runs_alone_and_prints_what_it_claims(code, tmp_path):
    excerpt = EXCERPT.match(code)
    if excerpt:
        compile(code, excerpt.group(1), "exec")
        assert (ROOT / excerpt.group(1)).is_file(), f"{excerpt.group(1)} does not exist"
        return
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
        "PYTHONIOENCODING": "utf-8",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert_printed(claims(code), proc.stdout.splitlines())
