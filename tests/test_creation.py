"""Creation functions, devices and conversions compared with real PyTorch."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg


def _summary(value, m):
    """Something comparable across the two libraries."""
    if isinstance(value, m.Tensor):
        return ("tensor", str(value.dtype), tuple(value.shape), value.tolist(), value.requires_grad)
    if isinstance(value, (list, tuple)):
        return tuple(_summary(v, m) for v in value)
    return str(value)


def _same(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _summary(make(torch), torch)
        got = _summary(make(gg), gg)
    assert got == expected


CREATION = {
    "scalar_float": lambda m: m.tensor(2.5),
    "scalar_int": lambda m: m.tensor(2),
    "scalar_bool": lambda m: m.tensor(True),
    "nested": lambda m: m.tensor([[1, 2], [3, 4]]),
    "mixed_int_float": lambda m: m.tensor([1, 2.5]),
    "bools": lambda m: m.tensor([True, False]),
    "bool_and_int": lambda m: m.tensor([True, 2]),
    "tuple": lambda m: m.tensor((1, 2)),
    "numpy_float64_stays": lambda m: m.tensor(np.array([1.5, 2.5])),
    "numpy_float32": lambda m: m.tensor(np.array([1.5], dtype=np.float32)),
    "numpy_int64": lambda m: m.tensor(np.array([1, 2])),
    "numpy_int32": lambda m: m.tensor(np.array([1, 2], dtype=np.int32)),
    "numpy_bool": lambda m: m.tensor(np.array([True])),
    "numpy_scalar64": lambda m: m.tensor(np.float64(1.5)),
    "numpy_scalar32": lambda m: m.tensor(np.float32(1.5)),
    "from_tensor": lambda m: m.tensor(m.tensor([1.0, 2.0])),
    "list_of_0d_tensors": lambda m: m.tensor([m.tensor(1.0), m.tensor(2.0)]),
    "dtype_float64": lambda m: m.tensor([1, 2], dtype=m.float64),
    "dtype_python_float": lambda m: m.tensor([1, 2], dtype=float),
    "requires_grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "empty_list": lambda m: m.tensor([]),
    "empty_nested": lambda m: m.tensor([[]]),
    "zeros": lambda m: m.zeros(2, 3),
    "zeros_tuple": lambda m: m.zeros((2, 3)),
    "zeros_list": lambda m: m.zeros([2]),
    "zeros_size": lambda m: m.zeros(m.Size([2, 1])),
    "zeros_0d": lambda m: m.zeros(()),
    "ones_long": lambda m: m.ones(2, dtype=m.long),
    "ones_requires_grad": lambda m: m.ones(2, requires_grad=True),
    "full_float": lambda m: m.full((2,), 1.5),
    "full_int": lambda m: m.full((2,), 7),
    "full_bool": lambda m: m.full((2,), True),
    "full_0d_tensor_value": lambda m: m.full((2,), m.tensor(3.0)),
    "empty_shape": lambda m: m.empty(2, 3).shape,
    "eye": lambda m: m.eye(3),
    "eye_rectangular": lambda m: m.eye(2, 3),
    "eye_int": lambda m: m.eye(2, dtype=m.int64),
    "arange": lambda m: m.arange(5),
    "arange_float": lambda m: m.arange(5.0),
    "arange_start": lambda m: m.arange(1, 4),
    "arange_float_step": lambda m: m.arange(0, 1, 0.25),
    "arange_negative_step": lambda m: m.arange(5, 0, -1),
    "arange_negative_float_step": lambda m: m.arange(1.0, 0.0, -0.3),
    "arange_empty": lambda m: m.arange(0),
    "arange_dtype": lambda m: m.arange(3, dtype=m.float64),
    "arange_tensor_bound": lambda m: m.arange(m.tensor(3)),
    "arange_uneven": lambda m: m.arange(0, 10, 3),
    "arange_int64_truncates": lambda m: m.arange(0.0, 3.5, dtype=m.int64),
    "arange_int64_float_step": lambda m: m.arange(0, 5, 1.5, dtype=m.int64),
    "arange_int32": lambda m: m.arange(0, 3.5, dtype=m.int32),
    "arange_requires_grad": lambda m: m.arange(3.0, requires_grad=True),
    "arange_tenth": lambda m: m.arange(0, 1, 0.1).shape,
    "linspace": lambda m: m.linspace(0, 1, 5),
    "linspace_one": lambda m: m.linspace(0, 1, 1),
    "linspace_descending": lambda m: m.linspace(1, -1, 3),
    "linspace_empty": lambda m: m.linspace(0, 1, 0),
    "logspace": lambda m: m.logspace(0, 2, 3),
    "zeros_like": lambda m: m.zeros_like(m.ones(2, dtype=m.int32)),
    "ones_like_dtype": lambda m: m.ones_like(m.ones(2), dtype=m.float64),
    "full_like": lambda m: m.full_like(m.ones(2), 3),
    "full_like_int_truncates": lambda m: m.full_like(m.ones(2, dtype=m.long), 3.7),
    "empty_like_dtype": lambda m: m.empty_like(m.ones(2, dtype=m.bool)).dtype,
    "rand_like_dtype": lambda m: m.rand_like(m.ones(2, 2, dtype=m.float64)).dtype,
    "randn_like_shape": lambda m: m.randn_like(m.ones(3)).shape,
    "randint_like_dtype": lambda m: m.randint_like(m.ones(3), 5).dtype,
    "rand_meta": lambda m: (m.rand(2, 3).shape, m.rand(2).dtype, m.rand(2, dtype=m.float64).dtype),
    "randn_meta": lambda m: (m.randn(2, 3).shape, m.randn(()).shape, m.randn(2).dtype),
    "randint_meta": lambda m: (
        m.randint(0, 10, (3,)).dtype,
        m.randint(5, (2, 2)).shape,
        m.randint(0, 3, (2,), dtype=m.float32).dtype,
    ),
    "randperm": lambda m: (sorted(m.randperm(5).tolist()), m.randperm(3).dtype),
    "normal_tensor_mean": lambda m: (m.normal(m.zeros(3), 1.0).shape,),
    "normal_tensor_std": lambda m: (m.normal(0.0, m.ones(3)).shape,),
    "normal_size": lambda m: (
        m.normal(2.0, 3.0, size=(2, 3)).shape,
        m.normal(0.0, 1.0, (2,)).dtype,
    ),
    "scalar_tensor": lambda m: m.scalar_tensor(3),
    "finfo_iinfo": lambda m: (m.finfo(m.float32).eps, m.finfo().max, m.iinfo(m.int64).max),
}


@pytest.mark.parametrize("name", sorted(CREATION))
def test_creation_matches_torch(name):
    _same(CREATION[name])


ERRORS = {
    "int_requires_grad": (lambda m: m.tensor([1, 2], requires_grad=True), RuntimeError),
    "ragged": (lambda m: m.tensor([[1, 2], [3]]), ValueError),
    "string": (lambda m: m.tensor("abc"), TypeError),
    "none": (lambda m: m.tensor(None), RuntimeError),
    "arange_zero_step": (lambda m: m.arange(0, 5, 0), RuntimeError),
    "arange_wrong_sign": (lambda m: m.arange(0, 5, -1), RuntimeError),
    "rand_int_dtype": (lambda m: m.rand(2, dtype=m.int64), NotImplementedError),
    "randn_like_int": (lambda m: m.randn_like(m.ones(2, dtype=m.long)), NotImplementedError),
    "negative_size": (lambda m: m.zeros(-1), RuntimeError),
    "default_dtype_int": (lambda m: m.set_default_dtype(m.int64), TypeError),
    "cuda_creation": (lambda m: m.zeros(2, device="cuda"), AssertionError),
    "cuda_to": (lambda m: m.zeros(2).to("cuda"), AssertionError),
    "cuda_to_device": (lambda m: m.zeros(2).to(m.device("cuda", 0)), AssertionError),
    "cuda_method": (lambda m: m.zeros(2).cuda(), AssertionError),
    "unknown_device": (lambda m: m.device("gpu"), RuntimeError),
    "numpy_requires_grad": (lambda m: m.ones(2, requires_grad=True).numpy(), RuntimeError),
    "from_numpy_list": (lambda m: m.from_numpy([1, 2]), TypeError),
    "bool_ambiguous": (lambda m: bool(m.ones(2)), RuntimeError),
    "item_many": (lambda m: m.ones(2).item(), RuntimeError),
    "len_0d": (lambda m: len(m.tensor(1.0)), TypeError),
    "iter_0d": (lambda m: iter(m.tensor(1.0)), TypeError),
    "index_float": (lambda m: [1, 2][m.tensor(1.0)], TypeError),
    "finfo_int": (lambda m: m.finfo(m.int64), TypeError),
    "contains_string": (lambda m: "a" in m.ones(2), RuntimeError),
    "bool_empty": (lambda m: bool(m.ones(0)), RuntimeError),
    "grad_wrong_dtype": (
        lambda m: setattr(m.ones(2, requires_grad=True), "grad", m.ones(2, dtype=m.float64)),
        RuntimeError,
    ),
    "grad_wrong_shape": (
        lambda m: setattr(m.ones(2, requires_grad=True), "grad", m.ones(3)),
        RuntimeError,
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch_type(name):
    make, error = ERRORS[name]
    with pytest.raises(error):
        make(torch)
    with pytest.raises(error):
        make(gg)


def test_cuda_error_is_also_a_runtime_error_with_a_hint():
    with pytest.raises(RuntimeError, match="device='cpu'"):
        gg.ones(1, device="cuda:0")


def test_cuda_is_not_available():
    assert gg.cuda.is_available() is False
    assert gg.cuda.device_count() == 0


def test_devices():
    assert gg.device("cpu") == gg.device("cpu")
    assert gg.device("cpu") != gg.device("cpu", 0)
    assert gg.device(gg.device("cpu")).type == "cpu"
    assert (gg.zeros(1).device == "cpu") is (torch.zeros(1).device == "cpu")
    assert gg.zeros(2, device="cpu").device.type == "cpu"
    assert gg.ones(2, device=gg.device("cpu")).is_cpu
    assert gg.device("cuda:1").index == 1
    assert pickle.loads(pickle.dumps(gg.device("cpu"))) == gg.device("cpu")
    with gg.device("cpu"):
        assert gg.zeros(1).device.type == "cpu"
    assert gg.ones(1).new_zeros(2, device="cpu").shape == (2,)
    with pytest.raises(AssertionError):
        gg.ones(1).new_ones(2, device="cuda")


def test_set_default_device():
    gg.set_default_device("cpu")
    gg.set_default_device(gg.device("cpu"))
    assert gg.zeros(1).device.type == "cpu"
    assert gg.get_default_device() == gg.device("cpu")
    with pytest.raises(RuntimeError):
        gg.set_default_device("cuda")


def test_set_default_dtype_float64():
    try:
        gg.set_default_dtype(gg.float64)
        assert gg.get_default_dtype() is gg.float64
        assert gg.tensor(1.5).dtype is gg.float64
        assert gg.zeros(1).dtype is gg.float64
        assert gg.arange(2.0).dtype is gg.float64
        assert gg.tensor([1]).dtype is gg.int64
        assert (gg.tensor([1]) * 1.5).dtype is gg.float64
        assert gg.randn(2).dtype is gg.float64
    finally:
        gg.set_default_dtype(gg.float32)
    assert gg.tensor(1.5).dtype is gg.float32


CONVERSIONS = {
    "to_dtype": lambda m: m.zeros(2).to(m.float64),
    "to_device": lambda m: m.zeros(2).to("cpu"),
    "to_device_dtype": lambda m: m.zeros(2).to("cpu", m.int64),
    "to_keywords": lambda m: m.zeros(2).to(dtype=m.int32, device="cpu"),
    "to_other": lambda m: m.zeros(2).to(m.ones(1, dtype=m.float64)),
    "to_same_is_self": lambda m: (lambda t: t.to(m.float32) is t)(m.zeros(2)),
    "to_copy": lambda m: (lambda t: t.to(m.float32, copy=True) is t)(m.zeros(2)),
    "cpu_is_self": lambda m: (lambda t: t.cpu() is t)(m.zeros(2)),
    "double": lambda m: m.tensor([1.7]).double(),
    "float": lambda m: m.tensor([1]).float(),
    "long_truncates": lambda m: m.tensor([1.7, -1.7]).long(),
    "int": lambda m: m.tensor([1.7]).int(),
    "bool": lambda m: m.tensor([0.0, 2.0]).bool(),
    "half": lambda m: m.tensor([1.7]).half(),
    "to_keeps_graph": lambda m: m.tensor([1.0], requires_grad=True).double(),
    "type_names": lambda m: (m.zeros(1).type(), m.zeros(1, dtype=m.long).type()),
    "type_convert": lambda m: (
        m.zeros(1).type(m.float64).dtype,
        m.zeros(1).type("torch.DoubleTensor").dtype,
    ),
    "type_as": lambda m: m.ones(1).type_as(m.ones(1, dtype=m.int32)),
    "data_detached": lambda m: (lambda t: (t.data.requires_grad, t.data.is_leaf))(
        m.ones(2, requires_grad=True) * 2
    ),
    "data_shares": lambda m: (lambda t: (t.data.add_(1), t)[1])(m.ones(2, requires_grad=True)),
    "item_one_element_nd": lambda m: m.tensor([[2.5]]).item(),
    "item_int": lambda m: m.tensor([3]).item(),
    "tolist": lambda m: m.arange(6).reshape(2, 3).tolist(),
    "tolist_0d": lambda m: m.tensor(1.5).tolist(),
    "float_int_bool": lambda m: (float(m.tensor([2.5])), int(m.tensor(3.9)), bool(m.tensor([0]))),
    "len_iter": lambda m: (len(m.ones(3, 2)), [t.shape for t in m.ones(3, 2)]),
    "contains": lambda m: (2 in m.tensor([1, 2]), 5 in m.tensor([1, 2]), m.tensor(1) in m.ones(2)),
    "iteration_unbinds": lambda m: [
        type(t.grad_fn).__name__ for t in m.ones(2, 3, requires_grad=True)
    ],
    "bool_one_element": lambda m: (bool(m.ones(1, 1)), bool(m.tensor([0.0]))),
    "index": lambda m: [10, 20, 30][m.tensor(1)],
    "new_tensor": lambda m: m.ones(1, dtype=m.float64).new_tensor([1, 2]),
    "new_zeros": lambda m: m.ones(1, dtype=m.int32).new_zeros(2, 3),
    "new_zeros_tuple": lambda m: m.ones(1).new_zeros((2,)),
    "new_ones": lambda m: m.ones(1, dtype=m.float64).new_ones((2,)),
    "new_full": lambda m: m.ones(1).new_full((2,), 3.0),
    "new_empty_shape": lambda m: m.ones(1, dtype=m.int64).new_empty((2, 3)).shape,
    "new_dtype": lambda m: m.ones(1).new_zeros(2, dtype=m.int64),
    "stride": lambda m: (m.ones(2, 3).stride(), m.ones(2, 3).t().stride(), m.ones(2, 3).stride(1)),
    "contiguity": lambda m: (m.ones(2, 3).is_contiguous(), m.ones(2, 3).t().is_contiguous()),
    "sizes": lambda m: (m.ones(2, 3).size(), m.ones(2, 3).size(-1), m.ones(2, 3).numel()),
    "dims": lambda m: (m.ones(2, 3).dim(), m.ones(2, 3).ndim, m.ones(2).element_size()),
    "is_floating_point": lambda m: (
        m.ones(1).is_floating_point(),
        m.ones(1).long().is_floating_point(),
    ),
}


@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_conversions_match_torch(name):
    _same(CONVERSIONS[name])


def test_from_numpy_shares_memory():
    array = np.zeros(3)
    t = gg.from_numpy(array)
    assert t.dtype is gg.float64
    t.add_(1)
    assert array.tolist() == [1.0, 1.0, 1.0]
    array[0] = 5
    assert t[0].item() == 5


def test_as_tensor_shares_memory_and_tensor_copies():
    array = np.zeros(2, dtype=np.float32)
    gg.as_tensor(array).add_(1)
    assert array.tolist() == [1.0, 1.0]
    gg.tensor(array).add_(1)
    assert array.tolist() == [1.0, 1.0]


def test_tensor_from_tensor_warns_like_torch():
    with pytest.warns(UserWarning, match="detach"):
        gg.tensor(gg.ones(2))


def test_manual_seed_is_deterministic():
    gg.manual_seed(3)
    a = (gg.rand(3), gg.randn(2), gg.randint(0, 10, (4,)), gg.randperm(5))
    gg.manual_seed(3)
    b = (gg.rand(3), gg.randn(2), gg.randint(0, 10, (4,)), gg.randperm(5))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    assert gg.initial_seed() == 3


def test_generator_objects_are_independent():
    g1 = gg.Generator().manual_seed(1)
    g2 = gg.Generator().manual_seed(1)
    assert gg.rand(2, generator=g1).tolist() == gg.rand(2, generator=g2).tolist()


def test_random_values_are_in_range():
    gg.manual_seed(0)
    assert bool(((gg.rand(1000) >= 0) & (gg.rand(1000) < 1)).all())
    ints = gg.randint(3, 5, (1000,))
    assert set(ints.tolist()) == {3, 4}
    assert abs(gg.randn(20000).mean().item()) < 0.05
    assert abs(gg.normal(2.0, 3.0, size=(20000,)).std().item() - 3.0) < 0.1


def test_dtype_attributes_and_aliases():
    assert gg.float is gg.float32 and gg.double is gg.float64 and gg.long is gg.int64
    assert gg.int is gg.int32 and gg.half is gg.float16 and gg.short is gg.int16
    for name in ("float32", "float64", "int64", "bool", "uint8", "int8"):
        a, b = getattr(gg, name), getattr(torch, name)
        assert (a.is_floating_point, a.is_signed, a.itemsize) == (
            b.is_floating_point,
            b.is_signed,
            b.itemsize,
        )
    assert pickle.loads(pickle.dumps(gg.float64)) is gg.float64


def test_rng_state_round_trip():
    gg.manual_seed(5)
    state = gg.get_rng_state()
    assert state.dtype is gg.uint8
    first = gg.rand(3).tolist()
    gg.randn(4)
    gg.set_rng_state(state)
    assert gg.rand(3).tolist() == first
    assert gg.random.initial_seed() == 5
    generator = gg.Generator().manual_seed(2)
    saved = generator.get_state()
    drawn = gg.randn(2, generator=generator).tolist()
    generator.set_state(saved)
    assert gg.randn(2, generator=generator).tolist() == drawn
    with pytest.raises(RuntimeError, match="get_state"):
        gg.set_rng_state(gg.zeros(3, dtype=gg.uint8))


@pytest.mark.parametrize("name", ["current_device", "get_device_name"])
def test_cuda_queries_that_need_a_device_raise_like_torch(name):
    with pytest.raises(AssertionError):
        getattr(torch.cuda, name)()
    with pytest.raises(AssertionError, match="CPU only"):
        getattr(gg.cuda, name)()
    assert gg.cuda.is_initialized() is torch.cuda.is_initialized() is False
