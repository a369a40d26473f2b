"""In-place writes whose operand partly overlaps the written memory, against PyTorch.

PyTorch refuses ``x.add_(x[0])`` and ``x[1:] = x[:-1]`` (the result would depend on the
order of the writes) and allows the same elements in the same layout (``x.add_(x)``) or
operands that share no element (``x[::2].add_(x[1::2])``). NumPy would silently buffer.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import torch

import glassgrad

CASES = {
    "add_ its own element": lambda x: x.add_(x[0]),
    "sub via -= of its own element": lambda x: x.__isub__(x[0]),
    "add_ a shifted slice": lambda x: x[1:].add_(x[:5]),
    "add_ a row of itself": lambda x: x.view(2, 3).add_(x.view(2, 3)[0]),
    "add_ itself with an extra dimension": lambda x: x.view(1, 6).add_(x),
    "add_ a transposed copy of its memory": lambda x: x.view(2, 3).t().add_(x.view(3, 2)),
    "add_ with alpha": lambda x: x.add_(x[0], alpha=2),
    "addcmul_": lambda x: x.addcmul_(x[0], x),
    "copy_ a shifted slice": lambda x: x[0:2].copy_(x[1:3]),
    "setitem a shifted slice": lambda x: x.__setitem__(slice(1, 4), x[0:3]),
    "setitem with an index list": lambda x: x.__setitem__([0, 1], x[1:3]),
    "add_ itself": lambda x: x.add_(x),
    "mul_ a same-layout view": lambda x: x.mul_(x.view(6)),
    "add_ interleaved elements": lambda x: x[::2].add_(x[1::2]),
    "add_ a clone": lambda x: x.add_(x.clone()),
    "setitem from another tensor": lambda x: x.__setitem__(slice(0, 3), x.clone()[3:]),
}


def _outcome(lib, case):
    x = lib.arange(6.0) / 4 + 1
    try:
        CASES[case](x)
    except RuntimeError as exc:
        return "refused", str(exc).split(".")[0]
    return "done", x.tolist()


@pytest.mark.parametrize("case", list(CASES))
def test_partial_overlap_is_refused_like_pytorch(case):
    ours, theirs = _outcome(glassgrad, case), _outcome(torch, case)
    assert ours == theirs
    if ours[0] == "done":
        np.testing.assert_array_equal(ours[1], theirs[1])
