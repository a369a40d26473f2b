"""glassgrad: reverse-mode autodiff and optimization on NumPy, with the PyTorch API.

``import glassgrad as torch`` and PyTorch programs for gradient descent run unchanged.

Seeing why a number is what it is (``glassgrad.viz``):

- ``glassgrad.explain(loss, wrt=w)``: the chain rule for ``w.grad``, written out with numbers
  (before or after ``loss.backward()``).
- ``optimizer.explain_step(w)``: the next ``step()``'s update rule with its numbers.
- ``glassgrad.viz.Trace(model, optimizer)``: records loss, gradients and updates at every
  ``trace.record(loss)`` and warns about slips (``zero_grad()`` never called, a parameter
  without gradient, NaN); ``trace.plot_loss()`` draws it.
- ``glassgrad.viz.graph(loss)``: the autograd graph with values and gradients.
- ``glassgrad.viz.check_gradient(...)``: a hand-derived gradient compared with autograd.

From the shell: ``glassgrad demo`` (lessons, optimizer race and an HTML report),
``glassgrad run script.py --explain w``, ``glassgrad explain "(w*x - y)**2" --at w=1 x=1 y=2
--wrt w`` and ``glassgrad --version``.
"""

from __future__ import annotations

import builtins as _builtins
import importlib
import warnings

