"""``torch.accelerator``: the device-neutral queries tutorials use to pick a device.

glassgrad computes on the CPU only, so it answers like a PyTorch build without any
accelerator: ``is_available()`` is False and ``current_accelerator()`` is None, which
sends ``device = ... if torch.accelerator.is_available() else "cpu"`` to the CPU.
"""

from __future__ import annotations

__all__ = [
    "current_accelerator",
    "current_device_index",
    "device_count",
    "is_available",
    "set_device_index",
    "synchronize",
]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    return None


def device_count() -> int:
    return 0


def current_device_index() -> int:
    raise RuntimeError(_NONE)


def set_device_index(device) -> None:
    raise RuntimeError(_NONE)


def synchronize(device=None) -> None:
    raise RuntimeError(_NONE)
