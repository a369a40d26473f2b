"""Every registered op's gradient against central finite differences (float64, hypothesis).

``CASES`` has one entry per name in ``glassgrad.ops.REGISTRY``; a new op without an entry
fails ``test_every_op_has_a_case``. Each case says how to call the op; the inputs it is
called on come from the op's own ``gradcheck_domain`` (ops/_domain.py: the kind of values,
such as positive or away from a kink, and the shapes). A case names a kind itself only where
the case's own construction needs it (``Where``'s condition ``a > 0``), or builds
structured inputs (indices, convolutions, well-conditioned matrices) that no kind describes.
Each case builds inputs of random shapes (0-d, size-1 dimensions, broadcasting partners)
away from the op's non-differentiable points, and the test checks that the op really is in
the recorded graph, that its gradient matches central differences, and (for ops with
``differentiable_backward``) that the Hessian-vector product through
``autograd.grad(create_graph=True)`` matches differences of the gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad.ops import REGISTRY, movement
from glassgrad.ops._domain import KINDS, Domain

# A quarter of the profile's examples per op: ~150 ops share the file's time budget.
EXAMPLES = max(2, settings.default.max_examples // 4)
EPS = 1e-6


# ----------------------------------------------------------------------------- inputs
def values(rng, shape, kind="any"):
    """Random float64 values of one kind, each kind avoiding some non-smooth points."""
    if kind == "any":
        return rng.uniform(-2, 2, shape)
    if kind == "pos":
        return rng.uniform(0.5, 2, shape)
    if kind == "unit":
        return rng.uniform(-0.9, 0.9, shape)
    if kind == "away":  # |x| >= 0.2: away from kinks at 0
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2, shape)
    if kind == "distinct":  # values and |values| pairwise >= 0.2 apart, |x| >= 0.1: no ties
        n = int(np.prod(shape, dtype=int))
        size = rng.permutation(n) * 0.3 + 0.1 + rng.uniform(0, 0.05, n)
        return (rng.choice([-1.0, 1.0], n) * size).reshape(shape)
    if kind == "grid":  # >= 0.05 away from multiples of 0.5 (clamp bounds, kinks)
        return rng.integers(-4, 4, shape) * 0.5 + 0.25 + rng.uniform(-0.2, 0.2, shape)
    if kind == "frac":  # away from integers (floor, ceil, trunc)
        return rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.9, shape)
    if kind == "half":  # away from half-integers (round)
        return rng.integers(-3, 3, shape) + rng.uniform(-0.4, 0.4, shape)
    raise ValueError(kind)


def shapes(domain: Domain):
    """Shapes within the domain's dimensions (0-d, size-1 dims and all, by default)."""
    sides = st.integers(domain.min_side, 3)
    return st.lists(sides, min_size=domain.min_dims, max_size=domain.max_dims).map(tuple)


SHAPES = shapes(Domain())
MATRIX_SIDE = st.integers(1, 3)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together (either may be the smaller)."""
    big = draw(SHAPES)
    drop = draw(st.integers(0, len(big)))
    small = tuple(1 if draw(st.booleans()) else s for s in big[drop:])
    return (big, small) if draw(st.booleans()) else (small, big)


class Fixed:
    """A float64 input that is a constant (e.g. a loss target), not differentiated."""

    def __init__(self, value):
        self.value = value


class Case:
    """How to exercise one op: ``build(draw, rng, domain) -> (fn, inputs)``.

    ``domain`` is the op's ``gradcheck_domain`` (``reads_domain``: the case draws its inputs
    from it). ``inputs`` are arrays: float64 ones are differentiated; other dtypes and
    ``Fixed`` values are constants.
    """

    def __init__(self, build, eps=EPS, atol=1e-5, reads_domain=False):
        self.build, self.eps, self.atol = build, eps, atol
        self.reads_domain = reads_domain


def unary(fn, kind=None):
    """A one-input op on the domain's shapes and kind of values (or the case's ``kind``)."""

    def build(draw, rng, domain):
        return fn, [values(rng, draw(shapes(domain)), kind or domain.kind(0))]

    return Case(build, reads_domain=True)


def binary(fn, kind_a=None, kind_b=None, gap=None):
    """A broadcasting binary op; ``gap`` keeps |a - b| (or a custom distance) away from 0."""

    def build(draw, rng, domain):
        sa, sb = draw(broadcast_pair())
        a, b = values(rng, sa, kind_a or domain.kind(0)), values(rng, sb, kind_b or domain.kind(1))
        if gap is not None:
            assume(np.all(np.abs(gap(a, b)) > 0.05))
        return fn, [a, b]

    return Case(build, reads_domain=True)


def with_dim(fn):
    """A reduction-like op given a drawn dim (valid for the drawn shape) and keepdim."""

    def build(draw, rng, domain):
        shape = draw(shapes(domain))
        dim = draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
        keep = draw(st.booleans())
        return (lambda a: fn(a, dim, keep)), [values(rng, shape, domain.kind(0))]

    return Case(build, reads_domain=True)


def fixed(fn, *shape_of):
    """An op on drawn sizes n, m, k: ``shape_of`` gives each input's shape from them."""

    def build(draw, rng, domain):
        n, m, k = draw(MATRIX_SIDE), draw(MATRIX_SIDE), draw(MATRIX_SIDE)
        arrays = [values(rng, shape(n, m, k), domain.kind(i)) for i, shape in enumerate(shape_of)]
        return (lambda *xs: fn(n, m, k, *xs)), arrays

    return Case(build, reads_domain=True)


