"""Every op against real PyTorch: forward values, dtype, grad_fn name and gradients.

Each case is a function ``fn(m, *inputs)`` run once with ``m = torch`` and once with
``m = glassgrad`` on the same random inputs. Float inputs require grad; the gradient of a
random weighted sum of every float output is compared too.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg

FLOAT_DTYPES = {"float32": 1e-5, "float64": 1e-6}


# ----------------------------------------------------------------------------- input specs
class F:
    """A float input of the dtype under test, uniform in [lo, hi), optionally away from 0."""

    def __init__(self, *shape, lo=-2.0, hi=2.0, away=0.0, dtype=None, grad=True):
        self.shape, self.lo, self.hi, self.away = shape, lo, hi, away
        self.dtype, self.grad = dtype, grad

    def make(self, rng, fdt):
        x = rng.uniform(self.lo, self.hi, self.shape)
        if self.away:
            x = np.where(np.abs(x) < self.away, np.sign(x + 1e-12) * self.away, x)
        return np.asarray(x, dtype=self.dtype or fdt), self.grad


def P(*shape, **kw):
    """A positive float input."""
    return F(*shape, lo=0.5, hi=2.0, **kw)


class Int:
    """An int64 input in [lo, hi)."""

    def __init__(self, *shape, lo=-3, hi=4, dtype="int64"):
        self.shape, self.lo, self.hi, self.dtype = shape, lo, hi, dtype

    def make(self, rng, fdt):
        return np.asarray(rng.integers(self.lo, self.hi, self.shape), dtype=self.dtype), False


class B:
    """A bool input."""

    def __init__(self, *shape):
        self.shape = shape

    def make(self, rng, fdt):
        return np.asarray(rng.random(self.shape) < 0.5), False


class Const:
    """A fixed array (e.g. an index tensor)."""

    def __init__(self, value, dtype="int64"):
        self.value = np.asarray(value, dtype=dtype)

    def make(self, rng, fdt):
        return self.value.copy(), False


CASES: list = []
#: cases whose float32 values and gradients must equal PyTorch's bit for bit
EXACT: list = []
_exact_section = False


def case(name, fn, *specs, grad_fn=True, exact=False):
    """Register ``fn`` on inputs ``specs``; ``grad_fn=False`` skips the name comparison."""
    CASES.append(pytest.param(fn, specs, grad_fn, id=name))
    if exact or _exact_section:
        EXACT.append(CASES[-1])


# Same float operations as PyTorch (no transcendental functions, no reordered sums).
EXACT_UNARY = {
    "radd",
    "add_scalar",
    "rsub",
    "sub_scalar",
    "rmul",
    "rdiv",
    "div_scalar",
    "pow2",
    "pow3",
    "pow_fn",
    "neg",
    "square",
    "abs",
    "relu",
    "sign",
    "floor",
    "ceil",
    "round",
    "trunc",
    "clamp",
    "clamp_min",
    "clamp_max",
    "clip",
    "reciprocal",
    "rsqrt",
}


# ----------------------------------------------------------------------------- elementwise
SHAPE_PAIRS = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((4, 1), (1, 5)),
    ((2, 1, 3), (4, 1)),
    ((3,), ()),
]
for sa, sb in SHAPE_PAIRS:
    tag = f"{sa}-{sb}"
    case(f"add{tag}", lambda m, a, b: a + b, F(*sa), F(*sb))
    case(f"add_fn_alpha{tag}", lambda m, a, b: m.add(a, b, alpha=2), F(*sa), F(*sb))
    case(f"sub{tag}", lambda m, a, b: a - b, F(*sa), F(*sb))
    case(f"sub_alpha{tag}", lambda m, a, b: m.sub(a, b, alpha=0.5), F(*sa), F(*sb))
    case(f"mul{tag}", lambda m, a, b: a * b, F(*sa), F(*sb))
    case(f"div{tag}", lambda m, a, b: a / b, F(*sa), F(*sb, away=0.5))
    case(f"pow_tt{tag}", lambda m, a, b: a**b, P(*sa), F(*sb))
    case(f"maximum{tag}", lambda m, a, b: m.maximum(a, b), F(*sa), F(*sb))
    case(f"minimum{tag}", lambda m, a, b: m.minimum(a, b), F(*sa), F(*sb))
    case(f"where{tag}", lambda m, a, b: m.where(a > 0, a, b), F(*sa), F(*sb))
    case(f"atan2{tag}", lambda m, a, b: m.atan2(a, b), F(*sa), F(*sb, away=0.3))
    case(f"clamp_tensor{tag}", lambda m, a, b: m.clamp(a, min=b), F(*sa), F(*sb))
    case(f"matmul_bcast_mul{tag}", lambda m, a, b: (a * 2) * (b + 1), F(*sa), F(*sb))

for shape in [(), (5,), (2, 3)]:
    s = str(shape)
    case(f"radd{s}", lambda m, a: 2 + a, F(*shape))
    case(f"add_scalar{s}", lambda m, a: a + 2.5, F(*shape))
    case(f"rsub{s}", lambda m, a: 2 - a, F(*shape))
    case(f"sub_scalar{s}", lambda m, a: a - 1, F(*shape))
    case(f"rmul{s}", lambda m, a: 3 * a, F(*shape))
    case(f"rdiv{s}", lambda m, a: 3 / a, F(*shape, away=0.5))
    case(f"div_scalar{s}", lambda m, a: a / 3, F(*shape))
    case(f"pow2{s}", lambda m, a: a**2, F(*shape))
    case(f"pow3{s}", lambda m, a: a**3, F(*shape))
    case(f"pow_half{s}", lambda m, a: a**0.5, P(*shape))
    case(f"pow_neg{s}", lambda m, a: a**-1.5, P(*shape))
    case(f"pow_int_neg{s}", lambda m, a: a**-2, F(*shape, away=0.5))
    case(f"pow0{s}", lambda m, a: a**0, F(*shape))
    case(f"pow1{s}", lambda m, a: a**1, F(*shape))
    case(f"rpow{s}", lambda m, a: 2**a, F(*shape))
    case(f"rpow_float{s}", lambda m, a: 2.5**a, F(*shape))
    case(f"pow_fn{s}", lambda m, a: m.pow(a, 3), F(*shape))
    case(f"neg{s}", lambda m, a: -a, F(*shape))
    case(f"square{s}", lambda m, a: m.square(a), F(*shape))
    case(f"lerp{s}", lambda m, a: m.lerp(a, a * 2 + 1, 0.3), F(*shape))
    for name in [
        "abs",
        "exp",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "relu",
        "sign",
        "expm1",
        "floor",
        "ceil",
        "round",
        "trunc",
        "atan",
        "sinh",
        "cosh",
        "erf",
        "sgn",
    ]:
        case(f"{name}{s}", lambda m, a, name=name: getattr(m, name)(a), F(*shape, away=0.05))
    for name in ["log", "log2", "log10", "sqrt", "rsqrt"]:
        case(f"{name}{s}", lambda m, a, name=name: getattr(a, name)(), P(*shape))
    case(f"log1p{s}", lambda m, a: m.log1p(a), F(*shape, lo=-0.5))
    case(f"reciprocal{s}", lambda m, a: a.reciprocal(), F(*shape, away=0.5))
    case(f"tan{s}", lambda m, a: m.tan(a), F(*shape, lo=-1.2, hi=1.2))
    case(f"asin{s}", lambda m, a: m.asin(a), F(*shape, lo=-0.9, hi=0.9))
    case(f"acos{s}", lambda m, a: m.acos(a), F(*shape, lo=-0.9, hi=0.9))
    case(f"clamp{s}", lambda m, a: m.clamp(a, -0.5, 0.7), F(*shape))
    case(f"clamp_min{s}", lambda m, a: a.clamp(min=0.1), F(*shape))
    case(f"clamp_max{s}", lambda m, a: a.clamp_max(0.2), F(*shape))
    case(f"clip{s}", lambda m, a: m.clip(a, max=0.3), F(*shape))
    case(
        f"clamp_both_tensor{s}",
        lambda m, a, lo, hi: m.clamp(a, lo, lo + hi),
        F(*shape),
        F(*shape),
        P(*shape),
    )
    case(f"xlogy{s}", lambda m, a, b: m.xlogy(a, b), F(*shape), P(*shape))

# activations (nn.functional)
for shape in [(), (2, 3)]:
    s = str(shape)
    case(f"leaky_relu{s}", lambda m, a: m.nn.functional.leaky_relu(a, 0.2), F(*shape, away=0.05))
    case(f"elu{s}", lambda m, a: m.nn.functional.elu(a, alpha=0.7), F(*shape, away=0.05))
    case(f"gelu{s}", lambda m, a: m.nn.functional.gelu(a), F(*shape))
    case(f"gelu_tanh{s}", lambda m, a: m.nn.functional.gelu(a, approximate="tanh"), F(*shape))
    case(
        f"softplus{s}", lambda m, a: m.nn.functional.softplus(a * 8, beta=2, threshold=5), F(*shape)
    )
    case(f"silu{s}", lambda m, a: m.nn.functional.silu(a), F(*shape))
    case(f"hardtanh{s}", lambda m, a: m.nn.functional.hardtanh(a, -0.5, 0.5), F(*shape, away=0.05))

# dtype promotion: ints/bools mixed with floats and Python numbers
case("int_tensor_times_float", lambda m, a: a * 2.5, Int(3))
case("int_tensor_div_int", lambda m, a, b: a / b, Int(3), Int(3, lo=1, hi=5))
case("int_tensor_plus_int", lambda m, a: a + 2, Int(2, 3))
case("int_tensor_pow_float", lambda m, a: a**0.5, Int(3, lo=0, hi=5))
case("float_times_int_tensor", lambda m, w, a: w * a, F(3), Int(3))
case("int_tensor_minus_float_tensor", lambda m, a, w: a - w, Int(2, 3), F(3))
case("bool_times_float", lambda m, b, w: b * w, B(4), F(4))
case("float_plus_0d_double", lambda m, w, z: w + z, F(3), F(dtype="float64"))
case("float_times_0d_int", lambda m, w, z: w * z, F(3), Int())
case("int_exp", lambda m, a: m.exp(a), Int(4))
case("int_sqrt", lambda m, a: a.sqrt(), Int(4, lo=0, hi=9))
case("int_sigmoid", lambda m, a: a.sigmoid(), Int(4))
case("int_abs", lambda m, a: a.abs(), Int(4))
case("int_neg", lambda m, a: -a, Int(4))
case("rdiv_int", lambda m, a: 2 / a, Int(4, lo=1, hi=5))
case("float32_times_float64", lambda m, a, b: a * b, F(3, dtype="float32"), F(3, dtype="float64"))
case("int_clamp", lambda m, a: a.clamp(0, 2), Int(5))
case("int_maximum_float", lambda m, a, w: m.maximum(a, w), Int(4), F(4))
case("where_int_float", lambda m, c, a, w: m.where(c, a, w), B(4), Int(4), F(4))
case("where_scalar", lambda m, w: m.where(w > 0, w, 0.0), F(2, 3))
case("floor_divide", lambda m, a, b: a // b, Int(5), Int(5, lo=1, hi=4))
case("remainder", lambda m, a: a % 3, F(5, lo=0.1, hi=5))
case("compare", lambda m, a, b: (a > b, a <= b, a == a, a != b), F(4), F(4))

# ----------------------------------------------------------------------------- reductions
RED_SHAPES = [(), (5,), (3, 4), (2, 3, 4)]
for shape in RED_SHAPES:
    s = str(shape)
    nd = len(shape)
    case(f"sum{s}", lambda m, a: a.sum(), F(*shape))
    case(f"mean{s}", lambda m, a: a.mean(), F(*shape))
    case(f"prod{s}", lambda m, a: a.prod(), F(*shape, away=0.3))
    case(f"max{s}", lambda m, a: a.max(), F(*shape))
    case(f"min{s}", lambda m, a: m.min(a), F(*shape))
    case(f"amax_all{s}", lambda m, a: a.amax(), F(*shape))
    case(f"argmax{s}", lambda m, a: a.argmax(), F(*shape))
    case(f"argmin{s}", lambda m, a: m.argmin(a), F(*shape))
    case(f"norm{s}", lambda m, a: a.norm(), F(*shape))
    case(f"norm_p1{s}", lambda m, a: a.norm(p=1), F(*shape, away=0.05))
    case(f"norm_p3{s}", lambda m, a: a.norm(p=3), F(*shape, away=0.05))
    case(f"norm_inf{s}", lambda m, a: a.norm(p=float("inf")), F(*shape))
    case(f"logsumexp_all{s}", lambda m, a: m.logsumexp(a, dim=tuple(range(a.dim()))), F(*shape))
    if nd >= 1:
        case(f"var{s}", lambda m, a: a.var(), F(*shape))
        case(f"std{s}", lambda m, a: a.std(), F(*shape))
        case(f"var_biased{s}", lambda m, a: a.var(unbiased=False), F(*shape))
        case(f"std_correction0{s}", lambda m, a: m.std(a, correction=0), F(*shape))
    for dim in sorted({0, -1, nd - 1} if nd else {0, -1}):
        for keep in (False, True):
            t = f"{s}-d{dim}-k{int(keep)}"
            case(f"sum_dim{t}", lambda m, a, d=dim, k=keep: a.sum(d, keepdim=k), F(*shape))
            case(f"mean_dim{t}", lambda m, a, d=dim, k=keep: a.mean(dim=d, keepdim=k), F(*shape))
            case(f"prod_dim{t}", lambda m, a, d=dim, k=keep: a.prod(d, keepdim=k), F(*shape))
            case(f"max_dim{t}", lambda m, a, d=dim, k=keep: a.max(d, keepdim=k), F(*shape))
            case(f"min_dim{t}", lambda m, a, d=dim, k=keep: m.min(a, dim=d, keepdim=k), F(*shape))
            case(f"amax{t}", lambda m, a, d=dim, k=keep: a.amax(d, keepdim=k), F(*shape))
            case(f"amin{t}", lambda m, a, d=dim, k=keep: m.amin(a, d, keepdim=k), F(*shape))
            case(f"argmax{t}", lambda m, a, d=dim, k=keep: a.argmax(d, keepdim=k), F(*shape))
            case(f"argmin{t}", lambda m, a, d=dim, k=keep: a.argmin(dim=d, keepdim=k), F(*shape))
            case(f"norm_dim{t}", lambda m, a, d=dim, k=keep: a.norm(dim=d, keepdim=k), F(*shape))
            case(f"norm1_dim{t}", lambda m, a, d=dim, k=keep: a.norm(1, d, k), F(*shape, away=0.1))
            case(f"lse{t}", lambda m, a, d=dim, k=keep: a.logsumexp(d, keepdim=k), F(*shape))
            if nd >= 1:
                case(f"var_dim{t}", lambda m, a, d=dim, k=keep: a.var(d, keepdim=k), F(*shape))
                case(f"std_dim{t}", lambda m, a, d=dim, k=keep: a.std(d, keepdim=k), F(*shape))
        case(f"softmax{s}-d{dim}", lambda m, a, d=dim: a.softmax(d), F(*shape))
        case(f"log_softmax{s}-d{dim}", lambda m, a, d=dim: m.log_softmax(a, dim=d), F(*shape))
        case(f"cumsum{s}-d{dim}", lambda m, a, d=dim: a.cumsum(d), F(*shape))
        case(f"cumprod{s}-d{dim}", lambda m, a, d=dim: a.cumprod(d), F(*shape, away=0.2))
    if nd >= 2:
        case(f"sum_dims{s}", lambda m, a: a.sum((0, -1)), F(*shape))
        case(f"mean_dims_keep{s}", lambda m, a: a.mean((0, 1), keepdim=True), F(*shape))
        case(f"amax_dims{s}", lambda m, a: a.amax((0, -1)), F(*shape))
        case(f"var_dims{s}", lambda m, a: a.var((0, 1)), F(*shape))
        case(f"std_dims{s}", lambda m, a: a.std(dim=(0, 1), correction=0), F(*shape))
        case(f"norm_dims{s}", lambda m, a: a.norm(dim=(0, 1)), F(*shape))
        case(f"lse_dims{s}", lambda m, a: m.logsumexp(a, (0, 1)), F(*shape))
case("sum_int", lambda m, a: a.sum(), Int(3, 4))
case("sum_bool", lambda m, a: a.sum(0), B(3, 4))
case("cumsum_int", lambda m, a: a.cumsum(0), Int(5))
case("sum_dtype", lambda m, a: a.sum(dtype=m.float64), F(3, 2))
case("mean_dtype", lambda m, a: a.mean(dtype=m.float64), Int(3, 2))
case("prod_with_zero", lambda m, a: (a * m.tensor([1.0, 0.0, 2.0], dtype=a.dtype)).prod(), F(3))
case(
    "prod_dim_two_zeros",
    lambda m, a: (a * m.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 2.0]], dtype=a.dtype)).prod(1),
    F(2, 3),
)
case("max_ties", lambda m, a: (a * 0 + m.tensor([1.0, 3.0, 3.0], dtype=a.dtype)).max(), F(3))
case("max_dim_ties", lambda m, a: (a * 0 + 1).max(0), F(3, 2))
case("amax_ties", lambda m, a: (a * 0 + 1).amax(1), F(3, 2))
case("norm_zero", lambda m, a: (a * 0).norm(), F(3))
case("all_any", lambda m, a: ((a > 0).all(), (a > 0).any(1), (a > 0).all(dim=0)), F(3, 4))
# PyTorch records these as one two-output node; glassgrad as two nodes.
case("std_mean", lambda m, a: m.std_mean(a, dim=1), F(3, 4), grad_fn=False)
case("var_mean", lambda m, a: m.var_mean(a, 0), F(3, 4), grad_fn=False)

# ----------------------------------------------------------------------------- movement
_exact_section = True
case("view", lambda m, a: a.view(3, 4), F(2, 6))
case("view_infer", lambda m, a: a.view(-1, 2), F(2, 6))
case("view_0d", lambda m, a: a.view(1, 1), F())
case("reshape", lambda m, a: a.reshape(4, 3), F(2, 6))
case("reshape_noncontig", lambda m, a: a.t().reshape(-1), F(3, 4))
case("flatten", lambda m, a: a.flatten(), F(2, 3, 4))
case("flatten_1", lambda m, a: m.flatten(a, 1), F(2, 3, 4))
case("flatten_0d", lambda m, a: a.flatten(), F())
case("squeeze", lambda m, a: a.squeeze(), F(1, 3, 1))
case("squeeze_dim", lambda m, a: a.squeeze(0), F(1, 3, 1))
case("squeeze_dim_noop", lambda m, a: a.squeeze(1), F(1, 3, 1))
case("squeeze_dims", lambda m, a: a.squeeze((0, 2)), F(1, 3, 1))
case("unsqueeze", lambda m, a: a.unsqueeze(1), F(2, 3))
case("unsqueeze_neg", lambda m, a: a.unsqueeze(-1), F(2, 3))
case("unsqueeze_0d", lambda m, a: a.unsqueeze(0), F())
case("transpose", lambda m, a: a.transpose(0, 2), F(2, 3, 4))
case("t", lambda m, a: a.t(), F(2, 3))
case("permute", lambda m, a: a.permute(2, 0, 1), F(2, 3, 4))
case("T", lambda m, a: a.T, F(2, 3))
case("mT", lambda m, a: a.mT, F(2, 3, 4))
case("expand", lambda m, a: a.expand(2, 3, 4), F(3, 1))
case("expand_neg1", lambda m, a: a.expand(4, -1), F(3))
case("expand_as", lambda m, a, b: a.expand_as(b), F(1, 3), F(2, 3))
case("cat0", lambda m, a, b: m.cat([a, b]), F(2, 3), F(4, 3))
case("cat1", lambda m, a, b: m.cat((a, b), dim=1), F(2, 3), F(2, 1))
case("cat_neg", lambda m, a, b, c: m.cat([a, b, c], -1), F(2, 3), F(2, 2), F(2, 1))
case("cat_mixed_dtype", lambda m, a, b: m.cat([a, b]), F(2), Int(3))
case("cat_mixed_float", lambda m, a, b: m.cat([a, b]), F(2, dtype="float32"), F(2, dtype="float64"))
case("stack", lambda m, a, b: m.stack([a, b]), F(2, 3), F(2, 3))
case("stack_last", lambda m, a, b: m.stack([a, b], dim=-1), F(2, 3), F(2, 3))
case("stack_0d", lambda m, a, b: m.stack([a, b]), F(), F())
case("split", lambda m, a: a.split(2), F(5, 3))
case("split_sizes", lambda m, a: a.split([1, 2], dim=1), F(2, 3))
case("chunk", lambda m, a: a.chunk(3, 1), F(2, 7))
case("chunk_uneven", lambda m, a: m.chunk(a, 4), F(6))
case("unbind", lambda m, a: a.unbind(1), F(2, 3))
case("narrow", lambda m, a: a.narrow(1, 1, 2), F(2, 4))
case("flip", lambda m, a: a.flip(0), F(3, 2))
case("flip_dims", lambda m, a: m.flip(a, (0, 1)), F(3, 2))
_exact_section = False
case("repeat", lambda m, a: a.repeat(2, 3), F(2, 3))  # grad sums in another order
_exact_section = True
case("repeat_more_dims", lambda m, a: a.repeat(2, 1, 2), F(3))
case("repeat_interleave", lambda m, a: a.repeat_interleave(2), F(2, 3))
case("repeat_interleave_dim", lambda m, a: m.repeat_interleave(a, 3, dim=1), F(2, 3))
case(
    "repeat_interleave_tensor",
    lambda m, a, r: a.repeat_interleave(r, dim=0),
    F(3, 2),
    Const([1, 0, 2]),
)
case("gather", lambda m, a, i: a.gather(1, i), F(3, 4), Const([[0, 1], [3, 3], [2, 0]]))
case("gather0", lambda m, a, i: m.gather(a, 0, i), F(3, 2), Const([[0, 1], [2, 2], [0, 0]]))
case("index_select", lambda m, a, i: a.index_select(0, i), F(4, 3), Const([2, 0, 2]))
case("index_select1", lambda m, a, i: m.index_select(a, 1, i), F(2, 3), Const([1]))
case("masked_fill", lambda m, a, k: a.masked_fill(k, 0.5), F(3, 4), B(3, 4))
case("masked_fill_bcast", lambda m, a, k: a.masked_fill(k, -1.0), F(3, 4), B(4))
case("masked_select", lambda m, a, k: a.masked_select(k), F(3, 4), B(3, 4))
case("tril", lambda m, a: a.tril(), F(3, 4))
case("tril_k", lambda m, a: m.tril(a, -1), F(2, 3, 3))
case("triu", lambda m, a: a.triu(1), F(4, 3))
case("roll", lambda m, a: a.roll(1), F(2, 3))
case("roll_dim", lambda m, a: a.roll(-1, 1), F(2, 3))
case("roll_dims", lambda m, a: m.roll(a, (1, 2), (0, 1)), F(2, 3))
case("clone", lambda m, a: a.clone(), F(2, 3))
case("to_double", lambda m, a: a.to(m.float64) * 2, F(2, dtype="float32"))
case(
    "scatter",
    lambda m, a, i, s: a.scatter(1, i, s),
    F(3, 4),
    Const([[0, 1], [3, 2], [2, 0]]),
    F(3, 2),
)
case(
    "scatter_add",
    lambda m, a, i, s: a.scatter_add(0, i, s),
    F(3, 2),
    Const([[0, 1], [0, 0], [2, 1]]),
    F(3, 2),
)
case("scatter_value", lambda m, a, i: m.scatter(a, 1, i, 2.0), F(2, 3), Const([[0], [2]]))
case("index_add", lambda m, a, i, s: a.index_add(0, i, s), F(4, 2), Const([0, 3, 0]), F(3, 2))
case(
    "index_add_alpha",
    lambda m, a, i, s: m.index_add(a, 1, i, s, alpha=2.0),
    F(2, 3),
    Const([2, 2]),
    F(2, 2),
)
case("diag_vec", lambda m, a: m.diag(a), F(3))
case("diag_vec_k", lambda m, a: a.diag(1), F(3))
case("diag_mat", lambda m, a: m.diag(a), F(3, 4))
case("diag_mat_k", lambda m, a: a.diag(-1), F(3, 4))
case("trace", lambda m, a: m.trace(a), F(3, 4))
case("sort", lambda m, a: a.sort(), F(3, 4))
case("sort_desc", lambda m, a: m.sort(a, dim=0, descending=True), F(3, 4))
case("sort_1d", lambda m, a: a.sort(descending=True), F(6))
case("argsort", lambda m, a: a.argsort(dim=0), F(5, 2))
case("topk", lambda m, a: a.topk(2), F(3, 4))
case("topk_smallest", lambda m, a: m.topk(a, 2, dim=0, largest=False), F(3, 4))
case("topk_1d", lambda m, a: a.topk(3), F(6))

# ----------------------------------------------------------------------------- indexing
case("idx_int", lambda m, a: a[1], F(3, 4))
case("idx_neg_int", lambda m, a: a[-1, 2], F(3, 4))
case("idx_slice", lambda m, a: a[1:], F(3, 4))
case("idx_slice_step", lambda m, a: a[::2, 1:3], F(5, 4))
case("idx_none", lambda m, a: a[None], F(3))
case("idx_none_mid", lambda m, a: a[:, None], F(2, 3))
case("idx_ellipsis", lambda m, a: a[..., 0], F(2, 3, 4))
case("idx_ellipsis_none", lambda m, a: a[..., None], F(2, 3))
case("idx_bool_mask", lambda m, a: a[a > 0], F(3, 4))
case("idx_bool_rows", lambda m, a, k: a[k], F(4, 3), Const([True, False, True, True], "bool"))
case("idx_int_array", lambda m, a, i: a[i], F(4, 3), Const([0, 2, 2, 3]))
case("idx_int_array_dup", lambda m, a, i: a[i], F(4), Const([1, 1, 1, 3]))
case("idx_two_arrays", lambda m, a, i, j: a[i, j], F(3, 4), Const([0, 2, 2]), Const([1, 3, 1]))
case("idx_array_slice", lambda m, a, i: a[:, i], F(3, 4), Const([3, 0]))
case("idx_array_2d", lambda m, a, i: a[i], F(5, 2), Const([[0, 1], [4, 4]]))
case("idx_list", lambda m, a: a[[0, 2]], F(3, 2))
case("idx_0d_tensor", lambda m, a, i: a[i], F(4, 2), Const(2))
case("idx_mixed", lambda m, a, i: a[1:, i, None], F(3, 4, 2), Const([1, 0]))


def _assigned(index, value_fn=None):
    """``y = a * 1; y[index] = value`` (a tensor built from b, or a number)."""

    def fn(m, a, b=None):
        y = a * 1
        y[index] = value_fn(b) if value_fn else 0.5
        return y

    return fn


case("set_int", _assigned(0, lambda b: b), F(3, 4), F(4))
case("set_slice", _assigned((slice(None), slice(1, None)), lambda b: b * 2), F(3, 4), F(3, 3))
case("set_number", _assigned((Ellipsis, 1)), F(2, 3))
case("set_bcast", _assigned(slice(0, 2), lambda b: b), F(3, 4), F(1, 4))
case("set_int_array", _assigned(([0, 2],), lambda b: b), F(3, 2), F(2, 2))
case("set_mask", lambda m, a: _assigned(a > 0)(m, a), F(3, 4))
case("set_none", _assigned((None, 1), lambda b: b), F(2, 3), F(3))

# ----------------------------------------------------------------------------- linear algebra
_exact_section = False
case("matmul_1d_1d", lambda m, a, b: a @ b, F(4), F(4))
case("matmul_2d_2d", lambda m, a, b: a @ b, F(2, 3), F(3, 4))
case("matmul_2d_1d", lambda m, a, b: m.matmul(a, b), F(2, 3), F(3))
case("matmul_1d_2d", lambda m, a, b: a.matmul(b), F(3), F(3, 2))
case("matmul_3d_3d", lambda m, a, b: a @ b, F(2, 3, 4), F(2, 4, 5))
case("matmul_3d_2d", lambda m, a, b: a @ b, F(2, 3, 4), F(4, 5))
case("matmul_2d_3d", lambda m, a, b: a @ b, F(3, 4), F(2, 4, 5))
case("matmul_bcast", lambda m, a, b: a @ b, F(2, 1, 3, 4), F(5, 4, 2))
case("matmul_3d_1d", lambda m, a, b: a @ b, F(2, 3, 4), F(4))
case("matmul_1d_3d", lambda m, a, b: a @ b, F(3), F(2, 3, 4))
case("mm", lambda m, a, b: m.mm(a, b), F(2, 3), F(3, 4))
case("mv", lambda m, a, b: a.mv(b), F(2, 3), F(3))
case("bmm", lambda m, a, b: m.bmm(a, b), F(2, 3, 4), F(2, 4, 2))
case("dot", lambda m, a, b: m.dot(a, b), F(5), F(5))
case("outer", lambda m, a, b: m.outer(a, b), F(3), F(4))
case("addmm", lambda m, c, a, b: m.addmm(c, a, b), F(2, 4), F(2, 3), F(3, 4))
case("addmm_bias_row", lambda m, c, a, b: m.addmm(c, a, b), F(4), F(2, 3), F(3, 4))
case(
    "addmm_scaled", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0), F(4), F(2, 3), F(3, 4)
)
# PyTorch's einsum is a composite whose last node varies (View, Sum, Mul, Permute).
case("einsum_ij_jk", lambda m, a, b: m.einsum("ij,jk->ik", a, b), F(2, 3), F(3, 4), grad_fn=False)
case(
    "einsum_batch",
    lambda m, a, b: m.einsum("bij,bjk->bik", a, b),
    F(2, 2, 3),
    F(2, 3, 4),
    grad_fn=False,
)
case("einsum_outer", lambda m, a, b: m.einsum("i,j->ij", a, b), F(3), F(4), grad_fn=False)
case("einsum_dot", lambda m, a, b: m.einsum("i,i->", a, b), F(3), F(3), grad_fn=False)
case("einsum_trace", lambda m, a: m.einsum("ii", a), F(3, 3), grad_fn=False)
case(
    "einsum_sum_implicit", lambda m, a, b: m.einsum("ij,jk", a, b), F(2, 3), F(3, 2), grad_fn=False
)
case("einsum_transpose", lambda m, a: m.einsum("ij->ji", a), F(2, 3), grad_fn=False)
case("einsum_list", lambda m, a, b: m.einsum("ij,ij->i", [a, b]), F(2, 3), F(2, 3), grad_fn=False)
case(
    "einsum_ellipsis",
    lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
    F(2, 2, 3),
    F(3, 4),
    grad_fn=False,
)
case("einsum_rowsum", lambda m, a: m.einsum("ij->i", a), F(2, 3), grad_fn=False)
case("einsum_diag_mul", lambda m, a, b: m.einsum("ii,ij->j", a, b), F(3, 3), F(3, 2), grad_fn=False)
case(
    "einsum_bcast",
    lambda m, a, b: m.einsum("...j,...j->...", a, b),
    F(2, 1, 3),
    F(4, 3),
    grad_fn=False,
)
case("linalg_vector_norm", lambda m, a: m.linalg.vector_norm(a), F(3, 4))
case(
    "linalg_vector_norm_ord",
    lambda m, a: m.linalg.vector_norm(a, ord=3, dim=1, keepdim=True),
    F(3, 4, away=0.1),
)
case("linalg_vector_norm_inf", lambda m, a: m.linalg.vector_norm(a, float("inf"), dim=0), F(3, 4))
case("linalg_vector_norm_neg_inf", lambda m, a: m.linalg.vector_norm(a, float("-inf")), F(3, 4))
case("linalg_matrix_norm", lambda m, a: m.linalg.matrix_norm(a), F(2, 3, 4))
case("linalg_matrix_norm_l1", lambda m, a: m.linalg.matrix_norm(a, ord=1), F(3, 4, away=0.1))
case("linalg_norm_vec", lambda m, a: m.linalg.norm(a), F(5))
case("linalg_norm_mat", lambda m, a: m.linalg.norm(a), F(3, 4))
case("linalg_norm_ord_dim", lambda m, a: m.linalg.norm(a, 1, dim=1), F(3, 4, away=0.1))
case("linalg_norm_fro", lambda m, a: m.linalg.norm(a, "fro"), F(3, 4))
case("linalg_inv", lambda m, a: m.linalg.inv(a + 3 * m.eye(3, dtype=a.dtype)), F(3, 3))
case("linalg_inv_batch", lambda m, a: m.inverse(a + 3 * m.eye(2, dtype=a.dtype)), F(2, 2, 2))
case("linalg_det", lambda m, a: m.linalg.det(a), F(3, 3))
case("det_batch", lambda m, a: m.det(a), F(2, 3, 3))

# ----------------------------------------------------------------------------- edge cases
case("sum_empty", lambda m, a: a.sum(), F(0, 3))
case("sum_empty_dim", lambda m, a: a.sum(0), F(0, 3))
case("mean_empty_dim1", lambda m, a: a.mean(1), F(0, 3))
case("prod_empty", lambda m, a: a.prod(), F(0, 3))
case("cumsum_empty", lambda m, a: a.cumsum(0), F(0, 3))
case("softmax_empty", lambda m, a: a.softmax(0), F(0, 3))
case("logsumexp_empty", lambda m, a: a.logsumexp(1), F(0, 3))
case("amax_empty", lambda m, a: a.amax(1), F(0, 3))
case("max_dim_empty", lambda m, a: a.max(1), F(0, 3))
case("norm_empty", lambda m, a: a.norm(), F(0, 3))
case("matmul_empty", lambda m, a, b: a @ b, F(2, 0), F(0, 3))
case("cat_empty", lambda m, a, b: m.cat([a, b]), F(0, 3), F(2, 3))
case("index_empty", lambda m, a: a[a > 10], F(2, 3))
case("split_empty", lambda m, a: a.split(2), F(0, 3))
case("sort_empty", lambda m, a: a.sort(), F(2, 0))
case("topk_zero", lambda m, a: a.topk(0), F(2, 3))
case("einsum_empty", lambda m, a, b: m.einsum("ij,jk->ik", a, b), F(2, 0), F(0, 3), grad_fn=False)
case("var_one", lambda m, a: a.var(), F(1))
case("std_one_dim", lambda m, a: a.std(0), F(1, 3))
case("std_0d", lambda m, a: a.std(), F())
case("var_correction2", lambda m, a: a.var(correction=2), F(5))
case("flip_0d", lambda m, a: a.flip(0), F())
case("t_1d", lambda m, a: a.t(), F(3))
case("squeeze_0d", lambda m, a: a.squeeze(0), F())
case("expand_0d", lambda m, a: a.expand(2, 3), F())
case("repeat_0d", lambda m, a: a.repeat(2), F())
case("index_0d_none", lambda m, a: a[None], F())
case("index_0d_ellipsis", lambda m, a: a[...], F())
case("diag_far_offset", lambda m, a: m.diag(a, 5), F(3, 3))
case("trace_rect", lambda m, a: a.trace(), F(2, 4))
case("clamp_lo_gt_hi", lambda m, a: a.clamp(0.5, -0.5), F(5))
case("clamp_tensor_lo_gt_hi", lambda m, a, lo: a.clamp(lo, lo - 1), F(5), F(5))
case("where_0d_cond", lambda m, a, b: m.where(a > 0, a, b), F(), F(3))
case("pow_zero_zero", lambda m, a: (a * 0) ** 0, F(3))
case("pow_zero_base_tensor", lambda m, a, b: (a * 0) ** b, F(3), P(3))
case("rpow_zero_base", lambda m, a: 0**a, P(3))
case("norm_0d_dim", lambda m, a: a.norm(dim=0), F())
case("masked_fill_0d", lambda m, a: a.masked_fill(a > 0, 1.0), F())
case("roll_big_negative", lambda m, a: a.roll(-7, 0), F(3, 2))
case("gather_0d", lambda m, a: a.gather(0, m.tensor(0)), F())


# ----------------------------------------------------------------------------- the comparison
def _leaves(specs, fdt, seed):
    rng = np.random.default_rng(seed)
    arrays = [spec.make(rng, fdt) for spec in specs]
    ours = [gg.tensor(a, requires_grad=g) for a, g in arrays]
    theirs = [torch.tensor(a, requires_grad=g) for a, g in arrays]
    return ours, theirs, rng


def _flat(out) -> list:
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    return [out]


def _check_tensor(mine, ref, tol, what):
    if not isinstance(ref, torch.Tensor):
        assert not isinstance(mine, gg.Tensor), f"{what}: got a tensor, PyTorch a {type(ref)}"
        assert mine == ref, f"{what}: {mine} != {ref}"
        return
    assert isinstance(mine, gg.Tensor), f"{what}: expected a Tensor, got {type(mine).__name__}"
    assert str(mine.dtype) == str(ref.dtype), f"{what}: dtype {mine.dtype} != {ref.dtype}"
    assert tuple(mine.shape) == tuple(ref.shape), f"{what}: shape {mine.shape} != {ref.shape}"
    expected = ref.detach().numpy(force=True)  # force: PyTorch's lazy zero gradients
    got = mine.detach().numpy()
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=what)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=what)


def _run(fn, specs, fdt, tol, check_name):
    ours, theirs, rng = _leaves(specs, fdt, seed=len(specs) * 7919 + len(fdt))
    ref_out = _flat(fn(torch, *theirs))
    my_out = _flat(fn(gg, *ours))
    assert len(my_out) == len(ref_out), f"{len(my_out)} outputs, PyTorch gives {len(ref_out)}"
    loss_parts = []
    for i, (mine, ref) in enumerate(zip(my_out, ref_out)):
        _check_tensor(mine, ref, tol, f"output {i}")
        if isinstance(ref, torch.Tensor) and ref.requires_grad:
            assert mine.requires_grad, f"output {i} should require grad"
            if check_name:
                expected = ref.grad_fn.name().removeprefix("torch::autograd::")
                assert mine.grad_fn.name() == expected, f"output {i} grad_fn"
            w = rng.uniform(-1, 1, tuple(ref.shape))
            loss_parts.append((mine, ref, w))
        elif isinstance(ref, torch.Tensor):
            assert not (isinstance(mine, gg.Tensor) and mine.requires_grad), f"output {i}"
    # The same op outside the graph (no node recorded) gives the same values.
    plain = [gg.tensor(t.detach().numpy()) for t in ours]
    for i, (mine, ref) in enumerate(zip(_flat(fn(gg, *plain)), ref_out)):
        _check_tensor(mine, ref, tol, f"output {i} without grad")
    if not loss_parts:
        return
    ref_loss = sum((r * torch.tensor(w, dtype=r.dtype)).sum() for _, r, w in loss_parts)
    my_loss = sum((m * gg.tensor(w, dtype=m.dtype)).sum() for m, _, w in loss_parts)
    ref_loss.backward()
    my_loss.backward()
    for i, (mine, ref) in enumerate(zip(ours, theirs)):
        if ref.requires_grad:
            if ref.grad is None:
                assert mine.grad is None, f"input {i} should get no gradient"
            else:
                assert mine.grad is not None, f"input {i} got no gradient"
                _check_tensor(mine.grad, ref.grad, tol, f"gradient of input {i}")


EXACT.extend(p for p in CASES if p.id.rsplit("(", 1)[0] in EXACT_UNARY)


@pytest.mark.parametrize(("fn", "specs", "check_name"), EXACT)
def test_float32_bit_for_bit(fn, specs, check_name):
    _run(fn, specs, "float32", 0.0, check_name)


@pytest.mark.parametrize("fdt", list(FLOAT_DTYPES))
@pytest.mark.parametrize(("fn", "specs", "check_name"), CASES)
def test_op_matches_torch(fn, specs, check_name, fdt):
    _run(fn, specs, fdt, FLOAT_DTYPES[fdt], check_name)
