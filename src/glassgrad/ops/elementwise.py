"""Elementwise ops: arithmetic with broadcasting and type promotion, and unary math.

Gradient formulas follow PyTorch's ``derivatives.yaml`` term by term (same operation
order), so float32 gradients agree to the last bit where the forward does.
"""

from __future__ import annotations

import math
from numbers import Number
from typing import TYPE_CHECKING

from glassgrad import _dtypes
from glassgrad import _formula as F
from glassgrad import _kernels as kernels
from glassgrad._backend import ndarray, xp
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad.autograd.engine import owns_gradient
from glassgrad.ops import _dual as D
from glassgrad.ops._api import api
from glassgrad.ops._dispatch import (
    _NO_PARAMS,
    _binary,
    _cast,
    _check_broadcast,
    as_operand,
    promoted_arrays,
)
from glassgrad.ops._domain import Domain
from glassgrad.ops._explain import (
    ExplainRule,
    call,
    constant,
    elementwise,
    infix,
    partials,
    pointwise,
    signs,
)
from glassgrad.ops._op import Op, needs_grad

if TYPE_CHECKING:
    from glassgrad._tensor import Tensor


# ----------------------------------------------------------------------------- arithmetic
class Add(Op):
    """a + b."""

    keeps_ctx_arrays = False

    explain = ExplainRule(written=infix(F.total), local=signs(1), symbol="+")

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Op):
    """a - b."""

    keeps_ctx_arrays = False

    explain = ExplainRule(written=infix(F.difference), local=signs(1, -1), symbol="−")

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.next_functions[1][0] is not None else None)


class Rsub(Op):
    """other - a (PyTorch's ``rsub``, used for ``2 - x``)."""

    node_name = "RsubBackward1"

    explain = ExplainRule(
        written=lambda args, node: F.difference(F.number(node.other), args[0]),
        local=signs(-1, 1),
        symbol="−",
    )

    @staticmethod
    def forward(ctx, a, other):
        ctx.other = other  # a setting (shown by viz, used to replay the forward)
        return other - a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Mul(Op):
    """a * b."""

    keeps_ctx_arrays = False
    saved_input_users = ((1,), (0,))

    explain = ExplainRule(
        written=infix(F.product),
        local=partials(  # ∂(ab)/∂a = b, ∂(ab)/∂b = a
            (lambda x, times: x(1), lambda a, b: b),
            (lambda x, times: x(0), lambda a, b: a),
        ),
        symbol="×",
    )

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        (to_a, _), (to_b, _) = ctx.next_functions
        return (grad * b if to_a is not None else None), (grad * a if to_b is not None else None)


class Div(Op):
    """a / b (true division)."""

    keeps_ctx_arrays = False
    saved_input_users = ((1,), (0, 1))

    explain = ExplainRule(
        written=infix(F.quotient),
        local=partials(  # ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²
            (lambda x, times: F.quotient(1, x(1)), lambda a, b: 1.0 / b),
            (
                lambda x, times: F.negate(F.quotient(x(0), F.power(x(1), 2))),
                lambda a, b: -a / (b * b),
            ),
        ),
        symbol="÷",
    )
    gradcheck_domain = Domain(("any", "away"))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        grad_a = grad / b if needs_grad(ctx, 0) else None
        grad_b = -grad * ((a / b) / b) if needs_grad(ctx, 1) else None
        return grad_a, grad_b


class Neg(Op):
    """-a."""

    keeps_ctx_arrays = False

    explain = ExplainRule(written=lambda args, node: F.negate(args[0]), local=signs(-1), symbol="−")

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


def _power_written(args, node):
    """``s²``: the base with the exponent the forward kept."""
    return F.power(args[0], float(node.exponent)) if len(args) == 2 else None


def _power_local(site):
    """∂(xᵉ)/∂x = e·xᵉ⁻¹, written ``2x`` for squares."""
    e = site.constant(1)
    if e is None:
        return None
    if e == 1:
        return constant(site, 1)

    def formula(x, times):
        return times(e, x(0)) if e == 2 else times(e, F.power(x(0), e - 1))

    return elementwise(site, formula, e * site.value(0) ** (e - 1))


