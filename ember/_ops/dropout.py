"""Dropout with torch.nn.functional's semantics and torch's random stream.

torch's CPU dropout draws its mask as ``empty_like(input).bernoulli_(1 - p)`` (one mask value per
element, or per (sample, channel) for the feature variants), scales it by 1 / (1 - p) and
multiplies; alpha dropout turns the mask into an affine map that keeps SELU's mean and variance.
Drawing the same way from ember's generator gives torch's masks bit for bit after the same seed.
"""

from __future__ import annotations

import math
import warnings

from ember._ops import creation as C

_SELU_ALPHA = 1.7580993408473766  # -selu(-inf): the value dropped units take in alpha dropout


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input, feature):
    if not feature:
        return C.empty_like(input)
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return C.empty(shape, dtype=input.dtype, device=input.device)


def _dropout(input, p, train, inplace, feature=False, alpha=False):
    """torch's _dropout_impl: identity when p == 0, not training, or empty; zeros when p == 1."""
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = C.zeros((), dtype=input.dtype, device=input.device)
        return input.mul_(zero) if inplace else input * zero
    noise = _noise(input, feature).bernoulli_(1 - p)
    if not alpha:
        noise.div_(1 - p)
        return input.mul_(noise) if inplace else input * noise
    a = 1.0 / math.sqrt((_SELU_ALPHA ** 2 * p + 1) * (1 - p))
    shift = (noise - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    noise.mul_(a)
    return input.mul_(noise).add_(shift) if inplace else input * noise + shift


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p)
    (torch.nn.functional.dropout)."""
    _check_p(p)
    return _dropout(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps zero mean and unit variance for SELU networks
    (torch.nn.functional.alpha_dropout)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (torch.nn.functional.feature_alpha_dropout)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, feature=True, alpha=True)


def _channel_dropout(input, p, training, inplace, batched):
    """Feature dropout, adding a batch dim for unbatched input as torch does."""
    if batched:
        return _dropout(input, p, training, inplace, feature=True)
    out = _dropout(input.unsqueeze(0), p, training, inplace, feature=True)
    # NOTE: in place, the unsqueezed view wrote through to input, which torch returns itself
    return input if inplace else out.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input (torch.nn.functional.dropout1d)."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an optional "
                           "batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, input.ndim == 3)


def _warn_dims(name, ndim, expected, spatial, article):
    if ndim not in expected:
        warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead. Note that "
                      f"{name} exists to provide channel-wise dropout on inputs with {spatial} "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. {article}).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input; a 3-D input is taken as (N, C, L), as torch
    still does (torch.nn.functional.dropout2d)."""
    _check_p(p)
    _warn_dims("dropout2d", input.ndim, (3, 4), 2, "3D or 4D inputs")
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input
    (torch.nn.functional.dropout3d)."""
    _check_p(p)
    _warn_dims("dropout3d", input.ndim, (4, 5), 3, "4D or 5D inputs")
    return _channel_dropout(input, p, training, inplace, input.ndim == 5)
