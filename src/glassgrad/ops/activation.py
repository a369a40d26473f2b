"""Activation functions beyond the elementwise basics (relu, sigmoid and tanh live there)."""

from __future__ import annotations

import math

from glassgrad._backend import xp
from glassgrad.ops import _dual as D
from glassgrad.ops._op import Op


class LeakyRelu(Op):
    """a if a > 0 else slope * a."""

    @staticmethod
    def forward(ctx, a, negative_slope=0.01):
        ctx.save(a)
        ctx.slope = negative_slope
        return xp.where(a > 0, a, a * a.dtype.type(negative_slope))

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved[0]
        av = a if D.is_array(a) else a._data
        return D.where(av > 0, grad, grad * ctx.slope)


class Elu(Op):
    """a if a > 0 else alpha * (e ** a - 1)."""

    @staticmethod
    def forward(ctx, a, alpha=1.0):
        out = xp.where(a > 0, a, alpha * xp.expm1(xp.minimum(a, 0))).astype(a.dtype, copy=False)
        ctx.save(a, out)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's elu_backward on the input: grad * alpha * exp(a) where a <= 0.
        a, _ = ctx.saved
        av = a if D.is_array(a) else a._data
        negative = D.where(av > 0, 0.0, a)  # exp only of the negative part: no overflow
        return D.where(av > 0, grad, grad * ctx.alpha * D.exp(negative))


class Gelu(Op):
    """a * Phi(a), exact (erf) or with the tanh approximation."""

    @staticmethod
    def forward(ctx, a, approximate="none"):
        ctx.save(a)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_PI * (a + 0.044715 * a**3)
            return (0.5 * a * (1 + xp.tanh(inner))).astype(a.dtype, copy=False)
        return (a * 0.5 * (1 + _erf(a * _SQRT1_2))).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        if ctx.approximate == "tanh":
            t = D.tanh(_SQRT_2_PI * (a + 0.044715 * (a * a * a)))
            slope = _SQRT_2_PI * (1 + 3 * 0.044715 * (a * a))
            local = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * slope
        else:
            # PyTorch's gelu_backward, term by term.
            cdf = 0.5 * (1 + D.erf(a * _SQRT1_2))
            pdf = D.exp(-0.5 * a * a) * _GELU_BETA
            local = cdf + a * pdf
        return grad * local


_SQRT1_2 = math.sqrt(0.5)
_SQRT_2_PI = math.sqrt(2 / math.pi)
_GELU_BETA = 2 / math.sqrt(math.pi) * _SQRT1_2 * 0.5


def _erf(x):
    """erf without SciPy, in the input's dtype."""
    from glassgrad.ops.elementwise import erf_array

    return erf_array(xp.asarray(x))


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


class Hardtanh(Op):
    """Clip to [min_val, max_val]; gradient passes strictly inside."""

    @staticmethod
    def forward(ctx, a, min_val=-1.0, max_val=1.0):
        ctx.save(a)
        ctx.bounds = (min_val, max_val)
        return xp.clip(a, min_val, max_val)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved[0]
        av = a if D.is_array(a) else a._data
        lo, hi = ctx.bounds
        return D.mask(grad, (av > lo) & (av < hi))


class Silu(Op):
    """a * sigmoid(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        from glassgrad.ops.elementwise import _sigmoid

        return a * _sigmoid(a)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's silu_backward: grad * s * (1 + a * (1 - s)) with s = sigmoid(a).
        (a,) = ctx.saved
        from glassgrad.ops.elementwise import _sigmoid

        s = _sigmoid(a) if D.is_array(a) else a.sigmoid()
        return grad * s * (1 + a * (1 - s))
