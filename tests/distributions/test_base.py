"""The base pieces against torch: constraints (checks, reprs, attributes), the utils, and
Distribution's shapes, validation (ValueError texts), defaults, warnings and repr."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from dist_helpers import check, check_error, torch

import ember

VALUES = np.array([[-1.0, 0.0, 0.3, 1.0], [1.0, 2.0, np.nan, np.inf]])

CONSTRAINTS = {
    "boolean": lambda c: c.boolean,
    "real": lambda c: c.real,
    "positive": lambda c: c.positive,
    "nonnegative": lambda c: c.nonnegative,
    "unit_interval": lambda c: c.unit_interval,
    "nonnegative_integer": lambda c: c.nonnegative_integer,
    "positive_integer": lambda c: c.positive_integer,
    "integer_interval": lambda c: c.integer_interval(0, 2),
    "interval": lambda c: c.interval(-0.5, 1.0),
    "half_open_interval": lambda c: c.half_open_interval(-0.5, 1.0),
    "greater_than": lambda c: c.greater_than(0.5),
    "greater_than_eq": lambda c: c.greater_than_eq(0.5),
    "less_than": lambda c: c.less_than(0.5),
    "real_vector": lambda c: c.real_vector,
    "independent": lambda c: c.independent(c.positive, 1),
    "simplex": lambda c: c.simplex,
    "one_hot": lambda c: c.one_hot,
    "multinomial": lambda c: c.multinomial(3),
    "cat": lambda c: c.cat([c.positive, c.real], dim=1, lengths=[1, 3]),
    "stack": lambda c: c.stack([c.positive, c.real, c.unit_interval, c.boolean], dim=-1),
    "mixture": lambda c: c.MixtureSameFamilyConstraint(c.positive),
}

MATRICES = np.array([[[2.0, 0.0], [0.5, 1.0]], [[1.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]],
                     [[0.6, 0.0], [0.8, 0.6]], [[1.0, 0.0], [0.0, 1.0]]])

MATRIX_CONSTRAINTS = ["lower_triangular", "lower_cholesky", "corr_cholesky", "square",
                      "symmetric", "positive_semidefinite", "positive_definite"]


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constraint(name):
    def fn(lib, values):
        c = CONSTRAINTS[name](lib.distributions.constraints)
        return c.check(values), repr(c), c.is_discrete, c.event_dim

    check(fn, VALUES)


@pytest.mark.parametrize("name", MATRIX_CONSTRAINTS)
def test_matrix_constraint(name):
    def fn(lib, values):
        c = getattr(lib.distributions.constraints, name)
        return c.check(values), repr(c), c.is_discrete, c.event_dim, c.check(values[3])

    check(fn, MATRICES)
    check(lambda lib, v: getattr(lib.distributions.constraints, name).check(v),
          np.ones((2, 2, 3)))


def test_dependent_constraints():
    for lib in (torch, ember):
        c = lib.distributions.constraints
        assert c.is_dependent(c.dependent) and not c.is_dependent(c.real)
        custom = c.dependent(is_discrete=True, event_dim=1)
        assert (custom.is_discrete, custom.event_dim) == (True, 1)
        assert c.is_dependent(lib.distributions.Uniform.support)
        assert lib.distributions.Uniform.support.event_dim == 0
        assert c.is_dependent(lib.distributions.Uniform.arg_constraints)is False
    check_error(lambda lib: lib.distributions.constraints.dependent.is_discrete)
    check_error(lambda lib: lib.distributions.constraints.dependent.event_dim)
    check_error(lambda lib: lib.distributions.constraints.dependent.check(lib.zeros(1)))
    check_error(lambda lib: lib.distributions.constraints.independent(
        lib.distributions.constraints.real, 2).check(lib.zeros(1)))


def test_utils():
    probs = np.array([[0.0, 0.25, 1.0], [0.5, 0.5, 1e-9]], dtype="float32")

    def fn(lib, probs):
        U = lib.distributions.utils
        return (U.probs_to_logits(probs), U.probs_to_logits(probs, is_binary=True),
                U.logits_to_probs(probs), U.logits_to_probs(probs, is_binary=True),
                U.clamp_probs(probs), U.clamp_probs(probs.double()),
                U.broadcast_all(probs[0], 2.0, probs), U.broadcast_all(1.5, 2),
                U.tril_matrix_to_vec(probs[:, :2]), U.vec_to_tril_matrix(probs[0]),
                U.vec_to_tril_matrix(probs, diag=-1), U._sum_rightmost(probs, 1),
                U.euler_constant)

    check(fn, probs, grad=True)
    check_error(lambda lib: lib.distributions.utils.broadcast_all(lib.zeros(1), "a"))
    check_error(lambda lib: lib.distributions.utils.vec_to_tril_matrix(lib.zeros(4)))
    check_error(lambda lib: lib.distributions.utils.tril_matrix_to_vec(lib.zeros(2, 2), 3))


def _lazy_thing(lib, calls):
    class Thing:
        @lib.distributions.utils.lazy_property
        def value(self):
            calls.append(lib.is_grad_enabled())
            return 3

    return Thing


def test_lazy_property_is_computed_once_with_grad():
    for lib in (torch, ember):
        calls = []
        Thing = _lazy_thing(lib, calls)
        thing = Thing()
        with lib.no_grad():
            assert thing.value == 3 and thing.value == 3
        assert calls == [True] and "value" in thing.__dict__
        assert isinstance(Thing.value, property)


def test_shapes_and_expand():
    loc = np.zeros((2, 3), "float32")

    def fn(lib, loc):
        D = lib.distributions
        dist = D.Normal(loc, 1.0)
        wide = dist.expand((4, 2, 3))
        return (dist.batch_shape, dist.event_shape, dist._extended_shape(),
                dist._extended_shape((5,)), dist._extended_shape(lib.Size([5, 1])),
                wide.batch_shape, wide.loc, wide._validate_args,
                D.Normal(0.0, 1.0).batch_shape, dist.perplexity(),
                D.Normal(loc, 1.0, validate_args=False)._validate_args)

    check(fn, loc)
    check_error(lambda lib: lib.distributions.Normal(lib.zeros(2), 1.0).expand((3,)),
                match_message=False)


def test_base_class_defaults():
    for lib in (torch, ember):
        D = lib.distributions
        base = D.Distribution(validate_args=False)
        assert base.batch_shape == () and base.event_shape == ()
        for name in ("mean", "variance", "stddev", "support", "arg_constraints"):
            with pytest.raises(NotImplementedError):
                getattr(base, name)
        with pytest.raises(NotImplementedError, match="does not implement mode"):
            _ = base.mode
        for method in ("rsample", "sample", "entropy", "enumerate_support"):
            with pytest.raises(NotImplementedError):
                getattr(base, method)()
        for method in ("log_prob", "cdf", "icdf"):
            with pytest.raises(NotImplementedError):
                getattr(base, method)(lib.zeros(1))
        with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
            D.Distribution()


def test_set_default_validate_args():
    for lib in (torch, ember):
        D = lib.distributions
        try:
            D.Distribution.set_default_validate_args(False)
            dist = D.Normal(lib.tensor([0.0]), lib.tensor([-1.0]))
            assert not dist._validate_args
            assert D.Normal(0.0, 1.0).log_prob(lib.tensor("a" == "b") * 1.0).shape == ()
        finally:
            D.Distribution.set_default_validate_args(True)
        with pytest.raises(ValueError):
            D.Normal(lib.tensor([0.0]), lib.tensor([-1.0]))
    check_error(lambda lib: lib.distributions.Distribution.set_default_validate_args(2))


def test_sample_n_warns():
    for lib in (torch, ember):
        lib.manual_seed(0)
        with pytest.warns(FutureWarning, match="sample_n"):
            assert lib.distributions.Normal(0.0, 1.0).sample_n(3).shape == (3,)


PARAMETER_ERRORS = [
    lambda D, lib: D.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -1.0])),
    lambda D, lib: D.Normal(lib.tensor([[0.0, float("nan")]]), 1.0),
    lambda D, lib: D.Uniform(lib.tensor([1.0, 2.0]), lib.tensor([0.0, 3.0])),
    lambda D, lib: D.Exponential(lib.tensor(0.0)),
    lambda D, lib: D.Gamma(1.0, lib.tensor([1.0, -2.0])),
    lambda D, lib: D.Beta(lib.tensor([0.5, 0.0]), 1.0),
    lambda D, lib: D.Dirichlet(lib.tensor([[1.0, -1.0]])),
    lambda D, lib: D.Dirichlet(lib.tensor(1.0)),
    lambda D, lib: D.Categorical(lib.tensor([-0.5, 1.0])),
    lambda D, lib: D.Bernoulli(lib.tensor([1.5])),
    lambda D, lib: D.Binomial(lib.tensor([2.5]), lib.tensor([0.5])),
    lambda D, lib: D.StudentT(lib.tensor([0.0])),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda D, lib: D.Independent(D.Normal(lib.zeros(2), 1.0), 1, validate_args=True)
    .log_prob(lib.tensor([0.0, float("nan")])),
]

VALUE_ERRORS = [
    lambda D, lib: D.Normal(0.0, 1.0).log_prob(lib.tensor([float("nan")])),
    lambda D, lib: D.Normal(0.0, 1.0).log_prob(0.5),
    lambda D, lib: D.Normal(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    lambda D, lib: D.Exponential(1.0).log_prob(lib.tensor([-1.0, 1.0])),
    lambda D, lib: D.Exponential(1.0).cdf(lib.tensor([-1.0])),
    lambda D, lib: D.Uniform(0.0, 1.0).log_prob(lib.tensor([2.0])),
    lambda D, lib: D.Beta(1.0, 2.0).log_prob(lib.tensor([1.5])),
    lambda D, lib: D.Dirichlet(lib.ones(3)).log_prob(lib.tensor([0.5, 0.5])),
    lambda D, lib: D.Dirichlet(lib.ones(3)).log_prob(lib.tensor([0.5, 0.5, 0.5])),
    lambda D, lib: D.LogNormal(0.0, 1.0).log_prob(lib.tensor([-1.0])),
    lambda D, lib: D.LogNormal(0.0, 1.0).cdf(lib.tensor([-1.0])),
    lambda D, lib: D.HalfNormal(1.0).log_prob(lib.tensor([-1.0])),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.eye(2)).log_prob(lib.zeros(3)),
]


@pytest.mark.parametrize("index", range(len(PARAMETER_ERRORS)))
def test_parameter_validation(index):
    check_error(lambda lib: PARAMETER_ERRORS[index](lib.distributions, lib))
    # and without validation the same call goes through (where construction can)
    for lib in (torch, ember):
        D = lib.distributions
        D.Distribution.set_default_validate_args(False)
        try:
            PARAMETER_ERRORS[index](D, lib)
        except (ValueError, RuntimeError, NotImplementedError):
            pass
        finally:
            D.Distribution.set_default_validate_args(True)


@pytest.mark.parametrize("index", range(len(VALUE_ERRORS)))
def test_value_validation(index):
    check_error(lambda lib: VALUE_ERRORS[index](lib.distributions, lib))


def test_validation_is_skipped_for_unchecked_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for lib in (torch, ember):
            D = lib.distributions
            D.Normal(lib.tensor([0.0]), lib.tensor([-1.0]), validate_args=False).log_prob(
                lib.tensor([float("nan")]))
            D.Bernoulli(logits=lib.tensor([3.0]))  # probs, a lazy property, is not checked


def test_repr():
    def reprs(lib):
        D = lib.distributions
        out = [repr(D.Normal(0.0, 1.0)), repr(D.Normal(lib.zeros(1), 2.0)),
               repr(D.Normal(lib.zeros(2, 3), 1.0)), repr(D.Bernoulli(logits=lib.zeros(2))),
               repr(D.Categorical(lib.ones(3))), repr(D.Uniform(0.0, 2.0)),
               repr(D.MultivariateNormal(lib.zeros(2), lib.eye(2))),
               repr(D.Gamma(lib.tensor([1.5]), 2.0)), repr(D.LogNormal(0.0, 1.0)),
               repr(D.Beta(2.0, 3.0))]
        return [r.replace("ember.", "torch.") for r in out]

    assert reprs(ember) == reprs(torch)
