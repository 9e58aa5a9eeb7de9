"""ember._random against torch's CPU generator: same seeds, same calls, same bits."""

import warnings

import numpy as np
import pytest
from random_bits import untemper

from ember._random import Generator, default_generator
from ember._random._math import _forward_shuffle, _inside_out

torch = pytest.importorskip("torch")
ml_dtypes = pytest.importorskip("ml_dtypes")

SIZES = [*range(101), 1000]
FLOATS = {np.float32: torch.float32, np.float64: torch.float64,
          np.float16: torch.float16, ml_dtypes.bfloat16: torch.bfloat16}
INTS = {np.int64: torch.int64, np.int32: torch.int32, np.int16: torch.int16,
        np.int8: torch.int8, np.uint8: torch.uint8, np.bool_: torch.bool}


@pytest.fixture(autouse=True)
def _restore_torch_rng():
    """These tests reseed torch's default generator; leave it as they found it."""
    with torch.random.fork_rng():
        yield


def to_numpy(t):
    if t.dtype == torch.bfloat16:  # torch has no NumPy bfloat16; reinterpret the bits
        return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.numpy()


def assert_same(ours, theirs):
    """Same dtype, shape and bit pattern (so -0.0, NaN payloads and ulps all count)."""
    theirs = to_numpy(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if ours.dtype != np.bool_:
        uint = np.dtype(f"u{ours.dtype.itemsize}")
        ours, theirs = ours.view(uint), theirs.view(uint)
    np.testing.assert_array_equal(ours, theirs)


def seeds_for(dtype):
    """All 51 seeds for float32/float64; float16/bfloat16 share their code, so fewer."""
    return range(51) if dtype in (np.float32, np.float64) else range(0, 51, 5)


def seeded(seed):
    torch.manual_seed(seed)
    return Generator(seed)


def assert_streams_aligned(gen):
    """Both generators sit at the same place in the stream, with the same cached sample."""
    np.testing.assert_array_equal(gen.get_state(), torch.get_rng_state().numpy())
    assert_same(gen.uniform((5,)), torch.rand(5))


# ------------------------------------------------------------------------- seeds and state

@pytest.mark.parametrize("seed", [0, 1, 7, 2**32 - 1, 2**32 + 5, 2**63 + 3, -1, -(2**63)])
def test_manual_seed_and_state_bytes(seed):
    gen = seeded(seed)
    assert gen.initial_seed() == torch.initial_seed()
    assert_streams_aligned(gen)


def test_seed_out_of_range_raises_like_torch():
    for seed in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError):
            torch.manual_seed(seed)
        with pytest.raises(ValueError):
            Generator(seed)


def test_generator_default_seed_and_seed():
    assert Generator().initial_seed() == torch.Generator().initial_seed()
    gen = Generator()
    seed = gen.seed()
    assert gen.initial_seed() == seed and 0 <= seed < 2**64
    assert isinstance(default_generator, Generator)


def test_state_from_torch_continues_identically():
    torch.manual_seed(3)
    torch.randn(5)  # odd count: a normal sample stays cached
    torch.rand(700)  # crosses a twist of the 624-word state
    gen = Generator()
    gen.set_state(torch.get_rng_state().numpy())
    assert_same(gen.normal((3,)), torch.randn(3))
    assert_same(gen.normal((37,), np.float64), torch.randn(37, dtype=torch.float64))
    assert_streams_aligned(gen)


def test_state_from_ember_continues_identically_in_torch():
    gen = Generator(11)
    gen.normal((1,))
    gen.random_int((1000,), np.int64, 0, 2**40)
    torch.set_rng_state(torch.from_numpy(gen.get_state()))
    assert_same(gen.normal((4,)), torch.randn(4))
    assert_streams_aligned(gen)


def test_state_roundtrip_and_errors():
    gen = Generator(5)
    gen.normal((3,))
    state = gen.get_state()
    first = gen.uniform((10,))
    gen.set_state(state)
    np.testing.assert_array_equal(gen.uniform((10,)), first)
    with pytest.raises(RuntimeError, match="size"):
        gen.set_state(state[:-1])
    broken = state.copy()
    broken[8:12] = 0  # left = 0
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        gen.set_state(broken)


# ------------------------------------------------------------------------ uniform and normal

