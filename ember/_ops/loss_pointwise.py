"""Pointwise losses with torch.nn.functional's semantics: regression losses (mse, l1, smooth l1,
huber), divergences and likelihoods (kl_div, poisson and gaussian nll) and the margin losses built
elementwise (hinge embedding, margin ranking, soft margin). All are composites of differentiable
ops on torch's formulas: gradients and double backward come from the ops they are made of.
"""

from __future__ import annotations

import math
import warnings

from ember._dtype import FLOAT
from ember._ops import creation as C
from ember._ops import masked as Ms
from ember._ops import views as Vw
from ember._ops.loss import (
    _ENUM,
    _NAMES,
    _refuse_grad,
    _type_name,
    get_enum,
    legacy_get_string,
    reduce_loss,
    resolve,
)
from ember.autograd.grad_mode import no_grad


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def _warn_size(input, target):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                      f"({input.size()}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


# -- regression losses ----------------------------------------------------------------------------


def _weighted(loss, weight, input, reduction):
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction not in _ENUM:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                         "'sum'.")
    return loss.sum() / weight.sum() if reduction == "mean" else reduce_loss(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error, optionally weighted (torch.nn.functional.mse_loss)."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    input, target = Vw.broadcast_tensors(input, target)
    loss = (input - target).square()
    if loss.dtype.category != FLOAT:
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{_type_name(loss)}'")
    if weight is not None:
        return _weighted(loss, weight, input, reduction)
    return reduce_loss(loss, _NAMES[get_enum(reduction)])


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error, optionally weighted (torch.nn.functional.l1_loss)."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    input, target = Vw.broadcast_tensors(input, target)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, input, reduction)
    return reduce_loss(loss, _NAMES[get_enum(reduction)])


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (torch.nn.functional.smooth_l1_loss)."""
    _warn_size(input, target)
    reduction = resolve(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = Vw.broadcast_tensors(input, target)
    if beta == 0.0:
        return reduce_loss((input - target).abs(), reduction)
    diff = input - target
    loss = Ms.where(diff.abs() < beta, 0.5 * diff * diff / beta, diff.abs() - 0.5 * beta)
    return reduce_loss(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2); the result keeps the input's dtype
    as torch's kernel does (torch.nn.functional.huber_loss)."""
    _warn_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = Vw.broadcast_tensors(input, target)
    diff = input - target.to(input.dtype)
    loss = Ms.where(diff.abs() < delta, 0.5 * diff * diff, delta * (diff.abs() - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        if reduction not in _ENUM:
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                             "'mean', 'sum'.")
    return reduce_loss(loss, _NAMES[get_enum(reduction)])


# -- divergences and likelihoods ------------------------------------------------------------------


def _xlogy(x, y):
    """x * log(y), 0 where x == 0 (torch.xlogy, for the KL divergence)."""
    return Ms.where(x == 0, 0.0, x * y.log())


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise KL divergence with log-probability input; 'batchmean' divides the sum by the
    batch size, 'mean' by the element count with torch's warning (torch.nn.functional.kl_div)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    enum = get_enum("sum" if reduction == "batchmean" else reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy(target, target) - target * input
    out = reduce_loss(loss, _NAMES[enum])
    return out / input.shape[0] if reduction == "batchmean" and input.ndim else out


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log likelihood, with the Stirling term when full
    (torch.nn.functional.poisson_nll_loss)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + Ms.masked_fill(stirling, target <= 1, 0)
    return reduce_loss(loss, reduction)


def _gaussian_var(input, var):
    Tensor = _tensor_cls()
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        return var * C.ones_like(input)
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape == input.shape:
        return var
    if input.shape[:-1] == var.shape:
        return var.unsqueeze(-1)  # homoscedastic: one variance per row
    mismatched = [v for i, v in zip(input.shape, var.shape) if i != v]
    if input.ndim == var.ndim and sum(mismatched) == 1:
        return var
    raise ValueError("var is of incorrect size")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log likelihood with var clamped at eps without touching its gradient,
    as torch does (torch.nn.functional.gaussian_nll_loss)."""
    var = _gaussian_var(input, var)
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)


# -- elementwise margin losses --------------------------------------------------------------------


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where target is 1, max(0, margin - x) where it is -1
    (torch.nn.functional.hinge_embedding_loss)."""
    reduction = resolve(size_average, reduce, reduction)
    zeros = C.zeros_like(input)
    below_margin = Ms.where(target != 1, (margin - input).clamp_min(0), zeros)
    itself = Ms.where(target != -1, input, zeros)
    return reduce_loss(below_margin + itself, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target (x1 - x2) + margin) (torch.nn.functional.margin_ranking_loss)."""
    reduction = resolve(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but "
                           f"got sizes: input1: {input1.size()}, input2: {input2.size()}, target: "
                           f"{target.size()} ")
    return reduce_loss((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target x)), computed as torch does (torch.nn.functional.soft_margin_loss)."""
    reduction = resolve(size_average, reduce, reduction)
    _refuse_grad("soft_margin_loss", "target", target)
    return reduce_loss((-input * target).exp().log1p(), reduction)
