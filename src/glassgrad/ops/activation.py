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
        a, out = ctx.saved
        av = a if D.is_array(a) else a._data
        return D.where(av > 0, grad, grad * (out + ctx.alpha))


class Gelu(Op):
    """a * Phi(a), exact (erf) or with the tanh approximation."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, a, approximate="none"):
        ctx.save(a)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (a + 0.044715 * a**3)
            return (0.5 * a * (1 + xp.tanh(inner))).astype(a.dtype, copy=False)
        return (0.5 * a * (1 + _erf(a / math.sqrt(2)))).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        if ctx.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            inner = k * (a + 0.044715 * a**3)
            t = xp.tanh(inner)
            local = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a)
        else:
            cdf = 0.5 * (1 + _erf(a / math.sqrt(2)))
            pdf = xp.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
            local = cdf + a * pdf
        return grad * local.astype(a.dtype, copy=False)


def _erf(x):
    """erf without SciPy: vectorised math.erf (exact to double precision)."""
    return xp.vectorize(math.erf, otypes=[xp.float64])(x)


class Softplus(Op):
    """log(1 + e ** (beta * a)) / beta, linear above the threshold."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, a, beta=1.0, threshold=20.0):
        ctx.save(a)
        ctx.params = (beta, threshold)
        z = a * beta
        out = xp.where(z > threshold, a, xp.logaddexp(0, z) / beta)
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        beta, threshold = ctx.params
        av = a if D.is_array(a) else a._data
        z = av * beta
        sig = (1 / (1 + xp.exp(-z))).astype(av.dtype)
        local = xp.where(z > threshold, 1, sig).astype(av.dtype)
        return grad * (local if D.is_array(grad) else _const(local))


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

    differentiable_backward = False

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        from glassgrad.ops.elementwise import _sigmoid

        return a * _sigmoid(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        from glassgrad.ops.elementwise import _sigmoid

        av = a if D.is_array(a) else a._data
        s = _sigmoid(av)
        local = s * (1 + av * (1 - s))
        return grad * (local if D.is_array(grad) else _const(local))


def _const(array):
    from glassgrad.tensor import _new_tensor

    return _new_tensor(array)
