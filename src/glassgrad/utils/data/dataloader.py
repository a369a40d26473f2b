"""DataLoader: batches of samples from a dataset, collated into tensors like PyTorch.

Workers are accepted for compatibility and run in-process (NumPy releases no GIL-bound
speed-up worth a process pool for the small data glassgrad targets).
"""

from __future__ import annotations

import collections.abc
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from typing import Any, cast

from glassgrad import _creation
from glassgrad._backend import ndarray, xp
from glassgrad._dtypes import float64, int64
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.ops.movement import stack
from glassgrad.utils.data.dataset import Dataset, IterableDataset, TensorDataset
from glassgrad.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _tensor_from_numpy(array: ndarray) -> Tensor:
    if array.dtype.kind in "OSUV":
        raise TypeError(_COLLATE_ERROR.format(array.dtype))
    return _creation.as_tensor(array)


def default_collate(batch: Sequence) -> Any:
    """Stack a list of samples into a batch, recursing into tuples, lists and dicts.

    Tensors and NumPy arrays are stacked along a new first dimension; Python floats become a
    float64 tensor, ints an int64 tensor, bools a bool tensor; strings stay as they are;
    tuples become lists (as in PyTorch), namedtuples and dicts keep their type.

    Example:
        >>> default_collate([(torch.tensor([1.0]), 0), (torch.tensor([2.0]), 1)])
        [tensor([[1.],
                [2.]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, ndarray):
        return stack([_tensor_from_numpy(b) for b in batch], 0)
    if isinstance(elem, xp.generic):
        return _creation.as_tensor(xp.asarray(batch))
    if isinstance(elem, float):
        return _creation.tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return _creation.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:  # (the sample's own class, e.g. dict: not the abstract Mapping mypy sees)
            return type(elem)(collated)  # type: ignore[call-arg]
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        try:  # (the sample's own class, e.g. list: not the abstract Sequence mypy sees)
            return type(elem)(columns)  # type: ignore[call-arg]
        except TypeError:
            return columns
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Without batching: NumPy arrays become tensors, containers are converted inside."""
    if isinstance(data, ndarray) and data.dtype.kind not in "OSUV":
        return _tensor_from_numpy(data)
    if isinstance(data, xp.generic):
        return _creation.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):  # (its own class: see default_collate)
        return type(data)({k: default_convert(v) for k, v in data.items()})  # type: ignore[call-arg]
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def get_worker_info() -> None:
    """Always None: loading happens in the main process."""
    return None


class DataLoader:
    """Iterate over a dataset in (shuffled) batches.

    Example:
        >>> ds = TensorDataset(torch.randn(10, 3), torch.arange(10))
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True,
        ...                     generator=torch.Generator().manual_seed(0))
        >>> len(loader)
        3
        >>> for x, y in loader: ...
    """

    def __init__(
        self,
        dataset: Dataset | Iterable,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_worker_options(
            num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context
        )
        # map-style (indexed, sized) or a stream (iterated), as ``_iterable`` says: no static
        # type follows that runtime test, so the code that uses it is not type-checked
        self.dataset: Any = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        batch_size, drop_last = _check_batching(
            shuffle, sampler, batch_sampler, batch_size, drop_last
        )
        if not self._iterable:
            if sampler is None:
                sized = cast(Sized, dataset)  # map-style: the samplers need its len()
                sampler = (
                    RandomSampler(sized, generator=generator)
                    if shuffle
                    else SequentialSampler(sized)
                )
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __iter__(self) -> Iterator:
        # PyTorch draws each pass's worker base seed (64 bits) when the pass starts, with or
        # without workers; drawing it too keeps seeded programs on PyTorch's random stream
        _creation.empty((), dtype=int64).random_(generator=self.generator)
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is not None:
            return (self._fetch(indices) for indices in self.batch_sampler)
        sampler = cast(Iterable, self.sampler)  # (set in __init__ for a map-style dataset)
        return (self.collate_fn(self.dataset[i]) for i in sampler)

    def _fetch(self, indices: list[int]):
        dataset = self.dataset
        if (
            self.collate_fn is default_collate
            and type(dataset) is TensorDataset
            and not any(t.requires_grad for t in dataset.tensors)
        ):
            # same result as collating row by row, with one gather per tensor
            rows = xp.asarray(indices, dtype=xp.intp)
            n = len(dataset)
            if rows.size and not (-n <= rows.min() and rows.max() < n):
                bad = next(i for i in indices if not -n <= i < n)
                raise IndexError(
                    f"index {bad} is out of bounds for dimension 0 with size {n} (check the "
                    "sampler's indices)"
                )
            return [_new_tensor(t._data[rows]) for t in dataset.tensors]
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _iter_stream(self) -> Iterator:
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        # a sampler given without __len__ fails here with len()'s TypeError, as in PyTorch
        if self.batch_sampler is not None:
            return len(cast(Sized, self.batch_sampler))
        return len(cast(Sized, self.sampler))


def _check_worker_options(
    num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context
) -> None:
    """PyTorch's checks of the multiprocessing options (workers run in-process here)."""
    if num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            "multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing.let "
            "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None and num_workers == 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )


def _check_iterable_options(shuffle, sampler, batch_sampler) -> None:
    """An IterableDataset decides its own order: no shuffle, sampler or batch_sampler."""
    if shuffle not in (False, None):
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified shuffle option, but "
            f"got shuffle={shuffle}"
        )
    if sampler is not None:
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified sampler option, but "
            f"got sampler={sampler}"
        )
    if batch_sampler is not None:
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified batch_sampler "
            f"option, but got batch_sampler={batch_sampler}"
        )


def _check_batching(shuffle: bool, sampler, batch_sampler, batch_size, drop_last):
    """PyTorch's exclusions between the batching options; returns the effective
    ``(batch_size, drop_last)`` (None and False when a batch_sampler makes the batches)."""
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                "sampler, and drop_last"
            )
        return None, False
    if batch_size is None and drop_last:
        raise ValueError(
            "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
        )
    return batch_size, drop_last
