"""The lesson programs with their training step compiled print what they print eagerly.

Each seed lesson's ``for epoch in range(...)`` loop is rewritten so that the statements
before its first ``if`` (the training step) become one ``torch.compile``d function, called
once per iteration; the rest of the lesson is unchanged. ``glassgrad run --compile`` runs
both versions and reports how the compiled step ran.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _acceptance() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "acceptance"
        if candidate.is_dir():
            return candidate
    return None


ACCEPTANCE = _acceptance()
SEEDS = sorted((ACCEPTANCE / "seeds").glob("*.py")) if ACCEPTANCE else []
#: lessons whose step must replay (not fall back to eager)
REPLAYED = {
    "000_autograd_manual_update",
    "000_optim_sgd",
    "001_case2_autograd",
    "001_case3_loss_optim",
    "001_case4_linear_module",
    "002_linear_model_pipeline",
}
# (only this checkout's glassgrad: ``glassgrad run`` itself serves ``import torch``)
SRC = str(Path(__file__).resolve().parents[2] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}


def _assigned(statements) -> tuple[list[str], list[str]]:
    """Names the statements assign (returned by the step) and update in place (globals)."""
    plain, augmented = [], []
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                augmented.append(node.target.id)
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                        plain.append(name.id)
    return list(dict.fromkeys(plain)), list(dict.fromkeys(augmented))


def compile_steps(source: str) -> str:
    """The lesson with each top-level ``for ... in range(...)`` loop's step compiled."""
    tree = ast.parse(source)
    body = []
    for n, statement in enumerate(tree.body):
        is_loop = (
            isinstance(statement, ast.For)
            and isinstance(statement.iter, ast.Call)
            and getattr(statement.iter.func, "id", "") == "range"
        )
        if not is_loop:
            body.append(statement)
            continue
        cut = next(
            (i for i, s in enumerate(statement.body) if isinstance(s, ast.If)),
            len(statement.body),
        )
        step, rest = statement.body[:cut], statement.body[cut:]
        returned, updated = _assigned(step)
        name = f"_compiled_step{n}"
        lines = ["@torch.compile", f"def {name}():"]
        if updated:
            lines.append(f"    global {', '.join(updated)}")
        lines += ["    " + line for s in step for line in ast.unparse(s).splitlines()]
        lines.append(f"    return ({', '.join(returned)}{',' if len(returned) == 1 else ''})")
        body += ast.parse("\n".join(lines)).body
        call = f"({', '.join(returned)},) = {name}()" if returned else f"{name}()"
        statement.body = ast.parse(call).body + rest
        body.append(statement)
    tree.body = body
    return ast.unparse(ast.fix_missing_locations(tree))


def _run(script: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glassgrad", "run", *flags, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        cwd=script.parent,
    )


@pytest.mark.skipif(not SEEDS, reason="the acceptance seeds are not on this machine")
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_lesson_with_compiled_step_prints_the_same(seed: Path, tmp_path: Path):
    source = seed.read_text(encoding="utf-8")
    if "import torch" not in source:
        pytest.skip("a NumPy-only lesson: nothing to compile")
    compiled = tmp_path / seed.name
    compiled.write_text(compile_steps(source), encoding="utf-8")
    eager = _run(seed)
    result = _run(compiled, "--compile")
    assert eager.returncode == 0, eager.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout == eager.stdout
    if seed.stem in REPLAYED:
        report = [line for line in result.stderr.splitlines() if "_compiled_step" in line]
        assert report and all("replayed" in line for line in report), result.stderr
        assert all(" 0 replayed" not in line for line in report), result.stderr


def test_compile_flag_reports_a_script_that_compiles_nothing(tmp_path: Path):
    script = tmp_path / "plain.py"
    script.write_text("import torch\nprint(torch.ones(2).sum().item())\n", encoding="utf-8")
    result = _run(script, "--compile")
    assert result.stdout == "2.0\n"
    assert "compiled nothing" in result.stderr
