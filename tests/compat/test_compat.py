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

HERE = Path(__file__).resolve().parent
PROGRAMS = sorted((HERE / "programs").glob("*.py"))
SRC = HERE.parents[1] / "src"

# Differences glassgrad does not remove yet, each with its cause. Strict: a fix must drop it.
KNOWN_DIFFERENCES = {
    "p14_higher_order": "grad_fn of a create_graph=True gradient is named after glassgrad's "
    "composed backward (MulBackward0), not PyTorch's fused op (TanhBackwardBackward0)",
}
# Differences that come and go with the CPU: PyTorch's float32 matmul (MKL sgemm) and its
# float32 exp/log/tanh (MKL's vector math library) run the code path MKL picks for the CPU
# (AVX-512, AVX2 or SSE4.2; MKL_ENABLE_INSTRUCTIONS shows each), NumPy's matmul the OpenBLAS
# kernel for the CPU. glassgrad cannot know MKL's path, so these programs print like PyTorch
# on some machines only: expected failures, not strict ones.
MACHINE_DEPENDENT = {
    "p06_mlp_adam": "float32 matmul rounding: MKL's sgemm and NumPy's OpenBLAS sum in other "
    "orders (each its CPU's kernel); near-zero outputs after Adam converges differ in the 4th "
    "digit (with MKL's AVX-512, AVX2 and SSE4.2 paths alike on an AVX-512 CPU)",
    "p07_optimizers": "PyTorch's float32 tanh is MKL's: its AVX-512 path is 1 ulp from the "
    "correctly rounded value for some inputs (tanh(-0.42000005)), its AVX2 and SSE4.2 paths "
    "and glassgrad are not; RMSprop grows that ulp into the 4th printed digit",
    "p21_clip_grad": "nn.Linear's float32 addmm: MKL's AVX-512 sgemm adds the 2x3 products "
    "unfused, left to right, then the bias; its AVX2 path and NumPy's OpenBLAS fuse "
    "multiply-adds; one last bit shows in a loss's 4th decimal on AVX-512 CPUs",
    "p41_polyfit_adam": "float32 matmul rounding: with MKL's SSE4.2 path (CPUs without AVX2) "
    "features @ coef leaves 2.4e-7 instead of 0.0 in a gradient and Adam turns that noise "
    "into a full lr step; MKL's AVX2 and AVX-512 paths match glassgrad",
    "p43_elementwise_prints": "PyTorch's float32 log is MKL's: its AVX2 and SSE4.2 paths give "
    "log(float32(e)) = 1.0, its AVX-512 path the correctly rounded 0.99999994 of glassgrad",
    "p45_seeded_linear_fit": "nn.Linear(3, 1) on 64 rows: MKL's sgemm on an AMD EPYC CPU (its "
    "AVX-512 and AVX2 paths alike) sums the 3 products otherwise than on the CPU where this "
    "program printed like PyTorch; one last bit shows in a loss's 6th decimal",
}


def _run_all(backend: str) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(HERE / "_driver.py"), backend, *map(str, PROGRAMS)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


@pytest.fixture(scope="module")
def outputs() -> dict:
    """{backend: {program name: {"stdout", "error"}}}, both backends run side by side."""
    pytest.importorskip("torch", reason="real PyTorch is the oracle for these programs")
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
    marks = []
    if path.stem in KNOWN_DIFFERENCES:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[path.stem]))
    if path.stem in MACHINE_DEPENDENT:
        marks.append(pytest.mark.xfail(strict=False, reason=MACHINE_DEPENDENT[path.stem]))
    return pytest.param(path, id=path.stem, marks=marks)


def test_known_differences_name_real_programs():
    assert set(KNOWN_DIFFERENCES) | set(MACHINE_DEPENDENT) <= {p.stem for p in PROGRAMS}
    assert not set(KNOWN_DIFFERENCES) & set(MACHINE_DEPENDENT)


@pytest.mark.parametrize("path", [_param(p) for p in PROGRAMS])
def test_program_prints_like_torch(path: Path, outputs: dict):
    expected = outputs["torch"][path.name]
    got = outputs["glassgrad"][path.name]
    assert expected["error"] is None, f"the program itself fails under torch: {expected['error']}"
    assert got["error"] is None, f"glassgrad raised {got['error']}"
    assert got["stdout"].splitlines() == expected["stdout"].splitlines()