@pytest.mark.parametrize("dtype", FLOATS)
def test_rand_all_seeds_and_sizes(dtype):
    for seed in seeds_for(dtype):
        gen = seeded(seed)
        for n in SIZES:
            assert_same(gen.uniform((n,), dtype), torch.rand(n, dtype=FLOATS[dtype]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_randn_all_seeds_and_sizes(dtype):
    for seed in seeds_for(dtype):
        gen = seeded(seed)
        for n in SIZES:
            assert_same(gen.normal((n,), dtype), torch.randn(n, dtype=FLOATS[dtype]))
        assert_streams_aligned(gen)


@pytest.mark.parametrize("dtype", FLOATS)
def test_large_sizes(dtype):
    for seed in range(2):
        gen = seeded(seed)
        assert_same(gen.normal((100003,), dtype), torch.randn(100003, dtype=FLOATS[dtype]))
        assert_same(gen.uniform((100003,), dtype), torch.rand(100003, dtype=FLOATS[dtype]))
        assert_same(gen.normal((3, 5, 7), dtype), torch.randn(3, 5, 7, dtype=FLOATS[dtype]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_normal_cache_carries_across_calls(dtype):
    gen, tdt = seeded(4), FLOATS[dtype]
    for n in (3, 20, 1, 5, 16, 2, 1, 33, 7):  # small sizes use and refill the cached sample
        assert_same(gen.normal((n,), dtype), torch.randn(n, dtype=tdt))
    assert_streams_aligned(gen)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("low", "high"), [(-2.5, 3.25), (0.1, 0.3), (-1e4, 1e4), (5.0, 5.0)])
def test_uniform_range(dtype, low, high):
    for seed in range(5):
        gen = seeded(seed)
        for n in (1, 17, 1000):
            expected = torch.empty(n, dtype=FLOATS[dtype]).uniform_(low, high)
            assert_same(gen.uniform((n,), dtype, low, high), expected)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("mean", "std"), [(1.5, 0.3), (-2.0, 7.5), (0.0, 0.0)])
def test_normal_mean_std(dtype, mean, std):
    for seed in range(5):
        gen = seeded(seed)
        for n in (1, 15, 16, 50, 1000):
            expected = torch.empty(n, dtype=FLOATS[dtype]).normal_(mean, std)
            assert_same(gen.normal((n,), dtype, mean, std), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_array_mean_std(dtype):
    gen = seeded(8)
    for n in (5, 40):
        mean = np.linspace(-3, 3, n).astype(dtype)
        std = np.linspace(0, 2, n).astype(dtype)
        tmean, tstd = torch.from_numpy(mean), torch.from_numpy(std)
        assert_same(gen.normal(None, dtype, mean, std), torch.normal(tmean, tstd))
        assert_same(gen.normal(None, dtype, mean, 0.5), torch.normal(tmean, 0.5))
        assert_same(gen.normal(None, dtype, 0.5, std), torch.normal(0.5, tstd))
    assert_streams_aligned(gen)


def test_avx2_box_muller_on_chosen_uniforms():
    """Feed torch's randn chosen words through a crafted state: a random sample of all 2**24
    possible uniforms, each used both as a radius input and as an angle input."""
    k = np.random.default_rng(0).integers(0, 2**24, 38 * 8 * 60, dtype=np.uint32)
    gen = Generator()
    for block in k.reshape(60, 38, 8):
        words = np.concatenate([block, block], axis=1).ravel()  # 38 rows of 16
        state = Generator(0).get_state()
        key = state[24:24 + 8 * 624].view(np.uint64)
        key[1:1 + words.size] = untemper(words)
        state[8:12] = np.array([624], np.int32).view(np.uint8)  # left: 623 words before a twist
        state[16:24] = np.array([1], np.uint64).view(np.uint8)  # next: key[1] comes first
        torch.set_rng_state(torch.from_numpy(state))
        gen.set_state(state)
        assert_same(gen.normal((words.size,)), torch.randn(words.size))




# --------------------------------------------------------------------------------- integers

@pytest.mark.parametrize("dtype", [*INTS, np.float32, np.float64, ml_dtypes.bfloat16, np.float16])
def test_randint_ranges(dtype):
    tdt = {**INTS, **FLOATS}[dtype]
    ranges = [(0, 2), (0, 10), (-5, 5), (0, 100), (3, 2**28 + 3), (-(2**40), 2**40), (0, 2**31 - 1)]
    for low, high in ranges:
        gen = seeded(abs(low) % 97 + high % 89)
        with warnings.catch_warnings():  # both warn about ranges too wide for small floats
            warnings.simplefilter("ignore")
            try:
                expected = torch.empty(257, dtype=tdt).random_(low, high)
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    gen.random_int((257,), dtype, low, high)
                continue
            assert_same(gen.random_int((257,), dtype, low, high), expected)
        assert_streams_aligned(gen)


@pytest.mark.parametrize("dtype", [*INTS, np.float32, np.float64, ml_dtypes.bfloat16, np.float16])
def test_random_default_range_and_from(dtype):
    tdt = {**INTS, **FLOATS}[dtype]
    gen = seeded(2)
    assert_same(gen.random_((99,), dtype), torch.empty(99, dtype=tdt).random_())
    assert_same(gen.random_int((99,), dtype, 1), torch.empty(99, dtype=tdt).random_(1, None))
    if dtype in (np.int64, np.float32, np.float64, ml_dtypes.bfloat16):  # all 64 bits
        expected = torch.empty(99, dtype=tdt).random_(-(2**63), None)
        assert_same(gen.random_int((99,), dtype, -(2**63)), expected)
    assert_streams_aligned(gen)


def test_randint_matches_torch_randint():
    for seed in range(20):
        gen = seeded(seed)
        assert_same(gen.random_int((4, 6), np.int64, 0, 10), torch.randint(0, 10, (4, 6)))
        assert_same(gen.random_int((50,), np.int64, -3, 2**33), torch.randint(-3, 2**33, (50,)))


def test_integer_errors_match_torch():
    gen = Generator()
    with pytest.raises(RuntimeError):
        torch.empty(3, dtype=torch.int8).random_(0, 1000)
    with pytest.raises(RuntimeError, match="out of bounds"):
        gen.random_int((3,), np.int8, 0, 1000)
    with pytest.raises(RuntimeError, match="from' to be less than 'to'"):
        gen.random_int((3,), np.int64, 5, 5)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.float32, np.float64])
def test_randperm(dtype):
    tdt = {**INTS, **FLOATS}[dtype]
    for seed in range(10):
        gen = seeded(seed)
        for n in (*range(40), 1000, 30000 if dtype == np.int16 else 100003):
            assert_same(gen.randperm(n, dtype), torch.randperm(n, dtype=tdt))
        assert_streams_aligned(gen)


def test_shuffles_match_their_loops():
    rng = np.random.default_rng(1)
    for _ in range(500):
        n = int(rng.integers(2, 50))
        targets = np.array([rng.integers(i, n) for i in range(n - 1)])
        expected = np.arange(n)
        for i, j in enumerate(targets):
            expected[[i, j]] = expected[[j, i]]
        np.testing.assert_array_equal(_forward_shuffle(targets), expected)
        picks = np.array([rng.integers(0, i + 1) for i in range(n)])
        expected = np.zeros(n, np.int64)
        for i, j in enumerate(picks):
            expected[i], expected[j] = expected[j], i
        np.testing.assert_array_equal(_inside_out(picks), expected)


# ------------------------------------------------------------------- other distributions

@pytest.mark.parametrize("dtype", FLOATS)
def test_continuous_distributions(dtype):
    tdt = FLOATS[dtype]
    gen = seeded(6)
    for n in (1, 7, 300):
        assert_same(gen.exponential((n,), dtype, 2.5), torch.empty(n, dtype=tdt).exponential_(2.5))
        assert_same(gen.cauchy((n,), dtype, 1.5, 0.7), torch.empty(n, dtype=tdt).cauchy_(1.5, 0.7))
        assert_same(gen.log_normal((n,), dtype, 0.3, 0.5),
                    torch.empty(n, dtype=tdt).log_normal_(0.3, 0.5))
        assert_same(gen.geometric((n,), dtype, 0.3), torch.empty(n, dtype=tdt).geometric_(0.3))
    assert_streams_aligned(gen)


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.float32, np.bool_])
def test_bernoulli_scalar_p(dtype):
    tdt = {**INTS, **FLOATS}[dtype]
    gen = seeded(9)
    for n in (1, 33, 500):
        assert_same(gen.bernoulli(0.3, (n,), dtype), torch.empty(n, dtype=tdt).bernoulli_(0.3))
    assert_streams_aligned(gen)


