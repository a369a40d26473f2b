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

from glassgrad import _dtypes, _legacy, ops
from glassgrad._compile import compile
from glassgrad._composite import meshgrid
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
from glassgrad.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from glassgrad.ops import elementwise as _ew
from glassgrad.ops import linalg as _linalg
from glassgrad.ops import movement as _movement
from glassgrad.ops import reduce as _reduce
from glassgrad.ops.inplace import _type_name
from glassgrad.tensor import Tensor

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

# Functions that mirror tensor methods: torch.exp(x) is x.exp().
_FUNCTIONS_FROM_METHODS = (
    "exp log log2 log10 log1p expm1 sqrt rsqrt reciprocal sin cos tan tanh asin arcsin acos "
    "arccos atan arctan atan2 arctan2 sinh cosh erf sigmoid relu abs "
    "absolute neg negative sign sgn floor ceil trunc round square clamp clip clamp_min clamp_max "
    "add sub subtract mul multiply div divide true_divide floor_divide remainder maximum minimum "
    "lerp xlogy eq ne lt le gt ge equal isclose allclose isnan isinf isfinite logical_not "
    "bitwise_not signbit matmul mm bmm mv dot inner outer ger addmm sum mean prod max min amax "
    "amin argmax argmin var std norm dist logsumexp softmax log_softmax cumsum cumprod sort "
    "argsort topk median bincount unique all any count_nonzero diag trace inverse det scatter "
    "scatter_add index_add "
    "reshape flatten unflatten transpose swapaxes swapdims t permute unsqueeze squeeze "
    "broadcast_to split chunk unbind narrow flip repeat_interleave gather index_select "
    "masked_fill masked_select tril triu nonzero roll tile movedim moveaxis diff logit nan_to_num "
    "addcmul addcdiv"
).split()


def _with_out(fn, name: str):
    """``torch.f(..., out=t)``: compute ``f``, then write the result into ``t`` as PyTorch does."""

    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
        if isinstance(args[0], (list, tuple)):
            tensors += [a for a in args[0] if isinstance(a, Tensor)]
        if is_grad_enabled() and [t for t in (*tensors, out) if t.requires_grad]:
            raise RuntimeError(
                f"{name}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad."
            )
        result = fn(*args, **kwargs)
        if not isinstance(result, Tensor) or not isinstance(out, Tensor):
            raise TypeError(f"{name}(): out= takes one tensor here, got {type(out).__name__}")
        if _dtypes.promote(result.dtype, out.dtype) is not out.dtype:
            raise RuntimeError(
                f"result type {_type_name(result.dtype)} can't be cast to the desired "
                f"output type {_type_name(out.dtype)}"
            )
        if out.shape != result.shape:
            if out.numel():
                warnings.warn(
                    f"An output with one or more elements was resized since it had shape "
                    f"{list(out.shape)}, which does not match the required output shape "
                    f"{list(result.shape)}.",
                    UserWarning,
                    stacklevel=2,
                )
            out._data = result._data.astype(out._data.dtype)
        else:
            out._data[...] = result._data
        out._version_counter[0] += 1
        return out

    wrapper.__name__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


for _name in _FUNCTIONS_FROM_METHODS:
    if _name in ops.TENSOR_METHODS:
        globals()[_name] = _with_out(ops.TENSOR_METHODS[_name], _name)

pow = _with_out(_ew.pow, "pow")
where = _ew.where
cat = concat = concatenate = _with_out(ops.accept_axis(_movement.cat), "cat")
stack = _with_out(ops.accept_axis(_movement.stack), "stack")
hstack = _movement.hstack
vstack = _movement.vstack
clone = _movement.clone
einsum = _linalg.einsum
numel = Tensor.numel
is_tensor = lambda obj: isinstance(obj, Tensor)  # noqa: E731
is_floating_point = Tensor.is_floating_point
std_mean = lambda input, dim=None, **kw: (  # noqa: E731
    _reduce.std(input, dim, **kw),
    _reduce.mean(input, dim, keepdim=kw.get("keepdim", False)),
)
var_mean = lambda input, dim=None, **kw: (  # noqa: E731
    _reduce.var(input, dim, **kw),
    _reduce.mean(input, dim, keepdim=kw.get("keepdim", False)),
)


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


def save(obj, f, *args, **kwargs) -> None:
    """Save in PyTorch's checkpoint format (see ``glassgrad.serialization.save``)."""
    from glassgrad.serialization import save as _save

    _save(obj, f, *args, **kwargs)


def load(f, map_location=None, *args, **kwargs):
    """Load a PyTorch or glassgrad checkpoint (see ``glassgrad.serialization.load``)."""
    from glassgrad.serialization import load as _load

    return _load(f, map_location, *args, **kwargs)


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
    if name == "explain":  # the chain-rule explainer lives in viz, imported on first use
        return importlib.import_module("glassgrad.viz").explain
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"torch.{name} is not supported by glassgrad yet (module 'glassgrad' has no attribute "
        f"'{name}')"
    )
