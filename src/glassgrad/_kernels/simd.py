"""Which CPU kernels PyTorch runs on this machine, decided exactly as PyTorch decides it.

Some kernels add up (softmax, sum) or compare (several activations) differently in their SIMD
loop and in the element-at-a-time loop that handles what is left over, so ops that match
PyTorch to the bit need to know where one ends and the other begins: that is the width of one
``at::vec::Vectorized`` register of the kernel PyTorch dispatches to. Every op that depends on
it asks ``vector_bytes`` here, and nothing else reads the CPU or the environment.

PyTorch's rule (ATen ``DispatchStub.cpp``): the ``ATEN_CPU_CAPABILITY`` environment variable,
compared case-sensitively, picks the capability even above what the CPU has; an unknown value
is ignored with a warning; otherwise the CPU decides: on x86-64 AVX512 needs AVX-512 VL, BW and
DQ with FMA, AVX2 needs AVX2 with FMA; on 64-bit ARM (Linux) SVE256 needs 256-bit SVE vectors
and BF16; everything else runs the DEFAULT build. Widths (``vec_base.h``): AVX512 registers
hold 64 bytes, AVX2 and SVE256 32, DEFAULT 32 (a portable array, element by element) except
on ARM without SVE, where DEFAULT is NEON's 16. Most kernels are not built for AVX-512 at all
(``REGISTER_DISPATCH`` leaves that slot empty and PyTorch falls back to the AVX2 build); only
those registered with ``ALSO_REGISTER_AVX512_DISPATCH`` run 64-byte registers.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
import warnings

__all__ = [
    "capability",
    "fuses_multiply_add",
    "halves_float32_registers",
    "intraop_threads",
    "libraries_fuse_multiply_add",
    "vector_bytes",
]

_X86 = ("x86_64", "amd64", "i386", "i686", "x86")
_ARM64 = ("aarch64", "arm64")


def _machine() -> str:
    return platform.machine().lower()


@functools.cache
def capability() -> str:
    """PyTorch's CPU capability here, spelled as ``torch.backends.cpu.get_cpu_capability()``
    spells it: "DEFAULT", "AVX2", "AVX512" (x86-64), "SVE256" (ARM), "VSX" (POWER) or
    "Z VECTOR" (s390x)."""
    machine = _machine()
    chosen = os.environ.get("ATEN_CPU_CAPABILITY")
    if chosen is not None:
        if chosen == "default":
            return "DEFAULT"
        if machine in _X86 and chosen in ("avx512", "avx2"):
            return chosen.upper()
        if machine in _ARM64 and chosen == "sve256":
            if _has_sve256():
                return "SVE256"
            warnings.warn(
                "SVE256 capability not available on hardware. Falling back to DEFAULT", stacklevel=2
            )
            return "DEFAULT"
        warnings.warn(f"ignoring invalid value for ATEN_CPU_CAPABILITY: {chosen}", stacklevel=2)
    if machine in _X86:
        flags = _x86_flags()
        if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags:
            return "AVX512"
        return "AVX2" if {"avx2", "fma"} <= flags else "DEFAULT"
    if machine in _ARM64:
        return "SVE256" if _has_sve256() else "DEFAULT"
    if machine.startswith("ppc64"):
        return "VSX"
    if machine == "s390x":
        return "Z VECTOR" if "vxe" in _cpuinfo_flags() else "DEFAULT"
    return "DEFAULT"


@functools.cache
def vector_bytes(avx512_kernel: bool = False) -> int:
    """The bytes in one SIMD register of the PyTorch CPU kernel about to be emulated.

    Args:
        avx512_kernel: whether PyTorch builds that kernel for AVX-512 (registered with
            ``ALSO_REGISTER_AVX512_DISPATCH``: elu and hardswish backward, softmax, ...); the
            others run their AVX2 build on an AVX512 machine.
    """
    chosen = capability()
    if chosen == "AVX512":
        return 64 if avx512_kernel else 32
    if chosen == "DEFAULT" and _machine() in _ARM64:
        return 16
    return 32


def _cpuinfo_flags() -> set[str]:
    """The feature words of the first CPU in Linux's /proc/cpuinfo (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.split(":", 1)[0].strip() in ("flags", "Features", "features"):
                    return set(line.split(":", 1)[1].lower().split())
    except OSError:
        pass
    return set()


