"""The one place that decides PyTorch's CPU capability and vector width (``_kernels.simd``):
PyTorch's own rule on every architecture, and its verdict next to real PyTorch's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import glassgrad as gg
from glassgrad._kernels import simd as _simd


@pytest.fixture
def decide(monkeypatch):
    """Decide afresh for a given machine, CPU features and ``ATEN_CPU_CAPABILITY``."""

    def run(machine, env=None, x86_flags=(), sve256=False):
        monkeypatch.setattr(_simd, "_machine", lambda: machine)
        monkeypatch.setattr(_simd, "_x86_flags", lambda: set(x86_flags))
        monkeypatch.setattr(_simd, "_has_sve256", lambda: sve256)
        if env is None:
            monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
        else:
            monkeypatch.setenv("ATEN_CPU_CAPABILITY", env)
        _forget()
        return _simd.capability(), _simd.vector_bytes(), _simd.vector_bytes(avx512_kernel=True)

    yield run
    _forget()


def _forget():
    _simd.capability.cache_clear()
    _simd.vector_bytes.cache_clear()


AVX512 = ("avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq")


def test_x86_cpu_detection(decide):
    assert decide("x86_64", x86_flags=AVX512) == ("AVX512", 32, 64)
    assert decide("x86_64", x86_flags=("avx2", "fma", "avx512f")) == ("AVX2", 32, 32)
    assert decide("x86_64", x86_flags=("avx2",)) == ("DEFAULT", 32, 32)  # no FMA
    assert decide("AMD64", x86_flags=()) == ("DEFAULT", 32, 32)


def test_the_environment_variable_wins_even_above_the_cpu(decide):
    assert decide("x86_64", "default", AVX512) == ("DEFAULT", 32, 32)
    assert decide("x86_64", "avx2", AVX512) == ("AVX2", 32, 32)
    assert decide("x86_64", "avx512", ("avx2", "fma")) == ("AVX512", 32, 64)


@pytest.mark.parametrize("value", ["AVX2", "Avx512", "", "sve256", "neon"])
def test_an_unknown_value_is_ignored_with_pytorchs_warning(decide, value):
    with pytest.warns(
        UserWarning, match=f"ignoring invalid value for ATEN_CPU_CAPABILITY: {value}"
    ):
        assert decide("x86_64", value, ("avx2", "fma")) == ("AVX2", 32, 32)


def test_arm_runs_neon_16_byte_vectors_unless_it_has_sve256(decide):
    assert decide("aarch64") == ("DEFAULT", 16, 16)
    assert decide("arm64") == ("DEFAULT", 16, 16)
    assert decide("aarch64", sve256=True) == ("SVE256", 32, 32)
    assert decide("aarch64", "default", sve256=True) == ("DEFAULT", 16, 16)
    with pytest.warns(UserWarning, match="SVE256 capability not available"):
        assert decide("aarch64", "sve256") == ("DEFAULT", 16, 16)
    with pytest.warns(UserWarning, match="invalid value for ATEN_CPU_CAPABILITY: avx2"):
        assert decide("aarch64", "avx2") == ("DEFAULT", 16, 16)


def test_other_architectures(decide):
    assert decide("ppc64le") == ("VSX", 32, 32)
    assert decide("riscv64") == ("DEFAULT", 32, 32)


def test_backends_cpu_reports_it():
    assert gg.backends.cpu.get_cpu_capability() == _simd.capability()


_BOTH = (
    "import warnings; warnings.simplefilter('ignore'); import torch, glassgrad; "
    "print(torch.backends.cpu.get_cpu_capability(), glassgrad.backends.cpu.get_cpu_capability())"
)


@pytest.mark.parametrize("value", [None, "default", "avx2", "AVX2"])
def test_glassgrad_decides_as_pytorch_does_here(value):
    pytest.importorskip("torch", reason="PyTorch is the oracle for this test")
    env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    if value is not None:
        env["ATEN_CPU_CAPABILITY"] = value
    done = subprocess.run(
        [sys.executable, "-c", _BOTH], env=env, capture_output=True, text=True, check=True
    )
    theirs, ours = done.stdout.split()
    assert ours == theirs
