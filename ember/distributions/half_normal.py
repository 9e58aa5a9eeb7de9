"""HalfNormal(scale) (torch.distributions.HalfNormal): |X| for X ~ Normal(0, scale)."""

from __future__ import annotations

import math

from ember.distributions.normal import Normal
from ember.distributions.transformed_distribution import _HalfSymmetric
from ember.distributions.transforms import AbsTransform

__all__ = ["HalfNormal"]


class HalfNormal(_HalfSymmetric):
    """The absolute value of a centred normal; samples are torch's for the same seed."""

    def __init__(self, scale, validate_args=None):
        base_dist = Normal(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)

