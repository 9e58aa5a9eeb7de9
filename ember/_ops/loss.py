"""Classification losses with torch.nn.functional's semantics: the reduction helpers shared by
every loss (torch.nn._reduction), nll_loss, cross_entropy and binary cross entropy (plain and with
logits). The other losses live in loss_pointwise.py, loss_margin.py and ctc.py.

nll_loss and the two binary cross entropies are Ops (torch's backward nodes; exact gradients at
the log clamps; stable for logits of any size). cross_entropy is log_softmax + nll_loss as torch
composes it, so its gradient, and its double backward, come from those two.
"""

from __future__ import annotations

import math
import warnings

from ember import _dtype
from ember._dtype import FLOAT
from ember._ops import masked as Ms
from ember._ops import shape as S
from ember._ops._op import Op, _legacy_type_name
from ember._ops.activation import LogSoftmaxBackward0


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


# -- reductions (torch.nn._reduction) -------------------------------------------------------------

_ENUM = {"none": 0, "mean": 1, "sum": 2}
_NAMES = ("none", "mean", "sum")


def get_enum(reduction):
    """0 / 1 / 2 for 'none' / 'mean' / 'sum'; ValueError otherwise (torch's _Reduction.get_enum)."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        return 1
    if reduction not in _ENUM:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _ENUM[reduction]


def legacy_get_string(size_average, reduce, emit_warning=True):
    """The reduction named by the deprecated size_average / reduce flags, with torch's warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    name = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{name}' instead.", stacklevel=3)
    return name


def resolve(size_average, reduce, reduction):
    """The checked reduction string; the legacy flags win when either is given, as in torch."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    return _NAMES[get_enum(reduction)]


def reduce_loss(loss, reduction):
    """torch's apply_loss_reduction: the mean, the sum, or the elementwise loss."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _reduce_array(xp, loss, reduction):
    if reduction == "mean":
        return xp.asarray(loss.mean(), dtype=loss.dtype)
    return xp.asarray(loss.sum(), dtype=loss.dtype) if reduction == "sum" else loss


def _type_name(t):
    return _legacy_type_name(t).split(".")[1][: -len("Tensor")]


def _refuse_grad(fn_name, arg_name, t):
    if t is not None and t.requires_grad:
        raise RuntimeError(f"The function '{fn_name}' is not differentiable with respect to "
                           f"argument '{arg_name}'. This input cannot have requires_grad True.")


# -- negative log likelihood and cross entropy ----------------------------------------------------


class NllLossBackward0(Op):
    """-input[n, target[n], ...] * weight[target[n]], skipping ignore_index (torch.nll_loss).

    NOTE: the loss is linear in input, so backward is upstream grad times a constant scatter of
    -weight (/ total weight for 'mean'): differentiable in the upstream grad, zero second order.
    """

    promote = "keep"

    def __init__(self, reduction, ignore_index):
        self.reduction, self.ignore_index = reduction, ignore_index

    def forward(self, input, target, weight=None):
        xp = self.xp
        x = input.reshape(1, -1) if input.ndim == 1 else input
        t = target.astype(xp.int64, copy=False).reshape(x.shape[:1] + x.shape[2:])
        self.shape2d = x.shape
        # NOTE: one reduction checks 0 <= t < C: negative targets are huge as unsigned
        if (weight is None and x.ndim == 2 and self.ignore_index < 0 and t.size
                and t.view(xp.uint64).max() < x.shape[1]):
            # every target is a class (none ignored, none out of range): all weights are one
            self.rows, self.index = xp.arange(t.shape[0]), t
            loss = -x[self.rows, t]
            if self.reduction == "none" or x.dtype.itemsize < 4:
                return self._reduce(loss, xp.ones(t.shape, x.dtype), True, target.shape)
            # NOTE: the total weight is the count, exact in float32 and float64; the gradient's
            # scale is one number (the general path's per-target scale would repeat it)
            total = x.dtype.type(t.shape[0])
            out = loss.sum(dtype=x.dtype)
            if self.reduction == "mean":
                self.scale, out = x.dtype.type(1) / total, out / total
            else:
                self.scale = x.dtype.type(1)
            return xp.asarray(out, dtype=x.dtype)
        valid = t != self.ignore_index
        bad = valid & ((t < 0) | (t >= x.shape[1]))
        if bad.any():
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
        safe = xp.where(valid, t, 0)
        scale = weight.astype(x.dtype)[safe] if weight is not None else xp.ones(t.shape, x.dtype)
        scale = scale * valid
        self.rows, self.index = None, safe[:, None]
        loss = -(xp.take_along_axis(x, self.index, 1)[:, 0] * scale)
        return self._reduce(loss, scale, valid, target.shape)

    def _reduce(self, loss, scale, valid, target_shape):
        xp, dtype = self.xp, loss.dtype
        if self.reduction == "none":
            self.scale = scale
            return loss.reshape(target_shape)
        total = scale.sum(dtype=dtype)
        # NOTE: ignored targets get exactly zero gradient, even when every target is ignored
        self.scale = xp.where(valid, scale / total, 0) if self.reduction == "mean" else scale
        out = loss.sum(dtype=dtype)
        return xp.asarray(out / total if self.reduction == "mean" else out, dtype=dtype)

    def backward(self, g):
        coef = _tensor_cls()._make(self._coefficients(), g.device)
        if self.reduction == "none" and g.ndim:
            g = g.unsqueeze(1)
        return g * coef, None, None

    def backward_arrays(self, g):
        if self.reduction == "none" and g.ndim:
            g = g[:, None]
        return g * self._coefficients(), None, None

    def _coefficients(self):
        # d loss / d input: -weight (/ total weight) at each target, zero elsewhere
        xp = self.xp
        coef = xp.zeros(self.shape2d, self.scale.dtype)
        if self.rows is not None:
            coef[self.rows, self.index] = -self.scale
        else:
            xp.put_along_axis(coef, self.index, -self.scale[:, None], 1)
        return coef.reshape(self._input_meta[0][0])


