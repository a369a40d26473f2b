"""Activation functions beyond the elementwise basics (relu, sigmoid and tanh live there).

PyTorch's CPU kernels run most of a tensor through SIMD registers and the rest (the tail of a
contiguous tensor, or all of a strided one) one element at a time, and for several activations
the two code paths put a NaN input (or a -0.0) on different sides of a comparison. To give the
same bits, the ops here compute the SIMD result and then have ``kernels.redo_scalar_lanes``
redo PyTorch's element-at-a-time lanes with its scalar formula.
"""

from __future__ import annotations

import math

from glassgrad import _kernels as kernels
from glassgrad._backend import xp
from glassgrad.ops import _dual as D
from glassgrad.ops._domain import Domain
from glassgrad.ops._op import Op
from glassgrad.ops.elementwise import _sigmoid

__all__ = [
    "Celu",
    "CeluResult",
    "Elu",
    "EluResult",
    "Gelu",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyRelu",
    "LeakyReluResult",
    "Mish",
    "PreluKernel",
    "Silu",
    "Softplus",
    "Softshrink",
    "Threshold",
    "ThresholdResult",
]


class LeakyRelu(Op):
    """a if a > 0 else slope * a."""

    gradcheck_domain = Domain("away")  # a kink at 0

    @staticmethod
    def forward(ctx, a, negative_slope=0.01):
        ctx.save(a)
        ctx.slope = negative_slope
        return xp.where(a > 0, a, a * a.dtype.type(negative_slope))

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved[0]
        return D.where(D.value(a) > 0, grad, grad * ctx.slope)


class LeakyReluResult(LeakyRelu):
    """In-place ``leaky_relu_``: PyTorch differentiates through the result (same gradient)."""

    node_name = "LeakyReluBackward1"

    @staticmethod
    def forward(ctx, a, negative_slope=0.01):
        out = LeakyRelu.forward(ctx, a, negative_slope)
        ctx.save(out)
        return out


class Elu(Op):
    """scale * a where a > 0, else scale * alpha * (e ** (input_scale * a) - 1).

    ``elu`` (scale 1), ``selu`` (its constants) and ``celu`` (input_scale 1 / alpha) in one.
    """

    keeps_ctx_arrays = False

    gradcheck_domain = Domain("away")  # the second derivative jumps at 0

    @staticmethod
    def forward(ctx, a, alpha=1.0, scale=1.0, input_scale=1.0):
        ctx.save(a)
        # PyTorch's coefficients, rounded to the input's dtype first
        t = a.dtype.type
        pos, neg, ipt = t(scale), t(alpha) * t(scale), t(input_scale)
        ctx.coefs = (pos, neg, ipt)
        positive = a > 0
        # expm1 of the non-positive part only (no overflow); -0.0 stays -0.0, as in PyTorch
        out = kernels.expm1(xp.where(positive, t(0), a) * ipt) * neg
        return xp.where(positive, a * pos if scale != 1 else a, out)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's elu_backward on the input: grad * input_scale * alpha * scale * e ** (a *
        # input_scale) where a <= 0, else grad * scale (SIMD lanes send a NaN input to the
        # first branch, the element-at-a-time loop to the second).
        (a,) = ctx.saved
        pos, neg, ipt = ctx.coefs
        av = D.value(a)
        positive = av > 0
        negative = D.where(positive, 0.0, a)  # exp only of the negative part: no overflow
        z = negative * ipt
        e = kernels.exp(z) if D.is_array(z) else D.exp(z)
        return _elu_nan_lanes(D.where(positive, grad * pos, grad * ipt * neg * e), av, grad, pos)


def _elu_nan_lanes(result, values, grad, pos):
    """An ELU gradient with PyTorch's element-at-a-time lanes redone (elu_backward has an
    AVX-512 build): there a NaN input or result takes the positive branch, ``grad * scale``."""
    if not D.is_array(result):
        return result
    return kernels.redo_scalar_lanes(
        result,
        values,
        grad,
        lambda x, g, r: xp.where(xp.isnan(x), g * pos, r),
        avx512_kernel=True,
        nan_only=True,
    )


class Celu(Elu):
    """``celu``: an ``Elu`` with input_scale 1 / alpha, under PyTorch's own node name."""

    @staticmethod
    def forward(ctx, a, alpha=1.0):
        return Elu.forward(ctx, a, alpha, 1.0, 1.0 / alpha)


