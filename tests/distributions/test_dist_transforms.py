"""Transforms, TransformedDistribution and biject_to / transform_to against torch: forward and
inverse values, log-abs-det-Jacobians and their gradients, domains, shapes and caching."""

from __future__ import annotations

import numpy as np
import pytest
from dist_helpers import check, check_error, check_sample, torch

import ember


def _vector(n):
    return lambda rng, dtype: rng.uniform(-1.5, 1.5, (2, n)).astype(dtype)


def _square(rng, dtype):
    return rng.uniform(-1, 1, (2, 3, 3)).astype(dtype)


def _elementwise(rng, dtype):
    return rng.uniform(-1.5, 1.5, (2, 3)).astype(dtype)


def _positive(rng, dtype):
    return rng.uniform(0.2, 2, (2, 3)).astype(dtype)


# name -> (transform factory on the library's distributions package, input generator)
TRANSFORMS = {
    "Exp": (lambda D, lib: D.ExpTransform(), _elementwise),
    "Sigmoid": (lambda D, lib: D.SigmoidTransform(), _elementwise),
    "Tanh": (lambda D, lib: D.TanhTransform(), _elementwise),
    "Softplus": (lambda D, lib: D.SoftplusTransform(), _elementwise),
    "Abs": (lambda D, lib: D.AbsTransform(), _elementwise),
    "Power": (lambda D, lib: D.PowerTransform(lib.tensor([0.5, 2.0, -1.5])), _positive),
    "Affine-number": (lambda D, lib: D.AffineTransform(1.5, -2.0), _elementwise),
    "Affine-tensor": (lambda D, lib: D.AffineTransform(lib.tensor([1.0, 2.0, 3.0]),
                                                       lib.tensor([0.5, -1.0, 2.0])),
                      _elementwise),
    "Affine-event": (lambda D, lib: D.AffineTransform(0.0, lib.tensor([0.5, -1.0, 2.0]),
                                                      event_dim=1), _elementwise),
    "Compose": (lambda D, lib: D.ComposeTransform([D.AffineTransform(0.5, 2.0),
                                                   D.ExpTransform(), D.SigmoidTransform()]),
                _elementwise),
    "Compose-empty": (lambda D, lib: D.ComposeTransform([]), _elementwise),
    "Independent": (lambda D, lib: D.IndependentTransform(D.TanhTransform(), 1),
                    _elementwise),
    "Reshape": (lambda D, lib: D.ReshapeTransform((3,), (3, 1)), _elementwise),
    "Softmax": (lambda D, lib: D.SoftmaxTransform(), _vector(4)),
    "StickBreaking": (lambda D, lib: D.StickBreakingTransform(), _vector(3)),
    "LowerCholesky": (lambda D, lib: D.LowerCholeskyTransform(), _square),
    "PositiveDefinite": (lambda D, lib: D.PositiveDefiniteTransform(), _square),
    "CorrCholesky": (lambda D, lib: D.CorrCholeskyTransform(), _vector(6)),
    "Cat": (lambda D, lib: D.CatTransform([D.ExpTransform(), D.TanhTransform()], dim=1,
                                          lengths=[1, 2]), _elementwise),
    "Stack": (lambda D, lib: D.StackTransform([D.ExpTransform(), D.SigmoidTransform(),
                                               D.AffineTransform(1.0, 3.0)], dim=1),
              _elementwise),
    "Cdf": (lambda D, lib: D.CumulativeDistributionTransform(D.Normal(0.5, 2.0)),
            _elementwise),
    "Inverse-Exp": (lambda D, lib: D.ExpTransform().inv, _positive),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform(name, dtype):
    make, gen = TRANSFORMS[name]
    x = gen(np.random.default_rng(0), dtype)
    rtol = 1e-4 if dtype == "float32" else 1e-7

    def forward(lib, x):
        t = make(lib.distributions, lib)
        y = t(x)
        return y, t.inv(y), t.log_abs_det_jacobian(x, y)

    if name not in ("Softmax", "LowerCholesky", "PositiveDefinite", "Abs"):
        check(forward, x, grad=True, rtol=rtol, atol=rtol)
    else:  # not bijective or no Jacobian in torch either
        check(lambda lib, x: (lambda t: (t(x), t.inv(t(x))))(make(lib.distributions, lib)), x,
              grad=True, rtol=rtol, atol=rtol)
        check_error(lambda lib, x: make(lib.distributions, lib).log_abs_det_jacobian(x, x), x,
                    match_message=False)

    def facts(lib):
        t = make(lib.distributions, lib)
        shape = tuple(x.shape)
        out = [repr(t.domain), repr(t.codomain), t.bijective, t.inv.inv is t,
               t.domain.event_dim, t.codomain.event_dim, t.forward_shape(shape),
               t.inv.forward_shape(t.forward_shape(shape)), repr(t).replace("ember.", "torch."),
               t == make(lib.distributions, lib), t.inv == make(lib.distributions, lib).inv]
        for attr in ("sign", "event_dim"):
            try:
                value = getattr(t, attr)
                out.append(value if not isinstance(value, lib.Tensor) else value.tolist())
            except (NotImplementedError, ValueError) as e:
                out.append(type(e).__name__)
        return out

    assert facts(ember) == facts(torch)


def test_transform_cache():
    for lib in (torch, ember):
        t = lib.distributions.ExpTransform(cache_size=1)
        x = lib.tensor([0.5, 1.0])
        y = t(x)
        assert t(x) is y and t.inv(y) is x
        assert t.with_cache(0)(x) is not y
        assert lib.distributions.ExpTransform().with_cache(1)._cache_size == 1
        composed = lib.distributions.ComposeTransform([t, t.inv], cache_size=1)
        assert composed.parts[0]._cache_size == 1
    check_error(lambda lib: lib.distributions.ExpTransform(cache_size=2))
    check_error(lambda lib: lib.distributions.ReshapeTransform((2,), (3,)))
    check_error(lambda lib: lib.distributions.ComposeTransform(
        [lib.distributions.SoftmaxTransform(), lib.distributions.ExpTransform()]
    ).log_abs_det_jacobian(lib.zeros(2), lib.zeros(2)), match_message=False)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_transformed_distribution(dtype):
    rng = np.random.default_rng(1)
    loc = rng.uniform(-1, 1, (3,)).astype(dtype)
    scale = rng.uniform(0.5, 1.5, (3,)).astype(dtype)
    value = rng.uniform(0.1, 0.9, (2, 3)).astype(dtype)

    def make(lib, loc, scale):
        D = lib.distributions
        return D.TransformedDistribution(D.Normal(loc, scale),
                                         [D.AffineTransform(0.5, -2.0), D.SigmoidTransform()])

    def fn(lib, loc, scale, value):
        dist = make(lib, loc, scale)
        return (dist.log_prob(value), dist.cdf(value), dist.icdf(value), dist.batch_shape,
                dist.event_shape, repr(dist.support), dist.has_rsample,
                dist.expand((4, 3)).batch_shape)

    check(fn, loc, scale, value, grad=True, rtol=1e-4 if dtype == "float32" else None)
    check_sample(lambda lib, a, b: make(lib, a, b).rsample((2,)), loc, scale, seed=1, grad=True,
                 exact=False)
    check_sample(lambda lib, a, b: make(lib, a, b).expand((2, 3)).sample(), loc, scale, seed=1,
                 exact=False)

    def vector_event(lib, loc, scale):
        D = lib.distributions
        dist = D.TransformedDistribution(D.Normal(loc, scale), D.StickBreakingTransform())
        sample = dist.rsample((2,))
        return dist.batch_shape, dist.event_shape, sample, dist.log_prob(sample)

    check_sample(vector_event, loc, scale, seed=2, grad=True, exact=False)
    check_error(lambda lib: lib.distributions.TransformedDistribution(
        lib.distributions.Normal(0.0, 1.0), lib.distributions.StickBreakingTransform()))
    check_error(lambda lib: lib.distributions.TransformedDistribution(
        lib.distributions.Normal(0.0, 1.0), [1]))
    check_error(lambda lib: lib.distributions.TransformedDistribution(
        lib.distributions.Normal(0.0, 1.0), (lib.distributions.ExpTransform(),)),
        match_message=False)


CONSTRAINTS = {
    "real": lambda c: c.real,
    "real_vector": lambda c: c.real_vector,
    "positive": lambda c: c.positive,
    "nonnegative": lambda c: c.nonnegative,
    "greater_than": lambda c: c.greater_than(1.5),
    "greater_than_eq": lambda c: c.greater_than_eq(-1.0),
    "less_than": lambda c: c.less_than(2.0),
    "unit_interval": lambda c: c.unit_interval,
    "interval": lambda c: c.interval(-1.0, 3.0),
    "half_open_interval": lambda c: c.half_open_interval(0.0, 2.0),
    "simplex": lambda c: c.simplex,
    "lower_cholesky": lambda c: c.lower_cholesky,
    "positive_definite": lambda c: c.positive_definite,
    "corr_cholesky": lambda c: c.corr_cholesky,
    "cat": lambda c: c.cat([c.positive, c.real], dim=-1, lengths=[2, 1]),
    "stack": lambda c: c.stack([c.positive, c.unit_interval, c.real], dim=-1),
    "independent": lambda c: c.independent(c.positive, 2),
}


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constraint_registry(name, registry):
    x = np.random.default_rng(3).uniform(-1, 1, (2, 3, 3))

    def fn(lib, x):
        D = lib.distributions
        constraint = CONSTRAINTS[name](D.constraints)
        t = getattr(D, registry)(constraint)
        if name == "corr_cholesky":
            x = x.reshape(2, 9)[:, :3]
        y = t(x)
        return type(t).__name__, y, constraint.check(y), t.inv(y)

    t_constraint = CONSTRAINTS[name](torch.distributions.constraints)
    try:
        getattr(torch.distributions, registry)(t_constraint)
    except NotImplementedError:
        check_error(fn, x)
        return
    check(fn, x, grad=True)