def frac_gap(a, b):
    q = a / b
    return np.minimum(q - np.floor(q), np.ceil(q) - q) + (q == np.floor(q))


# ----------------------------------------------------------------------------- the table
def _index_case(fn):
    """Indexing of a (3, 3)-ish tensor with drawn constant indices."""

    def build(draw, rng, domain):
        rows, cols = draw(st.integers(2, 4)), draw(st.integers(1, 3))
        idx = np.asarray(draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=5)))
        mask = rng.random((rows, cols)) < 0.5
        return (lambda a: fn(a, idx, mask)), [values(rng, (rows, cols), domain.kind(0))]

    return Case(build, reads_domain=True)


def _seeded(method):
    def fn(a):
        gg.manual_seed(0)
        return method(a)

    return fn


def _scatter_build(op):
    def build(draw, rng, domain):
        rows, cols = draw(st.integers(1, 3)), draw(st.integers(2, 4))
        dim = draw(st.integers(0, 1))
        idx_shape = (rows, draw(st.integers(1, cols))) if dim == 1 else (rows, cols)
        size = cols if dim == 1 else rows
        if op == "add":
            index = rng.integers(0, size, idx_shape)
        else:  # scatter: unique positions per row/column so the result is well defined
            along = np.argsort(rng.random((rows, cols)), axis=dim)
            index = along[:, : idx_shape[1]] if dim == 1 else along[: idx_shape[0]]
        src = values(rng, idx_shape, "any")
        if op == "value":
            return (lambda a: a.scatter(dim, gg.tensor(index), 1.5)), [values(rng, (rows, cols))]
        method = gg.Tensor.scatter_add if op == "add" else gg.Tensor.scatter
        return (lambda a, s: method(a, dim, gg.tensor(index), s)), [values(rng, (rows, cols)), src]

    return Case(build)


def _einsum_case():
    equations = ["ij,jk->ik", "i,i->", "ij->j", "ii->i", "bij,bjk->bik", "ij,ij->", "i,j->ij"]

    def build(draw, rng, domain):
        eq = draw(st.sampled_from(equations))
        sizes = {c: draw(MATRIX_SIDE) for c in "bijk"}
        subs = eq.split("->")[0].split(",")
        arrays = [values(rng, tuple(sizes[c] for c in s)) for s in subs]
        return (lambda *xs: gg.einsum(eq, *xs)), arrays

    return Case(build)


def _pad_case(mode: str, spatial: int) -> Case:
    """``F.pad`` of an (N, C, *spatial) input in a non-constant mode, pads of 0 or 1."""

    def build(draw, rng, domain):
        shape = (1, 2) + tuple(draw(st.integers(2, 3)) for _ in range(spatial))
        pad = tuple(draw(st.integers(0, 1)) for _ in range(2 * spatial))
        return (lambda a: F.pad(a, pad, mode=mode)), [values(rng, shape)]

    return Case(build)


def _softplus_build(draw, rng, domain):
    """Inputs on both sides of the threshold (16 a = 5), not at it."""
    a = values(rng, draw(SHAPES))
    assume(np.all(np.abs(16 * a - 5) > 0.1))
    return (lambda x: F.softplus(x * 8, beta=2.0, threshold=5.0) + F.softplus(x)), [a]


def _conv_build(draw, rng, domain):
    """A 1-, 2- or 3-d convolution with drawn stride, padding, dilation and groups."""
    d = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    stride, padding, dilation = draw(st.integers(1, 2)), draw(st.integers(0, 1)), 1
    size = 4 if d < 3 else 3
    x = values(rng, (1, 2 * groups) + (size,) * d)
    w = values(rng, (2, 2) + (2,) * d)
    b = values(rng, (2,))
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[d]
    return (
        lambda *t: conv(*t, stride=stride, padding=padding, dilation=dilation, groups=groups)
    ), [x, w, b]


def _conv_transpose_build(draw, rng, domain):
    """A 1-, 2- or 3-d transposed convolution with drawn stride, padding and groups."""
    d = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    size = 3 if d < 3 else 2
    x = values(rng, (1, 2 * groups) + (size,) * d)
    w = values(rng, (2 * groups, 2) + (2,) * d)
    b = values(rng, (2 * groups,))
    conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[d]
    return (lambda *t: conv(*t, stride=stride, padding=padding, groups=groups)), [x, w, b]