class EluResult(Elu):
    """In-place ``elu_`` / ``selu_``: PyTorch saves the result and differentiates through it."""

    node_name = "EluBackward1"
    keeps_ctx_arrays = True  # the saved result

    @staticmethod
    def forward(ctx, a, alpha=1.0, scale=1.0, input_scale=1.0):
        out = Elu.forward(ctx, a, alpha, scale, input_scale)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's elu_backward on the result: grad * input_scale * (out + alpha * scale)
        # where out <= 0, else grad * scale (a NaN result as for ``Elu``)
        (out,) = ctx.saved
        pos, neg, ipt = ctx.coefs
        ov = D.value(out)
        return _elu_nan_lanes(D.where(ov > 0, grad * pos, grad * ipt * (out + neg)), ov, grad, pos)


class CeluResult(EluResult):
    """In-place ``celu_``: ``EluResult`` with input_scale 1 / alpha, under its own name."""

    node_name = "CeluBackward1"

    @staticmethod
    def forward(ctx, a, alpha=1.0):
        return EluResult.forward(ctx, a, alpha, 1.0, 1.0 / alpha)


class Gelu(Op):
    """a * Phi(a), exact (erf) or with the tanh approximation.

    Both formulas give inf * 0 far out (at -inf, and in the gradient wherever a * a
    overflows); there glassgrad gives the limits (-0.0 at -inf; slope 1 above, 0 below) where
    PyTorch gives NaN.
    """

    @staticmethod
    def forward(ctx, a, approximate="none"):
        ctx.save(a)
        ctx.approximate = approximate
        with _far_out():
            if approximate == "tanh":
                inner = _SQRT_2_PI * (a + 0.044715 * a**3)
                out = (0.5 * a * (1 + xp.tanh(inner))).astype(a.dtype, copy=False)
            else:
                out = (a * 0.5 * (1 + _erf(a * _SQRT1_2))).astype(a.dtype, copy=False)
        return xp.where(a == -xp.inf, a.dtype.type(-0.0), out)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        av = D.value(a)
        with _far_out():
            if ctx.approximate == "tanh":
                t = D.tanh(_SQRT_2_PI * (a + 0.044715 * (a * a * a)))
                slope = _SQRT_2_PI * (1 + 3 * 0.044715 * (a * a))
                local = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * slope
            else:
                # PyTorch's gelu_backward, term by term.
                cdf = 0.5 * (1 + D.erf(a * _SQRT1_2))
                pdf = D.exp(-0.5 * a * a) * _GELU_BETA
                local = cdf + a * pdf
            far = xp.isinf(av * av)  # where the slope is exactly 1 (or 0) in this dtype
        if far.any():
            local = D.where(far & (av > 0), 1.0, D.where(far, 0.0, local))
        return grad * local


def _far_out():
    """Silence gelu's overflows far out: expected, and their results replaced by the limits."""
    return xp.errstate(over="ignore", invalid="ignore")


_SQRT1_2 = math.sqrt(0.5)
_SQRT_2_PI = math.sqrt(2 / math.pi)
_GELU_BETA = 2 / math.sqrt(math.pi) * _SQRT1_2 * 0.5


def _erf(x):
    """erf without SciPy, in the input's dtype."""
    return D.erf_array(xp.asarray(x))


class Softplus(Op):
    """log(1 + e ** (beta * a)) / beta, linear above the threshold."""

    @staticmethod
    def forward(ctx, a, beta=1.0, threshold=20.0):
        ctx.save(a)
        ctx.params = (beta, threshold)
        z = a * beta
        out = xp.where(z > threshold, a, xp.logaddexp(0, z) / beta)
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's softplus_backward: z = exp(a * beta); grad * z / (z + 1) below threshold.
        (a,) = ctx.saved
        beta, threshold = ctx.params
        above = D.value(a) * beta > threshold
        z = D.exp(D.where(above, 0.0, a * beta))  # no overflow where the result is unused
        return D.where(above, grad, grad * z / (z + 1))


def _masked_gradient(grad, av, passes, blocked_one_at_a_time):
    """``grad`` where ``passes`` (the test of PyTorch's SIMD lanes), else 0; in its
    element-at-a-time lanes, 0 where ``blocked_one_at_a_time(x)`` instead (the two tests
    disagree only at NaN inputs)."""
    result = D.mask(grad, passes)
    if not D.is_array(result):
        return result
    return kernels.redo_scalar_lanes(
        result,
        av,
        grad,
        lambda x, g, r: xp.where(blocked_one_at_a_time(x), r.dtype.type(0), g),
        nan_only=True,
    )


