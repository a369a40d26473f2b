"""``torch.nn.utils.rnn``: sequences of different lengths padded into one batch, and back.

Packed sequences (``pack_padded_sequence`` and friends) are not supported: glassgrad's RNNs
take padded batches, so asking for them names the alternative.
"""

from __future__ import annotations

from glassgrad import _creation
from glassgrad._tensor import Tensor

__all__ = ["pad_sequence", "unpad_sequence"]

_PACKED = {
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pack_sequence",
    "unpack_sequence",
    "invert_permutation",
}


def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stack sequences of shape (L_i, *) into (longest, batch, *) (or (batch, longest, *)
    with ``batch_first``), filling the rest with ``padding_value`` on the ``padding_side``.
    The result has the first sequence's dtype; gradients flow back into each sequence."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if any(s.ndim == 0 for s in sequences):
        raise RuntimeError(
            "pad_sequence: every sequence needs a first dimension (its length); got a 0-d tensor"
        )
    longest = max(s.shape[0] for s in sequences)
    trailing = tuple(sequences[0].shape[1:])
    shape = (len(sequences), longest) if batch_first else (longest, len(sequences))
    out = _creation.full(shape + trailing, padding_value, dtype=sequences[0].dtype)
    for i, sequence in enumerate(sequences):
        length = sequence.shape[0]
        steps = slice(0, length) if padding_side == "right" else slice(longest - length, None)
        if batch_first:
            out[i, steps] = sequence
        else:
            out[steps, i] = sequence
    return out


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The sequences ``pad_sequence`` padded (right-padded), each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [
        sequence[_creation.arange(int(length))]
        for sequence, length in zip(padded_sequences, lengths)
    ]


def __getattr__(name: str):
    if name in _PACKED:
        raise AttributeError(
            f"glassgrad.nn.utils.rnn.{name}: packed sequences are not supported by glassgrad. "
            "Pad the batch with pad_sequence and pass it to the RNN as it is (mask or pick the "
            "outputs at each sequence's last step yourself)."
        )
    raise AttributeError(f"module 'glassgrad.nn.utils.rnn' has no attribute '{name}'")
