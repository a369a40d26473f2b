"""Utilities (``torch.utils``)."""

import importlib


def __getattr__(name: str):
    """``torch.utils.data`` works right after ``import torch``: load subpackages on first use."""
    if name == "data":
        return importlib.import_module("glassgrad.utils.data")
    raise AttributeError(f"module 'glassgrad.utils' has no attribute '{name}'")