def _pool_case(kind: str, d: int | None = None) -> Case:
    """``{max,avg}_pool{d}d`` on distinct values; ``d=None`` draws the dimension."""

    def build(draw, rng, domain):
        dims = d if d is not None else draw(st.integers(1, 3))
        x = values(rng, (1, 2) + (4,) * dims, domain.kind(0))
        pool = getattr(F, f"{kind}_pool{dims}d")
        stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
        return (lambda a: pool(a, 2, stride=stride, padding=padding)), [x]

    return Case(build, reads_domain=True)


def _sliding_blocks_build(fold: bool):
    """``unfold`` (``fold``) of a batched or unbatched image (columns) with drawn geometry."""

    def build(draw, rng, domain):
        kernel, stride = draw(st.sampled_from([2, (2, 1)])), draw(st.integers(1, 2))
        padding, dilation = draw(st.integers(0, 1)), draw(st.integers(1, 2))
        shape = (2, 5, 4) if draw(st.booleans()) else (1, 2, 5, 4)
        geometry = {"padding": padding, "stride": stride, "dilation": dilation}
        cols = F.unfold(gg.zeros(shape), kernel, **geometry)
        if not fold:
            return (lambda x: F.unfold(x, kernel, **geometry)), [values(rng, shape)]
        return (lambda c: F.fold(c, (5, 4), kernel, **geometry)), [values(rng, cols.shape)]

    return Case(build)


def _unpool_case(d: int | None):
    """``max_unpool{d}d`` of a pooled-size input with distinct indices (a permutation's
    first entries per channel); ``d=None`` draws 2 or 3."""

    def build(draw, rng, domain):
        dims = d if d is not None else draw(st.sampled_from([2, 3]))
        pooled, size = (1, 2) + (2,) * dims, 4**dims
        picks = np.stack([rng.permutation(size)[: 2**dims] for _ in range(2)])
        indices = gg.tensor(picks.reshape(pooled))
        unpool = getattr(F, f"max_unpool{dims}d")
        return (lambda x: unpool(x, indices, 2)), [values(rng, pooled)]

    return Case(build)


def _adaptive_case(kind: str, d: int | None):
    """``adaptive_{kind}_pool{d}d`` to a drawn size (windows overlapping when it does not
    divide the input's); ``d=None`` draws 2 or 3; max on distinct values."""

    def build(draw, rng, domain):
        dims = d if d is not None else draw(st.sampled_from([2, 3]))
        size = draw(st.sampled_from([2, 3]))
        x = values(rng, (1, 2) + (5,) * dims, "distinct" if kind == "max" else "any")
        pool = getattr(F, f"adaptive_{kind}_pool{dims}d")
        return (lambda a: pool(a, size)), [x]

    return Case(build)


def _upsample_case(dims: int):
    """``interpolate(mode="nearest")`` of ``dims`` spatial dims, up and down by drawn sizes."""

    def build(draw, rng, domain):
        size = tuple(draw(st.sampled_from([2, 3, 5])) for _ in range(dims))
        x = values(rng, (1, 2) + (3,) * dims)
        return (lambda a: F.interpolate(a, size=size)), [x]

    return Case(build)


def _well_conditioned(n, rng):
    return values(rng, (n, n)) * 0.3 + np.eye(n) * 2


def _common(a, b):
    """Both operands expanded to their broadcast shape (losses want equal shapes)."""
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    return a.expand(*shape), b.expand(*shape)


def _copy_slices(a, b):
    out = a * 1
    out[0] = b
    return out


def _index_put(a, b):
    """Rows 0 and -1 (distinct: with repeats PyTorch's value gradient ignores overwrites)."""
    out = a * 1
    out[np.array([0, -1])] = b.expand(2, *b.shape)
    return out


def _copy(a, b):
    dst, src = _common(a, b)
    return REGISTRY["Copy"].apply(dst * 1, b) * src