class Pow(Op):
    """a ** exponent with a number exponent."""

    keeps_ctx_arrays = False

    explain = ExplainRule(written=_power_written, local=_power_local, symbol="**")
    gradcheck_domain = Domain("away")

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save(a)
        ctx.exponent = exponent
        return _pow_scalar(a, exponent)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's pow_backward: grad * (exponent * self.pow(exponent - 1)).
        (a,) = ctx.saved
        e = ctx.exponent
        if e == 0:
            return grad * 0
        if e == 2:  # a ** 1 is a itself; a + a is 2 * a exactly, without a scalar operand
            return grad * (a + a if type(a) is ndarray else 2 * a)
        power = _pow_scalar(a, e - 1) if D.is_array(a) else a ** (e - 1)
        return grad * (e * power)


def _pow_scalar(a, e):
    """``a ** e`` with the exact shortcuts PyTorch's kernel takes for common exponents."""
    if e == 1:
        return a.copy()
    if e == 2:
        return a * a
    if e == 3:
        return a * a * a
    if e == -0.5:
        return 1 / xp.sqrt(a)
    if e == -1:
        return 1 / a
    if e == -2:
        return 1 / (a * a)
    return a**e


class PowTensor(Op):
    """a ** b with a tensor exponent."""

    node_name = "PowBackward1"

    gradcheck_domain = Domain(("pos", "any"))  # a real power needs a positive base

    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved
        grad_a = grad_b = None
        with xp.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1, log(0): masked below
            if needs_grad(ctx, 0):
                grad_a = D.where(D.value(b) == 0, 0.0, grad * (b * a ** (b - 1)))
            if needs_grad(ctx, 1):
                av, bv = D.value(a), D.value(b)
                grad_b = D.where((av == 0) & (bv >= 0), 0.0, grad * (out * D.log(a)))
        return grad_a, grad_b


class PowScalarBase(Op):
    """base ** b with a number base."""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, b, base):
        out = xp.power(xp.asarray(base, dtype=b.dtype), b)
        ctx.save(out)
        ctx.base = base
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        if ctx.base == 0:
            with xp.errstate(invalid="ignore"):  # 0 * -inf where masked
                return D.where(D.value(out) >= 0, 0.0, grad * (out * float("-inf")))
        return grad * (out * float(xp.log(ctx.base)))


# ----------------------------------------------------------------------------- unary math
class Exp(Op):
    """e ** a."""

    explain = ExplainRule(call("exp"), pointwise(lambda x, times: F.call("exp", x(0)), xp.exp))

    @staticmethod
    def forward(ctx, a):
        out = kernels.exp(a)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved[0]


class Log(Op):
    """Natural logarithm."""

    explain = ExplainRule(
        call("log"), pointwise(lambda x, times: F.quotient(1, x(0)), lambda a: 1.0 / a)
    )
    gradcheck_domain = Domain("pos")

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return kernels.log(a)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.saved[0]


class Log2(Op):
    """Base-2 logarithm."""

    gradcheck_domain = Domain("pos")  # defined for x > 0

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return xp.log2(a)

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved[0] * 0.6931471805599453)


class Log10(Op):
    """Base-10 logarithm."""

    gradcheck_domain = Domain("pos")  # defined for x > 0

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return xp.log10(a)

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved[0] * 2.302585092994046)


class Log1p(Op):
    """log(1 + a)."""

    node_name = "Log1PBackward0"

    gradcheck_domain = Domain("pos")  # defined for x > -1

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return kernels.log1p(a)

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved[0] + 1)


class Expm1(Op):
    """e ** a - 1."""

    @staticmethod
    def forward(ctx, a):
        out = kernels.expm1(a)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.saved[0] + 1)


class Sqrt(Op):
    """Square root."""

    explain = ExplainRule(  # ∂√x/∂x = 1/(2√x)
        local=pointwise(
            lambda x, times: F.quotient(1, times(2, F.root(x(0)))), lambda a: 0.5 / xp.sqrt(a)
        )
    )
    gradcheck_domain = Domain("pos")

    @staticmethod
    def forward(ctx, a):
        out = xp.sqrt(a)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.saved[0])


class Rsqrt(Op):
    """1 / sqrt(a)."""

    gradcheck_domain = Domain("pos")  # defined for x > 0

    @staticmethod
    def forward(ctx, a):
        out = 1 / xp.sqrt(a)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved[0]
        return -0.5 * grad * (out * out * out)


class Reciprocal(Op):
    """1 / a."""

    explain = ExplainRule(  # ∂(1/x)/∂x = −1/x²
        local=pointwise(
            lambda x, times: F.negate(F.quotient(1, F.power(x(0), 2))), lambda a: -1.0 / (a * a)
        )
    )
    gradcheck_domain = Domain("away")

    @staticmethod
    def forward(ctx, a):
        out = 1 / a
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved[0]
        return -grad * (out * out)


