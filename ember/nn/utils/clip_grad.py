"""Gradient clipping (torch.nn.utils.clip_grad_norm_, clip_grad_value_)."""

from __future__ import annotations

import math

from ember._ops.creation import tensor as _tensor
from ember._ops.join import stack
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad


def _grads_of(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients in place so that their joint norm is at most ``max_norm``; returns
    the total norm before clipping (a 0-dim tensor), as torch.nn.utils.clip_grad_norm_.

    The total is the norm of the per-gradient norms, and the scale max_norm / (total + 1e-6)
    is clamped to 1, as in torch, so gradients already within bounds are multiplied by 1."""
    grads = _grads_of(parameters)
    norm_type = float(norm_type)
    if not grads:
        return _tensor(0.0)
    with no_grad():
        norms = stack([g.norm(norm_type) for g in grads])
        total = norms.amax() if norm_type == math.inf else norms.norm(norm_type)
        if error_if_nonfinite and bool(total.isnan() | total.isinf()):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
        scale = (max_norm / (total + 1e-6)).clamp_max(1.0)
        for g in grads:
            g.mul_(scale.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads_of(parameters):
            g.clamp_(-clip_value, clip_value)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the per-tensor norms (torch.nn.utils.get_total_norm)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if not tensors:
        return _tensor(0.0)
    norms = stack([t.norm(float(norm_type)) for t in tensors])
    return norms.amax() if float(norm_type) == math.inf else norms.norm(float(norm_type))
