"""The SIMD vector width of PyTorch's CPU kernels on this machine.

Some kernels add up (softmax) or compare (several activations) differently in their SIMD
loop and in the element-at-a-time loop that handles what is left over, so ops that match
PyTorch to the bit need to know where one ends and the other begins.
"""

from __future__ import annotations

import functools
import os

__all__ = ["vector_bytes"]


@functools.cache
def vector_bytes() -> int:
    """The bytes in one SIMD vector of PyTorch's CPU kernels here: 64 for AVX-512, 32 for AVX2,
    0 where unknown (PyTorch's own test: AVX-512 VL, BW and DQ with FMA, else AVX2 with FMA;
    the ``ATEN_CPU_CAPABILITY`` environment variable overrides it, as it does PyTorch's)."""
    chosen = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    if chosen:
        return {"avx512": 64, "avx2": 32}.get(chosen, 0)
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
            else:
                return 0
    except OSError:
        return 0
    if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags:
        return 64
    return 32 if {"avx2", "fma"} <= flags else 0
