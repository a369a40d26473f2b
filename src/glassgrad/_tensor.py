"""The Tensor: an array, its dtype and its place in the autograd graph.

Methods only dispatch: the math of every op lives in ``glassgrad.ops``.
"""

from __future__ import annotations

import warnings
import weakref

from glassgrad import _composite, _creation, _dtypes, _printing, _random
from glassgrad import autograd as _autograd
from glassgrad._backend import ndarray, xp
from glassgrad._dtypes import CPU, Size, from_numpy_dtype
from glassgrad._tensor_base import (
    TensorBase,
    _check_can_require_grad,
    _init_from,
    _new_tensor,
    use_tensor_class,
)
from glassgrad._warn import warn_at_user_line
from glassgrad.autograd.engine import run_backward
from glassgrad.autograd.graph import (
    BACKWARD_CALL_HOOKS,
    _RemovableHandle,
    accumulator_of,
    keep_exact_sink_timing,
)
from glassgrad.ops import _dispatch
from glassgrad.ops import elementwise as _elementwise
from glassgrad.ops import indexing as _indexing
from glassgrad.ops import inplace as _inplace
from glassgrad.ops import linalg as _linalg
from glassgrad.ops import movement as _movement
from glassgrad.ops import reduce as _reduce
from glassgrad.ops._api import dim_or_axis

__all__ = ["Tensor"]

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead."
)


_scalar_warning_given = False


def _warn_scalar_requires_grad() -> None:
    """PyTorch's once-per-process warning when float()/complex() detach a tensor from the graph."""
    global _scalar_warning_given
    if not _scalar_warning_given:
        _scalar_warning_given = True
        warn_at_user_line(
            "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
            "behavior.\nConsider using tensor.detach() first."
        )


class _TensorType(type):
    """Shows glassgrad's tensor classes under their PyTorch names: ``<class 'torch.Tensor'>``."""

    def __repr__(cls) -> str:
        module = cls.__module__
        if module == "glassgrad._tensor":
            module = "torch"
        elif module.startswith("glassgrad."):
            module = "torch" + module[len("glassgrad") :]
        return f"<class '{module}.{cls.__qualname__}'>"


