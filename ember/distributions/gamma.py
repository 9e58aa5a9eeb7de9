"""Gamma(concentration, rate) (torch.distributions.Gamma), with torch's sampler and its implicit
reparameterization gradient."""

from __future__ import annotations

import ember
from ember.autograd import Function
from ember.distributions import _reparam, _samplers, constraints
from ember.distributions._special import gammainc
from ember.distributions.exp_family import ExponentialFamily
from ember.distributions.utils import _finfo, broadcast_all

__all__ = ["Gamma"]


class _StandardGamma(Function):
    """torch._standard_gamma: Gamma(alpha, 1) samples, torch's numbers for the same seed; the
    gradient is torch._standard_gamma_grad (d sample / d alpha at fixed cdf)."""

    @staticmethod
    def forward(ctx, concentration):
        sample = _samplers.standard_gamma(_samplers.host(concentration))
        out = ember.tensor(sample, device=concentration.device)
        ctx.save_for_backward(concentration, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        concentration, out = ctx.saved_tensors
        dx = _reparam.standard_gamma_grad(_samplers.host(concentration), _samplers.host(out))
        return grad * ember.tensor(dx, device=grad.device)


def _standard_gamma(concentration):
    """Standard gamma samples at the given concentrations (torch._standard_gamma)."""
    if not concentration.is_floating_point() or concentration.dtype not in (ember.float32,
                                                                             ember.float64):
        raise RuntimeError(f"\"gamma_cpu\" not implemented for '{concentration.dtype}'")
    return _StandardGamma.apply(concentration)


class Gamma(ExponentialFamily):
    """The gamma distribution with shape concentration and inverse scale rate; samples are
    torch's for the same seed."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, batch_shape, _instance, ("concentration", "rate"))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        # NOTE: as torch: clamp the values, not the graph (tiny samples keep their gradient)
        value.detach().clamp_(min=float(_finfo(value.dtype).tiny))
        return value

    def log_prob(self, value):
        value = ember.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration, self.rate)
                + ember.xlogy(self.concentration - 1, value)
                - self.rate * value - ember.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - ember.log(self.rate) + ember.lgamma(self.concentration)
                + (1.0 - self.concentration) * ember.digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return ember.lgamma(x + 1) + (x + 1) * ember.log(-y.reciprocal())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)