CASES: dict[str, Case] = {
    # activations
    "LeakyRelu": unary(lambda a: F.leaky_relu(a, 0.1)),
    "Elu": unary(F.elu),
    "Gelu": unary(lambda a: F.gelu(a) + F.gelu(a, approximate="tanh")),
    "Softplus": Case(_softplus_build),
    "Hardtanh": unary(lambda a: F.hardtanh(a * 3)),
    "Silu": unary(F.silu),
    "LogSigmoid": unary(lambda a: F.logsigmoid(a * 10)),
    "Celu": unary(lambda a: F.celu(a, 2.0)),
    "Threshold": unary(lambda a: F.threshold(a, 0.0, -1.0)),
    "Softshrink": unary(F.softshrink),
    "Hardshrink": unary(F.hardshrink),
    "Hardsigmoid": unary(lambda a: F.hardsigmoid(a * 2)),
    "Hardswish": unary(lambda a: F.hardswish(a * 2)),
    "Mish": unary(F.mish),
    "LeakyReluResult": unary(lambda a: F.leaky_relu(a * 1, 0.1, inplace=True)),
    "EluResult": unary(lambda a: F.elu(a * 1, inplace=True)),
    "CeluResult": unary(lambda a: F.celu(a * 1, 2.0, inplace=True)),
    "ThresholdResult": unary(lambda a: F.threshold(a * 1, 0.0, -1.0, inplace=True)),
    "PreluKernel": fixed(
        lambda n, m, k, a, w: F.prelu(a, w),
        lambda n, m, k: (n, m, k),
        lambda n, m, k: (m,),
    ),
    # arithmetic
    "Add": binary(lambda a, b: a + b),
    "Sub": binary(lambda a, b: a - b),
    "Rsub": unary(lambda a: 2 - a),
    "Mul": binary(lambda a, b: a * b),
    "Div": binary(lambda a, b: a / b),
    "Neg": unary(lambda a: -a),
    "Pow": unary(lambda a: a**3 + (a * a + 1) ** 2.5 + a**-1 + a**0),
    "PowTensor": binary(lambda a, b: a**b),
    "PowScalarBase": unary(lambda a: 2.5**a),
    "Exp": unary(gg.exp),
    "Log": unary(gg.log),
    "Log2": unary(gg.log2),
    "Log10": unary(gg.log10),
    "Log1p": unary(gg.log1p),
    "Expm1": unary(gg.expm1),
    "Sqrt": unary(gg.sqrt),
    "Rsqrt": unary(gg.rsqrt),
    "Reciprocal": unary(gg.reciprocal),
    "Sin": unary(gg.sin),
    "Cos": unary(gg.cos),
    "Tan": unary(gg.tan),
    "Tanh": unary(gg.tanh),
    "Asin": unary(gg.asin),
    "Acos": unary(gg.acos),
    "Atan": unary(gg.atan),
    "Sinh": unary(gg.sinh),
    "Cosh": unary(gg.cosh),
    "Erf": unary(gg.erf),
    "Atan2": binary(gg.atan2),
    "LogAddExp": binary(gg.logaddexp),
    "Lerp": binary(lambda a, b: gg.lerp(a, b, 0.3) + gg.lerp(a, b, 0.8)),
    "Xlogy": binary(gg.xlogy),
    "Remainder": binary(lambda a, b: a % b, gap=frac_gap),
    "RemainderScalar": binary(lambda a, b: a % 0.7 + b, gap=lambda a, b: frac_gap(a, 0.7)),
    "Sigmoid": unary(gg.sigmoid),
    "Relu": unary(gg.relu),
    "Abs": unary(gg.abs),
    "Sign": unary(lambda a: a.sign() * a),
    "Sgn": unary(lambda a: a.sgn() * a),
    "Floor": unary(lambda a: a.floor() + a),
    "Ceil": unary(lambda a: a.ceil() * a),
    "Round": unary(lambda a: a.round() * a),
    "RoundDecimals": unary(lambda a: (a / 10).round(decimals=1) * a),
    "Trunc": unary(lambda a: a.trunc() + a),
    "Clamp": unary(lambda a: a.clamp(-0.5, 0.5)),
    "ClampMin": unary(lambda a: a.clamp_min(0.5)),
    "ClampMax": unary(lambda a: a.clamp_max(-0.5)),
    "ClampTensor": binary(
        lambda a, b: gg.clamp(a, min=b, max=b + 1),
        gap=lambda a, b: np.minimum(np.abs(a - b), np.abs(a - b - 1)),
    ),
    "Maximum": binary(gg.maximum, gap=lambda a, b: a - b),
    "Minimum": binary(gg.minimum, gap=lambda a, b: a - b),
    "Where": binary(lambda a, b: gg.where(a > 0, a, b), "away"),  # the case's a > 0: not at 0
    # linear algebra
    "Mm": fixed(
        lambda n, m, k, a, b: a.mm(b),
        lambda n, m, k: (n, k),
        lambda n, m, k: (k, m),
    ),
    "Bmm": fixed(
        lambda n, m, k, a, b: gg.bmm(a, b),
        lambda n, m, k: (2, n, k),
        lambda n, m, k: (2, k, m),
    ),
    "Matmul": fixed(
        lambda n, m, k, a, b, c: (a @ b).sum() + (b @ c[0, :, 0]).sum() + (c[0, 0] @ b).sum(),
        lambda n, m, k: (2, 1, n, k),
        lambda n, m, k: (3, k, m),
        lambda n, m, k: (2, m, k),
    ),
    "MatmulExpanded": fixed(
        lambda n, m, k, a, b: a @ b,
        lambda n, m, k: (n, k),
        lambda n, m, k: (2, k, m),
    ),
    "Mv": fixed(
        lambda n, m, k, a, b: a.mv(b),
        lambda n, m, k: (n, k),
        lambda n, m, k: (k,),
    ),
    "Vm": fixed(lambda n, m, k, a, b: a @ b, lambda n, m, k: (k,), lambda n, m, k: (k, m)),
    "Dot": fixed(
        lambda n, m, k, a, b: gg.dot(a, b),
        lambda n, m, k: (k,),
        lambda n, m, k: (k,),
    ),
    "Outer": fixed(
        lambda n, m, k, a, b: gg.outer(a, b),
        lambda n, m, k: (n,),
        lambda n, m, k: (m,),
    ),
    "Addmm": fixed(
        lambda n, m, k, c, a, b: gg.addmm(c, a, b, beta=0.5, alpha=2.0),
        lambda n, m, k: (m,),
        lambda n, m, k: (n, k),
        lambda n, m, k: (k, m),
    ),
    "DiagEmbed": fixed(lambda n, m, k, a: gg.diag(a, k - 2), lambda n, m, k: (n,)),
    "Diagonal": fixed(lambda n, m, k, a: gg.diag(a, k - 2), lambda n, m, k: (n, m)),
    "Trace": fixed(lambda n, m, k, a: gg.trace(a), lambda n, m, k: (n, m)),
    "Einsum": _einsum_case(),
    "Inverse": Case(
        lambda draw, rng, domain: (gg.linalg.inv, [_well_conditioned(draw(MATRIX_SIDE), rng)])
    ),
    "Det": Case(lambda draw, rng, domain: (gg.linalg.det, [values(rng, (draw(MATRIX_SIDE),) * 2)])),
    "Solve": Case(
        lambda draw, rng, domain: (
            lambda a, b, c: gg.linalg.solve(a, b) + gg.linalg.solve(a, c).sum(-1),
            [
                _well_conditioned(n := draw(MATRIX_SIDE), rng),
                values(rng, (n,)),
                values(rng, (n, 2)),
            ],
        )
    ),
    # losses
    "MseLoss": binary(lambda a, b: F.mse_loss(*_common(a, b))),
    "NllLoss": fixed(
        lambda n, m, k, a: F.nll_loss(a.log_softmax(1), gg.tensor(np.arange(n) % (m + 1))),
        lambda n, m, k: (n, m + 1),
    ),
    "NllLoss2d": fixed(
        lambda n, m, k, a: F.nll_loss(
            a.log_softmax(1), gg.tensor(np.arange(2 * n * k).reshape(2, n, k) % (m + 1))
        ),
        lambda n, m, k: (2, m + 1, n, k),
    ),
    "BinaryCrossEntropy": Case(
        lambda draw, rng, domain: (
            lambda p, t: F.binary_cross_entropy(p.sigmoid(), t),
            [values(rng, (2, 3)), Fixed(rng.uniform(0, 1, (2, 3)))],
        )
    ),
    "BinaryCrossEntropyWithLogits": Case(
        lambda draw, rng, domain: (
            F.binary_cross_entropy_with_logits,
            [values(rng, (2, 3)), Fixed(rng.uniform(0, 1, (2, 3)))],
        )
    ),
    "SmoothL1Loss": binary(
        lambda a, b: F.smooth_l1_loss(*_common(a, b), beta=0.5),
        gap=lambda a, b: np.abs(a - b) - 0.5,
    ),
    "HuberLoss": binary(
        lambda a, b: F.huber_loss(*_common(a, b), delta=0.5), gap=lambda a, b: np.abs(a - b) - 0.5
    ),
    # reductions
    "Sum": unary(lambda a: a.sum()),
    "SumDim": with_dim(lambda a, d, k: a.sum(d, keepdim=k)),
    "Mean": unary(lambda a: a.mean()),
    "MeanDim": with_dim(lambda a, d, k: a.mean(d, keepdim=k)),
    "Prod": unary(lambda a: a.prod()),
    "ProdDim": with_dim(lambda a, d, k: a.prod(d, keepdim=k)),
    "MaxAll": unary(lambda a: a.max()),
    "MinAll": unary(lambda a: a.min()),
    "MaxDim": with_dim(lambda a, d, k: a.max(d, keepdim=k).values),
    "MinDim": with_dim(lambda a, d, k: a.min(d, k)[0]),
    "Amax": with_dim(lambda a, d, k: a.amax(d, keepdim=k)),
    "Amin": with_dim(lambda a, d, k: a.amin(d, keepdim=k)),
    "Var": with_dim(lambda a, d, k: a.var(d, keepdim=k)),
    "Std": with_dim(lambda a, d, k: a.std(d, keepdim=k, correction=0)),
    "Norm": with_dim(
        lambda a, d, k: (
            a.norm(dim=d, keepdim=k)
            + a.norm(p=3, dim=d, keepdim=k)
            + a.norm(p=1, dim=d, keepdim=k)
            + a.norm(p=float("inf"))
        ),
    ),
    "AtenNorm": with_dim(  # (pairwise_distance's norm, over the last dim)
        lambda a, d, k: (
            F.pairwise_distance(a.reshape(-1), gg.zeros(a.numel()), keepdim=k)
            + F.pairwise_distance(a.reshape(-1), gg.zeros(a.numel()), p=3)
        )
    ),
    "Logsumexp": with_dim(lambda a, d, k: a.logsumexp(d, keepdim=k)),
    "Softmax": with_dim(lambda a, d, k: a.softmax(d)),
    "LogSoftmax": with_dim(lambda a, d, k: a.log_softmax(d)),
    "Cumsum": with_dim(lambda a, d, k: a.cumsum(d)),
    "Cumprod": with_dim(lambda a, d, k: a.cumprod(d)),
    "Sort": with_dim(lambda a, d, k: a.sort(d, descending=k).values),
    "Topk": with_dim(lambda a, d, k: a.topk(1, d, largest=k).values),
    "MedianAll": unary(lambda a: a.median()),
    "Median": with_dim(lambda a, d, k: a.median(d, keepdim=k).values),
    # movement
    "View": unary(lambda a: a.view(-1)),
    "Reshape": fixed(lambda n, m, k, a: a.t().reshape(-1), lambda n, m, k: (n + 1, m + 1)),
    "Transpose": fixed(lambda n, m, k, a: a.transpose(0, -1), lambda n, m, k: (n, m, k)),
    "TransposeT": fixed(lambda n, m, k, a: a.t(), lambda n, m, k: (n, m)),
    "TransposeInplace": fixed(
        lambda n, m, k, a: REGISTRY["TransposeInplace"].apply(a, dim0=0, dim1=-1),
        lambda n, m, k: (n, m, k),
    ),
    "TView": unary(lambda a: a.t()),
    "Permute": fixed(lambda n, m, k, a: a.permute(1, 2, 0), lambda n, m, k: (n, m, k)),
    "Unsqueeze": unary(lambda a: a.unsqueeze(0)),
    "Squeeze": unary(lambda a: a.squeeze()),
    "SqueezeDim": unary(lambda a: a.unsqueeze(0).squeeze(0)),
    "SqueezeDims": unary(lambda a: a.unsqueeze(0).unsqueeze(0).squeeze((0, 1))),
    "Expand": unary(lambda a: a.expand(2, *a.shape)),
    "Cat": fixed(
        lambda n, m, k, a, b: gg.cat([a, b], 1),
        lambda n, m, k: (n, m),
        lambda n, m, k: (n, k),
    ),
    "Stack": binary(lambda a, b: gg.stack([a * b, a + b], -1)),
    "Split": fixed(lambda n, m, k, a: a.split(2)[-1], lambda n, m, k: (n + 1, m)),
    "UnsafeSplit": fixed(
        lambda n, m, k, a: movement.unsafe_chunk(a, 2, 1)[-1], lambda n, m, k: (n, m + 1)
    ),
    "SplitWithSizes": fixed(lambda n, m, k, a: a.split([1, n], 0)[1], lambda n, m, k: (n + 1, m)),
    "Unbind": fixed(
        lambda n, m, k, a: a.unbind(1)[-1] * 2 + a.unbind(1)[0], lambda n, m, k: (n, m)
    ),
    "Index": _index_case(lambda a, idx, mask: a[gg.tensor(idx)] + a[gg.tensor(mask)].sum()),
    "Select": unary(lambda a: a[0]),
    "Slice": unary(lambda a: a[1:]),
    "IndexUnsqueeze": unary(lambda a: a[None]),
    "Alias": unary(lambda a: a[...]),
    "IndexSelect": _index_case(lambda a, idx, mask: a.index_select(0, gg.tensor(idx))),
    "MaskedSelect": _index_case(lambda a, idx, mask: a.masked_select(gg.tensor(mask))),
    "IndexPutZeros": _index_case(
        lambda a, idx, mask: REGISTRY["IndexPutZeros"].apply(
            a, index=(np.arange(a.shape[0]) % 2,), shape=(2, a.shape[1]), accumulate=True
        )
    ),
    "CopySlices": fixed(
        lambda n, m, k, a, b: _copy_slices(a, b),
        lambda n, m, k: (n, m),
        lambda n, m, k: (m,),
    ),
    "IndexPut": fixed(
        lambda n, m, k, a, b: _index_put(a, b),
        lambda n, m, k: (n + 1, m),
        lambda n, m, k: (m,),
    ),
    "Clone": unary(lambda a: a.clone()),
    "ToCopy": Case(
        lambda draw, rng, domain: (
            lambda a: a.to(gg.float32).to(gg.float64),
            [values(rng, draw(SHAPES))],
        ),
        eps=1e-2,
        atol=1e-4,
    ),
    "Flip": fixed(lambda n, m, k, a: a.flip(0, 1), lambda n, m, k: (n, m)),
    "Repeat": unary(lambda a: a.repeat(2, *([1] * a.ndim))),
    "Gather": _index_case(
        lambda a, idx, mask: a.gather(
            0, gg.tensor(np.broadcast_to(idx[:, None], (idx.size, a.shape[1])))
        )
    ),
    "MaskedFill": _index_case(lambda a, idx, mask: a.masked_fill(gg.tensor(mask), 0.5)),
    "Tril": fixed(lambda n, m, k, a: a.tril(k - 2), lambda n, m, k: (n, m)),
    "Triu": fixed(lambda n, m, k, a: a.triu(k - 2), lambda n, m, k: (2, n, m)),
    "Roll": fixed(lambda n, m, k, a: a.roll(k, 1) + a.roll(1), lambda n, m, k: (n, m)),
    "Scatter": _scatter_build("src"),
    "ScatterValue": _scatter_build("value"),
    "ScatterAdd": _scatter_build("add"),
    "IndexAdd": _index_case(
        lambda a, idx, mask: a.index_add(0, gg.tensor(idx), a[:1].expand(idx.size, -1) * 2)
    ),
    # fused nn ops
    "NativeBatchNorm": fixed(
        lambda n, m, k, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        lambda n, m, k: (n + 1, m, k),
        lambda n, m, k: (m,),
        lambda n, m, k: (m,),
    ),
    "NativeLayerNorm": fixed(
        lambda n, m, k, x, w, b: F.layer_norm(x, (m + 1,), w, b),
        lambda n, m, k: (n, m + 1),
        lambda n, m, k: (m + 1,),
        lambda n, m, k: (m + 1,),
    ),
    "Embedding": fixed(
        lambda n, m, k, w: F.embedding(gg.tensor([[0, n - 1], [0, 0]]), w),
        lambda n, m, k: (n, m),
    ),
    "EmbeddingBag": fixed(  # (weighted sum: both inputs differentiated; a repeated row)
        lambda n, m, k, w, p: F.embedding_bag(
            gg.tensor([0, n - 1, 0, n - 1]), w, gg.tensor([0, 1]), mode="sum", per_sample_weights=p
        ),
        lambda n, m, k: (n, m),
        lambda n, m, k: (4,),
    ),
    "ConstantPadNd": fixed(lambda n, m, k, a: F.pad(a, (1, k - 1)), lambda n, m, k: (n, m)),
    "PixelShuffle": fixed(
        lambda n, m, k, a: F.pixel_shuffle(a, 2), lambda n, m, k: (n, 4 * m, k, 2)
    ),
    "PixelUnshuffle": fixed(
        lambda n, m, k, a: F.pixel_unshuffle(a, 2), lambda n, m, k: (n, m, 2 * k, 4)
    ),
    "_IndexPad": fixed(
        lambda n, m, k, a: REGISTRY["_IndexPad"].apply(a, gathers=((1, np.arange(k + 2) % m),)),
        lambda n, m, k: (n, m),
    ),
    "_CircularPad": fixed(
        lambda n, m, k, a: REGISTRY["_CircularPad"].apply(a, gathers=((1, np.arange(k + 2) % m),)),
        lambda n, m, k: (n, m),
    ),
    **{
        f"{kind}Pad{d}D": _pad_case(mode, d)
        for kind, mode in [
            ("Reflection", "reflect"),
            ("Replication", "replicate"),
            ("Circular", "circular"),
        ]
        for d in (1, 2, 3)
    },
    "Convolution": Case(_conv_build),
    "ConvolutionTranspose": Case(_conv_transpose_build),
    "_MaxPool": _pool_case("max"),
    "_AvgPool": _pool_case("avg"),
    "_AdaptiveAvg": _adaptive_case("avg", None),
    "_AdaptiveMax": _adaptive_case("max", None),
    **{
        f"Adaptive{k.title()}Pool{d}D": _adaptive_case(k, d) for k in ("avg", "max") for d in (2, 3)
    },
    **{f"UpsampleNearest{d}D": _upsample_case(d) for d in (1, 2, 3)},
    "_MaxUnpool": _unpool_case(None),
    "MaxUnpool2D": _unpool_case(2),
    "MaxUnpool3D": _unpool_case(3),
    "Im2Col": _sliding_blocks_build(fold=False),
    "Col2Im": _sliding_blocks_build(fold=True),
    **{f"MaxPool{d}DWithIndices": _pool_case("max", d) for d in (1, 2, 3)},
    **{f"AvgPool{d}D": _pool_case("avg", d) for d in (1, 2, 3)},
    # in-place ops recorded in the graph
    "Fill": unary(lambda a: REGISTRY["Fill"].apply(a, value=2.0) + a),
    "Zero": unary(lambda a: REGISTRY["Zero"].apply(a, value=0.0) + a),
    "Normal": unary(_seeded(lambda a: REGISTRY["Normal"].apply(a, value=0.5) * a)),
    "Uniform": unary(_seeded(lambda a: REGISTRY["Uniform"].apply(a, value=0.5) * a)),
    "Copy": binary(_copy),
    "AsStrided": fixed(
        lambda n, m, k, a: REGISTRY["AsStrided"].apply(a, index=(slice(0, n),)),
        lambda n, m, k: (n + 1, m),
    ),
}


