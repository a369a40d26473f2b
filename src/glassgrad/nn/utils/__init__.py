"""Helpers for training (``torch.nn.utils``): gradient clipping, parameter vectors, padding
sequences into a batch (``rnn``)."""

from glassgrad.nn.utils import clip_grad, rnn
from glassgrad.nn.utils.clip_grad import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

__all__ = [
    "clip_grad",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]
