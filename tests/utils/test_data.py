"""utils.data: datasets, samplers, DataLoader batching and default_collate vs PyTorch."""

import collections

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch's DataLoader is the oracle for these tests")
from torch.utils import data as tdata  # noqa: E402

import glassgrad  # noqa: E402
from glassgrad.utils import data as gdata  # noqa: E402


def _same(a, b):
    """Structural equality of a glassgrad batch and a torch batch (types, dtypes, values)."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, glassgrad.Tensor)
        assert a.dtype.name == str(b.dtype).removeprefix("torch.")
        assert a.shape == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(b, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in b:
            _same(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b


Point = collections.namedtuple("Point", "x y")

SAMPLES = [
    [(1, 2.0, "a"), (3, 4.0, "b")],
    [{"x": np.array([1, 2]), "y": True}, {"x": np.array([3, 4]), "y": False}],
    [np.float32(1), np.float32(2)],
    [np.int32(5), np.int32(6)],
    [Point(1, 2), Point(3, 4)],
    [[1, 2], [3, 4]],
    [np.zeros((2, 2), dtype=np.float32), np.ones((2, 2), dtype=np.float32)],
    [collections.OrderedDict(b=1.5, a=2), collections.OrderedDict(b=2.5, a=3)],
]


@pytest.mark.parametrize("batch", SAMPLES, ids=range(len(SAMPLES)))
def test_default_collate_matches_torch(batch):
    _same(gdata.default_collate(batch), tdata.default_collate(batch))


def test_default_collate_tensors_and_errors():
    out = gdata.default_collate(
        [(glassgrad.ones(2), glassgrad.tensor(0)), (glassgrad.zeros(2), glassgrad.tensor(1))]
    )
    assert out[0].tolist() == [[1.0, 1.0], [0.0, 0.0]] and out[1].tolist() == [0, 1]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        gdata.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers"):
        gdata.default_collate([object()])


def _tensor_dataset(lib, n=10):
    x = lib.arange(n * 2, dtype=lib.float32).reshape(n, 2)
    return lib.utils.data.TensorDataset(x, lib.arange(n))


@pytest.mark.parametrize(
    "batch_size, drop_last", [(1, False), (3, False), (3, True), (10, True), (4, False)]
)
def test_sequential_batches_match_torch(batch_size, drop_last):
    mine = gdata.DataLoader(_tensor_dataset(glassgrad), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(_tensor_dataset(torch), batch_size=batch_size, drop_last=drop_last)
    assert len(mine) == len(theirs)
    batches = list(mine)
    assert len(batches) == len(list(theirs))
    for a, b in zip(batches, theirs):
        _same(a, b)


def test_shuffle_is_a_seedable_permutation():
    ds = _tensor_dataset(glassgrad, 11)

    def epoch(seed):
        loader = gdata.DataLoader(
            ds, batch_size=4, shuffle=True, generator=glassgrad.Generator().manual_seed(seed)
        )
        return [y.tolist() for _, y in loader]

    first = epoch(0)
    assert [len(b) for b in first] == [4, 4, 3]
    flat = [i for batch in first for i in batch]
    assert sorted(flat) == list(range(11)) and flat != list(range(11))
    assert epoch(0) == first and epoch(1) != first
    glassgrad.manual_seed(3)
    a = [y.tolist() for _, y in gdata.DataLoader(ds, batch_size=11, shuffle=True)]
    glassgrad.manual_seed(3)
    b = [y.tolist() for _, y in gdata.DataLoader(ds, batch_size=11, shuffle=True)]
    assert a == b
    loader = gdata.DataLoader(
        ds, batch_size=11, shuffle=True, generator=glassgrad.Generator().manual_seed(0)
    )
    assert [y.tolist() for _, y in loader] != [
        y.tolist() for _, y in loader
    ]  # new order each epoch


def test_batch_size_none_sampler_and_batch_sampler():
    ds = _tensor_dataset(glassgrad, 5)
    items = list(gdata.DataLoader(ds, batch_size=None))
    assert len(items) == 5 and items[2][1].item() == 2
    loader = gdata.DataLoader(ds, sampler=[4, 0, 2], batch_size=2)
    assert [y.tolist() for _, y in loader] == [[4, 0], [2]]
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 0 with size 5"):
        list(gdata.DataLoader(ds, sampler=[0, 7], batch_size=2))
    loader = gdata.DataLoader(ds, batch_sampler=[[1, 3], [0]])
    assert [y.tolist() for _, y in loader] == [[1, 3], [0]] and len(loader) == 2
    loader = gdata.DataLoader(ds, batch_size=2, collate_fn=lambda b: len(b), num_workers=2)
    assert list(loader) == [2, 2, 1]


def test_loader_option_errors_match_torch():
    ds = _tensor_dataset(glassgrad)
    for kwargs, match in [
        ({"sampler": [0], "shuffle": True}, "mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "batch_size=None option disables"),
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"multiprocessing_context": "spawn"}, "multiprocessing_context can only be used"),
    ]:
        with pytest.raises(ValueError, match=match):
            gdata.DataLoader(ds, **kwargs)
        with pytest.raises(ValueError, match=match):
            tdata.DataLoader(_tensor_dataset(torch), **kwargs)


class _Stream(gdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_iterable_dataset():
    loader = gdata.DataLoader(_Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    loader = gdata.DataLoader(_Stream(7), batch_size=3, drop_last=True)
    assert len(list(loader)) == 2 == len(loader)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        gdata.DataLoader(_Stream(3), shuffle=True)


def test_tensor_dataset_subset_concat():
    ds = _tensor_dataset(glassgrad, 4)
    assert len(ds) == 4 and ds[1][1].item() == 1 and ds[1][0].tolist() == [2.0, 3.0]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        gdata.TensorDataset(glassgrad.zeros(3), glassgrad.zeros(4))
    sub = gdata.Subset(ds, [3, 0])
    assert len(sub) == 2 and sub[0][1].item() == 3
    both = ds + sub
    assert isinstance(both, gdata.ConcatDataset) and len(both) == 6
    assert both[4][1].item() == 3 and both[-1][1].item() == 0
    with pytest.raises(IndexError):
        both[6]


def test_random_split():
    ds = _tensor_dataset(glassgrad, 10)
    parts = gdata.random_split(ds, [0.5, 0.3, 0.2], generator=glassgrad.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    indices = sorted(i for p in parts for i in p.indices)
    assert indices == list(range(10))
    again = gdata.random_split(ds, [5, 3, 2], generator=glassgrad.Generator().manual_seed(0))
    assert [p.indices for p in again] == [p.indices for p in parts]
    assert [len(p) for p in gdata.random_split(ds, [0.34, 0.33, 0.33])] == [4, 3, 3]
    assert [len(p) for p in tdata.random_split(range(10), [0.34, 0.33, 0.33])] == [4, 3, 3]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        gdata.random_split(ds, [3, 3])


def test_samplers():
    g = glassgrad.Generator().manual_seed(0)
    order = list(gdata.RandomSampler(range(6), generator=g))
    assert sorted(order) == list(range(6))
    drawn = list(gdata.RandomSampler(range(3), replacement=True, num_samples=10, generator=g))
    assert len(drawn) == 10 and set(drawn) <= {0, 1, 2}
    assert list(gdata.BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(gdata.BatchSampler(range(5), 2, drop_last=True)) == 2
    weighted = list(gdata.WeightedRandomSampler([0.0, 1.0, 0.0], 5, generator=g))
    assert weighted == [1] * 5
    assert sorted(gdata.SubsetRandomSampler([7, 8, 9], generator=g)) == [7, 8, 9]
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        gdata.BatchSampler(range(3), 0, False)


def test_glassgrad_utils_data_attribute():
    assert glassgrad.utils.data.DataLoader is gdata.DataLoader