class Hardtanh(Op):
    """Clip to [min_val, max_val]; the gradient passes strictly inside."""

    keeps_ctx_arrays = False

    @staticmethod
    def forward(ctx, a, min_val=-1.0, max_val=1.0):
        ctx.save(a)
        ctx.bounds = (min_val, max_val)
        return xp.clip(a, min_val, max_val)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's hardtanh_backward: grad where min_val < a < max_val, else 0 (even where grad
        # is NaN). Its element-at-a-time loop tests a <= min_val or a >= max_val instead, so
        # there a NaN input passes the gradient.
        av = D.value(ctx.saved[0])
        lo, hi = ctx.bounds
        return _masked_gradient(grad, av, (av > lo) & (av < hi), lambda x: (x <= lo) | (x >= hi))


class Threshold(Op):
    """a where a > threshold, else value (NaN passes: PyTorch tests a <= threshold)."""

    keeps_ctx_arrays = False

    gradcheck_domain = Domain("away")  # a jump at the threshold 0

    @staticmethod
    def forward(ctx, a, threshold=0.0, value=0.0):
        ctx.save(a)
        ctx.threshold = threshold
        return xp.where(a <= a.dtype.type(threshold), a.dtype.type(value), a)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's threshold_backward: 0 where a <= threshold (even where grad is NaN)
        av = D.value(ctx.saved[0])
        return D.mask(grad, ~(av <= av.dtype.type(ctx.threshold)))


class ThresholdResult(Threshold):
    """In-place ``threshold_``: the same gradient, under PyTorch's in-place node name."""

    node_name = "ThresholdBackward1"


def _shrink_backward(ctx, grad):
    """PyTorch's shrink_backward: 0 where -lambd <= a <= lambd, else grad; its SIMD lanes also
    zero a NaN input, its element-at-a-time loop passes the gradient there."""
    av = D.value(ctx.saved[0])
    lambd = av.dtype.type(ctx.lambd)
    passes = (av > lambd) | (av < -lambd)
    return _masked_gradient(grad, av, passes, lambda x: (x >= -lambd) & (x <= lambd))


def _save_band(ctx, a, lambd):
    """Keep what ``_shrink_backward`` needs; ``lambd`` in ``a``'s dtype, as PyTorch uses it."""
    ctx.save(a)
    ctx.lambd = lambd
    return a.dtype.type(lambd)


class Softshrink(Op):
    """a - lambd above lambd, a + lambd below -lambd, 0 between (NaN stays NaN)."""

    keeps_ctx_arrays = False
    backward = staticmethod(_shrink_backward)

    gradcheck_domain = Domain("grid")  # kinks at ±lambd (0.5)

    @staticmethod
    def forward(ctx, a, lambd=0.5):
        lam = _save_band(ctx, a, lambd)
        out = a - xp.clip(a, -lam, lam)  # exactly a -/+ lambd outside, +0.0 inside, NaN at NaN
        # PyTorch's element-at-a-time loop writes a * 0 inside: -0.0 for a negative a
        return kernels.redo_scalar_lanes(
            out, a, None, lambda x, g, r: xp.where((x >= -lam) & (x <= lam), x * 0, r)
        )


class Hardshrink(Softshrink):
    """a where |a| > lambd, else 0 (NaN stays NaN); Softshrink's band and backward."""

    @staticmethod
    def forward(ctx, a, lambd=0.5):
        lam = _save_band(ctx, a, lambd)
        return xp.where((a >= -lam) & (a <= lam), a.dtype.type(0), a)


def _relu6_of_a_plus_3(a):
    """min(max(a + 3, 0), 6) in ``a``'s dtype: the gate of hardsigmoid and hardswish."""
    t = a.dtype.type
    return xp.minimum(xp.maximum(a + t(3), t(0)), t(6))


class Hardsigmoid(Op):
    """min(max(a + 3, 0), 6) / 6."""

    keeps_ctx_arrays = False

    gradcheck_domain = Domain("grid")  # kinks at ±3: the check feeds 2x

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return _relu6_of_a_plus_3(a) / a.dtype.type(6)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's hardsigmoid_backward: grad * (1/6 rounded to float32, in every dtype)
        # where -3 < a < 3, else 0
        av = D.value(ctx.saved[0])
        return D.mask(grad * _ONE_SIXTH, (av > -3) & (av < 3))


