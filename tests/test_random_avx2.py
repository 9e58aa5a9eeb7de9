"""torch.randn's float32 kernel in chunks and on worker threads: torch's bits at every size, seed,
chunk boundary and thread count, with the stream left where torch leaves it."""

import numpy as np
import pytest
from random_bits import assert_aligned, assert_same, untemper

import ember
from ember import _random_avx2, _threads
from ember._random import Generator

torch = pytest.importorskip("torch")
ml_dtypes = pytest.importorskip("ml_dtypes")

CHUNK = 16 * _random_avx2.ROWS  # elements per chunk
BOUNDARY_SIZES = [16, 17, 31, CHUNK - 16, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + 15, CHUNK + 16,
                  2 * CHUNK + 7, 3 * CHUNK]
FLOATS = {np.float32: torch.float32, np.float16: torch.float16,
          ml_dtypes.bfloat16: torch.bfloat16}


@pytest.fixture(autouse=True)
def _restore_torch_rng():
    with torch.random.fork_rng():
        yield


@pytest.fixture(params=[1, 4], ids=["serial", "threads"])
def cores(request, monkeypatch):
    """Run the kernel serially and on a pool, whatever this machine has."""
    monkeypatch.setattr(_random_avx2, "cores", lambda: request.param)
    monkeypatch.setattr(_threads, "cores", lambda: request.param)
    monkeypatch.setattr(_threads, "_workers", {"pool": None, "pid": None})  # a pool that size
    return request.param


@pytest.mark.parametrize("dtype", FLOATS)
def test_sizes_around_chunks(cores, dtype):
    sizes = BOUNDARY_SIZES if dtype == np.float32 else BOUNDARY_SIZES[::3]
    for seed, n in enumerate(sizes):
        gen, theirs = Generator(seed), torch.Generator().manual_seed(seed)
        assert_same(gen.normal((n,), dtype), torch.randn(n, dtype=FLOATS[dtype],
                                                         generator=theirs))
        assert_aligned(gen, theirs)


def test_seeds_0_to_50_two_chunks_and_a_tail(cores):
    gen = Generator()
    for seed in range(51):
        gen.manual_seed(seed)
        theirs = torch.Generator().manual_seed(seed)
        n = 2 * CHUNK + 16 * seed + seed % 16
        assert_same(gen.normal((n,)), torch.randn(n, generator=theirs))
    assert_aligned(gen, theirs)


@pytest.mark.parametrize(("mean", "std"), [(1.5, 0.3), (-2.0, 7.5), (0.0, 0.0), (-0.0, 1.0),
                                           (3.0, 1.0)])
def test_mean_std_in_chunks(cores, mean, std):
    n = CHUNK + 33
    gen, theirs = Generator(3), torch.Generator().manual_seed(3)
    expected = torch.empty(n).normal_(mean, std, generator=theirs)
    assert_same(gen.normal((n,), np.float32, mean, std), expected)
    assert_aligned(gen, theirs)


def test_extreme_uniforms():
    """u = 0 (radius 0: zeros must come out as +0), the largest u, and angles at each octant
    boundary, as radius inputs and as angle inputs."""
    octants = [o * 2**21 + d for o in range(1, 8) for d in (-1, 0, 1)]
    special = [0, 1, 2, 2**23, 2**24 - 1, 2**24 - 2, *octants]
    k = np.resize(np.array(special, np.uint32), 8 * 8).reshape(8, 8)
    words = np.concatenate([k, np.roll(k, 3)], axis=1)
    ours = np.empty(words.shape, np.float32)
    _random_avx2.normal16(words, ours)
    state = Generator(0).get_state()
    key = state[24:24 + 8 * 624].view(np.uint64)
    key[1:1 + words.size] = untemper(words.ravel())
    state[8:12] = np.array([624], np.int32).view(np.uint8)
    state[16:24] = np.array([1], np.uint64).view(np.uint8)
    theirs = torch.Generator()
    theirs.set_state(torch.from_numpy(state))
    assert_same(ours.ravel(), torch.randn(words.size, generator=theirs))
    assert not np.signbit(ours[ours == 0]).any()


def test_work_arrays_are_aligned_and_apart():
    """The kernel's scratch arrays start on 64-byte boundaries, at different offsets into their
    4 KB pages, and do not overlap (a short chunk works in the full chunk's arrays)."""
    for rows in (_random_avx2.ROWS, 5):
        work = _random_avx2._work(rows)
        arrays = [*work.f32, *work.i32, *work.f64, *work.f64x2, work.f32x2]
        starts = [a.__array_interface__["data"][0] for a in arrays]
        assert all(start % 64 == 0 for start in starts)
        assert len({start % 4096 for start in starts}) == len(starts)
        spans = sorted((start, start + a.nbytes) for start, a in zip(starts, arrays))
        assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:]))
        assert [a.size for a in arrays] == [8 * rows] * 9 + [16 * rows] * 3


def test_helpers_work_in_the_callers_arrays(monkeypatch):
    """fill hands each helper one of the calling thread's sets of work arrays, so a helper's
    arrays do not depend on which pool thread runs it."""
    monkeypatch.setattr(_random_avx2, "cores", lambda: 4)
    monkeypatch.setattr(_threads, "cores", lambda: 4)
    monkeypatch.setattr(_threads, "_workers", {"pool": None, "pid": None})
    used = []
    real = _random_avx2.normal16

    def spy(words, out, finish=None, work=None):
        used.append(work)
        real(words, out, finish, work)

    monkeypatch.setattr(_random_avx2, "normal16", spy)
    for _ in range(3):
        Generator(0).normal((4 * CHUNK,), np.float32)
    callers = [_random_avx2._full_work(slot) for slot in range(4)]
    assert len(used) == 12 and all(any(work is own for own in callers) for work in used)


def test_ember_randn_default_generator(cores):
    n = CHUNK * 2 + 5
    torch.manual_seed(11)
    ember.manual_seed(11)
    assert_same(ember.randn(n).numpy(), torch.randn(n))
    assert_same(ember.randn(3, 7).numpy(), torch.randn(3, 7))
    assert_same(ember.rand(9).numpy(), torch.rand(9))
