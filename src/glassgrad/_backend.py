"""The single array namespace behind every tensor, and how its memory is allocated.

Every module that does array math imports ``xp`` from here, so another array library
with the NumPy API (CuPy, Dask) can later be swapped in at this one place.
"""

import ctypes
import os

import numpy as xp

ndarray = xp.ndarray

__all__ = ["ndarray", "xp"]

_M_TRIM_THRESHOLD = -1  # mallopt parameters (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for its adaptive thresholds (64-bit) ...
_TRIM_THRESHOLD = 2 * _MMAP_THRESHOLD  # ... and its rule: trim at twice the mmap threshold


def _keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed array memory for the next step; True if it was set.

    A training step allocates and frees the same large arrays (activations, gradients) every
    step. glibc maps blocks of 128 KiB and more straight from the kernel and, for smaller
    ones, hands the top of its heap back once 256 KiB are free there; both come back as page
    faults the next step (W4 in ``bench/``: ~250 faults, ~40 % of an eager step). glibc raises
    both thresholds itself as it sees large blocks freed, but only to the largest block seen,
    so the step keeps faulting. This starts them where glibc's adaption stops: blocks under
    32 MiB come from the heap, and up to 64 MiB of free memory stays there. Linux with glibc
    only; ``GLASSGRAD_MALLOC_TUNING=0`` in the environment leaves malloc as it is.
    """
    if os.environ.get("GLASSGRAD_MALLOC_TUNING", "1").strip() == "0":
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, ValueError):  # not glibc, or no confstr name for it
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )


MALLOC_TUNED = _keep_freed_memory()