class Tensor(TensorBase, metaclass=_TensorType):
    """A multi-dimensional array that records the operations applied to it.

    Example:
        >>> import glassgrad as torch
        >>> w = torch.tensor(1.0, requires_grad=True)
        >>> loss = (w * 3 - 2) ** 2
        >>> loss.backward()
        >>> w.grad
        tensor(6.)
    """

    __slots__ = ()

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False):
        """``torch.Tensor(data)`` (float32 copy of data) or ``torch.Tensor(2, 3)`` (sizes).

        ``torch.Tensor(t)`` of a tensor is an alias of ``t`` (same memory, dtype and version).
        """
        if len(args) == 1 and isinstance(args[0], Tensor) and dtype is None:
            _init_from(self, args[0]._data, requires_grad)
            self._version_counter = args[0]._version_counter
            return
        d = _dtypes.DEFAULTS.float_dtype if dtype is None else _dtypes.to_dtype(dtype)
        if len(args) == 1 and isinstance(args[0], (float, bool)):
            raise TypeError(
                f"new(): data must be a sequence (got {type(args[0]).__name__}); use "
                "torch.tensor(value) for a 0-d tensor"
            )
        if len(args) == 1 and not isinstance(args[0], (int, Size)):
            array = xp.array(_to_array_data(args[0]), dtype=d.np)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], Size) else args or (0,)
            array = xp.zeros(tuple(int(s) for s in shape), dtype=d.np)
        _init_from(self, array, requires_grad)

    # ------------------------------------------------------------------ basic attributes
    @property
    def data(self) -> Tensor:
        """The same storage, cut from the graph (changes to it are not tracked)."""
        return _new_tensor(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else xp.asarray(value)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_norm_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> _dtypes.dtype:
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _dtypes.device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    @property
    def layout(self) -> str:
        return "torch.strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def contiguous(self, memory_format=None) -> Tensor:
        return self if self._data.flags.c_contiguous else self.clone()

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_norm_dim(dim, self.ndim, "stride")]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    @property
    def _version(self) -> int:
        """In-place changes so far to this tensor's storage (shared with its views), as PyTorch."""
        return self._version_counter[0]

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return self
        if requires_grad:
            _check_can_require_grad(self._data)
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self.retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got {type(value).__name__}"
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype {value.dtype!r} to a tensor "
                    f"with dtype {self.dtype!r}; convert it first, e.g. grad.to(x.dtype)"
                )
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return bool(self._extra and self._extra.get("retains_grad"))

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.retains_grad:
            return
        ref = weakref.ref(self)

        def store(grad: Tensor):
            owner = ref()
            if owner is not None:
                if owner._grad is None:
                    owner._grad = (
                        grad if grad.grad_fn is not None else _new_tensor(grad._data.copy())
                    )
                else:
                    owner._grad = owner._grad + grad

        self._extras()["retains_grad"] = True
        self.grad_fn._add_tensor_hook(self._out_idx, store, retains_grad=True)

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._out_idx, hook)
        node = accumulator_of(self)
        self._extras().setdefault("accumulator", node)  # keep the hooked node alive
        return node._add_tensor_hook(0, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after a gradient is accumulated into this leaf's ``.grad``."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        hooks = self._extras().setdefault("post_accumulate_hooks", [])
        hooks.append(hook)
        keep_exact_sink_timing()

        return _RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        data = self._data
        if (
            gradient is None
            and inputs is None
            and not create_graph
            and self.grad_fn is not None
            and data.size == 1
            and not BACKWARD_CALL_HOOKS
        ):  # plain ``loss.backward()``: what autograd.backward does, without its general checks
            one = (
                xp.array(1, dtype=data.dtype) if not data.ndim else xp.ones(data.shape, data.dtype)
            )
            run_backward((self,), [one], bool(retain_graph), False)
            return
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, outside the graph."""
        t = _new_tensor(self._data)
        t._version_counter = self._version_counter
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._rg = False
        return self

    # ------------------------------------------------------------------ conversions
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar "
                f"(shape {list(self.shape)}); index one element first, e.g. t[0].item()"
            )
        return self._data.item() if self._data.ndim == 0 else self._data.reshape(()).item()

    def _python_scalar(self, kind: str):
        """The one element as a Python number for float()/int()/complex(), as PyTorch converts.

        PyTorch raises ValueError here (item() raises RuntimeError) and warns once per
        process when float() or complex() drops a tensor's requires_grad.
        """
        if self._data.size != 1:
            raise ValueError(
                "only one element tensors can be converted to Python scalars; "
                f"{kind}() got a tensor of shape {list(self.shape)} with {self._data.size} "
                "elements: index one element first, e.g. t[0], or reduce it, e.g. t.sum()"
            )
        if self._rg and kind != "int":
            _warn_scalar_requires_grad()
        return self.item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> ndarray:
        if self._rg and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._rg:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data if dtype is None else self._data.astype(dtype)

    def __float__(self) -> float:
        return float(self._python_scalar("float"))

    def __int__(self) -> int:
        return int(self._python_scalar("int"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index; "
                f"got a {self.dtype} tensor of shape {list(self.shape)}: index with a "
                "one-element integer tensor (t.long() converts the dtype)"
            )
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size == 0:
            raise RuntimeError(
                f"Boolean value of Tensor with no values is ambiguous (shape {list(self.shape)})"
                "; test t.numel() > 0 instead"
            )
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {list(self.shape)}); use .any() or .all()"
            )
        return bool(self.item())

    def __complex__(self) -> complex:
        return complex(self._python_scalar("complex"))

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element) -> bool:
        if not isinstance(element, (Tensor, int, float, bool)):
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element)}."
            )
        other = element._data if isinstance(element, Tensor) else element
        return bool((self._data == other).any())

    def __format__(self, spec: str) -> str:
        """0-d tensors format as their number; so do one-element tensors given a spec.

        PyTorch refuses a spec on one-element n-d tensors; accepting it is a superset.
        """
        if self._data.ndim == 0 or (spec and self._data.size == 1):
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self) -> str:
        return _printing.tensor_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: shape, dtype, values, grad and grad_fn (``repr`` is unchanged)."""
        return _printing.tensor_html(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data.copy(), self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment. If you were attempting to deepcopy a module, this may "
                "be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        new = type(self).__new__(type(self))
        _init_from(new, self._data.copy(), False)
        new._rg = self._rg
        if self._grad is not None:
            new._grad = _new_tensor(self._grad._data.copy())
        memo[id(self)] = new
        return new

    def to(self, *args, **kwargs) -> Tensor:
        """``.to(dtype)``, ``.to(device)``, ``.to(other)`` or ``.to(device, dtype)``."""
        dtype = kwargs.get("dtype")
        copy = kwargs.get("copy", False)
        for a in args:
            if isinstance(a, _dtypes.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _dtypes.device)):
                _dtypes.check_device(a)
        if "device" in kwargs and kwargs["device"] is not None:
            _dtypes.check_device(kwargs["device"])
        if dtype is not None and dtype.np != self._data.dtype:
            return _movement.ToCopy.apply(self, dtype=dtype.np)
        return self.clone() if copy else self

    def cpu(self, memory_format=None) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> Tensor:
        _dtypes.check_device("cuda" if device is None else _dtypes.device(device))
        return self

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """With no argument, the legacy type name (``torch.FloatTensor``); else ``.to(dtype)``."""
        names = _dtypes.LEGACY_TYPE_NAMES
        if dtype is None:
            return names[self.dtype.name]
        dtype = getattr(dtype, "_legacy_dtype", dtype)  # torch.FloatTensor and friends
        if isinstance(dtype, str):
            by_type_name = {v: k for k, v in names.items()}
            if dtype not in by_type_name:
                raise ValueError(f"invalid type: '{dtype}' (expected e.g. 'torch.DoubleTensor')")
            dtype = _dtypes.to_dtype(by_type_name[dtype])
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(_dtypes.float32)

    def double(self) -> Tensor:
        return self.to(_dtypes.float64)

    def half(self) -> Tensor:
        return self.to(_dtypes.float16)

    def long(self) -> Tensor:
        return self.to(_dtypes.int64)

    def int(self) -> Tensor:
        return self.to(_dtypes.int32)

    def short(self) -> Tensor:
        return self.to(_dtypes.int16)

    def bool(self) -> Tensor:
        return self.to(_dtypes.bool_)

    def byte(self) -> Tensor:
        return self.to(_dtypes.uint8)

    def clone(self, *, memory_format=None) -> Tensor:
        return _movement.Clone.apply(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _creation.tensor(
            data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _creation.zeros(
            *size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _creation.ones(
            *size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _creation.full(
            size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad
        )

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    # ------------------------------------------------------------------ operators
    # (+, - and * call the shared binary dispatch directly: the commonest ops, one call fewer)
    def __add__(self, other):
        return _dispatch._binary(_elementwise.Add, self, other)

    def __radd__(self, other):
        return _dispatch._binary(
            _elementwise.Add, self, other
        )  # PyTorch's order: the tensor is the node's first input

    def __sub__(self, other):
        return _dispatch._binary(_elementwise.Sub, self, other)

    def __rsub__(self, other):
        return _elementwise.rsub(self, other)

    def __mul__(self, other):
        return _dispatch._binary(_elementwise.Mul, self, other)

    def __rmul__(self, other):
        return _dispatch._binary(
            _elementwise.Mul, self, other
        )  # PyTorch's order: the tensor is the node's first input

    def __truediv__(self, other):
        return _elementwise.div(self, other)

    def __rtruediv__(self, other):
        return _elementwise.rdiv(self, other)

    def __floordiv__(self, other):
        return _elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _elementwise.floor_divide(other, self)

    def __mod__(self, other):
        return _elementwise.remainder(self, other)

    def __rmod__(self, other):
        return _elementwise.remainder(other, self)

    def __pow__(self, exponent):
        return _elementwise.pow(self, exponent)

    def __rpow__(self, base):
        return _elementwise.pow(base, self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def __neg__(self):
        return _elementwise.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _elementwise.Abs.apply(self)

    def __invert__(self):
        return _elementwise.bitwise_not(self)

    def __and__(self, other):
        return _elementwise.logical_op(xp.bitwise_and, self, other)

    def __or__(self, other):
        return _elementwise.logical_op(xp.bitwise_or, self, other)

    def __xor__(self, other):
        return _elementwise.logical_op(xp.bitwise_xor, self, other)

    __rand__ = __and__
    __ror__ = __or__
    __rxor__ = __xor__

    # Identity hash (``==`` is elementwise), in C: tensors key optimizer state and graph sets.
    __hash__ = object.__hash__

    def __eq__(self, other):
        return _elementwise.compare(xp.equal, self, other)

    def __ne__(self, other):
        return _elementwise.compare(xp.not_equal, self, other)

    def __lt__(self, other):
        return _elementwise.compare(xp.less, self, other)

    def __le__(self, other):
        return _elementwise.compare(xp.less_equal, self, other)

    def __gt__(self, other):
        return _elementwise.compare(xp.greater, self, other)

    def __ge__(self, other):
        return _elementwise.compare(xp.greater_equal, self, other)

    def __iadd__(self, other):
        return _inplace.inplace(self, "add", other)

    def __isub__(self, other):
        return _inplace.inplace(self, "sub", other)

    def __imul__(self, other):
        return _inplace.inplace(self, "mul", other)

    def __itruediv__(self, other):
        return _inplace.inplace(self, "div", other)

    def __ipow__(self, other):
        return _inplace.inplace(self, "pow", other)

    def __getitem__(self, index):
        return _indexing.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        _inplace.setitem(self, index, value)

    # ------------------------------------------------------------------ in-place methods
    def add_(self, other, *, alpha=1):
        if alpha == 1:
            return _inplace.inplace(self, "add", other)
        return _inplace.inplace_fused_add(self, other, alpha)

    def sub_(self, other, *, alpha=1):
        if alpha == 1:
            return _inplace.inplace(self, "sub", other)
        return _inplace.inplace_fused_add(self, other, -alpha)

    def mul_(self, other):
        return _inplace.inplace(self, "mul", other)

    def div_(self, other, *, rounding_mode=None):
        return _inplace.inplace(self, "div", other)

    def pow_(self, exponent):
        return _inplace.inplace(self, "pow", exponent)

    def neg_(self):
        return _inplace.inplace(self, "mul", -1)

    def clamp_(self, min=None, max=None):
        return _inplace.inplace_unary(self, lambda t: t.clamp(min, max))

    clip_ = clamp_

    def exp_(self):
        return _inplace.inplace_unary(self, Tensor.exp)

    def sqrt_(self):
        return _inplace.inplace_unary(self, Tensor.sqrt)

    def abs_(self):
        return _inplace.inplace_unary(self, Tensor.abs)

    def relu_(self):
        return _inplace.inplace_unary(self, Tensor.relu)

    def sigmoid_(self):
        return _inplace.inplace_unary(self, Tensor.sigmoid)

    def tanh_(self):
        return _inplace.inplace_unary(self, Tensor.tanh)

    def log_(self):
        return _inplace.inplace_unary(self, Tensor.log)

    def reciprocal_(self):
        return _inplace.inplace_unary(self, Tensor.reciprocal)

    def square_(self):
        return _inplace.inplace_unary(self, Tensor.square)

    def floor_(self):
        return _inplace.inplace_unary(self, Tensor.floor)

    def round_(self, decimals=None):
        return _inplace.inplace_unary(self, lambda t: t.round(decimals=decimals))

    def sign_(self):
        return _inplace.inplace_unary(self, Tensor.sign)

    def clamp_min_(self, min):
        return _inplace.inplace_unary(self, lambda t: t.clamp_min(min))

    def clamp_max_(self, max):
        return _inplace.inplace_unary(self, lambda t: t.clamp_max(max))

    def tril_(self, diagonal=0):
        return _inplace.inplace_unary(self, lambda t: t.tril(diagonal))

    def triu_(self, diagonal=0):
        return _inplace.inplace_unary(self, lambda t: t.triu(diagonal))

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """``self += (value * tensor1) * tensor2``, the last step fused as in PyTorch."""
        return _inplace.inplace_fused_add(self, tensor1 * value if value != 1 else tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """``self += (value * tensor1) / tensor2``, PyTorch's order of operations."""
        return _inplace.inplace(
            self, "add", tensor1 * value / tensor2 if value != 1 else tensor1 / tensor2
        )

    def lerp_(self, end, weight):
        return _inplace.inplace(self, "add", (end - self) * weight)

    def zero_(self):
        return _inplace.fill_(self, 0, "zero")

    def fill_(self, value):
        return _inplace.fill_(self, value)

    def copy_(self, src, non_blocking=False):
        return _inplace.copy_(self, src)

    def masked_fill_(self, mask, value):
        return _inplace.inplace_unary(self, lambda t: t.masked_fill(mask, value))

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _inplace.inplace_unary(
            self, lambda t: t.scatter(dim, index, src, value=value, reduce=reduce)
        )

    def scatter_add_(self, dim, index, src):
        return _inplace.inplace_unary(self, lambda t: t.scatter_add(dim, index, src))

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        return self._fill_random("fill_uniform", (from_, to), generator, "uniform")

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return self._fill_random("fill_normal", (mean, std), generator, "normal")

    def bernoulli_(self, p=0.5, *, generator=None):
        probs = p._data if isinstance(p, Tensor) else p
        return self._fill_random("fill_bernoulli", (probs,), generator)

    def random_(self, from_=0, to=None, *, generator=None):
        return self._fill_random("fill_random", (from_, to), generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        return self._fill_random("fill_exponential", (lambd,), generator)

    def geometric_(self, p, *, generator=None):
        return self._fill_random("fill_geometric", (p,), generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return self._fill_random("fill_cauchy", (median, sigma), generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return self._fill_random("fill_log_normal", (mean, std), generator)

    def _fill_random(self, fill: str, args: tuple, generator, kind="fill"):
        """Overwrite with draws from PyTorch's stream, in the order ATen visits this view."""
        return _inplace.fill_random(
            self, getattr(_random, fill)(self._data, *args, generator), kind
        )

    # ---- generated by tools/gen_api.py from the ops' @api declarations: do not edit ----
    T = property(_movement.T)
    abs = _elementwise.abs
    absolute = _elementwise.abs
    acos = _elementwise.acos
    arccos = _elementwise.acos
    add = _elementwise.add
    addcdiv = _composite.addcdiv
    addcmul = _composite.addcmul
    addmm = _linalg.addmm

    def all(self, dim=None, keepdim=False, *, axis=None):
        return _reduce.all(self, dim_or_axis(dim, axis, "all"), keepdim)

    allclose = _elementwise.allclose

    def amax(self, dim=(), keepdim=False, *, axis=None):
        return _reduce.amax(self, dim_or_axis(dim, axis, "amax"), keepdim)

    def amin(self, dim=(), keepdim=False, *, axis=None):
        return _reduce.amin(self, dim_or_axis(dim, axis, "amin"), keepdim)

    def any(self, dim=None, keepdim=False, *, axis=None):
        return _reduce.any(self, dim_or_axis(dim, axis, "any"), keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        return _reduce.argmax(self, dim_or_axis(dim, axis, "argmax"), keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        return _reduce.argmin(self, dim_or_axis(dim, axis, "argmin"), keepdim)

    def argsort(self, dim=-1, descending=False, stable=False, *, axis=None):
        return _reduce.argsort(self, dim_or_axis(dim, axis, "argsort"), descending, stable)

    asin = _elementwise.asin
    arcsin = _elementwise.asin
    atan = _elementwise.atan
    arctan = _elementwise.atan
    atan2 = _elementwise.atan2
    arctan2 = _elementwise.atan2
    bincount = _reduce.bincount
    bitwise_not = _elementwise.bitwise_not
    bmm = _linalg.bmm
    broadcast_to = _movement.broadcast_to
    ceil = _elementwise.ceil

    def chunk(self, chunks, dim=0, *, axis=None):
        return _movement.chunk(self, chunks, dim_or_axis(dim, axis, "chunk"))

    clamp = _elementwise.clamp
    clip = _elementwise.clamp
    clamp_max = _elementwise.clamp_max
    clamp_min = _elementwise.clamp_min
    cos = _elementwise.cos
    cosh = _elementwise.cosh

    def count_nonzero(self, dim=None, *, axis=None):
        return _reduce.count_nonzero(self, dim_or_axis(dim, axis, "count_nonzero"))

    def cumprod(self, dim, *, dtype=None, axis=None):
        return _reduce.cumprod(self, dim_or_axis(dim, axis, "cumprod"), dtype=dtype)

    def cumsum(self, dim, *, dtype=None, axis=None):
        return _reduce.cumsum(self, dim_or_axis(dim, axis, "cumsum"), dtype=dtype)

    det = _linalg.det
    diag = _linalg.diag

    def diff(self, n=1, dim=-1, prepend=None, append=None, *, axis=None):
        """n-th forward difference along ``dim`` (booleans give ``!=``, as in PyTorch)."""
        return _composite.diff(self, n, dim_or_axis(dim, axis, "diff"), prepend, append)

    dist = _reduce.dist
    div = _elementwise.div
    divide = _elementwise.div
    true_divide = _elementwise.div
    dot = _linalg.dot
    inner = _linalg.dot
    eq = _elementwise.eq
    equal = _elementwise.equal
    erf = _elementwise.erf
    exp = _elementwise.exp
    expand = _movement.expand
    expand_as = _movement.expand_as
    expm1 = _elementwise.expm1
    flatten = _movement.flatten
    flip = _movement.flip
    floor = _elementwise.floor
    floor_divide = _elementwise.floor_divide

    def gather(self, dim, index, *, axis=None):
        return _indexing.gather(self, dim_or_axis(dim, axis, "gather"), index)

    ge = _elementwise.ge
    gt = _elementwise.gt

    def index_add(self, dim, index, source, *, alpha=1, axis=None):
        return _indexing.index_add(
            self, dim_or_axis(dim, axis, "index_add"), index, source, alpha=alpha
        )

    def index_select(self, dim, index, *, axis=None):
        return _indexing.index_select(self, dim_or_axis(dim, axis, "index_select"), index)

    inverse = _linalg.inverse
    isclose = _elementwise.isclose
    isfinite = _elementwise.isfinite
    isinf = _elementwise.isinf
    isnan = _elementwise.isnan
    le = _elementwise.le
    lerp = _elementwise.lerp
    log = _elementwise.log
    log10 = _elementwise.log10
    log1p = _elementwise.log1p
    log2 = _elementwise.log2

    def log_softmax(self, dim=None, dtype=None, _stacklevel=3, *, axis=None):
        return _reduce.log_softmax(self, dim_or_axis(dim, axis, "log_softmax"), dtype, _stacklevel)

    logaddexp = _elementwise.logaddexp
    logical_not = _elementwise.logical_not
    logit = _composite.logit

    def logsumexp(self, dim, keepdim=False, *, axis=None):
        return _reduce.logsumexp(self, dim_or_axis(dim, axis, "logsumexp"), keepdim)

    lt = _elementwise.lt
    mT = property(_movement.mT)
    masked_fill = _indexing.masked_fill
    masked_select = _indexing.masked_select
    matmul = _linalg.matmul

    def max(self, dim=None, keepdim=False, *, axis=None):
        return _reduce.max(self, dim_or_axis(dim, axis, "max"), keepdim)

    maximum = _elementwise.maximum
    mean = _reduce.mean

    def median(self, dim=None, keepdim=False, *, axis=None):
        """The lower of the two middle values (no averaging), as PyTorch; NaN if any is NaN."""
        return _reduce.median(self, dim_or_axis(dim, axis, "median"), keepdim)

    def min(self, dim=None, keepdim=False, *, axis=None):
        return _reduce.min(self, dim_or_axis(dim, axis, "min"), keepdim)

    minimum = _elementwise.minimum
    mm = _linalg.mm
    movedim = _composite.movedim
    moveaxis = _composite.movedim
    mul = _elementwise.mul
    multiply = _elementwise.mul
    mv = _linalg.mv
    nan_to_num = _composite.nan_to_num

    def narrow(self, dim, start, length, *, axis=None):
        return _indexing.narrow(self, dim_or_axis(dim, axis, "narrow"), start, length)

    ne = _elementwise.ne
    neg = _elementwise.neg
    negative = _elementwise.neg
    nonzero = _indexing.nonzero

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None):
        return _reduce.norm(self, p, dim_or_axis(dim, axis, "norm"), keepdim, dtype)

    outer = _linalg.outer
    ger = _linalg.outer
    permute = _movement.permute
    pow = _elementwise.pow

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        return _reduce.prod(self, dim_or_axis(dim, axis, "prod"), keepdim, dtype=dtype)

    reciprocal = _elementwise.reciprocal
    relu = _elementwise.relu
    remainder = _elementwise.remainder
    repeat = _movement.repeat

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None, axis=None):
        """Repeat each element ``repeats`` times (an int, or one count per element)."""
        return _indexing.repeat_interleave(
            self, repeats, dim_or_axis(dim, axis, "repeat_interleave"), output_size=output_size
        )

    reshape = _movement.reshape
    reshape_as = _movement.reshape_as
    roll = _movement.roll
    round = _elementwise.round
    rsqrt = _elementwise.rsqrt

    def scatter(self, dim, index, src=None, *, value=None, reduce=None, axis=None):
        """Out of place ``scatter``: ``src`` (a tensor or a number) written at ``index``."""
        return _indexing.scatter(
            self, dim_or_axis(dim, axis, "scatter"), index, src, value=value, reduce=reduce
        )

    def scatter_add(self, dim, index, src, *, axis=None):
        return _indexing.scatter_add(self, dim_or_axis(dim, axis, "scatter_add"), index, src)

    sgn = _elementwise.sgn
    sigmoid = _elementwise.sigmoid
    sign = _elementwise.sign
    signbit = _elementwise.signbit
    sin = _elementwise.sin
    sinh = _elementwise.sinh

    def softmax(self, dim=None, dtype=None, _stacklevel=3, *, axis=None):
        return _reduce.softmax(self, dim_or_axis(dim, axis, "softmax"), dtype, _stacklevel)

    def sort(self, dim=-1, descending=False, stable=False, *, axis=None):
        """Values in order along ``dim`` and where they were; equal values in the order
        PyTorch's CPU sort leaves them (its sort is not stable unless ``stable=True``).
        """
        return _reduce.sort(self, dim_or_axis(dim, axis, "sort"), descending, stable)

    def split(self, split_size_or_sections, dim=0, *, axis=None):
        return _movement.split(self, split_size_or_sections, dim_or_axis(dim, axis, "split"))

    sqrt = _elementwise.sqrt
    square = _elementwise.square

    def squeeze(self, dim=None, *, axis=None):
        return _movement.squeeze(self, dim_or_axis(dim, axis, "squeeze"))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        return _reduce.std(
            self, dim_or_axis(dim, axis, "std"), unbiased, keepdim, correction=correction
        )

    sub = _elementwise.sub
    subtract = _elementwise.sub
    sum = _reduce.sum
    t = _movement.t
    tan = _elementwise.tan
    tanh = _elementwise.tanh
    tile = _composite.tile

    def topk(self, k, dim=-1, largest=True, sorted=True, *, axis=None):
        return _reduce.topk(self, k, dim_or_axis(dim, axis, "topk"), largest, sorted)

    trace = _linalg.trace
    transpose = _movement.transpose
    swapaxes = _movement.transpose
    swapdims = _movement.transpose
    tril = _movement.tril
    triu = _movement.triu
    trunc = _elementwise.trunc

    def unbind(self, dim=0, *, axis=None):
        return _movement.unbind(self, dim_or_axis(dim, axis, "unbind"))

    def unflatten(self, dim, sizes, *, axis=None):
        return _movement.unflatten(self, dim_or_axis(dim, axis, "unflatten"), sizes)

    def unique(
        self, sorted=True, return_inverse=False, return_counts=False, dim=None, *, axis=None
    ):
        """The distinct values (sorted), optionally with inverse indices and counts."""
        return _reduce.unique(
            self, sorted, return_inverse, return_counts, dim_or_axis(dim, axis, "unique")
        )

    def unsqueeze(self, dim, *, axis=None):
        return _movement.unsqueeze(self, dim_or_axis(dim, axis, "unsqueeze"))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        return _reduce.var(
            self, dim_or_axis(dim, axis, "var"), unbiased, keepdim, correction=correction
        )

    view = _movement.view
    view_as = _movement.view_as
    where = _elementwise.where_method
    xlogy = _elementwise.xlogy
    # ---- end of generated source ----


use_tensor_class(Tensor)


def _rebuild(array, requires_grad):
    t = _new_tensor(array)
    t._rg = requires_grad
    return t


def _to_array_data(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_to_array_data(d) for d in data]
    return data


def _norm_dim(dim: int, ndim: int, what: str = "dim") -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n
