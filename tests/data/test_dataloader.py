"""DataLoader against torch's: the same batches in the same order with the same dtypes, with and
without worker processes, for every way of choosing the order; the same argument errors and
lengths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from data_helpers import same_batch, same_error, same_result

import ember

torch = pytest.importorskip("torch")

WORKERS = [0, 2]


class Samples:
    """A map-style dataset of mixed samples: a float32 row, an int label, a float, a string."""

    def __init__(self, n=10):
        self.rows = np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 4

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i], int(i) % 3, float(i) / 2, f"s{i}"


def load(lib, *args, epochs=1, **kwargs):
    """All batches of `epochs` passes over a DataLoader, then one draw from the default
    generator (so the random stream must have been used exactly as torch uses it)."""
    loader = lib.utils.data.DataLoader(*args, **kwargs)
    batches = [list(loader) for _ in range(epochs)]
    return batches, lib.rand(1).item()


def both(fn, workers):
    """fn(lib, workers) for ember with `workers` and for torch in its main process: torch draws
    the same numbers either way, and its main-process loader is faster to test against."""
    torch.manual_seed(0)
    t_out = fn(torch, 0)
    ember.manual_seed(0)
    same_batch(fn(ember, workers), t_out)


# ------------------------------------------------------------------------------ orders

@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential(workers, drop_last):
    both(lambda lib, w: load(lib, Samples(), batch_size=3, drop_last=drop_last, num_workers=w),
         workers)


@pytest.mark.parametrize("workers", WORKERS)
def test_shuffle_with_manual_seed(workers):
    def fn(lib, w):
        lib.manual_seed(7)
        return load(lib, Samples(), batch_size=4, shuffle=True, num_workers=w, epochs=2)

    both(fn, workers)


@pytest.mark.parametrize("workers", WORKERS)
def test_shuffle_with_generator(workers):
    def fn(lib, w):
        lib.manual_seed(0)
        gen = lib.Generator().manual_seed(11)
        return load(lib, Samples(), batch_size=3, shuffle=True, generator=gen, num_workers=w)

    both(fn, workers)


@pytest.mark.parametrize("workers", WORKERS)
def test_explicit_index_order(workers):
    order = [7, 1, 3, 3, 0, 9, 2]
    both(lambda lib, w: load(lib, Samples(), batch_size=2, sampler=order, num_workers=w), workers)
    batches = [[4, 1], [0, 9, 8], [2]]
    both(lambda lib, w: load(lib, Samples(), batch_sampler=batches, num_workers=w), workers)


@pytest.mark.parametrize("workers", WORKERS)
def test_random_split_subsets(workers):
    def fn(lib, w):
        lib.manual_seed(2)
        train, test = lib.utils.data.random_split(Samples(12), [0.75, 0.25])
        return [load(lib, part, batch_size=4, shuffle=True, num_workers=w)
                for part in (train, test)]

    both(fn, workers)


@pytest.mark.parametrize("workers", WORKERS)
def test_weighted_random_sampler(workers):
    def fn(lib, w):
        lib.manual_seed(3)
        sampler = lib.utils.data.WeightedRandomSampler([0.5, 2, 1, 0.1] * 3, 9)
        return load(lib, Samples(12), batch_size=4, sampler=sampler, num_workers=w, epochs=2)

    both(fn, workers)


@pytest.mark.parametrize("workers", WORKERS)
def test_tensor_dataset(workers):
    def fn(lib, w):
        lib.manual_seed(4)
        x = lib.tensor(np.arange(40, dtype=np.float64).reshape(10, 4))
        ds = lib.utils.data.TensorDataset(x, lib.arange(10).to(lib.int16))
        return load(lib, ds, batch_size=4, shuffle=True, num_workers=w)

    both(fn, workers)


@pytest.mark.parametrize("workers", WORKERS)
def test_no_auto_batching_and_custom_collate(workers):
    both(lambda lib, w: load(lib, Samples(4), batch_size=None, num_workers=w), workers)
    both(lambda lib, w: load(lib, Samples(5), batch_size=2, num_workers=w,
                             collate_fn=lambda batch: [s[3] for s in batch]), workers)


def test_same_as_torch_workers():
    """One direct comparison with torch's own worker processes."""

    def fn(lib):
        lib.manual_seed(5)
        return load(lib, Samples(), batch_size=3, shuffle=True, num_workers=2, epochs=2)

    same_result(fn)


# ------------------------------------------------------------------------ lengths, errors

@pytest.mark.parametrize("kwargs", [
    dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
    dict(batch_sampler=[[0, 1], [2]]), dict(sampler=[1, 2, 3], batch_size=2),
])
def test_len(kwargs):
    same_result(lambda lib: len(lib.utils.data.DataLoader(Samples(), **kwargs)))


@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
    dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]), dict(batch_size=None, drop_last=True),
    dict(batch_size=0), dict(drop_last=1), dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="bogus"),
    dict(num_workers=1, multiprocessing_context=3),
])
def test_argument_errors(kwargs):
    same_error(lambda lib: lib.utils.data.DataLoader(Samples(), **kwargs))


def test_timeout_needs_workers():
    same_error(lambda lib: iter(lib.utils.data.DataLoader(Samples(), timeout=1)))


def test_attributes_frozen():
    def fn(lib):
        loader = lib.utils.data.DataLoader(Samples())
        loader.num_workers = 0  # allowed
        loader.batch_size = 5

    same_error(fn)


def test_pin_memory_warns_without_gpu():
    def fn(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batches = list(lib.utils.data.DataLoader(Samples(3), pin_memory=True))
        return batches, [str(w.message) for w in caught]

    if torch.cuda.is_available() or ember.cuda.is_available():
        pytest.skip("pins memory where a GPU exists")
    same_result(fn)


def test_default_shuffle_draws_one_seed_per_epoch():
    """Iterator creation draws base_seed, the first batch the sampler's seed: both from the
    default generator, as in torch."""

    def fn(lib):
        lib.manual_seed(0)
        iterator = iter(lib.utils.data.DataLoader(Samples(), shuffle=True))
        after_iter = lib.rand(1).item()
        first = next(iterator)
        return after_iter, first, lib.rand(1).item()

    same_result(fn)


# ---------------------------------------------------------------------- iterable datasets

def counting(lib, n=7):
    class Counting(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n

    return Counting()


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                    dict(batch_size=None)])
def test_iterable_dataset(kwargs):
    def fn(lib):
        loader = lib.utils.data.DataLoader(counting(lib), **kwargs)
        return len(loader), list(loader)

    same_result(fn)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]),
                                    dict(batch_sampler=[[0]])])
def test_iterable_dataset_errors(kwargs):
    same_error(lambda lib: lib.utils.data.DataLoader(counting(lib), **kwargs), message=False)


def test_iterable_dataset_longer_than_len_warns():
    def fn(lib):
        class Liar(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(5))

            def __len__(self):
                return 2

        loader = lib.utils.data.DataLoader(Liar(), batch_size=2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batches = list(loader)
            assert len(loader) == 1
        return batches, len(caught)

    same_result(fn)
    with pytest.warns(UserWarning, match=r"was reported to be 1\(when accessing len\(dataloader"):
        loader = ember.utils.data.DataLoader(counting(ember, 3))
        assert len(loader) == 3
        loader.dataset.__class__.__len__ = lambda self: 1
        assert len(loader) == 1
        list(loader)
