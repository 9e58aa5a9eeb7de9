"""Embedding lookups with torch.nn.functional's semantics: embedding (an Op, EmbeddingBackward0,
whose backward is an Op too, so double backward works), embedding_renorm_ for max_norm, and
embedding_bag composed from them."""

from __future__ import annotations

import warnings

from ember._ops import creation as C
from ember._ops._op import Op
from ember.autograd.grad_mode import no_grad


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def _row_scale(xp, indices, num_weights, padding_idx, scale_grad_by_freq, dtype):
    """Per looked-up index, the factor its gradient row gets: 0 at padding_idx, 1 / count with
    scale_grad_by_freq (torch's embedding_dense_backward)."""
    scale = xp.ones(indices.shape, dtype)
    if scale_grad_by_freq:
        counts = xp.bincount(indices, minlength=num_weights)
        scale = scale / counts[indices].astype(dtype)
    return scale * (indices != padding_idx)


class EmbeddingBackward0(Op):
    """weight[indices]: rows of the table, one per index."""

    promote = "keep"

    def __init__(self, padding_idx, scale_grad_by_freq):
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq

    def forward(self, weight, indices):
        flat = indices.reshape(-1).astype(self.xp.int64)
        if flat.size and (flat.min() < 0 or flat.max() >= weight.shape[0]):
            raise IndexError("index out of range in self")
        self.indices, self.num_weights = flat, weight.shape[0]
        return self.xp.take(weight, flat, axis=0).reshape(indices.shape + weight.shape[1:])

    def backward(self, g):
        op = EmbeddingDenseBackward0(self.indices, self.num_weights, self.padding_idx,
                                     self.scale_grad_by_freq)
        return op.apply(g), None


class EmbeddingDenseBackward0(Op):
    """The embedding's weight gradient: each upstream row added into its index's row."""

    promote = "keep"

    def __init__(self, indices, num_weights, padding_idx, scale_grad_by_freq):
        self.indices, self.num_weights = indices, num_weights
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq

    def forward(self, g):
        xp = self.xp
        rows = g.reshape(self.indices.size, -1)
        self.scale = _row_scale(xp, self.indices, self.num_weights, self.padding_idx,
                                self.scale_grad_by_freq, g.dtype)
        out = xp.zeros((self.num_weights, rows.shape[1]), g.dtype)
        xp.add.at(out, self.indices, rows * self.scale[:, None])
        return out

    def backward(self, gg):
        # NOTE: linear in g, so its gradient is the lookup again, with the same row factors
        rows = gg.index_select(0, _tensor_cls()._make(self.indices, gg.device))
        scale = _tensor_cls()._make(self.scale[:, None], gg.device)
        return (rows * scale).reshape(self._input_meta[0][0])


def _check_indices(indices, fn):
    if indices.dtype.name not in ("int64", "int32"):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {indices.type()} instead (while "
                           f"checking arguments for {fn})")


def _padding_index(padding_idx, num_weights):
    """torch's Python-side check, an AssertionError; -1 means no padding row."""
    if padding_idx is None:
        return -1
    if not -num_weights <= padding_idx < num_weights:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num_weights if padding_idx < 0 else padding_idx


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place and outside autograd, each looked-up row whose norm exceeds max_norm to
    max_norm / (norm + 1e-7) times itself (torch.embedding_renorm_)."""
    with no_grad():
        table = weight.detach()
        rows = C.tensor(sorted(set(indices.reshape(-1).tolist())), dtype=indices.dtype,
                        device=indices.device).long()
        if rows.numel() == 0:
            return weight
        norms = table.index_select(0, rows).norm(norm_type, 1).double()
        scale = (max_norm / (norms + 1e-7)).to(table.dtype)
        factor = scale.where(norms > max_norm, scale.new_ones(()))
        table.index_copy_(0, rows, table.index_select(0, rows) * factor.unsqueeze(1))
    return weight


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of weight (torch.nn.functional.embedding): padding_idx's row gets no
    gradient; max_norm renormalises the looked-up rows of weight in place first."""
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    if sparse:
        raise NotImplementedError("ember has no sparse tensors: use sparse=False")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(input, "embedding")
    if max_norm is not None:
        embedding_renorm_(weight, input, max_norm, norm_type)
    return EmbeddingBackward0(padding_idx, scale_grad_by_freq).apply(weight, input)


