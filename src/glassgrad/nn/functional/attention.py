"""``F.scaled_dot_product_attention``."""

from __future__ import annotations

import math

from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.nn.functional.activation import softmax
from glassgrad.nn.functional.dropout import dropout
from glassgrad.ops import linalg as L

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q k^T * scale + mask) v; a boolean mask marks the positions that may attend."""
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention(enable_gqa=True) is not supported")
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = L.matmul(query, key.transpose(-2, -1)) * scale
    if is_causal:
        allowed = xp.tril(xp.ones((length, source), dtype=bool))
        scores = scores.masked_fill(_new_tensor(~allowed), -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return L.matmul(weights, value)
