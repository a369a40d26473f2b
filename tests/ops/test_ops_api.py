"""Op API details beyond values: result types, bad input errors (same type as PyTorch), no-grad."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad as gg


def _both(fn):
    """Run ``fn(m)`` with glassgrad and torch; return the two exceptions (or None)."""
    errors = []
    for m in (gg, torch):
        try:
            fn(m)
        except Exception as exc:
            errors.append(exc)
        else:
            errors.append(None)
    return errors


BAD_CALLS = {
    "topk_k_too_big": lambda m: m.ones(3).topk(4),
    "scatter_index_oob": lambda m: m.zeros(2, 3).scatter(1, m.tensor([[3], [0]]), 1.0),
    "scatter_index_float": lambda m: m.zeros(2, 3).scatter(1, m.tensor([[0.0], [1.0]]), 1.0),
    "scatter_add_ndim": lambda m: m.zeros(2, 3).scatter_add(0, m.tensor([0, 1]), m.ones(2)),
    "index_add_shape": lambda m: m.zeros(3, 2).index_add(0, m.tensor([0, 1]), m.ones(3, 2)),
    "index_select_2d_index": lambda m: m.zeros(3, 2).index_select(0, m.tensor([[0]])),
    "index_select_oob": lambda m: m.zeros(3, 2).index_select(0, m.tensor([5])),
    "diag_3d": lambda m: m.diag(m.zeros(2, 2, 2)),
    "trace_1d": lambda m: m.trace(m.zeros(3)),
    "einsum_operand_count": lambda m: m.einsum("ij,jk->ik", m.zeros(2, 2)),
    "einsum_size_mismatch": lambda m: m.einsum("ij,jk->ik", m.zeros(2, 3), m.zeros(2, 2)),
    "inv_not_square": lambda m: m.linalg.inv(m.zeros(2, 3)),
    "inv_singular": lambda m: m.linalg.inv(m.zeros(2, 2)),
    "det_int": lambda m: m.linalg.det(m.ones(2, 2, dtype=m.int64)),
    "matrix_norm_1d": lambda m: m.linalg.matrix_norm(m.ones(3)),
    "norm_3d_ord": lambda m: m.linalg.norm(m.ones(2, 2, 2), ord=1),
    "roll_mismatch": lambda m: m.ones(2, 2).roll((1, 1), 0),
    "repeat_interleave_neg": lambda m: m.ones(2).repeat_interleave(-1),
    "unbind_0d": lambda m: m.tensor(1.0).unbind(),
    "clamp_none": lambda m: m.ones(2).clamp(),
    "max_empty": lambda m: m.ones(0).max(),
    "dim_out_of_range": lambda m: m.ones(2, 3).sum(2),
    "index_oob": lambda m: m.ones(2, 3)[2],
    "mask_shape": lambda m: m.ones(2, 3)[m.tensor([True, False, True])],
    "cat_dims": lambda m: m.cat([m.ones(2, 3), m.ones(3)]),
    "stack_shapes": lambda m: m.stack([m.ones(2), m.ones(3)]),
    "gather_float_index": lambda m: m.ones(2, 2).gather(1, m.tensor([[0.0]])),
    "masked_fill_float_mask": lambda m: m.ones(2).masked_fill(m.ones(2), 0.0),
    "matmul_shapes": lambda m: m.ones(2, 3) @ m.ones(2, 3),
}


@pytest.mark.parametrize("call", list(BAD_CALLS.values()), ids=list(BAD_CALLS))
def test_bad_input_raises_like_torch(call):
    mine, theirs = _both(call)
    assert theirs is not None, "PyTorch accepts this call: the case is wrong"
    assert mine is not None, f"glassgrad accepted a call PyTorch refuses ({theirs!r})"
    assert isinstance(mine, type(theirs)) or isinstance(theirs, type(mine)), (mine, theirs)
    assert str(mine), "the error must say what is wrong"


def test_sort_topk_return_named_tuples():
    x = gg.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    values, indices = x.sort(descending=True)
    assert values.tolist() == [[3.0, 2.0, 1.0]] and indices.tolist() == [[0, 2, 1]]
    result = x.topk(2)
    assert result.indices.dtype is gg.int64
    assert repr(result).startswith("torch.return_types.topk(\nvalues=tensor([[3., 2.]]")
    assert repr(gg.tensor(3.0).sort()) == repr(torch.tensor(3.0).sort())


def test_sort_puts_nan_last_ascending_first_descending():
    data = [1.0, float("nan"), -1.0, 2.0]
    for descending in (False, True):
        mine = gg.tensor(data).sort(descending=descending)
        ref = torch.tensor(data).sort(descending=descending)
        assert mine.indices.tolist() == ref.indices.tolist()


def test_argsort_and_repeat_interleave_counts():
    x = np.array([[0.3, -1.0], [2.0, 0.1]])
    assert gg.tensor(x).argsort(1).tolist() == torch.tensor(x).argsort(1).tolist()
    counts = [2, 0, 1]
    assert gg.repeat_interleave(gg.tensor(counts)).tolist() == [0, 0, 2]


def test_ops_on_plain_tensors_record_nothing():
    """Every op also runs on tensors that need no gradient (no node is recorded)."""
    x = gg.arange(12.0).reshape(3, 4)
    outs = [
        x.split(2)[0],
        x.repeat(2, 1),
        x.gather(1, gg.tensor([[0], [1], [2]])),
        x.masked_fill(x > 5, 0.0),
        x.scatter(1, gg.tensor([[0], [1], [2]]), 1.0),
        gg.trace(x),
        gg.diag(x),
        x.sort()[0],
        gg.einsum("ij->j", x),
    ]
    assert all(o.grad_fn is None and not o.requires_grad for o in outs)


def test_second_derivative_of_cube_and_hessian_vector_product_match_torch():
    values = [0.5, -1.5, 2.0]
    results = []
    for m in (gg, torch):
        x = m.tensor(values, dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad((x**3).sum(), x, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), x)
        y = (x.sin() * x.roll(1)).sum() + x.norm() * x.logsumexp(0)
        (gy,) = m.autograd.grad(y, x, create_graph=True)
        (hv,) = m.autograd.grad((gy * m.tensor([1.0, -2.0, 0.5], dtype=m.float64)).sum(), x)
        results.append((h.tolist(), hv.detach().numpy().copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_var_std_warn_on_too_few_elements_and_give_nan():
    for what in ("var", "std"):
        with pytest.warns(UserWarning, match=f"{what}\\(\\): degrees of freedom is <= 0"):
            out = getattr(gg.tensor([2.0]), what)()
        assert np.isnan(out.item())


def test_T_on_a_vector_warns_like_torch():
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        assert gg.ones(3).T.shape == (3,)
