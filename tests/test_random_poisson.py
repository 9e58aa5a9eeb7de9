"""torch.poisson: torch's counts for the same seed, and the stream left where torch leaves it."""

import numpy as np
import pytest
from random_bits import assert_aligned, assert_same, to_numpy

import ember
from ember._random import Generator

torch = pytest.importorskip("torch")
ml_dtypes = pytest.importorskip("ml_dtypes")

FLOATS = {np.float32: torch.float32, np.float64: torch.float64}


def rates(kind, n=400, seed=0):
    """float64 rates: below 10 (the multiplication method), from 10 (rejection), zeros, or a
    mix of all three with the boundary values."""
    rng = np.random.default_rng(seed)
    if kind == "small":
        return rng.uniform(0.1, 9.9, n)
    if kind == "large":
        return rng.uniform(10, 1000, n)
    if kind == "zeros":
        return np.zeros(n)
    edges = [0.0, 1e-300, 9.999999, 10.0, 10.000001, 1e4, 1e7]
    mixed = np.concatenate([rng.uniform(0, 30, n), rng.uniform(0, 1, n // 4), edges])
    return rng.permutation(mixed)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kind", ["small", "large", "zeros", "mixed"])
@pytest.mark.parametrize("seed", range(21))
def test_counts_and_stream_match_torch(seed, kind, dtype):
    values = rates(kind, seed=seed).astype(dtype)
    ours, theirs = Generator(seed), torch.Generator().manual_seed(seed)
    assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values), generator=theirs))
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("np_dtype, torch_dtype", [(np.float16, torch.float16),
                                                   (ml_dtypes.bfloat16, torch.bfloat16)])
@pytest.mark.parametrize("seed", [0, 7])
def test_half_precision_rates(seed, np_dtype, torch_dtype):
    values = rates("mixed", seed=seed)
    theirs_in = torch.from_numpy(values).to(torch_dtype)
    ours, theirs = Generator(seed), torch.Generator().manual_seed(seed)
    assert_same(ours.poisson(to_numpy(theirs_in)), torch.poisson(theirs_in, generator=theirs))
    assert_aligned(ours, theirs)


def test_many_rates_top_up_the_uniforms():
    """1e5 rates use more uniforms than drawn ahead: the top-ups must keep the stream exact."""
    values = rates("mixed", n=100_000, seed=3)
    ours, theirs = Generator(3), torch.Generator().manual_seed(3)
    assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values), generator=theirs))
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("values", [[np.inf, 5.0], [1e30, 1e300, 2.0**60, 2.0**53 + 10],
                                    [np.finfo(np.float64).max]])
def test_huge_and_infinite_rates(values):
    """torch casts an out-of-range floor to int64 as x86 does: INT64_MIN."""
    values = np.array(values)
    ours, theirs = Generator(1), torch.Generator().manual_seed(1)
    assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values), generator=theirs))
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_counts_round_to_dtype(dtype):
    """Counts past 2**24 (float32) or 65504 (float16) round as torch's casts do, silently."""
    big = [3e9, 1.7e7] if dtype == np.float32 else [65504.0, 65000.0]
    values = np.array(big + [6e4, 2.5e4, np.inf], dtype)
    ours, theirs = Generator(9), torch.Generator().manual_seed(9)
    assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values), generator=theirs))
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (1,), (2, 3, 4)])
def test_shapes(shape):
    values = rates("mixed", n=40)[: int(np.prod(shape))].reshape(shape)
    ours, theirs = Generator(5), torch.Generator().manual_seed(5)
    assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values), generator=theirs))
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("bad", [-1.0, np.nan, -np.inf])
def test_invalid_rate_raises_after_earlier_draws(bad):
    """torch checks each rate as it reaches it: the elements before have drawn already."""
    values = np.array([5.0, 30.0, 0.5, bad] + [4.0, 40.0] * 50)
    ours, theirs = Generator(2), torch.Generator().manual_seed(2)
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        torch.poisson(torch.from_numpy(values), generator=theirs)
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be "
                                           "non-negative"):
        ours.poisson(values)
    assert_aligned(ours, theirs)


# --------------------------------------------------------------------------- ember.poisson

@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_ember_poisson_with_generator(dtype):
    values = rates("mixed", seed=4)[:50].reshape(10, 5)
    ours = ember.poisson(ember.tensor(values, dtype=dtype),
                         generator=ember.Generator().manual_seed(4))
    theirs = torch.poisson(torch.tensor(values, dtype=getattr(torch, dtype.name)),
                           generator=torch.Generator().manual_seed(4))
    assert ours.dtype is dtype and ours.shape == theirs.shape
    assert_same(ours.numpy(), theirs)


def test_ember_poisson_default_generator_and_rand_after():
    values = rates("mixed", n=64, seed=6)
    with torch.random.fork_rng():
        torch.manual_seed(6)
        theirs = torch.poisson(torch.from_numpy(values))
        theirs_next = torch.rand(5)
    ember.manual_seed(6)
    assert_same(ember.poisson(ember.from_numpy(values)).numpy(), theirs)
    assert_same(ember.rand(5).numpy(), theirs_next)


def test_ember_poisson_transposed_input_samples_in_output_order():
    values = rates("mixed", seed=8)[:12].reshape(3, 4)
    ours = ember.poisson(ember.from_numpy(values).t(), generator=ember.Generator().manual_seed(8))
    theirs = torch.poisson(torch.from_numpy(values).t(), generator=torch.Generator().manual_seed(8))
    assert_same(ours.numpy(), theirs)


