"""Large fixed-seed samples have the moments torch's formulas give: sample means and variances
within generous multiples of their standard errors, and empirical frequencies near the masses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from dist_helpers import torch

import ember

N = 20000

# name -> factory(D, lib); parameters chosen so the fourth moment is finite
FACTORIES = {
    "Normal": lambda D, lib: D.Normal(lib.tensor([0.5, -1.0]), lib.tensor([1.0, 3.0])),
    "Uniform": lambda D, lib: D.Uniform(lib.tensor([0.0, -2.0]), lib.tensor([1.0, 5.0])),
    "Exponential": lambda D, lib: D.Exponential(lib.tensor([0.5, 4.0])),
    "Laplace": lambda D, lib: D.Laplace(lib.tensor([1.0, 0.0]), lib.tensor([0.5, 2.0])),
    "Gumbel": lambda D, lib: D.Gumbel(lib.tensor([1.0, 0.0]), lib.tensor([0.5, 2.0])),
    "HalfNormal": lambda D, lib: D.HalfNormal(lib.tensor([0.5, 2.0])),
    "LogNormal": lambda D, lib: D.LogNormal(lib.tensor([0.0, 1.0]), lib.tensor([0.25, 0.5])),
    "Gamma": lambda D, lib: D.Gamma(lib.tensor([0.3, 2.0, 20.0]), lib.tensor([1.0, 0.5, 3.0])),
    "Chi2": lambda D, lib: D.Chi2(lib.tensor([1.0, 7.0])),
    "Beta": lambda D, lib: D.Beta(lib.tensor([0.5, 2.0, 9.0]), lib.tensor([0.5, 5.0, 1.0])),
    "StudentT": lambda D, lib: D.StudentT(lib.tensor([5.0, 9.0]), 1.0, 2.0),
    "Bernoulli": lambda D, lib: D.Bernoulli(lib.tensor([0.1, 0.5, 0.9])),
    "Poisson": lambda D, lib: D.Poisson(lib.tensor([0.5, 4.0, 30.0])),
    "Geometric": lambda D, lib: D.Geometric(lib.tensor([0.2, 0.7])),
    "Binomial": lambda D, lib: D.Binomial(lib.tensor([10.0, 100.0, 7.0]),
                                          lib.tensor([0.3, 0.8, 0.5])),
    "Categorical": lambda D, lib: D.OneHotCategorical(lib.tensor([0.1, 0.2, 0.7])),
    "Multinomial": lambda D, lib: D.Multinomial(6, lib.tensor([0.1, 0.2, 0.7])),
    "Dirichlet": lambda D, lib: D.Dirichlet(lib.tensor([0.5, 2.0, 4.0])),
    "MultivariateNormal": lambda D, lib: D.MultivariateNormal(
        lib.tensor([1.0, -1.0]), lib.tensor([[2.0, 0.5], [0.5, 1.0]])),
    "Weibull": lambda D, lib: D.Weibull(lib.tensor([1.0, 2.0]), lib.tensor([0.8, 3.0])),
    "InverseGamma": lambda D, lib: D.InverseGamma(lib.tensor([5.0, 9.0]), lib.tensor([1.0, 2.0])),
    "FisherSnedecor": lambda D, lib: D.FisherSnedecor(lib.tensor([3.0, 10.0]),
                                                      lib.tensor([12.0, 20.0])),
    "Kumaraswamy": lambda D, lib: D.Kumaraswamy(lib.tensor([0.5, 3.0]), lib.tensor([2.0, 0.7])),
    "Pareto": lambda D, lib: D.Pareto(lib.tensor([1.0, 0.5]), lib.tensor([6.0, 9.0])),
    "NegativeBinomial": lambda D, lib: D.NegativeBinomial(lib.tensor([2.0, 7.5]),
                                                          lib.tensor([0.3, 0.6])),
    "Mixture": lambda D, lib: D.MixtureSameFamily(
        D.Categorical(lib.tensor([0.3, 0.7])), D.Normal(lib.tensor([-2.0, 1.0]), 1.0)),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_sample_moments(name):
    ember.manual_seed(1234)
    dist = FACTORIES[name](ember.distributions, ember)
    samples = dist.sample((N,)).double().numpy()
    mean, variance = dist.mean.double().numpy(), dist.variance.double().numpy()
    # standard errors of the sample mean and variance; 6 of them is a generous bound (the
    # variance also carries the error of the estimated mean, second order in it)
    mean_se = np.sqrt(variance / N)
    fourth = ((samples - mean) ** 4).mean(0)
    var_se = np.sqrt(np.maximum(fourth - variance**2, 0) / N)
    np.testing.assert_array_less(np.abs(samples.mean(0) - mean), 6 * mean_se + 1e-12)
    np.testing.assert_array_less(np.abs(samples.var(0) - variance),
                                 6 * var_se + 36 * mean_se**2 + 1e-12)
    # the analytic moments themselves are torch's
    t_dist = FACTORIES[name](torch.distributions, torch)
    np.testing.assert_allclose(mean, t_dist.mean.double().numpy(), rtol=1e-6)
    np.testing.assert_allclose(variance, t_dist.variance.double().numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["Cauchy", "Categorical", "Geometric"])
def test_empirical_cdf_or_masses(name):
    ember.manual_seed(99)
    D = ember.distributions
    if name == "Cauchy":  # no moments: compare the empirical cdf at a few points
        dist = D.Cauchy(ember.tensor(1.0), ember.tensor(2.0))
        samples = dist.sample((N,))
        points = ember.tensor([-5.0, 0.0, 1.0, 4.0])
        empirical = (samples.unsqueeze(-1) <= points).double().mean(0).numpy()
        expected = dist.cdf(points).double().numpy()
    else:
        dist = (D.Categorical(ember.tensor([0.1, 0.3, 0.6])) if name == "Categorical"
                else D.Geometric(ember.tensor(0.4)))
        samples = dist.sample((N,)).long().numpy()
        support = np.arange(3)
        empirical = (samples[:, None] == support).mean(0)
        expected = dist.log_prob(ember.tensor(support)).exp().double().numpy()
    assert np.all(np.abs(empirical - expected) < 6 * np.sqrt(expected * (1 - expected) / N))


def test_relaxed_samples_approach_hard_ones_at_low_temperature():
    ember.manual_seed(3)
    probs = ember.tensor([0.2, 0.8])
    relaxed = ember.distributions.RelaxedOneHotCategorical(ember.tensor(0.05), probs)
    samples = relaxed.sample((N,))
    frequencies = (samples.argmax(-1) == 1).double().mean().item()
    assert abs(frequencies - 0.8) < 6 * math.sqrt(0.16 / N)
    assert samples.max(-1)[0].mean().item() > 0.95