# ----------------------------------------------------------------------------- the checks
def test_every_domain_kind_is_drawn():
    """The kinds ops may declare (ops/_domain.py) are the kinds ``values`` draws."""
    rng = np.random.default_rng(0)
    for kind in KINDS:
        assert values(rng, (2, 3), kind).shape == (2, 3)


def test_every_op_has_a_case():
    missing = sorted(set(REGISTRY) - set(CASES))
    assert not missing, (
        f"ops without a finite-difference case in tests/ops/test_gradients_fd.py: {missing}; "
        "add an entry to CASES"
    )
    stale = sorted(set(CASES) - set(REGISTRY))
    assert not stale, f"CASES names ops that no longer exist: {stale}"
    ignored = sorted(
        name
        for name, case in CASES.items()
        if REGISTRY[name].gradcheck_domain != Domain() and not case.reads_domain
    )
    assert not ignored, f"these ops declare a gradcheck_domain their case ignores: {ignored}"


def _graph_nodes(t) -> set:
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(nxt for nxt, _ in node.next_functions)
    return seen


def _holds_arrays(value) -> bool:
    if isinstance(value, np.ndarray):
        return True
    return isinstance(value, (tuple, list)) and any(_holds_arrays(v) for v in value)


def _check_ctx_arrays_declared(nodes) -> None:
    """An op with ``keeps_ctx_arrays = False`` must keep no array on its node, or freeing the
    node after backward (which then skips looking) would keep that array alive."""
    for node in nodes:
        if not getattr(node, "keeps_ctx_arrays", True):
            kept = sorted(k for k, v in getattr(node, "__dict__", {}).items() if _holds_arrays(v))
            assert not kept, f"{node.name()} keeps arrays in {kept} but says keeps_ctx_arrays=False"


