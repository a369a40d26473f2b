"""Lesson-style PyTorch programs print the same under glassgrad as under real PyTorch.

Each program in ``programs/`` runs twice -- once with real torch, once with ``torch`` served
by glassgrad -- and its stdout must match exactly, seeded random draws included (glassgrad
reproduces PyTorch's CPU random stream).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="real PyTorch is the oracle for these programs")

HERE = Path(__file__).resolve().parent
PROGRAMS = sorted((HERE / "programs").glob("*.py"))
SRC = HERE.parents[1] / "src"

# Differences glassgrad does not remove yet, each with its cause. Strict: a fix must drop it.
KNOWN_DIFFERENCES = {
    "p06_mlp_adam": "float32 matmul rounding: PyTorch's MKL kernels sum in another order than "
    "NumPy's BLAS; near-zero outputs after Adam converges differ in the 4th digit",
    "p07_optimizers": "last-bit float32 differences (MKL matmul order, PyTorch's not correctly "
    "rounded sqrt) grow under centered RMSprop with momentum into a 4th-digit difference",
    "p43_elementwise_prints": "float32 log is computed in float64 and rounded once: log(e) is "
    "0.99999994 (correctly rounded) where PyTorch's kernel returns 1.0",
    "p14_higher_order": "grad_fn of a create_graph=True gradient is named after glassgrad's "
    "composed backward (MulBackward0), not PyTorch's fused op (TanhBackwardBackward0)",
    "p41_polyfit_adam": "float32 matmul rounding (MKL vs NumPy BLAS) leaves 2.4e-7 instead of "
    "0.0 in a gradient; Adam turns that noise into a full lr step",
}


def _run_all(backend: str) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(HERE / "_driver.py"), backend, *map(str, PROGRAMS)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


@pytest.fixture(scope="module")
def outputs() -> dict:
    """{backend: {program name: {"stdout", "error"}}}, both backends run side by side."""
    procs = {backend: _run_all(backend) for backend in ("torch", "glassgrad")}
    results = {}
    for backend, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{backend} driver crashed:\n{err}"
        results[backend] = json.loads(out)
    return results


def test_programs_found():
    assert len(PROGRAMS) >= 25


def _param(path: Path):
    reason = KNOWN_DIFFERENCES.get(path.stem)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


def test_known_differences_name_real_programs():
    assert set(KNOWN_DIFFERENCES) <= {p.stem for p in PROGRAMS}


@pytest.mark.parametrize("path", [_param(p) for p in PROGRAMS])
def test_program_prints_like_torch(path: Path, outputs: dict):
    expected = outputs["torch"][path.name]
    got = outputs["glassgrad"][path.name]
    assert expected["error"] is None, f"the program itself fails under torch: {expected['error']}"
    assert got["error"] is None, f"glassgrad raised {got['error']}"
    assert got["stdout"].splitlines() == expected["stdout"].splitlines()