class Sin(Op):
    """Sine."""

    explain = ExplainRule(call("sin"), pointwise(lambda x, times: F.call("cos", x(0)), xp.cos))

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return kernels.sin(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * D.cos(ctx.saved[0])


class Cos(Op):
    """Cosine."""

    explain = ExplainRule(
        call("cos"),
        pointwise(lambda x, times: F.negate(F.call("sin", x(0))), lambda a: -xp.sin(a)),
    )

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return kernels.cos(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * -D.sin(ctx.saved[0])


class Tan(Op):
    """Tangent."""

    gradcheck_domain = Domain("unit")  # poles at ±π/2

    @staticmethod
    def forward(ctx, a):
        out = xp.tan(a)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved[0]
        return grad * (1 + out * out)


class Tanh(Op):
    """Hyperbolic tangent."""

    explain = ExplainRule(  # ∂tanh(x)/∂x = 1 − tanh(x)²
        call("tanh"),
        pointwise(
            lambda x, times: F.difference(1, F.power(x.out, 2)), lambda a: 1.0 - xp.tanh(a) ** 2
        ),
    )

    @staticmethod
    def forward(ctx, a):
        out = kernels.tanh(a)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved[0]
        if D.is_array(out):
            return grad * kernels.one_minus_square(out)
        return grad * (1 - out * out)


class Asin(Op):
    """Inverse sine."""

    gradcheck_domain = Domain("unit")  # defined on (-1, 1)

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return xp.arcsin(a)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved[0]
        return grad * D.rsqrt(-a * a + 1)


class Acos(Op):
    """Inverse cosine."""

    gradcheck_domain = Domain("unit")  # defined on (-1, 1)

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return xp.arccos(a)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved[0]
        return grad * -D.rsqrt(-a * a + 1)


class Atan(Op):
    """Inverse tangent."""

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return xp.arctan(a)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved[0]
        return grad / (a * a + 1)


class Sinh(Op):
    """Hyperbolic sine."""

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return xp.sinh(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * D.cosh(ctx.saved[0])


class Cosh(Op):
    """Hyperbolic cosine."""

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return xp.cosh(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * D.sinh(ctx.saved[0])


class Erf(Op):
    """The error function (vectorised ``math.erf``: NumPy has no erf ufunc)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return D.erf_array(a)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved[0]
        return (2.0 / math.sqrt(math.pi)) * D.exp(-(a * a)) * grad


class Atan2(Op):
    """atan2(a, b): the angle of the point (b, a)."""

    gradcheck_domain = Domain("away")  # undefined at (0, 0)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return xp.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        recip = 1 / (a * a + b * b)
        grad_a = grad * b * recip if needs_grad(ctx, 0) else None
        grad_b = grad * -a * recip if needs_grad(ctx, 1) else None
        return grad_a, grad_b


class LogAddExp(Op):
    """log(exp(a) + exp(b)), without overflow: max(a, b) + log1p(exp(−|a − b|))."""

    node_name = "LogaddexpBackward0"
    keeps_ctx_arrays = False
    explain = ExplainRule(
        written=lambda args, node: F.call("logaddexp", *args),
        local=partials(  # ∂/∂a = 1/(1 + exp(b − a)), ∂/∂b = 1/(1 + exp(a − b))
            (
                lambda x, times: F.quotient(1, F.total(1, F.call("exp", F.difference(x(1), x(0))))),
                lambda a, b: 1.0 / (1.0 + xp.exp(b - a)),
            ),
            (
                lambda x, times: F.quotient(1, F.total(1, F.call("exp", F.difference(x(0), x(1))))),
                lambda a, b: 1.0 / (1.0 + xp.exp(a - b)),
            ),
        ),
    )

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        # PyTorch's CPU kernel: equal infinities give themselves (inf − inf would be NaN)
        out = xp.maximum(a, b) + kernels.log1p(kernels.exp(-xp.abs(a - b)))
        return xp.where(xp.isinf(a) & (a == b), a, out)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved  # PyTorch's formulas (derivatives.yaml), with its exp
        exp = kernels.exp if D.is_array(a) else D.exp
        grad_a = grad / (1 + exp(b - a)) if needs_grad(ctx, 0) else None
        grad_b = grad / (1 + exp(a - b)) if needs_grad(ctx, 1) else None
        return grad_a, grad_b


@api()
def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    return _binary(LogAddExp, input, other, float_result=True)


class Lerp(Op):
    """a + weight * (end - a) with a number weight."""

    @staticmethod
    def forward(ctx, a, end, weight):
        ctx.weight = weight
        # PyTorch's formula: the closer endpoint is the base, for accuracy.
        if abs(weight) < 0.5:
            return a + weight * (end - a)
        return end - (end - a) * (1 - weight)

    @staticmethod
    def backward(ctx, grad):
        w = ctx.weight
        return grad * (1 - w), grad * w


class Xlogy(Op):
    """a * log(b), defined as 0 where a == 0."""

    gradcheck_domain = Domain(("any", "pos"))  # log(y) needs y > 0

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        with xp.errstate(divide="ignore", invalid="ignore"):
            out = a * xp.log(b)
        return xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), out.dtype), out)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        av = D.value(a)
        grad_a = grad_b = None
        with xp.errstate(divide="ignore", invalid="ignore"):  # log(0), 0 / 0 as in PyTorch
            if needs_grad(ctx, 0):
                grad_a = grad * D.where(av == 0, 0.0, D.log(b))
            if needs_grad(ctx, 1):
                grad_b = grad * a / b
        return grad_a, grad_b


class Remainder(Op):
    """a - floor(a / b) * b (Python's modulo): gradient 1 in a, -floor(a / b) in b."""

    node_name = "RemainderBackward1"

    gradcheck_domain = Domain("pos")  # jumps where a/b is whole: the check also keeps a gap

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        grad_b = None
        if needs_grad(ctx, 1):
            quotient = xp.floor_divide(D.value(a), D.value(b))
            grad_b = -grad * (quotient if D.is_array(grad) else _new_tensor(quotient))
        return grad, grad_b


class RemainderScalar(Op):
    """a % number: gradient 1."""

    node_name = "RemainderBackward0"

    gradcheck_domain = Domain("pos")  # jumps where a/b is whole: the check also keeps a gap

    @staticmethod
    def forward(ctx, a, b):
        return xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def _sigmoid_slope(a):
    """σ(a)(1 − σ(a)), in float64 for explain's numbers."""
    s = 1.0 / (1.0 + xp.exp(-a))
    return s * (1.0 - s)


class Sigmoid(Op):
    """1 / (1 + e ** -a), computed without overflow."""

    explain = ExplainRule(  # ∂σ(x)/∂x = σ(x)(1 − σ(x))
        call("sigmoid"),
        pointwise(lambda x, times: times(x.out, F.difference(1, x.out)), _sigmoid_slope),
    )

    @staticmethod
    def forward(ctx, a):
        out = _sigmoid(a)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved[0]
        return grad * (1 - out) * out


def _sigmoid(a):
    if a.dtype == xp.float32:
        # PyTorch's float32 kernel: 1 / (1 + e ** -a) with its vectorised exp, and std::exp
        # in the element-at-a-time tail (e ** -a = inf gives 0).
        with xp.errstate(over="ignore"):
            out = 1 / (1 + kernels.vec_exp(-a))
            return kernels.redo_scalar_lanes(out, a, None, _scalar_sigmoid, avx512_kernel=True)
    # e ** -|a| never overflows; the two branches agree where both are finite.
    z = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + z), z / (1 + z)).astype(a.dtype, copy=False)


def _scalar_sigmoid(x, grad, result):
    """Sigmoid of PyTorch's element-at-a-time lanes (``redo_scalar_lanes``)."""
    with xp.errstate(over="ignore"):
        return 1 / (1 + kernels.scalar_exp(-x))


class Relu(Op):
    """max(a, 0)."""

    explain = ExplainRule(
        call("relu"),
        pointwise(lambda x, times: F.indicator(x(0)), lambda a: (a > 0).astype(xp.float64)),
    )
    gradcheck_domain = Domain("away")

    @staticmethod
    def forward(ctx, a):
        if a.dtype in _RELU_FAST:
            # ``maximum(0, a)`` keeps -0.0 as PyTorch's relu does (``maximum(a, 0)`` makes it
            # +0.0); NaNs pass unchanged either way. NumPy's SIMD loop wants two arrays, not
            # an array and a scalar: a buffer of zeros, overwritten with the result, is ~3x
            # faster.
            if a.flags.c_contiguous:
                zeros = xp.zeros(a.shape, a.dtype)
                out = xp.maximum(zeros, a, out=zeros)
            else:
                out = xp.maximum(a.dtype.type(0), a)
        else:
            out = xp.maximum(a, 0)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's threshold_backward: 0 where the output is <= 0 (even where grad is NaN),
        # else grad (also where the output is NaN)
        out = D.value(ctx.saved[0])
        if not out.ndim and type(grad) is ndarray:  # one number: a branch, not a masked select
            return xp.zeros((), grad.dtype) if out[()] <= 0 else grad
        keep = xp.less_equal(out, 0)
        keep = xp.logical_not(keep, out=keep) if keep.ndim else ~keep  # (0-d: a NumPy bool)
        if owns_gradient(grad):  # write into the engine's spare buffer: one array fewer
            return D.masked_bits(grad, keep, out=grad)
        return D.mask(grad, keep)


_RELU_FAST = (xp.dtype(xp.float32), xp.dtype(xp.float64))  # dtypes of ``Relu``'s fast path


class Abs(Op):
    """|a|; its gradient at 0 (and at NaN) is 0, as in PyTorch."""

    explain = ExplainRule(local=pointwise(lambda x, times: F.call("sign", x(0)), xp.sign))
    gradcheck_domain = Domain("away")

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return xp.abs(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * D.sign(ctx.saved[0])


class Sign(Op):
    """-1, 0 or 1 (0 for NaN); zero gradient everywhere (also where the gradient is NaN)."""

    gradcheck_domain = Domain("away")  # a jump at 0

    @staticmethod
    def forward(ctx, a):
        return D.sign(a)

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_like(grad)


class Sgn(Sign):
    """``sgn``: the sign, under PyTorch's complex-aware name."""


class Floor(Op):
    """Round down; zero gradient."""

    gradcheck_domain = Domain("frac")  # jumps at integers

    @staticmethod
    def forward(ctx, a):
        return xp.floor(a)

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_like(grad)


class Ceil(Op):
    """Round up; zero gradient."""

    gradcheck_domain = Domain("frac")  # jumps at integers

    @staticmethod
    def forward(ctx, a):
        return xp.ceil(a)

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_like(grad)


class Round(Op):
    """Round half to even (as PyTorch); zero gradient."""

    gradcheck_domain = Domain("half")  # jumps at half-integers

    @staticmethod
    def forward(ctx, a, decimals=0):
        return xp.round(a, decimals) if decimals else xp.rint(a)

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_like(grad)


class RoundDecimals(Round):
    """``round(decimals=n)``, a separate overload (and node name) in PyTorch."""

    node_name = "RoundBackward1"


class Trunc(Op):
    """Round toward zero; zero gradient."""

    gradcheck_domain = Domain("frac")  # jumps at integers

    @staticmethod
    def forward(ctx, a):
        return xp.trunc(a)

    @staticmethod
    def backward(ctx, grad):
        return D.zeros_like(grad)


class Clamp(Op):
    """Clip to [min, max]; the gradient passes where min <= a <= max."""

    node_name = "ClampBackward1"

    gradcheck_domain = Domain("grid")  # kinks at the bounds, multiples of 0.5 in the check

    @staticmethod
    def forward(ctx, a, min=None, max=None):
        ctx.save(a)
        ctx.bounds = (min, max)
        out = a
        # bound first: on a tie NumPy returns the second operand, and PyTorch keeps a (-0.0)
        if min is not None:
            out = xp.maximum(xp.asarray(min, dtype=a.dtype), out)
        if max is not None:
            out = xp.minimum(xp.asarray(max, dtype=a.dtype), out)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, grad):
        a = D.value(ctx.saved[0])
        lo, hi = ctx.bounds
        if lo is None:
            keep = a <= hi
        elif hi is None:
            keep = a >= lo
        else:
            keep = (a >= lo) & (a <= hi)
        return D.where(keep, grad, 0.0)


class ClampMin(Clamp):
    """``clamp_min`` / ``clamp(min=...)``."""

    node_name = "ClampMinBackward0"


class ClampMax(Clamp):
    """``clamp_max`` / ``clamp(max=...)``."""

    node_name = "ClampMaxBackward0"


class ClampTensor(Op):
    """Clip to tensor bounds (``clamp(x, min=t1, max=t2)``); PyTorch's gradient rules."""

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save(a, lo, hi)
        out = a
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, lo, hi = (D.value(s) for s in ctx.saved)
        if lo is not None and hi is not None:
            keep = (a >= lo) & (a <= hi)
            to_lo = (a < lo) & (lo < hi)
            to_hi = (a > hi) | (hi < lo)
        elif lo is not None:
            keep, to_lo, to_hi = a >= lo, a < lo, None
        else:
            keep, to_lo, to_hi = a <= hi, None, a > hi
        return (
            D.where(keep, grad, 0.0),
            D.where(to_lo, grad, 0.0) if lo is not None and needs_grad(ctx, 1) else None,
            D.where(to_hi, grad, 0.0) if hi is not None and needs_grad(ctx, 2) else None,
        )


class Maximum(Op):
    """Elementwise max; ties share the gradient equally, NaN gives it to both (PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _minmax_backward(ctx, grad, xp.greater)


class Minimum(Op):
    """Elementwise min; ties share the gradient equally, NaN gives it to both (PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _minmax_backward(ctx, grad, xp.less)


def _minmax_backward(ctx, grad, wins):
    # PyTorch: where(a == b, grad / 2, grad), zeroed where that input loses; a NaN on either
    # side loses no comparison, so both inputs get the whole gradient there.
    a, b = (D.value(s) for s in ctx.saved)
    shared = D.where(a == b, grad / 2, grad)
    return D.where(wins(b, a), 0.0, shared), D.where(wins(a, b), 0.0, shared)


class Where(Op):
    """where(condition, a, b); the condition is not differentiable."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        out = xp.where(cond, a, b)
        return out

    @staticmethod
    def backward(ctx, grad):
        # PyTorch: where(cond, grad, 0) and where(cond, 0, grad), 0 even where grad is NaN/inf
        return None, D.where(ctx.cond, grad, 0.0), D.where(ctx.cond, 0.0, grad)


# ----------------------------------------------------------------------------- public functions
@api()
def add(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(Add, a, b)


@api("sub", "subtract")
def sub(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(Sub, a, b)


def rsub(a, other):
    """``other - a`` for a tensor ``a`` and a number or tensor ``other``."""
    if isinstance(other, TensorBase):
        return _binary(Sub, other, a)
    a = as_operand(a, "input")
    other = as_operand(other)
    if isinstance(other, TensorBase):
        return _binary(Sub, other, a)
    da, _ = promoted_arrays(a, other)
    return Rsub.run((a,), (da,), {"other": other})


@api("mul", "multiply")
def mul(a, b):
    return _binary(Mul, a, b)


@api("div", "divide", "true_divide")
def div(a, b, rounding_mode=None):
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        return trunc_divide(a, b)
    return _binary(Div, a, b, float_result=True)


def rdiv(a, other):
    """``other / a``: PyTorch computes it as ``reciprocal(a) * other``."""
    if isinstance(other, TensorBase):
        return div(other, a)
    if not a.is_floating_point():
        a = a.to(_dtypes.DEFAULTS.float_dtype)
    return mul(Reciprocal.apply(a), other)


@api()
def pow(a, exponent):
    if (type(exponent) is int or type(exponent) is float) and isinstance(a, TensorBase):
        data = a._data
        if data.dtype.kind == "f":  # the common case: float tensor ** Python number
            return Pow.run((a,), (data, exponent), _NO_PARAMS)  # (no keyword dict)
    if isinstance(a, TensorBase):
        if isinstance(exponent, TensorBase):
            if (
                exponent.ndim == 0
                and not exponent._rg
                and exponent.dtype.is_floating_point is False
            ):
                exponent = exponent.item()
            else:
                return _binary(PowTensor, a, exponent)
        exponent = as_operand(exponent, "exponent")
        if isinstance(exponent, TensorBase):
            return _binary(PowTensor, a, exponent)
        if not a.is_floating_point() and isinstance(exponent, float):
            a = a.to(_dtypes.DEFAULTS.float_dtype)
        if not a.is_floating_point() and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return Pow.apply(a, exponent=exponent)
    base = a
    if not isinstance(base, Number):
        return _binary(PowTensor, base, exponent)
    if not exponent.is_floating_point() and isinstance(base, float):
        exponent = exponent.to(_dtypes.DEFAULTS.float_dtype)
    return PowScalarBase.apply(exponent, base=base)


@api()
def maximum(a, b):
    return _binary(Maximum, a, b)


@api()
def minimum(a, b):
    return _binary(Minimum, a, b)


@api(method=False, out=False)
def where(condition, a=None, b=None):
    if a is None and b is None:
        return condition.nonzero(as_tuple=True)
    cond = condition._data if isinstance(condition, TensorBase) else xp.asarray(condition)
    if cond.dtype != bool:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_dtypes.from_numpy_dtype(cond.dtype)!r}; compare first, e.g. x > 0"
        )
    a, b = as_operand(a, "input"), as_operand(b)
    shapes = [cond.shape] + [x._data.shape for x in (a, b) if isinstance(x, TensorBase)]
    try:
        xp.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            f"where: condition, input and other must broadcast together, but got shapes "
            f"{', '.join(str(list(s)) for s in shapes)}. Reshape them (e.g. with .unsqueeze) "
            "so every dimension is equal or 1."
        ) from None
    da, db = promoted_arrays(a, b)
    if not isinstance(da, ndarray):
        da = xp.asarray(da, dtype=db.dtype if isinstance(db, ndarray) else None)
    if not isinstance(db, ndarray):
        db = xp.asarray(db, dtype=da.dtype)
    return Where.run((condition, a, b), (cond, da, db), {})


@api("clamp", "clip")
def clamp(a, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, TensorBase) or isinstance(max, TensorBase):
        lo = as_operand(min) if min is not None else None
        hi = as_operand(max) if max is not None else None
        dtype = a.dtype
        for bound in (lo, hi):
            if isinstance(bound, TensorBase):
                _check_broadcast("clamp", a, bound)
            if bound is not None:
                dtype = _dtypes.promote(dtype, _dtypes.result_dtype(a, bound))
        arrays = [a._data.astype(dtype.np, copy=False)] + [
            _cast(x, dtype.np) if x is not None else None for x in (lo, hi)
        ]
        return ClampTensor.run((a, lo, hi), arrays, {})
    return Clamp.apply(_float_if_needed(a, min, max), min=min, max=max)


@api()
def clamp_min(a, min):
    if isinstance(min, TensorBase):
        return clamp(a, min=min)
    return ClampMin.apply(_float_if_needed(a, min), min=min)


@api()
def clamp_max(a, max):
    if isinstance(max, TensorBase):
        return clamp(a, max=max)
    return ClampMax.apply(_float_if_needed(a, max), max=max)


def _float_if_needed(a: Tensor, *bounds) -> Tensor:
    """An integer tensor clamped to a float bound becomes the default float dtype."""
    if a._data.dtype.kind != "f" and any(isinstance(b, float) for b in bounds):
        return a.to(_dtypes.DEFAULTS.float_dtype)
    return a


@api()
def lerp(a: Tensor, end: Tensor, weight) -> Tensor:
    if isinstance(weight, TensorBase):
        return a + weight * (end - a)
    if isinstance(end, TensorBase):
        _check_broadcast("lerp", a, end)
    da, de = promoted_arrays(a, end)
    return Lerp.run((a, end), (da, de), {"weight": weight})


@api()
def xlogy(a, b) -> Tensor:
    a, b = as_operand(a, "input"), as_operand(b)
    if not isinstance(a, TensorBase):
        a = _new_tensor(xp.asarray(a, dtype=b._data.dtype if b.is_floating_point() else None))
    if not isinstance(b, TensorBase):
        b = _new_tensor(xp.asarray(b, dtype=a._data.dtype if a.is_floating_point() else None))
    return _binary(Xlogy, a, b, float_result=True)


@api("atan2", "arctan2")
def atan2(a, b) -> Tensor:
    return _binary(Atan2, a, b, float_result=True)


def trunc_divide(a, b):
    out = div(a, b)
    return Trunc.apply(out) if out.is_floating_point() else out


# ----------------------------------------------------------------------------- not differentiable
def _plain(a, b, op: str = "elementwise op"):
    a, b = as_operand(a, "input"), as_operand(b)
    if isinstance(a, TensorBase) and isinstance(b, TensorBase):
        _check_broadcast(op, a, b)
    return promoted_arrays(a, b)


def compare(ufunc, a, b) -> Tensor:
    """Comparison producing a bool tensor (never part of the graph)."""
    if not isinstance(b, (TensorBase, Number, ndarray, xp.generic)):
        return NotImplemented
    if isinstance(a, TensorBase) and isinstance(b, TensorBase):
        _check_broadcast(_Compare, a, b)
    da, db = _plain(a, b)
    return _new_tensor(xp.asarray(ufunc(da, db)))


class _Compare:
    op_name = "comparison"


@api()
def floor_divide(a, b) -> Tensor:
    da, db = _plain(a, b, "floor_divide")
    return _new_tensor(xp.asarray(xp.floor_divide(da, db)))


@api()
def remainder(a, b) -> Tensor:
    a, b = as_operand(a, "input"), as_operand(b)
    if isinstance(a, TensorBase) and isinstance(b, TensorBase):
        _check_broadcast(Remainder, a, b)
        return Remainder.run((a, b), promoted_arrays(a, b), {})
    if isinstance(a, TensorBase):
        return RemainderScalar.run((a, b), promoted_arrays(a, b), {})
    da, db = promoted_arrays(a, b)
    return Remainder.run((_new_tensor(xp.asarray(da)), b), (da, db), {})


def logical_op(ufunc, a, b) -> Tensor:
    da, db = _plain(a, b, ufunc.__name__)
    return _new_tensor(xp.asarray(ufunc(da, db)))


@api()
def bitwise_not(a: Tensor) -> Tensor:
    if a._data.dtype.kind == "f":
        raise TypeError("~ (bitwise_not) is only supported for integer and bool tensors")
    return _new_tensor(xp.asarray(~a._data))


@api()
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    da, db = _plain(a, b)
    return _new_tensor(xp.asarray(xp.isclose(da, db, rtol=rtol, atol=atol, equal_nan=equal_nan)))


@api()
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    da, db = _plain(a, b)
    return bool(xp.allclose(da, db, rtol=rtol, atol=atol, equal_nan=equal_nan))


@api()
def equal(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and bool((a._data == b._data).all())


def _pred(fn):
    def predicate(a: Tensor) -> Tensor:
        return _new_tensor(xp.asarray(fn(a._data)))

    predicate.__name__ = fn.__name__
    return predicate


isnan = api()(_pred(xp.isnan))
isinf = api()(_pred(xp.isinf))
isfinite = api()(_pred(xp.isfinite))
logical_not = api()(_pred(xp.logical_not))
signbit = api()(_pred(xp.signbit))


def _unary(op):
    """The function of a one-input op: ``relu(x)`` is ``Relu.apply(x)``."""

    def unary(input: Tensor) -> Tensor:
        return op.apply(input)

    unary.__name__ = op.op_name.lower()
    unary.__doc__ = op.__doc__
    return unary


def _float_unary(op):
    """Unary float math: integer tensors are promoted to the default float dtype first."""

    def float_unary(input: Tensor) -> Tensor:
        if input._data.dtype.kind != "f":
            input = input.to(_dtypes.DEFAULTS.float_dtype)
        return op.apply(input)

    float_unary.__name__ = op.op_name.lower()
    float_unary.__doc__ = op.__doc__
    return float_unary


exp = api()(_float_unary(Exp))
log = api()(_float_unary(Log))
log2 = api()(_float_unary(Log2))
log10 = api()(_float_unary(Log10))
log1p = api()(_float_unary(Log1p))
expm1 = api()(_float_unary(Expm1))
sqrt = api()(_float_unary(Sqrt))
rsqrt = api()(_float_unary(Rsqrt))
reciprocal = api()(_float_unary(Reciprocal))
sin = api()(_float_unary(Sin))
cos = api()(_float_unary(Cos))
tan = api()(_float_unary(Tan))
tanh = api()(_float_unary(Tanh))
asin = api("asin", "arcsin")(_float_unary(Asin))
acos = api("acos", "arccos")(_float_unary(Acos))
atan = api("atan", "arctan")(_float_unary(Atan))
sinh = api()(_float_unary(Sinh))
cosh = api()(_float_unary(Cosh))
erf = api()(_float_unary(Erf))
sigmoid = api()(_float_unary(Sigmoid))
relu = api()(_unary(Relu))
abs = api("abs", "absolute")(_unary(Abs))
neg = api("neg", "negative")(_unary(Neg))
sign = api()(_unary(Sign))
sgn = api()(_unary(Sgn))
floor = api()(_unary(Floor))
ceil = api()(_unary(Ceil))
trunc = api()(_unary(Trunc))


@api()
def round(input: Tensor, decimals=None) -> Tensor:
    if decimals is not None:
        return RoundDecimals.apply(input, decimals=decimals)
    return Round.apply(input)


@api()
def square(input: Tensor) -> Tensor:
    return pow(input, 2)


@api("where", function=False)
def where_method(input: Tensor, condition, other) -> Tensor:
    """``x.where(condition, y)`` is ``torch.where(condition, x, y)``."""
    return where(condition, input, other)


@api()
def eq(input: Tensor, other) -> Tensor:
    return compare(xp.equal, input, other)


@api()
def ne(input: Tensor, other) -> Tensor:
    return compare(xp.not_equal, input, other)


@api()
def lt(input: Tensor, other) -> Tensor:
    return compare(xp.less, input, other)


@api()
def le(input: Tensor, other) -> Tensor:
    return compare(xp.less_equal, input, other)


@api()
def gt(input: Tensor, other) -> Tensor:
    return compare(xp.greater, input, other)


@api()
def ge(input: Tensor, other) -> Tensor:
    return compare(xp.greater_equal, input, other)
