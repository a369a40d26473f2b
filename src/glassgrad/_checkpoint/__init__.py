"""PyTorch's checkpoint format, written and read without PyTorch.

``archive`` is the zip container (64-byte aligned, uncompressed records), ``pickler`` writes
the ``data.pkl`` that references ``torch._utils._rebuild_tensor_v2`` and typed storages,
``unpickler`` reads it back through PyTorch's ``weights_only`` allow-list without executing
anything, and ``legacy`` reads the JSON + .npy archives older glassgrad versions wrote.
"""

from __future__ import annotations

import pickle


class SerializationError(pickle.UnpicklingError, RuntimeError, ValueError):
    """A file that ``load`` refuses (truncated, corrupted, hostile, or needing trust).

    An ``UnpicklingError`` (what ``torch.load`` raises for a refused pickle), a RuntimeError
    (what it raises for a damaged archive) and a ValueError.
    """


def refuse(name: str, problem: str) -> SerializationError:
    """The error for file ``name`` (already repr-quoted) and what was refused in it."""
    return SerializationError(f"glassgrad.load({name}): {problem}")
