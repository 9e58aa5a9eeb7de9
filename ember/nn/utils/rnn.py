"""Variable-length sequences for the recurrent layers (torch.nn.utils.rnn): PackedSequence,
pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence.

Everything is composed from tensor ops (cat, stack, index_select), so gradients flow from the
packed or padded result back to the original sequences.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

import ember

_PackedSequenceBase = namedtuple(
    "PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def _invert_permutation(permutation):
    if permutation is None:
        return None
    order = np.argsort(np.asarray(permutation.tolist()), kind="stable")
    return ember.tensor(order, dtype=ember.int64)


class PackedSequence(_PackedSequenceBase):
    """Time-major packed data plus the batch size at each step (torch.nn.utils.rnn.PackedSequence).

    ``data`` holds step 0's rows for every sequence, then step 1's, ...; ``batch_sizes`` is an
    int64 tensor; ``sorted_indices`` maps packed rows to original batch order (None when the
    input was already sorted) and ``unsorted_indices`` is its inverse.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = _invert_permutation(sorted_indices)
        if batch_sizes is None:  # torch also accepts PackedSequence((data, batch_sizes))
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """Moves/casts ``data`` (and the index tensors' device); batch_sizes stay as they are."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(device=data.device)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of different lengths (dim 0) into one, filling with ``padding_value``
    (torch.nn.utils.rnn.pad_sequence): (T, B, *) or (B, T, *) with ``batch_first``."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    longest = max(s.size(0) for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.size(0)
        if missing:
            fill = ember.full((missing, *s.shape[1:]), padding_value, dtype=s.dtype,
                              device=s.device)
            s = ember.cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return ember.stack(padded, 0 if batch_first else 1)


def _lengths_list(lengths):
    if isinstance(lengths, ember.Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _sort_lengths(lengths, enforce_sorted):
    """(lengths in decreasing order, sorted_indices or None)."""
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        return lengths, None
    # NOTE: a stable sort on -length gives torch's order for equal lengths
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [lengths[i] for i in order], ember.tensor(order, dtype=ember.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) or (B, T, *) of sequences of the given lengths
    (torch.nn.utils.rnn.pack_padded_sequence)."""
    lengths = _lengths_list(lengths)
    lengths, sorted_indices = _sort_lengths(lengths, enforce_sorted)
    if batch_first:
        input = input.transpose(0, 1)
    if sorted_indices is not None:
        input = input.index_select(1, sorted_indices)
    if lengths and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if lengths and lengths[0] > input.size(0):
        raise RuntimeError(
            f"Expected sequence length to be larger than 0 in RNN; got lengths[0]={lengths[0]} "
            f"larger than the input's time dimension {input.size(0)}")
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0])]
    data = ember.cat([input[t, :size] for t, size in enumerate(batch_sizes)])
    return PackedSequence(data, ember.tensor(batch_sizes, dtype=ember.int64), sorted_indices,
                          None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: (padded tensor, int64 lengths) in the original batch
    order (torch.nn.utils.rnn.pad_packed_sequence)."""
    batch_sizes = [int(v) for v in sequence.batch_sizes.tolist()]
    steps, batch = len(batch_sizes), batch_sizes[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
    rows = list(sequence.data.split(batch_sizes, 0))
    data = sequence.data
    for t, size in enumerate(batch_sizes):
        if size < batch:
            fill = ember.full((batch - size, *data.shape[1:]), padding_value, dtype=data.dtype,
                              device=data.device)
            rows[t] = ember.cat([rows[t], fill])
    extra = (total_length or steps) - steps
    rows += [ember.full((batch, *data.shape[1:]), padding_value, dtype=data.dtype,
                        device=data.device)] * extra
    padded = ember.stack(rows)
    lengths = [sum(1 for size in batch_sizes if size > b) for b in range(batch)]
    lengths = ember.tensor(lengths, dtype=ember.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths.index_select(0, sequence.unsorted_indices.to("cpu"))
    return (padded.transpose(0, 1) if batch_first else padded), lengths


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length tensors (torch.nn.utils.rnn.pack_sequence)."""
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of tensors (torch.nn.utils.rnn.unpad_sequence)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences, _lengths_list(lengths))]


def unpack_sequence(packed_sequences):
    """Packed sequence back to a list of tensors (torch.nn.utils.rnn.unpack_sequence)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
