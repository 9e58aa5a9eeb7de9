"""HalfCauchy(scale) (torch.distributions.HalfCauchy): |X| for X ~ Cauchy(0, scale)."""

from __future__ import annotations

import math

import ember
from ember.distributions.cauchy import Cauchy
from ember.distributions.transformed_distribution import _HalfSymmetric
from ember.distributions.transforms import AbsTransform

__all__ = ["HalfCauchy"]


class HalfCauchy(_HalfSymmetric):
    """The absolute value of a centred Cauchy variable; samples are torch's for the same seed."""

    def __init__(self, scale, validate_args=None):
        base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return ember.full(self._extended_shape(), math.inf, dtype=self.scale.dtype,
                          device=self.scale.device)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # as torch: unlike HalfNormal, a number is taken as a tensor of scale's dtype
        value = ember.as_tensor(value, dtype=self.scale.dtype, device=self.scale.device)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return ember.where(value >= 0, log_prob, -math.inf)