class NllLoss2DBackward0(NllLossBackward0):
    """nll_loss on (N, C, H, W) input, as torch names it."""


def _check_nll(input, target, weight):
    in_shape, t_shape = input._data.shape, target._data.shape
    if (weight is None and len(in_shape) == 2 and len(t_shape) == 1 and in_shape[0] == t_shape[0]
            and target.dtype is _dtype.int64):
        return  # the common case: (N, C) scores and N class indices
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim != 1 and input.shape[0] != (target.shape[0] if target.ndim else 0):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.ndim else 0}).")
    if input.ndim <= 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    expected = list(input.shape[:1] + input.shape[2:])
    if input.ndim > 2 and list(target.shape) != expected:
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None and (weight.ndim != 1 or weight.numel() != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_type_name(target)}")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input)} but found "
                           f"{_type_name(weight)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log likelihood of class indices (torch.nn.functional.nll_loss): input (C), (N, C)
    or (N, C, d1, ...); 'mean' divides by the summed weight of the non-ignored targets."""
    reduction = resolve(size_average, reduce, reduction)
    _check_nll(input, target, weight)
    if input.ndim == 3 or input.ndim > 4:
        # torch folds the extra dims into a (N, C, 1, d) problem, and views 'none' back
        n, c, d = input.shape[0], input.shape[1], math.prod(input.shape[2:])
        op = NllLoss2DBackward0(reduction, ignore_index)
        out = op.apply(input.reshape(n, c, 1, d), target.reshape(n, 1, d), weight)
        return out.reshape(target.shape) if reduction == "none" else out
    op = NllLoss2DBackward0 if input.ndim == 4 else NllLossBackward0
    return op(reduction, ignore_index).apply(input, target, weight)


def _class_weight(weight, input, class_dim):
    """The class weights shaped to broadcast along the class dim of input."""
    shape = [1] * input.ndim
    shape[class_dim] = weight.shape[0]
    return weight.reshape(shape) if input.ndim > 1 else weight


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim):
    classes = logp.shape[class_dim]
    if classes and weight is not None and (weight.ndim != 1 or weight.numel() != classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = logp * target
    if weight is not None:
        terms = terms * _class_weight(weight, logp, class_dim)
    if reduction == "none":
        return -terms.sum(class_dim)
    if reduction == "sum":
        return -terms.sum()
    if logp.numel() == 0:
        return -terms.sum() * math.nan
    return -terms.sum() / (logp.numel() // classes)


def _cross_entropy_smoothed(logp, target, weight, reduction, ignore_index, label_smoothing,
                            class_dim):
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    classes = logp.shape[class_dim]
    per_class = logp if weight is None else logp * _class_weight(weight, logp, class_dim)
    ignored = target == ignore_index
    smooth = Ms.masked_fill(-per_class.sum(class_dim), ignored, 0.0)
    if reduction == "mean":
        kept = Ms.masked_select(target, ~ignored)
        total = (~ignored).sum() if weight is None else weight.gather(0, kept.flatten()).sum()
        smooth = smooth.sum() / total
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / classes)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim then nll_loss, as torch composes it; a target of the input's
    shape holds class probabilities (torch.nn.functional.cross_entropy)."""
    reduction = resolve(size_average, reduce, reduction)
    class_dim = 0 if input._data.ndim == 1 else 1
    if input._data.shape == target._data.shape:
        if target.dtype.category != FLOAT:
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {_type_name(target)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing}")
        logp = _log_softmax(input, class_dim)
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing}")
        return _cross_entropy_smoothed(_log_softmax(input, class_dim), target, weight, reduction,
                                       ignore_index, label_smoothing, class_dim)
    return nll_loss(_log_softmax(input, class_dim), target, weight, None, ignore_index, None,
                    reduction)


