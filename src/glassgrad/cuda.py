"""``torch.cuda``: glassgrad runs on the CPU, so no CUDA device is ever available.

The queries answer like a PyTorch build without CUDA; the calls that need a device raise
the same error (an ``AssertionError``, also a ``RuntimeError`` here) with a hint.
"""

from __future__ import annotations

from glassgrad._dtypes import unavailable

__all__ = [
    "current_device",
    "device_count",
    "empty_cache",
    "get_device_name",
    "is_available",
    "is_initialized",
    "manual_seed",
    "manual_seed_all",
    "set_device",
    "synchronize",
]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def current_device() -> int:
    raise unavailable("cuda")


def get_device_name(device=None) -> str:
    raise unavailable("cuda")


def set_device(device) -> None:
    raise unavailable(device)


def manual_seed(seed: int) -> None:
    """Accepted for compatibility; there is no CUDA generator to seed."""


def manual_seed_all(seed: int) -> None:
    """Accepted for compatibility; there is no CUDA generator to seed."""


def synchronize(device=None) -> None:
    """Nothing runs asynchronously on the CPU."""


def empty_cache() -> None:
    """Nothing to free on the CPU."""
