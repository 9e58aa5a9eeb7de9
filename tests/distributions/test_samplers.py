"""The element-by-element samplers (gamma, Dirichlet, binomial) and their reparameterization
gradients against torch's own kernels on random parameters: the same numbers bit for bit, and
the generator left where torch's is. Hypothesis searches the parameter space, where float32
rounding and the samplers' branch boundaries hide cases hand-picked values miss."""

from __future__ import annotations

import numpy as np
from dist_helpers import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from ember.distributions import _reparam, _samplers

FAST = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

dtypes = st.sampled_from([np.float32, np.float64])
# concentrations across the boost (< 1), the rational (< 8) and the saddle-point (> 8) regimes
concentrations = st.one_of(st.floats(1e-3, 1.0), st.floats(1.0, 8.0), st.floats(8.0, 500.0))


def _same_stream():
    np.testing.assert_array_equal(ember.rand(3, dtype=ember.float64).numpy(),
                                  torch.rand(3, dtype=torch.float64).numpy())


@FAST
@given(alphas=st.lists(concentrations, min_size=1, max_size=20), dtype=dtypes,
       seed=st.integers(0, 2**32 - 1))
def test_standard_gamma_and_its_gradient(alphas, dtype, seed):
    alpha = np.array(alphas, dtype)
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    expected = torch._standard_gamma(torch.tensor(alpha))
    got = _samplers.standard_gamma(alpha)
    np.testing.assert_array_equal(got, expected.numpy())
    _same_stream()
    grad = torch._standard_gamma_grad(torch.tensor(alpha), expected).numpy()
    np.testing.assert_allclose(_reparam.standard_gamma_grad(alpha, got), grad, rtol=1e-6)


@FAST
@given(rows=st.lists(st.lists(concentrations, min_size=2, max_size=5), min_size=1, max_size=6),
       dtype=dtypes, seed=st.integers(0, 2**32 - 1), data=st.data())
def test_dirichlet_and_its_gradient(rows, dtype, seed, data):
    k = len(rows[0])
    alpha = np.array([(row * k)[:k] for row in rows], dtype)
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    expected = torch._sample_dirichlet(torch.tensor(alpha))
    got = _samplers.sample_dirichlet(alpha)
    np.testing.assert_array_equal(got, expected.numpy())
    _same_stream()
    total = np.broadcast_to(alpha.sum(-1, keepdims=True), alpha.shape).copy()
    grad = torch._dirichlet_grad(expected, torch.tensor(alpha), torch.tensor(total)).numpy()
    rtol = 1e-5 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(_reparam.dirichlet_grad(got, alpha, total), grad, rtol=rtol,
                               atol=1e-30)


@FAST
@given(pairs=st.lists(st.tuples(st.integers(0, 2000), st.floats(0.0, 1.0)), min_size=1,
                      max_size=20), dtype=dtypes, seed=st.integers(0, 2**32 - 1))
def test_binomial(pairs, dtype, seed):
    count = np.array([n for n, _ in pairs], dtype)
    prob = np.array([p for _, p in pairs], dtype)
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    expected = torch.binomial(torch.tensor(count), torch.tensor(prob)).numpy()
    np.testing.assert_array_equal(_samplers.binomial(count, prob), expected)
    _same_stream()