def _log_softmax(input, class_dim):
    if input._data.ndim == 0:  # F.log_softmax gives torch's error
        from ember.nn._functional_core import log_softmax

        return log_softmax(input, class_dim)
    # the op itself: the class dim needs none of F.log_softmax's argument handling
    return LogSoftmaxBackward0(class_dim).apply(input)


# -- binary cross entropy -------------------------------------------------------------------------


class BinaryCrossEntropyBackward0(Op):
    """-weight * (t log x + (1 - t) log(1 - x)), each log clamped at -100 as torch does."""

    promote = "keep"

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, input, target, weight=None):
        xp = self.xp
        if not ((input >= 0) & (input <= 1)).all():
            raise RuntimeError("all elements of input should be between 0 and 1")
        if not ((target >= 0) & (target <= 1)).all():
            raise RuntimeError("all elements of target should be between 0 and 1")
        log_x = xp.maximum(xp.log(input), -100)
        log_rest = xp.maximum(xp.log1p(-input), -100)
        loss = (target - 1) * log_rest - target * log_x
        if weight is not None:
            loss = loss * weight.astype(input.dtype)
        self.save(input, target, weight)
        return _reduce_array(xp, loss, self.reduction)

    def backward(self, g):
        x, t, w = self.saved
        if self.reduction == "mean":
            g = g / x.numel()
        # NOTE: torch divides by max(x (1 - x), 1e-12), so the gradient stays finite at 0 and 1
        grad_x = g * (x - t) / ((1 - x) * x).clamp_min(1e-12)
        grad_t = g * ((-x).log1p() - x.log())
        if w is not None:
            w = w.to(x.dtype)
            grad_x, grad_t = grad_x * w, grad_t * w
        return grad_x, grad_t, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross entropy of probabilities (torch.nn.functional.binary_cross_entropy)."""
    reduction = resolve(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        weight = weight.expand(S.broadcast_shape(target.shape, weight.shape))
    _refuse_grad("binary_cross_entropy", "weight", weight)
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {_type_name(target)} but expected {_type_name(input)}")
    return BinaryCrossEntropyBackward0(reduction).apply(input, target, weight)


class BinaryCrossEntropyWithLogitsBackward0(Op):
    """(1 - t) x - lw log(sigmoid(x)), lw = 1 + (pos_weight - 1) t; log-sigmoid computed as
    min(x, 0) - log1p(exp(-|x|)), so logits of any size give finite values (torch's kernel)."""

    promote = "keep"

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, input, target, weight=None, pos_weight=None):
        xp = self.xp
        log_sig = xp.minimum(input, 0) - xp.log1p(xp.exp(-xp.abs(input)))
        if pos_weight is not None:
            log_sig = ((pos_weight - 1) * target + 1) * log_sig
        loss = (1 - target) * input - log_sig
        if weight is not None:
            loss = loss * weight
        self.save(input, target, weight, pos_weight)
        # NOTE: torch computes in place on (1 - target), so the result has the target's dtype
        return _reduce_array(xp, loss.astype(target.dtype, copy=False), self.reduction)

    def backward(self, g):
        x, t, w, pw = self.saved
        if self.reduction == "mean":
            g = g / x.numel()
        if pw is None:
            grad_x, grad_t = x.sigmoid() - t, -x
        else:
            log_sig = x.clamp_max(0) - (-x.abs()).exp().log1p()
            grad_x = ((pw - 1) * t + 1) * x.sigmoid() - pw * t
            grad_t = (1 - pw) * log_sig - x
        if w is not None:
            grad_x, grad_t = grad_x * w, grad_t * w
        return g * grad_x, g * grad_t, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid plus binary cross entropy in one stable step
    (torch.nn.functional.binary_cross_entropy_with_logits)."""
    reduction = resolve(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    _refuse_grad("binary_cross_entropy_with_logits", "weight", weight)
    _refuse_grad("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    op = BinaryCrossEntropyWithLogitsBackward0(reduction)
    return op.apply(input, target, weight, pos_weight)