from glassgrad import _dtypes, _functions, _legacy
from glassgrad._creation import (
    arange,
    as_tensor,
    asarray,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from glassgrad._dtypes import (
    Size,
    device,
    dtype,
    finfo,
    get_default_dtype,
    iinfo,
    set_default_dtype,
)

# The ops' functions: written by tools/gen_api.py from their @api declarations.
from glassgrad._functions import (
    abs,
    absolute,
    acos,
    add,
    addcdiv,
    addcmul,
    addmm,
    all,
    allclose,
    amax,
    amin,
    any,
    arccos,
    arcsin,
    arctan,
    arctan2,
    argmax,
    argmin,
    argsort,
    asin,
    atan,
    atan2,
    bincount,
    bitwise_not,
    bmm,
    broadcast_to,
    cat,
    ceil,
    chunk,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    clone,
    concat,
    concatenate,
    cos,
    cosh,
    count_nonzero,
    cumprod,
    cumsum,
    det,
    diag,
    diff,
    dist,
    div,
    divide,
    dot,
    einsum,
    eq,
    equal,
    erf,
    exp,
    expm1,
    flatten,
    flip,
    floor,
    floor_divide,
    gather,
    ge,
    ger,
    gt,
    hstack,
    index_add,
    index_select,
    inner,
    inverse,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lerp,
    log,
    log1p,
    log2,
    log10,
    log_softmax,
    logaddexp,
    logical_not,
    logit,
    logsumexp,
    lt,
    masked_fill,
    masked_select,
    matmul,
    max,
    maximum,
    mean,
    median,
    meshgrid,
    min,
    minimum,
    mm,
    moveaxis,
    movedim,
    mul,
    multiply,
    mv,
    nan_to_num,
    narrow,
    ne,
    neg,
    negative,
    nonzero,
    norm,
    outer,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    remainder,
    repeat_interleave,
    reshape,
    roll,
    round,
    rsqrt,
    scatter,
    scatter_add,
    sgn,
    sigmoid,
    sign,
    signbit,
    sin,
    sinh,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    std_mean,
    sub,
    subtract,
    sum,
    swapaxes,
    swapdims,
    t,
    tan,
    tanh,
    tile,
    topk,
    trace,
    transpose,
    tril,
    triu,
    true_divide,
    trunc,
    unbind,
    unflatten,
    unique,
    unsqueeze,
    var,
    var_mean,
    vstack,
    where,
    xlogy,
)
from glassgrad._kernels import is_exact, set_exact
from glassgrad._printing import get_printoptions, set_printoptions
from glassgrad._random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from glassgrad._tensor import Tensor
from glassgrad.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [  # and the ops' functions (exp, sum, cat, ...) from _functions.__all__ below
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "Generator",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
    "Size",
    "Tensor",
    "arange",
    "as_tensor",
    "asarray",
    "bernoulli",
    "bool",
    "broadcast_shapes",
    "compile",
    "default_generator",
    "device",
    "double",
    "dtype",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "finfo",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_default_device",
    "get_default_dtype",
    "get_printoptions",
    "get_rng_state",
    "half",
    "iinfo",
    "inference_mode",
    "initial_seed",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_exact",
    "is_floating_point",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "is_tensor",
    "linspace",
    "load",
    "logspace",
    "long",
    "manual_seed",
    "multinomial",
    "no_grad",
    "normal",
    "numel",
    "ones",
    "ones_like",
    "promote_types",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "result_type",
    "save",
    "scalar_tensor",
    "seed",
    "set_default_device",
    "set_default_dtype",
    "set_exact",
    "set_grad_enabled",
    "set_printoptions",
    "set_rng_state",
    "short",
    "tensor",
    "uint8",
    "zeros",
    "zeros_like",
]
__all__ += _functions.__all__

# PyTorch computes log(0) = -inf or 0/0 = nan silently; so do we (NumPy would warn from our ops).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"glassgrad(\.|$)")

__version__ = "0.1.0"

float32 = float = _dtypes.float32
float64 = double = _dtypes.float64
float16 = half = _dtypes.float16
int64 = long = _dtypes.int64
int32 = int = _dtypes.int32
int16 = short = _dtypes.int16
int8 = _dtypes.int8
uint8 = _dtypes.uint8
bool = _dtypes.bool_

FloatTensor = _legacy.LEGACY_TYPES["FloatTensor"]
DoubleTensor = _legacy.LEGACY_TYPES["DoubleTensor"]
HalfTensor = _legacy.LEGACY_TYPES["HalfTensor"]
LongTensor = _legacy.LEGACY_TYPES["LongTensor"]
IntTensor = _legacy.LEGACY_TYPES["IntTensor"]
ShortTensor = _legacy.LEGACY_TYPES["ShortTensor"]
CharTensor = _legacy.LEGACY_TYPES["CharTensor"]
ByteTensor = _legacy.LEGACY_TYPES["ByteTensor"]
BoolTensor = _legacy.LEGACY_TYPES["BoolTensor"]

numel = Tensor.numel
is_floating_point = Tensor.is_floating_point


def is_tensor(obj) -> _builtins.bool:
    return isinstance(obj, Tensor)


def set_default_device(name) -> None:
    """Only the CPU exists here; anything else is refused with a clear message."""
    _dtypes.check_device(name if name is not None else "cpu")


def get_default_device():
    return _dtypes.CPU


def promote_types(type1, type2):
    return _dtypes.promote(type1, type2)


def result_type(tensor1, tensor2):
    return _dtypes.result_dtype(tensor1, tensor2)


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of the given shapes broadcast to (an int counts as a 1-D shape)."""
    result: list = []
    for index, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, _builtins.int) else tuple(shape)
        if len(shape) > len(result):
            result = [1] * (len(shape) - len(result)) + result
        for k in range(1, len(shape) + 1):
            if shape[-k] != 1 and result[-k] not in (1, shape[-k]):
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[-k]} at {-k}! "
                    f"Mismatching argument at index {index} had {shape}; but expected shape "
                    f"should be broadcastable to {result}"
                )
            if shape[-k] != 1:
                result[-k] = shape[-k]
    return Size(result)


# Functions whose modules need nn and optim, which ``import glassgrad`` does not load.
_LOADED_ON_FIRST_USE = {
    "save": "glassgrad.serialization",
    "load": "glassgrad.serialization",
    "compile": "glassgrad._compile",
}

_SUBMODULES = {
    "accelerator",
    "nn",
    "optim",
    "autograd",
    "utils",
    "viz",
    "cuda",
    "backends",
    "linalg",
    "testing",
    "serialization",
    "datasets",
}


def __getattr__(name: str):
    """Import subpackages lazily, and name unsupported torch APIs clearly."""
    if name == "random":  # torch.random: manual_seed, get_rng_state, ... live in _random
        return importlib.import_module("glassgrad._random")
    if name in _SUBMODULES:
        return importlib.import_module(f"glassgrad.{name}")
    if name in _LOADED_ON_FIRST_USE:
        return getattr(importlib.import_module(_LOADED_ON_FIRST_USE[name]), name)
    if name == "explain":  # the chain-rule explainer lives in viz, imported on first use
        return importlib.import_module("glassgrad.viz").explain
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"torch.{name} is not supported by glassgrad yet (module 'glassgrad' has no attribute "
        f"'{name}')"
    )
