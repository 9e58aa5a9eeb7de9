"""Margin and embedding losses with torch.nn.functional's semantics: multi_margin_loss,
multilabel_margin_loss, multilabel_soft_margin_loss, cosine_embedding_loss and the triplet losses.
All are composites of differentiable ops on torch's formulas, with torch's argument checks."""

from __future__ import annotations

from ember._ops import creation as C
from ember._ops import masked as Ms
from ember._ops.distance import pairwise_distance
from ember._ops.loss import _ENUM, _type_name, reduce_loss, resolve


def _check_matrix(input):
    """torch's shape check shared by the two multi-class margin losses; (frames, classes)."""
    ndim = input.ndim
    if not ((ndim == 2 and input.shape[1] != 0) or (ndim == 1 and input.shape[0] != 0)
            or ndim == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    return (input.shape[0] if ndim == 2 else 1), (input.shape[-1] if ndim else 1)


def _check_long(target):
    if target.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {_type_name(target)}")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum over j != y of max(0, margin - x[y] + x[j])^p * weight[y], divided by the class count
    (torch.nn.functional.multi_margin_loss)."""
    reduction = resolve(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    frames, classes = _check_matrix(input)
    if target.ndim > 1 or target.numel() != frames:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the "
                           "number of input samples (batch size). Expected target size "
                           f"[{frames}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got "
                           f"{list(weight.shape)}")
    _check_long(target)
    if bool(((target < 0) | (target >= classes)).any()):
        raise RuntimeError("target out of range")
    x, t = input.reshape(frames, classes), target.reshape(frames, 1)
    z = (margin - x.gather(1, t) + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.index_select(0, t.flatten()).unsqueeze(1)
    others = C.arange(classes, device=input.device) != t  # the target class does not count
    loss = (z * others).sum(1) / classes
    return reduce_loss(loss.reshape(target.shape), reduction)


def _label_counts(target, classes):
    """How often each class is listed in each row, reading up to the first -1 (torch's rule)."""
    listed = (target == -1).cumsum(-1) == 0
    hits = target.unsqueeze(-1) == C.arange(classes, device=target.device)
    return (hits & listed.unsqueeze(-1)).sum(-2)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over listed targets j and unlisted classes k of max(0, 1 - (x[j] - x[k])), divided by
    the class count (torch.nn.functional.multilabel_margin_loss)."""
    reduction = resolve(size_average, reduce, reduction)
    frames, classes = _check_matrix(input)
    expected = (frames, classes) if input.ndim == 2 else None
    if (expected and tuple(target.shape) != expected) or (
            not expected and (target.ndim > 1 or target.numel() != classes)):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    _check_long(target)
    if target.numel() and bool(((target < -1) | (target >= classes)).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    x = input.reshape(frames, classes)
    counts = _label_counts(target.reshape(frames, classes), classes)
    pairs = counts.unsqueeze(2) * (counts == 0).unsqueeze(1)  # [n, j, k]: j listed, k not
    hinge = (1 - x.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0)
    loss = (hinge * pairs.to(x.dtype)).sum((1, 2)) / classes
    return reduce_loss(loss if input.ndim == 2 else loss.reshape(()), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Per-class logistic loss averaged over the classes
    (torch.nn.functional.multilabel_soft_margin_loss)."""
    from ember.nn._functional_core import logsigmoid

    if size_average is not None or reduce is not None:
        reduction = resolve(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not valid")
    return reduce_loss(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1
    (torch.nn.functional.cosine_embedding_loss)."""
    reduction = resolve(size_average, reduce, reduction)
    if target.ndim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if target.ndim == 1 else 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"{target.ndim}D target tensor expects {want}D input tensors, but "
                           f"found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    dim = target.ndim
    eps = 1e-12  # torch's EPSILON, keeping the denominator away from zero
    dot = (input1 * input2).sum(dim)
    squares = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = dot / squares.sqrt()
    zeros = C.zeros_like(cos)
    loss = (Ms.where(target == 1, 1 - cos, zeros)
            + Ms.where(target == -1, (cos - margin).clamp_min(0), zeros))
    return reduce_loss(loss, reduction)


def _check_triplet(anchor, positive, negative, margin):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with the pairwise distance; swap takes the nearer of
    d(a, n) and d(p, n) (torch.nn.functional.triplet_margin_loss)."""
    reduction = resolve(size_average, reduce, reduction)
    _check_triplet(anchor, positive, negative, margin)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return reduce_loss((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """The triplet loss with any distance function, pairwise_distance by default
    (torch.nn.functional.triplet_margin_with_distance_loss)."""
    if reduction not in _ENUM:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_triplet(anchor, positive, negative, margin)
    distance = distance_function or pairwise_distance
    d_pos, d_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance(positive, negative))
    return reduce_loss((margin + d_pos - d_neg).clamp_min(0), reduction)