_ONE_SIXTH = float(xp.float32(1) / xp.float32(6))


class Hardswish(Op):
    """a * min(max(a + 3, 0), 6) / 6."""

    keeps_ctx_arrays = False

    gradcheck_domain = Domain("grid")  # kinks at ±3: the check feeds 2x

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return a * _relu6_of_a_plus_3(a) / a.dtype.type(6)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's hardswish_backward: 0 up to -3, grad * (a / 3 + 0.5) below 3, grad from 3
        # (SIMD lanes send a NaN input to the middle formula, the element-at-a-time loop to
        # the last branch).
        a = ctx.saved[0]
        av = D.value(a)
        middle = grad * (a / 3 + 0.5)
        result = D.mask(D.where(av >= 3, grad, middle), ~(av <= -3))
        if not D.is_array(result):
            return result
        return kernels.redo_scalar_lanes(
            result,
            av,
            grad,
            lambda x, g, r: xp.where(xp.isnan(x), g, r),
            avx512_kernel=True,
            nan_only=True,
        )


class PreluKernel(Op):
    """a where a > 0, else weight * a (weight already shaped to broadcast against a)."""

    keeps_ctx_arrays = False

    gradcheck_domain = Domain(("away", "any"))  # a kink at input 0

    @staticmethod
    def forward(ctx, a, weight):
        ctx.save(a, weight)
        return xp.where(a > 0, a, weight * a)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's _prelu_kernel_backward: grad where a > 0, else weight * grad; the weight
        # gets a * grad where a <= 0 (NaN included), summed over the broadcast dimensions
        a, weight = ctx.saved
        positive = D.value(a) > 0
        grad_a = D.where(positive, grad, weight * grad)
        grad_weight = D.where(positive, 0.0, a * grad)
        return grad_a, grad_weight


class Silu(Op):
    """a * sigmoid(a), computed as PyTorch's float32 kernel does: a / (1 + e ** -a) with its
    vectorised exp (std::exp in the element-at-a-time tail)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        if a.dtype != xp.float32:
            return a * _sigmoid(a)
        with xp.errstate(over="ignore"):
            out = a / (1 + kernels.vec_exp(-a))
        return kernels.redo_scalar_lanes(out, a, None, _scalar_silu, avx512_kernel=True)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's silu_backward: grad * s * (1 + a * (1 - s)) with s = sigmoid(a), the
        # 1 + a * (1 - s) one fused multiply-add where its build fuses.
        (a,) = ctx.saved
        if not D.is_array(a) or a.dtype != xp.float32:
            s = _sigmoid(a) if D.is_array(a) else a.sigmoid()
            return grad * s * (1 + a * (1 - s))
        result = _silu_backward(grad, a, kernels.vec_exp)
        return kernels.redo_scalar_lanes(result, a, grad, _scalar_silu_backward, avx512_kernel=True)


def _silu_backward(grad, a, exp):
    """``grad * s * (1 + a * (1 - s))`` with ``s = 1 / (1 + exp(-a))``, in that order."""
    with xp.errstate(over="ignore"):
        s = 1 / (1 + exp(-a))
    inner = xp.ones_like(a)
    kernels.add_product_(inner, a, 1 - s)
    return grad * s * inner


def _scalar_silu(x, grad, result):
    with xp.errstate(over="ignore"):
        return x / (1 + kernels.scalar_exp(-x))


def _scalar_silu_backward(x, grad, result):
    return _silu_backward(grad, x, kernels.scalar_exp)


class Mish(Op):
    """a * tanh(softplus(a))."""

    keeps_ctx_arrays = False

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        with xp.errstate(over="ignore"):
            return a * xp.tanh(xp.log1p(xp.exp(a)))

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's mish_backward: grad * (tanh(softplus(a)) + a * sigmoid(a) * (1 - t * t))
        (a,) = ctx.saved
        if D.is_array(a):
            with xp.errstate(over="ignore"):
                t = xp.tanh(xp.log1p(xp.exp(a)))
                sigmoid = 1 / (1 + xp.exp(-a))
        else:
            t = D.tanh(D.log(D.exp(a) + 1))
            sigmoid = a.sigmoid()
        return grad * (t + a * sigmoid * (1 - t * t))
