"""Every differentiable primitive, defined once with its vector-Jacobian product.

``REGISTRY`` maps op names to op classes (graph labels, docs, and the one parametrised
gradient test read it). ``TENSOR_METHODS`` lists the functions ``Tensor`` exposes as methods.
"""

from __future__ import annotations

from glassgrad import _composite

# Importing every op module registers its ops in REGISTRY.
from glassgrad.ops import activation, conv, elementwise, linalg, loss, movement, nn_ops, reduce
from glassgrad.ops._op import REGISTRY, Op
from glassgrad.ops.elementwise import (
    Abs,
    Neg,
    add,
    allclose,
    bitwise_not,
    clamp,
    compare,
    div,
    equal,
    floor_divide,
    isclose,
    logical_op,
    maximum,
    minimum,
    mul,
    pow,
    rdiv,
    remainder,
    rsub,
    sub,
    where,
)
from glassgrad.ops.inplace import (
    copy_,
    fill_,
    fill_random,
    inplace,
    inplace_fused_add,
    inplace_unary,
)
from glassgrad.ops.linalg import addmm, bmm, dot, matmul, mm, mv, outer
from glassgrad.ops.movement import Clone, ToCopy, getitem, setitem
from glassgrad.tensor import _install_methods

__all__ = [
    "REGISTRY",
    "Op",
    "TENSOR_METHODS",
    "TENSOR_PROPERTIES",
    "Abs",
    "Neg",
    "Clone",
    "ToCopy",
    "add",
    "sub",
    "rsub",
    "mul",
    "div",
    "rdiv",
    "pow",
    "matmul",
    "floor_divide",
    "remainder",
    "compare",
    "logical_op",
    "bitwise_not",
    "inplace",
    "inplace_unary",
    "inplace_fused_add",
    "fill_",
    "copy_",
    "fill_random",
    "getitem",
    "setitem",
]


def _unary(op):
    def method(self):
        return op.apply(self)

    method.__name__ = op.op_name.lower()
    method.__doc__ = op.__doc__
    return method


def _float_unary(op):
    """Unary float math: integer tensors are promoted to the default float dtype first."""

    def method(self):
        if self._data.dtype.kind != "f":
            from glassgrad import _dtypes

            self = self.to(_dtypes.DEFAULTS.float_dtype)
        return op.apply(self)

    method.__name__ = op.op_name.lower()
    method.__doc__ = op.__doc__
    return method


def _square(self):
    return pow(self, 2)


def _where_method(self, condition, other):
    return where(condition, self, other)


def _view_as(self, other):
    return movement.view(self, *other.shape)


def _reshape_as(self, other):
    return movement.reshape(self, *other.shape)


def _round(self, decimals=None):
    if decimals is not None:
        return elementwise.RoundDecimals.apply(self, decimals=decimals)
    return elementwise.Round.apply(self)


def _cmp(ufunc):
    def method(self, other):
        return compare(ufunc, self, other)

    return method


