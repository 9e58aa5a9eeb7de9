"""Datasets, random_split and samplers against torch.utils.data: same samples, same indices for the
same seed or generator, same errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from data_helpers import same_error, same_result

torch = pytest.importorskip("torch")


def data(lib):
    return lib.utils.data


def tensors(lib):
    x = lib.tensor(np.arange(24, dtype=np.float32).reshape(6, 4))
    return x, lib.arange(6)


class Squares:
    """A plain map-style dataset that is not a Dataset subclass."""

    def __init__(self, n, offset=0):
        self.n, self.offset = n, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return (i + self.offset) ** 2


# ----------------------------------------------------------------------------------- datasets

def test_tensor_dataset():
    def fn(lib):
        ds = data(lib).TensorDataset(*tensors(lib))
        return [len(ds), ds[0], ds[-1], ds[1:3], ds[[0, 2]]]

    same_result(fn)
    same_error(lambda lib: data(lib).TensorDataset(lib.zeros(3), lib.zeros(4)))


@pytest.mark.parametrize("kwargs", [False, True])
def test_stack_dataset(kwargs):
    def fn(lib):
        x, y = tensors(lib)
        parts = {"x": data(lib).TensorDataset(x), "sq": Squares(6)}
        ds = data(lib).StackDataset(**parts) if kwargs else data(lib).StackDataset(*parts.values())
        return [len(ds), ds[2], ds.__getitems__([0, 5])]

    same_result(fn)


def test_stack_dataset_errors():
    same_error(lambda lib: data(lib).StackDataset())
    same_error(lambda lib: data(lib).StackDataset(Squares(2), Squares(3)))
    same_error(lambda lib: data(lib).StackDataset(Squares(2), b=Squares(2)))


def test_concat_dataset():
    def fn(lib):
        ds = data(lib).ConcatDataset([Squares(3), Squares(0), Squares(4, offset=10)])
        added = data(lib).TensorDataset(lib.arange(2)) + data(lib).TensorDataset(lib.arange(3))
        return [len(ds), ds.cumulative_sizes, [ds[i] for i in range(-7, 7)], len(added),
                added[3]]

    same_result(fn)
    same_error(lambda lib: data(lib).ConcatDataset([Squares(3)])[-4])
    same_error(lambda lib: data(lib).ConcatDataset([]))


class Count:
    """An iterable dataset made from a class factory, so each library gets its own base."""

    @staticmethod
    def make(lib, start, stop):
        class CountDataset(data(lib).IterableDataset):
            def __iter__(self):
                return iter(range(start, stop))

            def __len__(self):
                return stop - start

        return CountDataset()


def test_chain_dataset():
    def fn(lib):
        a, b = Count.make(lib, 0, 3), Count.make(lib, 10, 12)
        chained = data(lib).ChainDataset([a, b])
        return [list(chained), len(chained), list(a + b)]

    same_result(fn)
    same_error(lambda lib: list(data(lib).ChainDataset([Squares(2)])))
    same_error(lambda lib: data(lib).ConcatDataset([Count.make(lib, 0, 2)]))


def test_subset():
    def fn(lib):
        ds = data(lib).Subset(data(lib).TensorDataset(*tensors(lib)), [4, 0, 2])
        plain = data(lib).Subset(Squares(6), [5, 1])
        return [len(ds), ds[0], ds.__getitems__([2, 1]), plain[0], plain.__getitems__([1, 0])]

    same_result(fn)


def test_subset_override_without_getitems():
    def fn(lib):
        class Bad(data(lib).Subset):
            def __getitem__(self, idx):
                return 0

        Bad(Squares(3), [0])

    same_error(fn)


def test_dataset_base():
    same_error(lambda lib: data(lib).Dataset()[0])
    same_error(lambda lib: len(data(lib).Dataset()))


# ------------------------------------------------------------------------------- random_split

@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [10], [1.0, 0.0]])
@pytest.mark.parametrize("how", ["default", "generator"])
def test_random_split(lengths, how):
    def fn(lib):
        lib.manual_seed(3)
        kwargs = {"generator": lib.Generator().manual_seed(42)} if how == "generator" else {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = data(lib).random_split(range(10), lengths, **kwargs)
        return [list(p.indices) for p in parts] + [lib.rand(1).item(),
                                                   [str(w.message) for w in caught]]

    same_result(fn)


def test_random_split_errors():
    same_error(lambda lib: data(lib).random_split(range(10), [3, 8]))
    same_error(lambda lib: data(lib).random_split(range(10), [1.5, -0.5]))


# ----------------------------------------------------------------------------------- samplers

def test_sequential_and_batch_sampler():
    def fn(lib):
        d = data(lib)
        seq = d.SequentialSampler(range(7))
        return [list(seq), len(seq), list(d.BatchSampler(seq, 3, False)),
                list(d.BatchSampler(seq, 3, True)), len(d.BatchSampler(seq, 3, False)),
                len(d.BatchSampler(seq, 3, True)), list(d.BatchSampler(range(6), 2, True))]

    same_result(fn)


@pytest.mark.parametrize("args", [dict(), dict(num_samples=23), dict(replacement=True),
                                  dict(replacement=True, num_samples=70)])
def test_random_sampler_default_generator(args):
    def fn(lib):
        lib.manual_seed(0)
        sampler = data(lib).RandomSampler(range(10), **args)
        return [list(sampler), list(sampler), len(sampler), lib.rand(1).item()]

    same_result(fn)


def test_random_sampler_own_generator():
    def fn(lib):
        gen = lib.Generator().manual_seed(5)
        sampler = data(lib).RandomSampler(range(9), generator=gen)
        replaced = data(lib).RandomSampler(range(9), True, 40, generator=gen)
        return [list(sampler), list(replaced), list(sampler)]

    same_result(fn)


def test_subset_random_and_weighted_samplers():
    def fn(lib):
        lib.manual_seed(1)
        d = data(lib)
        subset = d.SubsetRandomSampler([10, 20, 30, 40, 50])
        weights = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
        with_replacement = d.WeightedRandomSampler(weights, 12)
        without = d.WeightedRandomSampler(weights, 5, replacement=False)
        gen = lib.Generator().manual_seed(9)
        return [list(subset), len(subset), list(with_replacement), list(without),
                list(d.WeightedRandomSampler(lib.tensor(weights), 4, generator=gen)),
                list(d.SubsetRandomSampler(range(6), generator=gen)), len(without)]

    same_result(fn)


@pytest.mark.parametrize("make", [
    lambda d: d.RandomSampler(range(3), replacement=1),
    lambda d: d.RandomSampler(range(3), num_samples=0),
    lambda d: d.RandomSampler(range(0)),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], 0),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], True),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], 2, replacement=None),
    lambda d: d.WeightedRandomSampler([[1.0, 2.0]], 2),
    lambda d: d.BatchSampler(range(3), 0, False),
    lambda d: d.BatchSampler(range(3), 2.0, False),
    lambda d: d.BatchSampler(range(3), 2, None),
    lambda d: d.Sampler()[0],
])
def test_sampler_errors(make):
    same_error(lambda lib: make(data(lib)))


def test_sampler_iter_not_implemented():
    same_error(lambda lib: iter(data(lib).Sampler()), message=False)


@pytest.mark.parametrize("n, replicas", [(10, 3), (9, 3), (2, 5), (7, 2)])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler(n, replicas, shuffle, drop_last):
    def fn(lib):
        out = []
        for rank in range(replicas):
            sampler = data(lib).DistributedSampler(range(n), replicas, rank, shuffle=shuffle,
                                                   seed=4, drop_last=drop_last)
            out.append([list(sampler), len(sampler), sampler.total_size])
            sampler.set_epoch(3)
            out.append(list(sampler))
        return out

    same_result(fn)


def test_distributed_sampler_errors():
    same_error(lambda lib: data(lib).DistributedSampler(range(4), 2, 2))
    same_error(lambda lib: data(lib).DistributedSampler(range(4), 2, -1))
