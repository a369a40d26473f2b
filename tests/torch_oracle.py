"""``torch`` for the oracle tests, imported when a test first uses it.

``from torch_oracle import torch`` in a test module instead of a module-level
``pytest.importorskip``: without PyTorch, each test skips (with ``REASON``) at its first use
of ``torch``, while the module's tests that never touch it still run. With PyTorch this
object forwards every attribute to the torch module.
"""

from __future__ import annotations

import pytest

REASON = "PyTorch is the oracle for this test; install torch to run it"


class _LazyTorch:
    """Forwards attribute reads and writes (monkeypatch) to the torch module."""

    def __getattr__(self, name):
        if name.startswith(("__", "_mock")):
            # pytest's and mock's introspection while collecting: not a use of torch
            try:
                import torch
            except ImportError:
                raise AttributeError(name) from None
            return getattr(torch, name)
        return getattr(pytest.importorskip("torch", reason=REASON), name)

    def __setattr__(self, name, value):
        setattr(pytest.importorskip("torch", reason=REASON), name, value)

    def __delattr__(self, name):
        delattr(pytest.importorskip("torch", reason=REASON), name)

    def __repr__(self) -> str:
        return "<torch, imported on first use>"


torch = _LazyTorch()
