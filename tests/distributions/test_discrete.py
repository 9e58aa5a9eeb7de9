"""Discrete distributions against torch.distributions: probability masses, moments, entropies,
supports and gradients, with probs or logits; samples after the same seed."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
from dist_helpers import check, check_error, check_sample, torch

import ember


def _probs(rng, shape, dtype):
    return rng.uniform(0.05, 0.95, shape).astype(dtype)


def _logits(rng, shape, dtype):
    return rng.uniform(-2, 2, shape).astype(dtype)


def _weights(rng, shape, dtype):
    return rng.uniform(0.1, 2, shape + (4,)).astype(dtype)


def _binary(rng, shape, dtype):
    return rng.integers(0, 2, shape).astype(dtype)


def _counts(rng, shape, dtype):
    return rng.integers(0, 6, shape).astype(dtype)


def _indices(rng, shape, dtype):
    return rng.integers(0, 4, shape).astype("int64")


def _one_hot(rng, shape, dtype):
    return np.eye(4, dtype=dtype)[rng.integers(0, 4, shape)]


def _count_vectors(rng, shape, dtype):
    return rng.multinomial(7, [0.1, 0.2, 0.3, 0.4], shape).astype(dtype)


class Case(NamedTuple):
    make: object  # (D, param) -> distribution
    param: object  # generator of the parameter
    value: object  # generator of values in the support
    exact_samples: bool = True


CASES = {
    "Bernoulli-probs": Case(lambda D, p: D.Bernoulli(probs=p), _probs, _binary),
    "Bernoulli-logits": Case(lambda D, x: D.Bernoulli(logits=x), _logits, _binary),
    "Categorical-probs": Case(lambda D, p: D.Categorical(probs=p), _weights, _indices),
    "Categorical-logits": Case(lambda D, x: D.Categorical(logits=x), _weights, _indices),
    "OneHotCategorical": Case(lambda D, p: D.OneHotCategorical(probs=p), _weights, _one_hot),
    "OneHotCategorical-logits": Case(lambda D, x: D.OneHotCategorical(logits=x), _weights,
                                     _one_hot),
    "Poisson": Case(lambda D, r: D.Poisson(r * 4), _probs, _counts),
    "Geometric-probs": Case(lambda D, p: D.Geometric(probs=p), _probs, _counts,
                            exact_samples=False),
    "Geometric-logits": Case(lambda D, x: D.Geometric(logits=x), _logits, _counts,
                             exact_samples=False),
    "Binomial-probs": Case(lambda D, p: D.Binomial(5, probs=p), _probs, _counts),
    "Binomial-logits": Case(lambda D, x: D.Binomial(7, logits=x), _logits, _counts),
    "NegativeBinomial-probs": Case(lambda D, p: D.NegativeBinomial(3.5, probs=p), _probs,
                                   _counts),
    "NegativeBinomial-logits": Case(lambda D, x: D.NegativeBinomial(2.0, logits=x), _logits,
                                    _counts),
    "Multinomial": Case(lambda D, p: D.Multinomial(7, probs=p), _weights, _count_vectors),
    "Multinomial-logits": Case(lambda D, x: D.Multinomial(7, logits=x), _weights,
                               _count_vectors),
}

METHODS = ("log_prob", "entropy", "mean", "variance", "stddev", "mode", "cdf",
           "enumerate_support", "enumerate_support_unexpanded", "probs", "logits",
           "param_shape", "perplexity")


def _call(method, dist, value):
    if method == "log_prob":
        return dist.log_prob(value)
    if method == "cdf":
        return dist.cdf(value)
    if method == "enumerate_support_unexpanded":
        return dist.enumerate_support(expand=False)
    attr = getattr(dist, method)
    return attr() if callable(attr) else attr


def _torch_error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - whatever torch raises, ember must raise too
        return e
    return None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [((), (3,)), ((3,), (2, 3)), ((2, 1), (2, 2, 3))])
@pytest.mark.parametrize("name", sorted(CASES))
def test_methods_and_gradients(name, shapes, dtype):
    case = CASES[name]
    rng = np.random.default_rng(1)
    param = case.param(rng, shapes[0], dtype)
    value = case.value(rng, shapes[1], dtype)
    for method in METHODS:
        def fn(lib, param, value, method=method):
            return _call(method, case.make(lib.distributions, param), value)

        error = _torch_error(lambda: fn(torch, torch.tensor(param), torch.tensor(value)))
        if error is not None:
            check_error(fn, param, value,
                        match_message=not isinstance(error, NotImplementedError))
            continue
        # NOTE: float32 gradients of Multinomial's entropy cancel down to ~4e-5 relative
        check(fn, param, value, grad=True, rtol=1e-4 if dtype == "float32" else 1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_samples_are_torchs(name, dtype):
    case = CASES[name]
    param = case.param(np.random.default_rng(2), (3,), dtype)

    def fn(lib, param):
        dist = case.make(lib.distributions, param)
        return dist.sample(), dist.sample((4, 2))

    check_sample(fn, param, seed=7, exact=case.exact_samples)


def test_large_samples_take_every_sampler_branch():
    # Poisson's two algorithms (rate below and above 10) and binomial's inversion and BTRS,
    # with probabilities on both sides of 1/2
    rates = np.array([0.0, 0.5, 3.0, 9.5, 12.0, 80.0, 1e4])
    counts = np.array([0, 3, 20, 40, 100, 1000, 30, 5000], dtype="float64")
    probs = np.array([0.3, 0.0, 0.4, 0.9, 0.05, 0.7, 1.0, 0.5])
    for dtype in ("float32", "float64"):
        check_sample(lambda lib, r: lib.distributions.Poisson(r).sample((50,)),
                     rates.astype(dtype), seed=3)
        check_sample(lambda lib, n, p: lib.distributions.Binomial(n, probs=p).sample((60,)),
                     counts.astype(dtype), probs.astype(dtype), seed=4)


def test_straight_through_gradients():
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])

    def fn(lib, probs):
        return lib.distributions.OneHotCategoricalStraightThrough(probs=probs).rsample((3,))

    check_sample(fn, probs, seed=5, grad=True)


def test_parameter_checks():
    p = np.array([0.2, 0.8], dtype="float32")
    for fn in (lambda lib, p: lib.distributions.Bernoulli(p, logits=p),
               lambda lib, p: lib.distributions.Categorical(),
               lambda lib, p: lib.distributions.Categorical(p[0]),
               lambda lib, p: lib.distributions.Categorical(logits=p[0]),
               lambda lib, p: lib.distributions.Geometric(),
               lambda lib, p: lib.distributions.Binomial(3),
               lambda lib, p: lib.distributions.Multinomial(ember.tensor(3), probs=p)
               if lib is ember else lib.distributions.Multinomial(torch.tensor(3), probs=p),
               lambda lib, p: lib.distributions.Geometric(p - 0.2),
               lambda lib, p: lib.distributions.Bernoulli(p + 0.5),
               lambda lib, p: lib.distributions.Poisson(p - 0.5),
               lambda lib, p: lib.distributions.Binomial(p, probs=p),
               lambda lib, p: lib.distributions.Categorical(p - 0.5),
               lambda lib, p: lib.distributions.Binomial(lib.tensor([2.0, 3.0]),
                                                        probs=p).entropy(),
               lambda lib, p: lib.distributions.Binomial(lib.tensor([2.0, 3.0]),
                                                        probs=p).enumerate_support()):
        check_error(fn, p)


def test_value_checks():
    p = np.array([0.2, 0.8], dtype="float32")
    for make, value in ((lambda D, p: D.Bernoulli(p), [0.5, 1.0]),
                        (lambda D, p: D.Poisson(p), [1.5, 1.0]),
                        (lambda D, p: D.Categorical(p), [2, 0]),
                        (lambda D, p: D.Binomial(3, probs=p), [4.0, 1.0]),
                        (lambda D, p: D.OneHotCategorical(p), [[1.0, 1.0]]),
                        (lambda D, p: D.Multinomial(2, probs=p), [[2.0, 1.0]]),
                        (lambda D, p: D.Bernoulli(p), [[0.0, 1.0, 1.0]]),
                        (lambda D, p: D.OneHotCategorical(p), [1.0, 0.0, 0.0])):
        check_error(lambda lib, p, v, make=make: make(lib.distributions, p).log_prob(v),
                    p, np.array(value, dtype="int64" if isinstance(value[0], int)
                                else "float32"))
    check_error(lambda lib, p: lib.distributions.Bernoulli(p).log_prob([0.0, 1.0]), p)


def test_edge_probabilities():
    probs = np.array([0.0, 1.0, 0.5, 1e-8], dtype="float64")
    value = np.array([0.0, 1.0, 1.0, 0.0], dtype="float64")
    for make in (lambda D, p: D.Bernoulli(probs=p), lambda D, p: D.Binomial(4, probs=p)):
        check(lambda lib, p, v, make=make: (make(lib.distributions, p).log_prob(v),
                                            make(lib.distributions, p).entropy()
                                            if make(lib.distributions, p).__class__.__name__
                                            == "Bernoulli" else v), probs, value)
    geometric = np.array([1.0, 0.5], dtype="float64")
    check(lambda lib, p: lib.distributions.Geometric(p).log_prob(lib.zeros(2, dtype=p.dtype)),
          geometric)
    logits = np.array([[0.0, -np.inf, 1.0]])
    counts = np.array([[2.0, 0.0, 1.0]])
    check(lambda lib, x, v: lib.distributions.Multinomial(3, logits=x).log_prob(v), logits,
          counts)
    check(lambda lib, x: lib.distributions.Categorical(logits=x).entropy(), logits)


def test_expand_and_repr():
    weights = np.array([[0.2, 0.8], [0.5, 0.5]], dtype="float32")
    for make in (lambda D, p: D.Categorical(p), lambda D, p: D.OneHotCategorical(p),
                 lambda D, p: D.Multinomial(3, p), lambda D, p: D.Bernoulli(p),
                 lambda D, p: D.Binomial(4, logits=p), lambda D, p: D.Geometric(p),
                 lambda D, p: D.Poisson(p)):
        def fn(lib, p, make=make):
            dist = make(lib.distributions, p)
            wide = dist.expand((3,) + tuple(dist.batch_shape))
            return (wide.batch_shape, wide.event_shape, wide.sample(), wide.mean,
                    dist.support.is_discrete, dist.has_enumerate_support)

        check_sample(fn, weights, seed=2, exact=False)
        t_dist = make(torch.distributions, torch.tensor(weights))
        e_dist = make(ember.distributions, ember.tensor(weights))
        assert repr(e_dist).replace("ember.", "torch.") == repr(t_dist)
