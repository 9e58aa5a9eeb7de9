"""Binomial(total_count, probs | logits) (torch.distributions.Binomial)."""

from __future__ import annotations

import ember
from ember.distributions import _samplers, constraints
from ember.distributions.distribution import Distribution
from ember.distributions.utils import _BinaryProbsLogits

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    # works like clamp(x, min=0) but has grad at 0 as 0.5
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def binomial(count, prob):
    """Binomial samples with per-element counts and probabilities (torch.binomial), torch's
    numbers for the same seed."""
    if count.dtype not in (ember.float32, ember.float64):
        raise RuntimeError(f"\"binomial_cpu\" not implemented for '{count.dtype}'")
    count, prob = ember.broadcast_tensors(count, prob.to(count.dtype))
    sample = _samplers.binomial(_samplers.host(count), _samplers.host(prob))
    return ember.tensor(sample, device=count.device)


class Binomial(_BinaryProbsLogits, Distribution):
    """Successes in total_count Bernoulli(probs) trials; samples are torch's for the same seed
    (torch's inversion and BTRS samplers)."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        param = self._set_probs_or_logits(probs, logits, total_count)
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Binomial, batch_shape, _instance,
                                   ("total_count", "probs", "logits"))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @property
    def param_shape(self):
        return self._param.size()

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = ember.lgamma(self.total_count + 1)
        log_factorial_k = ember.lgamma(value + 1)
        log_factorial_nmk = ember.lgamma(self.total_count - value + 1)
        # NOTE: a numerically stable form of n log(1 + exp(logits)), as torch writes it
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * ember.log1p(ember.exp(-ember.abs(self.logits)))
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`.")
        values = ember.arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        return self._support_values(values, expand)
