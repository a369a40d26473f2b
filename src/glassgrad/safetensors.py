"""``.safetensors`` files for glassgrad tensors, as ``safetensors.torch`` does for PyTorch's.

The same four functions with the same signatures (``save_file``, ``load_file``, ``save``,
``load``), built on the ``safetensors`` package's NumPy API, so a file written here loads
with ``safetensors.torch.load_file`` and the other way round. The format holds a flat dict
of named contiguous tensors and nothing executable. Install the optional extra with
``pip install "glassgrad[safetensors]"``.

Example:
    >>> from glassgrad.safetensors import save_file, load_file
    >>> save_file(model.state_dict(), "model.safetensors")
    >>> model.load_state_dict(load_file("model.safetensors"))
"""

from __future__ import annotations

import os

from glassgrad._backend import ndarray
from glassgrad._checkpoint.pickler import memory_block
from glassgrad._dtypes import device as _device
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor

__all__ = ["load", "load_file", "save", "save_file"]


def _numpy_api():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "glassgrad.safetensors needs the safetensors package: "
            'pip install "glassgrad[safetensors]"'
        ) from None
    return safetensors.numpy


def _arrays(tensors: dict[str, Tensor]) -> dict[str, ndarray]:
    """The arrays to write, refusing what ``safetensors.torch`` refuses (same messages)."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    blocks: dict[int, list[str]] = {}
    for key, value in tensors.items():
        if not isinstance(value, Tensor):
            raise ValueError(
                f"Key `{key}` is invalid, expected torch.Tensor but received {type(value)}"
            )
        root = memory_block(value._data)[0]
        if root is not None and value.numel() > 0:
            blocks.setdefault(id(root), []).append(key)
    failing = [names for names in blocks.values() if len(names) > 1]
    if failing:
        raise RuntimeError(
            "Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {failing}. Save each shared tensor once, or "
            "call .clone() on the others before saving."
        )
    for key, value in tensors.items():
        if not value.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{key}` which is not allowed. "
                "It either means you are trying to save tensors which are reference of each other "
                "in which case it's recommended to save only the full tensors, and reslice at load "
                "time, or simply call `.contiguous()` on your tensor to pack it before saving."
            )
    return {key: value._data for key, value in tensors.items()}


def _tensors(arrays: dict[str, ndarray]) -> dict[str, Tensor]:
    return {
        key: _new_tensor(array if array.flags.writeable else array.copy())
        for key, array in arrays.items()
    }


def save(tensors: dict[str, Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors bytes of a dict of contiguous tensors (``metadata``: text only)."""
    return _numpy_api().save(_arrays(tensors), metadata=metadata)


def save_file(
    tensors: dict[str, Tensor],
    filename: str | os.PathLike,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write a dict of contiguous, non-shared tensors to ``filename``."""
    _numpy_api().save_file(_arrays(tensors), filename, metadata=metadata)


def load(data: bytes) -> dict[str, Tensor]:
    """The tensors in safetensors bytes."""
    return _tensors(_numpy_api().load(data))


def load_file(filename: str | os.PathLike, device: str | int = "cpu") -> dict[str, Tensor]:
    """The tensors in ``filename``; glassgrad runs on the CPU only, so ``device`` is ``cpu``."""
    if _device(device).type != "cpu":
        raise RuntimeError(
            f"load_file(device={device!r}): glassgrad runs on the CPU only; use device='cpu'"
        )
    return _tensors(_numpy_api().load_file(filename))
