"""Dirichlet, MultivariateNormal, Independent, MixtureSameFamily and the relaxed (Concrete)
distributions against torch.distributions: densities, moments, entropies, gradients and samples
after the same seed."""

from __future__ import annotations

import numpy as np
import pytest
from dist_helpers import check, check_error, check_sample, torch

import ember


def _spd(rng, batch, n, dtype):
    a = rng.standard_normal(batch + (n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def _tril(rng, batch, n, dtype):
    a = np.tril(rng.uniform(-1, 1, batch + (n, n)))
    idx = np.arange(n)
    a[..., idx, idx] = rng.uniform(0.5, 2, batch + (n,))
    return a.astype(dtype)


def _methods(dist, value):
    return (dist.log_prob(value), dist.entropy(), dist.mean, dist.variance, dist.stddev,
            dist.batch_shape, dist.event_shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch", [(), (3,), (2, 3)])
def test_dirichlet(batch, dtype):
    rng = np.random.default_rng(0)
    conc = rng.uniform(0.3, 4, batch + (4,)).astype(dtype)
    value = rng.dirichlet([1, 2, 3, 4], (2,) + batch).astype(dtype)
    rtol = 1e-4 if dtype == "float32" else 1e-7
    check(lambda lib, c, v: _methods(lib.distributions.Dirichlet(c), v), conc, value, grad=True,
          rtol=rtol)
    check(lambda lib, c: lib.distributions.Dirichlet(c).mode, conc)
    check_sample(lambda lib, c: lib.distributions.Dirichlet(c).rsample((5,)), conc, seed=4,
                 grad=True)


def test_dirichlet_mode_with_small_concentrations():
    conc = np.array([[0.5, 0.4, 0.9], [2.0, 3.0, 0.5], [1.0, 1.0, 1.0]])
    check(lambda lib, c: lib.distributions.Dirichlet(c).mode, conc)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_beta_gradients_cover_every_regime(dtype):
    # small x, x near 1, both concentrations large, and the rational approximation
    c1 = np.array([0.05, 0.3, 2.0, 8.0, 30.0, 3.0, 0.7, 12.0], dtype)
    c0 = np.array([0.2, 5.0, 0.05, 9.0, 25.0, 3.0, 1.5, 0.3], dtype)
    check_sample(lambda lib, a, b: lib.distributions.Beta(a, b).rsample((40,)), c1, c0, seed=9,
                 grad=True)
    conc = np.array([0.01, 0.2, 0.9, 1.0, 7.5, 9.0, 120.0], dtype)
    check_sample(lambda lib, c: lib.distributions.Gamma(c, 2.0).rsample((30,)), conc, seed=8,
                 grad=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("form", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("shapes", [((3,), ()), ((2, 3), (2,)), ((4, 1, 3), (2,))])
def test_multivariate_normal(shapes, form, dtype):
    loc_shape, mat_batch = shapes
    rng = np.random.default_rng(1)
    loc = rng.uniform(-1, 1, loc_shape).astype(dtype)
    mat = (_tril if form == "scale_tril" else _spd)(rng, mat_batch, 3, dtype)
    value = rng.standard_normal((2,) + loc_shape).astype(dtype)
    rtol = 2e-4 if dtype == "float32" else 1e-7

    def fn(lib, loc, mat, value):
        dist = lib.distributions.MultivariateNormal(loc, **{form: mat})
        return _methods(dist, value) + (dist.covariance_matrix, dist.precision_matrix,
                                        dist.scale_tril, dist.mode)

    check(fn, loc, mat, value, grad=True, rtol=rtol, atol=rtol)

    def draw(lib, loc, mat):
        return lib.distributions.MultivariateNormal(loc, **{form: mat}).rsample((4,))

    check_sample(draw, loc, mat, seed=2, grad=True, exact=False)


def test_multivariate_normal_samples_and_errors():
    loc = np.zeros(2, "float32")
    tril = np.array([[1.0, 0.0], [0.5, 2.0]], "float32")
    check_sample(lambda lib, m, s: lib.distributions.MultivariateNormal(m, scale_tril=s)
                 .expand((3,)).sample((2,)), loc, tril, seed=1, exact=False)
    bad = np.array([[1.0, 2.0], [0.0, 1.0]], "float32")
    for fn in (lambda lib, m, s: lib.distributions.MultivariateNormal(m),
               lambda lib, m, s: lib.distributions.MultivariateNormal(m[0], scale_tril=s),
               lambda lib, m, s: lib.distributions.MultivariateNormal(m, scale_tril=s[0]),
               lambda lib, m, s: lib.distributions.MultivariateNormal(m, precision_matrix=s[0]),
               lambda lib, m, s: lib.distributions.MultivariateNormal(m, covariance_matrix=s),
               lambda lib, m, s: lib.distributions.MultivariateNormal(m, scale_tril=s),
               lambda lib, m, s: lib.distributions.MultivariateNormal(
                   m, scale_tril=s.T).log_prob(s[:, :1])):
        check_error(fn, loc, bad)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_independent(dtype):
    rng = np.random.default_rng(2)
    loc = rng.uniform(-1, 1, (2, 3, 4)).astype(dtype)
    scale = rng.uniform(0.5, 2, (2, 3, 4)).astype(dtype)
    value = rng.standard_normal((5, 2, 3, 4)).astype(dtype)
    for ndims in (0, 1, 2):
        def fn(lib, loc, scale, value, ndims=ndims):
            dist = lib.distributions.Independent(lib.distributions.Normal(loc, scale), ndims)
            return _methods(dist, value) + (dist.mode, dist.has_rsample,
                                            dist.has_enumerate_support, dist.support.event_dim,
                                            dist.expand((7, 2, 3, 4)[:4 - ndims]).batch_shape)

        check(fn, loc, scale, value, grad=True)
        check_sample(lambda lib, a, b, n=ndims: lib.distributions.Independent(
            lib.distributions.Normal(a, b), n).rsample((2,)), loc, scale, seed=1, grad=True)
    probs = np.array([[0.2, 0.7]])
    check(lambda lib, p: lib.distributions.Independent(lib.distributions.Bernoulli(p), 0)
          .enumerate_support(), probs)
    check_error(lambda lib, p: lib.distributions.Independent(lib.distributions.Bernoulli(p), 1)
                .enumerate_support(), probs)
    check_error(lambda lib, p: lib.distributions.Independent(lib.distributions.Bernoulli(p), 3),
                probs)
    t_dist = torch.distributions.Independent(torch.distributions.Normal(torch.zeros(2), 1.0), 1)
    e_dist = ember.distributions.Independent(ember.distributions.Normal(ember.zeros(2), 1.0), 1)
    assert repr(e_dist).replace("ember.", "torch.") == repr(t_dist)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mixture_same_family(dtype):
    rng = np.random.default_rng(3)
    logits = rng.uniform(-1, 1, (2, 3)).astype(dtype)
    loc = rng.uniform(-2, 2, (2, 3)).astype(dtype)
    scale = rng.uniform(0.5, 2, (2, 3)).astype(dtype)
    value = rng.standard_normal((4, 2)).astype(dtype)

    def make(lib, logits, loc, scale):
        D = lib.distributions
        return D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(loc, scale))

    check(lambda lib, *a: (lambda d: (d.log_prob(a[3]), d.cdf(a[3]), d.mean, d.variance,
                                      d.batch_shape))(make(lib, *a[:3])),
          logits, loc, scale, value, grad=True)
    check_sample(lambda lib, *a: make(lib, *a).sample((5,)), logits, loc, scale, seed=6)
    check_sample(lambda lib, *a: make(lib, *a).expand((3, 2)).sample(), logits, loc, scale,
                 seed=6)
    mvn_loc = rng.uniform(-1, 1, (3, 2)).astype(dtype)

    def mixture_of_mvn(lib, logits, loc):
        D = lib.distributions
        mix = D.MixtureSameFamily(D.Categorical(logits=logits[0]),
                                  D.Independent(D.Normal(loc, lib.ones_like(loc)), 1))
        return mix.sample((4,)), mix.log_prob(loc[:1]), mix.mean, mix.variance

    check_sample(mixture_of_mvn, logits, mvn_loc, seed=7, exact=False)
    t_mix = make(torch, *(torch.tensor(a) for a in (logits, loc, scale)))
    e_mix = make(ember, *(ember.tensor(a) for a in (logits, loc, scale)))
    assert repr(e_mix).replace("ember.", "torch.") == repr(t_mix)
    for fn in (lambda lib, a: lib.distributions.MixtureSameFamily(
                   lib.distributions.Normal(a, 1.0), lib.distributions.Normal(a, 1.0)),
               lambda lib, a: lib.distributions.MixtureSameFamily(
                   lib.distributions.Categorical(logits=a), a),
               lambda lib, a: lib.distributions.MixtureSameFamily(
                   lib.distributions.Categorical(logits=a), lib.distributions.Normal(a.T, 1.0)),
               lambda lib, a: lib.distributions.MixtureSameFamily(
                   lib.distributions.Categorical(logits=a[:, :2]),
                   lib.distributions.Normal(a, 1.0))):
        check_error(fn, logits)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relaxed_bernoulli(dtype):
    rng = np.random.default_rng(4)
    temperature = np.array(0.7, dtype)
    probs = rng.uniform(0.1, 0.9, (3,)).astype(dtype)
    value = rng.uniform(0.05, 0.95, (2, 3)).astype(dtype)
    for key in ("probs", "logits"):
        def fn(lib, t, p, v, key=key):
            dist = lib.distributions.RelaxedBernoulli(t, **{key: p})
            return dist.log_prob(v), dist.probs, dist.logits, dist.temperature, dist.batch_shape

        check(fn, temperature, probs, value, grad=True, rtol=1e-4 if dtype == "float32" else None)
        check_sample(lambda lib, t, p, key=key: lib.distributions.RelaxedBernoulli(
            t, **{key: p}).rsample((4,)), temperature, probs, seed=3, grad=True, exact=False)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relaxed_one_hot_categorical(dtype):
    rng = np.random.default_rng(5)
    temperature = np.array(0.5, dtype)
    probs = rng.uniform(0.1, 1, (2, 3)).astype(dtype)
    value = rng.dirichlet([1, 1, 1], (4, 2)).astype(dtype)
    for key in ("probs", "logits"):
        def fn(lib, t, p, v, key=key):
            dist = lib.distributions.RelaxedOneHotCategorical(t, **{key: p})
            return dist.log_prob(v), dist.probs, dist.logits, dist.event_shape

        check(fn, temperature, probs, value, grad=True, rtol=1e-4 if dtype == "float32" else None)
        check_sample(lambda lib, t, p, key=key: lib.distributions.RelaxedOneHotCategorical(
            t, **{key: p}).rsample((3,)), temperature, probs, seed=4, grad=True, exact=False)
