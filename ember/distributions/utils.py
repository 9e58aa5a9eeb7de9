"""Helpers shared by the distributions (torch.distributions.utils): broadcasting parameters,
logits <-> probabilities, lazily computed parameters and triangular packing."""

from __future__ import annotations

from functools import update_wrapper
from operator import attrgetter

import numpy as np

import ember
import ember.nn.functional as F

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # Euler Mascheroni constant

_Number = (bool, int, float)


def _finfo(dtype):
    """NumPy's finfo for an ember floating dtype (eps, tiny, min, max as torch.finfo gives)."""
    if dtype.np.name == "bfloat16":
        import ml_dtypes

        return ml_dtypes.finfo(dtype.np)
    return np.finfo(dtype.np)


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers become tensors of the first tensor's
    dtype and device (the default dtype if all are numbers), as torch.distributions.utils does."""
    if not all(isinstance(v, (ember.Tensor, *_Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, ember.Tensor) for v in values):
        options = {"dtype": ember.get_default_dtype()}
        for value in values:
            if isinstance(value, ember.Tensor):
                options = {"dtype": value.dtype, "device": value.device}
                break
        values = [v if isinstance(v, ember.Tensor) else ember.tensor(v, **options)
                  for v in values]
    return ember.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device):
    """Standard normal samples, drawn as Tensor.normal_() draws them."""
    return ember.empty(shape, dtype=dtype, device=device).normal_()


def _sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dimensions of value."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid for the binary case, else softmax over the last dim."""
    if is_binary:
        return ember.sigmoid(logits)
    return F.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp probabilities to [eps, 1 - eps], eps being the dtype's machine epsilon."""
    eps = float(_finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities (log-odds in the binary case, else log-probabilities)."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(ps_clamped) - ember.log1p(-ps_clamped)
    return ember.log(ps_clamped)


class lazy_property:
    """A non-data descriptor that computes an attribute on first access (with grad enabled)
    and then stores it on the instance, as torch's lazy_property does."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """Looks like a property to documentation tools and like a lazy_property to validation."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


class _BinaryProbsLogits:
    """probs and logits of a binary outcome (Bernoulli, Binomial, NegativeBinomial, Geometric,
    LogitRelaxedBernoulli): one is given, the other derived from it on first use."""

    def _set_probs_or_logits(self, probs, logits, total_count=None):
        """Store the one of probs / logits given as a tensor (broadcast with total_count,
        which takes its dtype, where there is one) and return it."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        if total_count is None:
            (param,) = broadcast_all(value)
        else:
            total_count, param = broadcast_all(total_count, value)
            self.total_count = total_count.type_as(param)
        setattr(self, name, param)
        return param

    @property
    def _param(self):
        # whichever is stored: both have the same shape, dtype and device
        return self.probs if "probs" in self.__dict__ else self.logits

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)


def _delegate(path):
    """A read-only property that returns the attribute at the dotted ``path`` of the instance
    (e.g. "base_dist.scale")."""
    return property(attrgetter(path))


def _tril_mask(n, diag, device):
    arange = ember.arange(n, device=device)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The lower-triangular entries (below diagonal ``diag``) of a batch of matrices, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of tril_matrix_to_vec: vectors to lower-triangular D x D matrices."""
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1]
                            + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > _finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed "
                         "as the lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(vec.shape[:-1] + ember.Size((n, n)))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