def _check_offsets(offsets, length):
    first, last = (int(offsets[0]), int(offsets[-1])) if offsets.numel() else (0, 0)
    if first != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has "
                           f"to start from position 0. However, got {first}")
    if last > length:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {length} but got "
                           f"offsets[-1] of {last}")


def _bag_ids(xp, offsets, length, include_last_offset):
    """The bag of each input position and the number of bags."""
    starts = offsets[:-1] if include_last_offset else offsets
    bag = xp.searchsorted(starts, xp.arange(length), side="right") - 1
    return bag, starts.shape[0]


def _bag_max(xp, values, bag, keep, bags):
    """Per bag and column, the position of the first largest kept value (torch's max mode)."""
    n, dim = values.shape
    masked = xp.where(keep[:, None], values, -xp.inf)
    peak = xp.full((bags, dim), -xp.inf, values.dtype)
    xp.maximum.at(peak, bag, masked)
    winner = keep[:, None] & (masked == peak[bag])
    positions = xp.where(winner, xp.arange(n)[:, None], n)
    first = xp.full((bags, dim), n, xp.int64)
    xp.minimum.at(first, bag, positions)
    return first


def _embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset,
                   padding_idx, scale_grad_by_freq):
    """torch.embedding_bag on a 1-D input split into bags at offsets."""
    from ember._backend import xp_of
    from ember._ops.index_ops import index_add

    _check_indices(input, "embedding_bag")
    xp, length, num = xp_of(input.device), input.shape[0], weight.shape[0]
    flat = input._data.astype(xp.int64)
    bad = xp.nonzero((flat < 0) | (flat >= num))[0]
    if bad.size:
        raise RuntimeError(f"Index {int(bad[0])} of input takes value {int(flat[bad[0]])} which "
                           f"is not in the valid range [0, {num})")
    _check_offsets(offsets, length)
    bag, bags = _bag_ids(xp, offsets._data.astype(xp.int64), length, include_last_offset)
    keep = flat != padding_idx
    Tensor = _tensor_cls()
    rows = embedding(input, weight, scale_grad_by_freq=scale_grad_by_freq)
    if mode == "max":
        first = _bag_max(xp, rows._data, bag, keep, bags)
        found = Tensor._make((first < length).astype(rows._data.dtype), input.device)
        index = Tensor._make(xp.minimum(first, max(length - 1, 0)), input.device)
        return rows.gather(0, index) * found if length else weight.new_zeros(bags, weight.shape[1])
    rows = rows * Tensor._make(keep[:, None].astype(rows._data.dtype), input.device)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    out = index_add(weight.new_zeros(bags, weight.shape[1]), 0, Tensor._make(bag, input.device),
                    rows)
    if mode == "mean":
        counts = xp.bincount(bag[keep], minlength=bags).astype(rows._data.dtype)
        out = out / Tensor._make(xp.maximum(counts, 1)[:, None], input.device)
    return out


def _bag_arguments(input, offsets, per_sample_weights, include_last_offset):
    """torch's Python-side normalisation: a 2-D input is a batch of equal-length bags."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                             "a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        offsets = C.arange(0, input.numel(), max(input.shape[1], 1), dtype=input.dtype,
                           device=input.device)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        return input.reshape(-1), offsets, per_sample_weights, False
    if input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        return input, offsets, per_sample_weights, include_last_offset
    raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")


def _check_bag_mode(mode, scale_grad_by_freq, sparse):
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if sparse:
        raise NotImplementedError("ember has no sparse tensors: use sparse=False")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings without building the per-index rows' tensor
    by hand (torch.nn.functional.embedding_bag); padding_idx entries are left out of their bag,
    an empty bag gives zeros."""
    if weight.dtype.name == "int64" and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    input, offsets, per_sample_weights, include_last_offset = _bag_arguments(
        input, offsets, per_sample_weights, include_last_offset)
    _check_bag_mode(mode, scale_grad_by_freq, sparse)
    if max_norm is not None:
        embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    return _embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset,
                          padding_idx, scale_grad_by_freq)
