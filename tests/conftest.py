"""Shared test set-up: hypothesis profiles and the PyTorch oracle."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "simd_bits: compares bits that depend on PyTorch's SIMD build (glassgrad._kernels.simd)",
    )


def pytest_collection_modifyitems(config, items):
    """``simd_bits`` tests compare bits that depend on how PyTorch's kernels split work
    between SIMD registers and scalar loops. glassgrad follows every build PyTorch has, but
    its emulation has only been checked against x86-64's DEFAULT, AVX2 and AVX512 builds:
    elsewhere (ARM's NEON / SVE256, POWER, s390x) those tests may fail without the
    mathematics being wrong, so they are expected failures there, not strict ones."""
    import pytest

    from glassgrad._kernels import simd as _simd

    if _simd._machine() in _simd._X86:
        return
    reason = f"glassgrad's emulation of PyTorch's {_simd.capability()} build on "
    reason += f"{_simd._machine()} is unchecked"
    for item in items:
        if item.get_closest_marker("simd_bits"):
            item.add_marker(pytest.mark.xfail(strict=False, reason=reason))
