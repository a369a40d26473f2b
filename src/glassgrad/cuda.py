"""``torch.cuda``: glassgrad runs on the CPU, so no CUDA device is ever available."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Accepted for compatibility; there is no CUDA generator to seed."""


def manual_seed_all(seed: int) -> None:
    """Accepted for compatibility; there is no CUDA generator to seed."""


def synchronize(device=None) -> None:
    """Nothing runs asynchronously on the CPU."""


def empty_cache() -> None:
    """Nothing to free on the CPU."""