def _differentiable(x) -> bool:
    return not isinstance(x, Fixed) and x.dtype == np.float64


def _tensor(x, grad=False):
    if isinstance(x, Fixed):
        return gg.tensor(x.value)
    return gg.tensor(x, requires_grad=grad and x.dtype == np.float64)


def _loss(fn, arrays, weights=None):
    """sum(w * fn(inputs)) as a tensor, the float inputs requiring grad."""
    tensors = [_tensor(a, grad=True) for a in arrays]
    out = fn(*tensors)
    w = weights if weights is not None else np.ones(out.shape)
    return (out * gg.tensor(w)).sum(), tensors, out


def _value(fn, arrays, w) -> float:
    with gg.no_grad():
        tensors = [_tensor(a) for a in arrays]
        return float((fn(*tensors) * gg.tensor(w)).sum().item())


def _grads(fn, arrays, w) -> list:
    loss, tensors, _ = _loss(fn, arrays, w)
    diff = [t for t in tensors if t.requires_grad]
    return [
        g._data.copy()
        for g in gg.autograd.grad(loss, diff, allow_unused=True, materialize_grads=True)
    ]


def _numeric(fn, arrays, w, eps) -> list:
    grads = []
    for x in arrays:
        if not _differentiable(x):
            continue
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            orig = x[idx]
            x[idx] = orig + eps
            up = _value(fn, arrays, w)
            x[idx] = orig - eps
            down = _value(fn, arrays, w)
            x[idx] = orig
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=EXAMPLES)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_gradient_matches_finite_differences(name, data, seed):
    case = CASES[name]
    op = REGISTRY[name]
    rng = np.random.default_rng(seed)
    fn, arrays = case.build(data.draw, rng, op.gradcheck_domain)
    arrays = [a if isinstance(a, Fixed) else np.array(a) for a in arrays]
    loss, _tensors, out = _loss(fn, arrays)
    nodes = _graph_nodes(loss)
    _check_ctx_arrays_declared(nodes)
    recorded = {type(n) for n in nodes}  # a base class counts when a subclass of it is recorded
    assert any(issubclass(t, op) for t in recorded), f"the case for {name} does not record it"
    w = rng.uniform(-1, 1, out.shape)

    analytic = _grads(fn, arrays, w)
    numeric = _numeric(fn, arrays, w, case.eps)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(a, n, rtol=1e-4, atol=case.atol, err_msg=f"{name} input {i}")

    if op.differentiable_backward:
        _check_second_order(fn, arrays, w, rng, name)