TENSOR_METHODS = {
    # elementwise math
    "exp": _float_unary(elementwise.Exp),
    "log": _float_unary(elementwise.Log),
    "log2": _float_unary(elementwise.Log2),
    "log10": _float_unary(elementwise.Log10),
    "log1p": _float_unary(elementwise.Log1p),
    "expm1": _float_unary(elementwise.Expm1),
    "sqrt": _float_unary(elementwise.Sqrt),
    "rsqrt": _float_unary(elementwise.Rsqrt),
    "reciprocal": _float_unary(elementwise.Reciprocal),
    "sin": _float_unary(elementwise.Sin),
    "cos": _float_unary(elementwise.Cos),
    "tan": _float_unary(elementwise.Tan),
    "tanh": _float_unary(elementwise.Tanh),
    "asin": _float_unary(elementwise.Asin),
    "arcsin": _float_unary(elementwise.Asin),
    "acos": _float_unary(elementwise.Acos),
    "arccos": _float_unary(elementwise.Acos),
    "atan": _float_unary(elementwise.Atan),
    "arctan": _float_unary(elementwise.Atan),
    "sinh": _float_unary(elementwise.Sinh),
    "cosh": _float_unary(elementwise.Cosh),
    "erf": _float_unary(elementwise.Erf),
    "atan2": elementwise.atan2,
    "arctan2": elementwise.atan2,
    "sigmoid": _float_unary(elementwise.Sigmoid),
    "relu": _unary(elementwise.Relu),
    "abs": _unary(elementwise.Abs),
    "absolute": _unary(elementwise.Abs),
    "neg": _unary(elementwise.Neg),
    "negative": _unary(elementwise.Neg),
    "sign": _unary(elementwise.Sign),
    "sgn": _unary(elementwise.Sgn),
    "floor": _unary(elementwise.Floor),
    "ceil": _unary(elementwise.Ceil),
    "trunc": _unary(elementwise.Trunc),
    "round": _round,
    "square": _square,
    "clamp": clamp,
    "clip": clamp,
    "clamp_min": elementwise.clamp_min,
    "clamp_max": elementwise.clamp_max,
    "pow": pow,
    "add": add,
    "sub": sub,
    "subtract": sub,
    "mul": mul,
    "multiply": mul,
    "div": div,
    "divide": div,
    "true_divide": div,
    "floor_divide": floor_divide,
    "remainder": remainder,
    "maximum": maximum,
    "minimum": minimum,
    "where": _where_method,
    "lerp": elementwise.lerp,
    "xlogy": elementwise.xlogy,
    "eq": _cmp(elementwise.xp.equal),
    "ne": _cmp(elementwise.xp.not_equal),
    "lt": _cmp(elementwise.xp.less),
    "le": _cmp(elementwise.xp.less_equal),
    "gt": _cmp(elementwise.xp.greater),
    "ge": _cmp(elementwise.xp.greater_equal),
    "equal": equal,
    "isclose": isclose,
    "allclose": allclose,
    "isnan": elementwise.isnan,
    "isinf": elementwise.isinf,
    "isfinite": elementwise.isfinite,
    "logical_not": elementwise.logical_not,
    "bitwise_not": bitwise_not,
    "signbit": elementwise.signbit,
    # linear algebra
    "matmul": matmul,
    "mm": mm,
    "bmm": bmm,
    "mv": mv,
    "dot": dot,
    "inner": dot,
    "outer": outer,
    "ger": outer,
    "addmm": addmm,
    "diag": linalg.diag,
    "trace": linalg.trace,
    "inverse": linalg.inverse,
    "det": linalg.det,
    # reductions
    "sum": reduce.sum,
    "mean": reduce.mean,
    "prod": reduce.prod,
    "max": reduce.max,
    "min": reduce.min,
    "amax": reduce.amax,
    "amin": reduce.amin,
    "argmax": reduce.argmax,
    "argmin": reduce.argmin,
    "var": reduce.var,
    "std": reduce.std,
    "norm": reduce.norm,
    "dist": reduce.dist,
    "logsumexp": reduce.logsumexp,
    "softmax": reduce.softmax,
    "log_softmax": reduce.log_softmax,
    "cumsum": reduce.cumsum,
    "cumprod": reduce.cumprod,
    "sort": reduce.sort,
    "argsort": reduce.argsort,
    "topk": reduce.topk,
    "median": reduce.median,
    "bincount": reduce.bincount,
    "unique": reduce.unique,
    "all": reduce.all,
    "any": reduce.any,
    "count_nonzero": reduce.count_nonzero,
    # shape and movement
    "view": movement.view,
    "view_as": _view_as,
    "reshape": movement.reshape,
    "reshape_as": _reshape_as,
    "flatten": movement.flatten,
    "unflatten": movement.unflatten,
    "transpose": movement.transpose,
    "swapaxes": movement.transpose,
    "swapdims": movement.transpose,
    "t": movement.t,
    "permute": movement.permute,
    "unsqueeze": movement.unsqueeze,
    "squeeze": movement.squeeze,
    "expand": movement.expand,
    "expand_as": movement.expand_as,
    "broadcast_to": movement.broadcast_to,
    "split": movement.split,
    "chunk": movement.chunk,
    "unbind": movement.unbind,
    "narrow": movement.narrow,
    "flip": movement.flip,
    "repeat": movement.repeat,
    "repeat_interleave": movement.repeat_interleave,
    "scatter": movement.scatter,
    "scatter_add": movement.scatter_add,
    "index_add": movement.index_add,
    "gather": movement.gather,
    "index_select": movement.index_select,
    "masked_fill": movement.masked_fill,
    "masked_select": movement.masked_select,
    "tril": movement.tril,
    "triu": movement.triu,
    "nonzero": movement.nonzero,
    "roll": movement.roll,
    # compositions of the ops above
    "tile": _composite.tile,
    "movedim": _composite.movedim,
    "moveaxis": _composite.movedim,
    "diff": _composite.diff,
    "logit": _composite.logit,
    "nan_to_num": _composite.nan_to_num,
    "addcmul": _composite.addcmul,
    "addcdiv": _composite.addcdiv,
}

TENSOR_PROPERTIES = {"T": movement.T, "mT": movement.mT}


def accept_axis(fn):
    """``fn`` that also takes NumPy's ``axis=`` for ``dim=``, as every PyTorch function does."""
    code = getattr(fn, "__code__", None)
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount] if code else ()
    if "dim" not in names or "axis" in names:
        return fn

    def method(*args, axis=None, **kwargs):
        if axis is not None:
            if "dim" in kwargs:
                raise TypeError(f"{fn.__name__}() got both 'dim' and its alias 'axis'")
            kwargs["dim"] = axis
        return fn(*args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


TENSOR_METHODS = {name: accept_axis(fn) for name, fn in TENSOR_METHODS.items()}
_install_methods(TENSOR_METHODS, TENSOR_PROPERTIES)