def test_ember_poisson_gradient_is_zero():
    x = ember.tensor([1.0, 20.0, 0.0], requires_grad=True)
    y = ember.poisson(x)
    assert y.requires_grad and y.grad_fn.name() == "PoissonBackward0"
    (y * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("dtype", [ember.int64, ember.bool, ember.complex64])
def test_ember_poisson_needs_float_rates(dtype):
    name = {ember.int64: "Long", ember.bool: "Bool", ember.complex64: "ComplexFloat"}[dtype]
    with pytest.raises(NotImplementedError, match=f"\"poisson_cpu\" not implemented for '{name}'"):
        ember.poisson(ember.ones(3, dtype=dtype))


def test_no_tensor_method():
    """torch has torch.poisson only, no Tensor.poisson."""
    assert not hasattr(torch.Tensor, "poisson")


# ------------------------------------------------------------------------- runs of one rate

RUN_RATES = [1e-300, 0.3, 1.5, 2.0, 4.5, 9.999999, 10.0, 40.0, 1e4, 1e7, 1e11, 2.0**51]


@pytest.mark.parametrize("rate", RUN_RATES)
def test_runs_of_one_rate_all_seeds(rate):
    """Knuth's runs (multiplied below 2, searched in log sums above) and PTRS's runs, at
    seeds 0..50 and sizes around the shortest run that takes the array path."""
    sizes = [63, 64, 65, 200, 1000]
    for seed in range(51):
        values = np.full(sizes[seed % len(sizes)], rate)
        ours, theirs = Generator(seed), torch.Generator().manual_seed(seed)
        assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values),
                                                        generator=theirs))
        np.testing.assert_array_equal(ours.get_state(), theirs.get_state().numpy())
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("seed", range(0, 51, 5))
def test_runs_mixed_with_single_rates(seed):
    """Long runs, short runs, zero runs and varying rates in one tensor."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(8):
        parts.append(np.full(int(rng.integers(1, 400)), rng.choice(RUN_RATES[:-1] + [0.0])))
        parts.append(rng.uniform(0, 30, int(rng.integers(0, 12))))
    values = np.concatenate(parts)
    ours, theirs = Generator(seed), torch.Generator().manual_seed(seed)
    assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values), generator=theirs))
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_runs_in_lower_precision(dtype):
    values = np.concatenate([np.full(300, 4.5), np.full(300, 60.0), np.zeros(70)]).astype(dtype)
    ours, theirs = Generator(4), torch.Generator().manual_seed(4)
    assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values), generator=theirs))
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("rate", [4.5, 40.0])
def test_invalid_rate_after_a_run(rate):
    values = np.concatenate([np.full(500, rate), [np.nan], np.full(100, rate)])
    ours, theirs = Generator(6), torch.Generator().manual_seed(6)
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        torch.poisson(torch.from_numpy(values), generator=theirs)
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        ours.poisson(values)
    assert_aligned(ours, theirs)


@pytest.mark.parametrize("rate", [0.7, 4.5, 40.0])
def test_runs_that_outgrow_the_lookahead(monkeypatch, rate):
    """Read-ahead too short on purpose: the run draws more and still leaves the stream exact."""
    from ember import _random_poisson

    class Short(_random_poisson._Lookahead):
        def __init__(self, gen, likely, extra):
            super().__init__(gen, likely // 2, 1)

    monkeypatch.setattr(_random_poisson, "_Lookahead", Short)
    values = np.full(3000, rate)
    ours, theirs = Generator(8), torch.Generator().manual_seed(8)
    assert_same(ours.poisson(values), torch.poisson(torch.from_numpy(values), generator=theirs))
    assert_aligned(ours, theirs)


def test_array_paths_agree_with_the_loop(monkeypatch):
    from ember import _random_poisson

    values = np.repeat(np.array([0.5, 3.0, 9.0, 10.0, 77.0, 0.0, 2e5]), 150)
    vectorised = Generator(10).poisson(values)
    monkeypatch.setattr(_random_poisson, "_MIN_RUN", 10**9)
    np.testing.assert_array_equal(Generator(10).poisson(values), vectorised)


def test_knuth_log_search_near_ties():
    """Products that land within rounding of exp(-rate) take the exact multiplication."""
    from ember._random_poisson import _knuth_ends, _knuth_ends_exact

    rng = np.random.default_rng(0)
    for rate in (2.0, 3.3, 7.25):
        limit = np.exp(-rate)
        u = rng.uniform(0, 1, 5000)
        u[::7] = limit * (1 + rng.integers(-4, 5, len(u[::7])) * 2.0**-52)
        u[1::11] = np.sqrt(limit)  # two in a row: the product lands on the limit
        u[2::11] = np.sqrt(limit)
        u[-3:] = 0.9999  # the last starts run out of uniforms
        np.testing.assert_array_equal(_knuth_ends(u, rate, limit),
                                      _knuth_ends_exact(u, limit, np.arange(len(u))))


@pytest.mark.parametrize("rate", [10.0, 13.7, 500.0, 1e6, 1e11])
def test_ptrs_tries_match_the_scalar_test(rate):
    """Every try's verdict, quick and slow ones, against the element-by-element method."""
    from ember._random_poisson import _ptrs, _ptrs_tries

    u = np.random.default_rng(1).uniform(0, 1, (4000, 2))
    u[:20, 0] = 0.0  # us = 0
    k, accepted = _ptrs_tries(rate, u[:, 0] - 0.5, u[:, 1])
    for i in range(len(u)):
        count, used = _ptrs(rate, u[i].tolist() + [0.5, 0.0], 0)  # then a sure accept
        assert accepted[i] == (used == 2)
        if accepted[i]:
            assert k[i] == count
