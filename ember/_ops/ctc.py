"""Connectionist temporal classification loss with torch.nn.functional.ctc_loss's semantics.

CtcLossBackward0 runs the forward (alpha) and backward (beta) recursions in log space over the
extended label sequence blank, l1, blank, l2, ..., blank, one time step at a time, vectorised over
the batch. Its gradient is torch's: exp(log_probs) - exp(log(alpha * beta) + nll - log_probs),
the gradient through log_softmax's logits, which is what torch returns for log_probs.
"""

from __future__ import annotations

from ember._ops import creation as C
from ember._ops._op import Op
from ember._ops.loss import _ENUM
from ember._ops.masked import where


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def _logsumexp(xp, *terms):
    stacked = xp.stack(terms)
    peak = stacked.max(axis=0)
    safe = xp.where(xp.isfinite(peak), peak, 0)
    return xp.log(xp.exp(stacked - safe).sum(axis=0)) + safe


class CtcLossBackward0(Op):
    """Per-sample negative log likelihood of the targets under all alignments."""

    promote = "keep"

    def __init__(self, labels, input_lengths, target_lengths, blank, zero_infinity):
        self.labels, self.blank, self.zero_infinity = labels, blank, zero_infinity
        self.input_lengths, self.target_lengths = input_lengths, target_lengths

    def _extended(self, xp):
        """Extended labels (N, 2S+1), which of them may skip back two, and which exist."""
        n, s = self.labels.shape
        ext = xp.full((n, 2 * s + 1), self.blank, xp.int64)
        ext[:, 1::2] = self.labels
        skip = xp.zeros(ext.shape, bool)
        skip[:, 2:] = (ext[:, 2:] != self.blank) & (ext[:, 2:] != ext[:, :-2])
        valid = xp.arange(2 * s + 1)[None, :] < 2 * self.target_lengths[:, None] + 1
        return ext, skip, valid

    def _alpha(self, xp, emit, skip, valid):
        alpha = xp.full(emit.shape, -xp.inf, emit.dtype)
        alpha[0, :, :2] = emit[0, :, :2]
        alpha[0] = xp.where(valid, alpha[0], -xp.inf)
        for t in range(1, emit.shape[0]):
            prev = alpha[t - 1]
            one = xp.pad(prev[:, :-1], ((0, 0), (1, 0)), constant_values=-xp.inf)
            two = xp.pad(prev[:, :-2], ((0, 0), (2, 0)), constant_values=-xp.inf)
            two = xp.where(skip, two, -xp.inf)
            alpha[t] = xp.where(valid, emit[t] + _logsumexp(xp, prev, one, two), -xp.inf)
        return alpha

    def _beta(self, xp, emit, skip, valid):
        beta = xp.full(emit.shape, -xp.inf, emit.dtype)
        rows = xp.arange(emit.shape[1])
        last = 2 * self.target_lengths
        for t in range(emit.shape[0] - 1, -1, -1):
            start = xp.full(emit.shape[1:], -xp.inf, emit.dtype)
            start[rows, last] = emit[t, rows, last]
            ends = xp.maximum(last - 1, 0)
            start[rows, ends] = xp.where(last > 0, emit[t, rows, ends], start[rows, ends])
            if t + 1 < emit.shape[0]:
                nxt = beta[t + 1]
                one = xp.pad(nxt[:, 1:], ((0, 0), (0, 1)), constant_values=-xp.inf)
                two = xp.pad(nxt[:, 2:], ((0, 0), (0, 2)), constant_values=-xp.inf)
                two = xp.where(xp.pad(skip[:, 2:], ((0, 0), (0, 2))), two, -xp.inf)
                inner = emit[t] + _logsumexp(xp, nxt, one, two)
            else:
                inner = start
            here = (t == self.input_lengths - 1)[:, None]
            later = (t < self.input_lengths - 1)[:, None]
            beta[t] = xp.where(valid & here, start, xp.where(valid & later, inner, -xp.inf))
        return beta

    def forward(self, log_probs):
        xp = self.xp
        ext, skip, valid = self._extended(xp)
        self.ext = ext
        emit = xp.take_along_axis(log_probs, xp.broadcast_to(
            ext[None], (log_probs.shape[0],) + ext.shape), 2)
        alpha = self._alpha(xp, emit, skip, valid)
        rows, last = xp.arange(ext.shape[0]), 2 * self.target_lengths
        final = alpha[self.input_lengths - 1, rows]
        before = xp.where(last > 0, final[rows, xp.maximum(last - 1, 0)], -xp.inf)
        self.nll = -_logsumexp(xp, final[rows, last], before)
        self.emit_skip_valid = emit, skip, valid
        self.save(log_probs)
        return self.nll.astype(log_probs.dtype)

    def backward(self, g):
        xp = self.xp
        (log_probs,) = self.saved
        lp = log_probs._data
        emit, skip, valid = self.emit_skip_valid
        both = self._alpha(xp, emit, skip, valid) + self._beta(xp, emit, skip, valid)
        # log of the summed alpha * beta per (time, sample, class), accumulated in exp space
        peak = both.max(axis=2, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        summed = xp.zeros(lp.shape, lp.dtype)
        t_idx, n_idx, _ = xp.indices(both.shape)
        xp.add.at(summed, (t_idx, n_idx, xp.broadcast_to(self.ext[None], both.shape)),
                  xp.exp(both - peak))
        lcab = xp.log(summed) + peak
        grad = xp.exp(lp) - xp.exp(lcab + self.nll[None, :, None] - lp)
        grad = xp.where((xp.arange(lp.shape[0])[:, None] < self.input_lengths[None, :])[..., None],
                        grad, 0)
        if self.zero_infinity:
            grad = xp.where(xp.isinf(self.nll)[None, :, None], 0, grad)
        return g.unsqueeze(0).unsqueeze(2) * _tensor_cls()._make(grad.astype(lp.dtype), g.device)


def _lengths(value, xp):
    data = value._data if isinstance(value, _tensor_cls()) else xp.asarray(value)
    return xp.asarray(data, dtype=xp.int64).reshape(-1)


def _padded_targets(xp, targets, target_lengths, batch):
    """Targets as an (N, S) array, from either the padded or the concatenated layout."""
    data = targets._data.astype(xp.int64)
    longest = int(target_lengths.max()) if batch else 0
    if data.ndim == 2:
        if data.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, "
                               f"but got size {data.shape[1]} for argument #2 'targets' (while "
                               "checking arguments for ctc_loss_allocate_outputs)")
        return data[:, :longest]
    out = xp.zeros((batch, longest), xp.int64)
    starts = xp.concatenate([xp.zeros(1, xp.int64), xp.cumsum(target_lengths)[:-1]])
    for n in range(batch):
        out[n, : target_lengths[n]] = data[starts[n]: starts[n] + target_lengths[n]]
    return out


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """CTC loss of (T, N, C) or unbatched (T, C) log-probabilities; 'mean' divides each loss by
    its target length first (torch.nn.functional.ctc_loss)."""
    from ember._backend import xp_of

    if reduction not in _ENUM:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    batched = log_probs.ndim == 3
    if not batched:
        log_probs, targets = log_probs.unsqueeze(1), targets.unsqueeze(0)
    xp = xp_of(log_probs.device)
    steps, batch, classes = log_probs.shape
    lengths, target_len = _lengths(input_lengths, xp), _lengths(target_lengths, xp)
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    if lengths.shape[0] != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if lengths.size and int(lengths.max()) > steps:
        raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got value "
                           f"{int(lengths.max())} (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    labels = _padded_targets(xp, targets, target_len, batch)
    op = CtcLossBackward0(labels, lengths, target_len, blank, zero_infinity)
    loss = op.apply(log_probs)
    if zero_infinity:
        loss = where(loss == float("inf"), C.zeros_like(loss), loss)
    if reduction == "mean":
        divisor = _tensor_cls()._make(target_len.astype(loss._data.dtype), loss.device)
        return (loss / divisor.clamp_min(1)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)