def _check_second_order(fn, arrays, w, rng, name):
    """H v by double backward against (grad(x + eps v) - grad(x - eps v)) / (2 eps)."""
    loss, tensors, _ = _loss(fn, arrays, w)
    diff = [t for t in tensors if t.requires_grad]
    firsts = gg.autograd.grad(
        loss, diff, create_graph=True, allow_unused=True, materialize_grads=True
    )
    vs = [rng.uniform(-1, 1, t.shape) for t in diff]
    inner = sum((g * gg.tensor(v)).sum() for g, v in zip(firsts, vs))
    if isinstance(inner, gg.Tensor) and inner.requires_grad:
        hv = [
            g._data
            for g in gg.autograd.grad(inner, diff, allow_unused=True, materialize_grads=True)
        ]
    else:  # the gradient does not depend on the inputs: a zero Hessian
        hv = [np.zeros(t.shape) for t in diff]
    float_idx = [i for i, a in enumerate(arrays) if _differentiable(a)]

    def shifted(sign):
        moved = list(arrays)
        for i, v in zip(float_idx, vs):
            moved[i] = arrays[i] + sign * EPS * v
        return _grads(fn, moved, w)

    numeric = [(u - d) / (2 * EPS) for u, d in zip(shifted(1), shifted(-1))]
    for i, (a, n) in enumerate(zip(hv, numeric)):
        np.testing.assert_allclose(a, n, rtol=1e-4, atol=1e-4, err_msg=f"{name} H v, input {i}")