@pytest.mark.parametrize("p_dtype", FLOATS)
def test_bernoulli_array_p(p_dtype):
    gen = seeded(10)
    p = np.linspace(0, 1, 77).astype(p_dtype)
    tp = torch.from_numpy(p.astype(np.float32)).to(FLOATS[p_dtype])
    assert_same(gen.bernoulli(p), torch.bernoulli(tp))
    expected = torch.empty(3, 77, dtype=torch.float64).bernoulli_(tp)
    assert_same(gen.bernoulli(p, (3, 77), np.float64), expected)
    assert_streams_aligned(gen)


@pytest.mark.parametrize("dtype", FLOATS)
def test_multinomial(dtype):
    gen = seeded(12)
    probs = np.random.default_rng(0).random((4, 9)).astype(dtype)
    probs[:, 2] = 0
    tprobs = torch.from_numpy(probs.astype(np.float32)).to(FLOATS[dtype])
    for rows in (probs[0], probs):
        trows = tprobs[0] if rows.ndim == 1 else tprobs
        assert_same(gen.multinomial(rows, 1), torch.multinomial(trows, 1))
        assert_same(gen.multinomial(rows, 5), torch.multinomial(trows, 5))
        assert_same(gen.multinomial(rows, 20, True), torch.multinomial(trows, 20, True))
        # one sample with replacement: torch draws it as without replacement
        assert_same(gen.multinomial(rows, 1, True), torch.multinomial(trows, 1, True))
    assert_streams_aligned(gen)


def test_distribution_argument_errors():
    gen = Generator()
    for call in (lambda: gen.normal((3,), np.float32, 0.0, -1.0),
                 lambda: gen.uniform((3,), np.float32, 2.0, 1.0),
                 lambda: gen.exponential((3,), np.float32, 0.0),
                 lambda: gen.bernoulli(1.5, (3,)),
                 lambda: gen.geometric((3,), np.float32, 1.0),
                 lambda: gen.multinomial(np.zeros(3, np.float32), 1),
                 lambda: gen.randperm(-1)):
        with pytest.raises(RuntimeError):
            call()