def _x86_flags() -> set[str]:
    """The x86 features PyTorch tests, lower-case (Linux: /proc/cpuinfo; macOS: sysctl;
    Windows: the AVX2 / AVX-512F feature bits, which there stand for FMA and AVX-512 VL/BW/DQ
    too, as on every CPU that has them together)."""
    if sys.platform == "darwin":
        import subprocess

        keys = ["sysctl", "-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"]
        try:
            words = subprocess.run(keys, capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return set()
        return {w.lower().replace("fma3", "fma") for w in words.split()}
    if sys.platform == "win32":
        import ctypes

        present = ctypes.windll.kernel32.IsProcessorFeaturePresent
        flags = {"avx2", "fma"} if present(40) else set()
        return flags | ({"avx512vl", "avx512bw", "avx512dq"} if present(41) else set())
    return _cpuinfo_flags()


def _has_sve256() -> bool:
    """Whether this ARM CPU has 256-bit SVE vectors and BF16, as PyTorch's SVE256 needs
    (Linux only: PyTorch asks the kernel for the vector length)."""
    flags = _cpuinfo_flags()
    if not sys.platform.startswith("linux") or not {"sve", "bf16"} <= flags:
        return False
    import ctypes

    pr_sve_get_vl = 51  # prctl's request for the SVE vector length in bytes (low 16 bits)
    vl = ctypes.CDLL(None, use_errno=True).prctl(pr_sve_get_vl, 0, 0, 0, 0)
    return vl > 0 and (vl & 0xFFFF) * 8 == 256


def halves_float32_registers() -> bool:
    """Whether PyTorch adds up the lanes of one float32 register by halving it again and again
    (the AVX2 and AVX-512 ``vec_reduce_all`` shuffles) rather than left to right (the portable
    DEFAULT build, and float64 in every build)."""
    return capability() in ("AVX2", "AVX512")


def fuses_multiply_add() -> bool:
    """Whether PyTorch's CPU kernels round ``a * b + c`` once (a fused multiply-add: ``add_``
    with alpha, ``addcmul_``, linspace, the optimizers' updates). x86's DEFAULT build is
    compiled without FMA instructions, so there the product is rounded, then the sum."""
    return capability() != "DEFAULT" or _machine() not in _X86


@functools.cache
def libraries_fuse_multiply_add() -> bool:
    """Whether the libraries PyTorch calls with their own CPU dispatch (FBGEMM's embedding-bag
    kernels) round ``a * x + y`` once: they pick their code by the CPU, not by
    ``ATEN_CPU_CAPABILITY``, and fuse wherever it has FMA instructions."""
    machine = _machine()
    if machine in _X86:
        return "fma" in _x86_flags()
    return machine in _ARM64


@functools.cache
def intraop_threads() -> int:
    """The threads PyTorch's ``parallel_for`` splits work between by default: the
    ``OMP_NUM_THREADS`` (then ``MKL_NUM_THREADS``) environment variable when it is a positive
    integer, else the machine's physical cores (its logical CPUs when that is unknown).
    ``torch.set_num_threads`` in the same program changes PyTorch's count, not this one."""
    count = 0
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            count = int(value)
            break
    return count or _physical_cores() or os.cpu_count() or 1


def _physical_cores() -> int:
    """Distinct (package, core) pairs in Linux's /proc/cpuinfo (0 elsewhere)."""
    cores, package = set(), "0"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "physical id":
                    package = value.strip()
                elif key.strip() == "core id":
                    cores.add((package, value.strip()))
    except OSError:
        pass
    return len(cores)
