"""Worker processes: errors re-raised with the worker's traceback, dead workers and timeouts
reported instead of hanging, no process left behind, worker seeds and get_worker_info as in
torch, persistent workers, and iterable datasets split across workers."""

from __future__ import annotations

import gc
import os
import random
import signal
import time

import numpy as np
import pytest
from data_helpers import children, same_result

import ember
from ember.utils.data import DataLoader, get_worker_info
from ember.utils.data.worker import ExceptionWrapper

torch = pytest.importorskip("torch")


class Faulty:
    """Index `bad` raises, kills its worker, or sleeps, depending on `how`."""

    def __init__(self, how, bad=3, n=8):
        self.how, self.bad, self.n = how, bad, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            if self.how == "raise":
                raise ValueError(f"bad sample {i}")
            if self.how == "keyerror":
                raise KeyError(i)
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "sleep":
                time.sleep(3)
        return i


@pytest.fixture
def no_leftover_workers():
    """The test must leave no child process behind."""
    before = children()
    yield
    gc.collect()  # pytest's ExceptionInfo sits in a reference cycle with the failing frames
    deadline = time.monotonic() + 5
    while children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not children() - before


def ember_error(dataset, **kwargs):
    with pytest.raises(Exception) as info:
        list(DataLoader(dataset, num_workers=2, **kwargs))
    return info


# --------------------------------------------------------------------------- failures

@pytest.mark.usefixtures("no_leftover_workers")
def test_worker_exception_reraised_with_traceback():
    info = ember_error(Faulty("raise"), batch_size=2)
    assert info.type is ValueError
    message = str(info.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 1.\n"
                              "Original Traceback (most recent call last):\n")
    assert 'raise ValueError(f"bad sample {i}")' in message
    assert message.rstrip().endswith("ValueError: bad sample 3")


@pytest.mark.parametrize("how, kind", [("raise", ValueError), ("keyerror", KeyError)])
def test_exception_message_matches_torch(how, kind):
    """The worker's wrapper against torch's, in this process (torch's workers take seconds to
    shut down after an error)."""

    def reraised(wrapper_class):
        try:
            Faulty(how)[3]
        except kind:
            wrapper = wrapper_class(where="in DataLoader worker process 0")
        with pytest.raises(kind) as info:
            wrapper.reraise()
        return str(info.value)

    assert reraised(ExceptionWrapper) == reraised(torch._utils.ExceptionWrapper)


@pytest.mark.usefixtures("no_leftover_workers")
def test_worker_keyerror_prints_readably():
    info = ember_error(Faulty("keyerror"))
    assert info.type is KeyError
    assert str(info.value).startswith("Caught KeyError in DataLoader worker process 1.\nOriginal")


@pytest.mark.usefixtures("no_leftover_workers")
def test_iteration_goes_on_after_a_worker_exception():
    loader = DataLoader(Faulty("raise", bad=1, n=4), num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0]
    with pytest.raises(ValueError):
        next(it)
    assert [b.item() for b in it] == [2, 3]


@pytest.mark.usefixtures("no_leftover_workers")
def test_worker_init_fn_error_reaches_first_batch():
    def init(worker_id):
        raise RuntimeError(f"init failed in {worker_id}")

    info = ember_error(Faulty("none"), worker_init_fn=init)
    assert info.type is RuntimeError
    assert "Caught RuntimeError in DataLoader worker process 0" in str(info.value)
    assert "init failed in 0" in str(info.value)


@pytest.mark.usefixtures("no_leftover_workers")
def test_killed_worker_raises_instead_of_hanging():
    start = time.monotonic()
    info = ember_error(Faulty("kill", bad=2), batch_size=1)
    assert info.type is RuntimeError
    assert info.match(r"^DataLoader worker \(pid\(s\) \d+\) exited unexpectedly$")
    assert time.monotonic() - start < 5


@pytest.mark.usefixtures("no_leftover_workers")
def test_timeout():
    start = time.monotonic()
    info = ember_error(Faulty("sleep", bad=0), timeout=0.2)
    assert info.type is RuntimeError
    assert str(info.value) == "DataLoader timed out after 0.2 seconds"
    assert time.monotonic() - start < 2.5  # the sleeping worker is terminated, not awaited


# ------------------------------------------------------------------------------ cleanup

@pytest.mark.usefixtures("no_leftover_workers")
def test_workers_gone_after_epoch_break_and_delete():
    loader = DataLoader(Faulty("none", n=20), num_workers=2)
    assert len(list(loader)) == 20
    for i, _ in enumerate(loader):
        if i == 2:
            break
    it = iter(loader)
    next(it)
    assert len(children()) >= 2
    del it


@pytest.mark.usefixtures("no_leftover_workers")
def test_workers_gone_after_keyboard_interrupt():
    def train():
        for _ in DataLoader(Faulty("none", n=20), num_workers=2):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train()


@pytest.mark.usefixtures("no_leftover_workers")
def test_persistent_loader_deleted():
    loader = DataLoader(Faulty("none"), num_workers=2, persistent_workers=True)
    list(loader)
    assert len(children()) >= 2
    del loader


# --------------------------------------------------------------------- seeds, worker info

class Probe:
    """Each sample reports its worker and the worker's first random numbers."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info() or torch.utils.data.get_worker_info()
        lib = ember if get_worker_info() is not None else torch
        return (info.id, info.num_workers, info.seed, info.dataset is self, lib.rand(2).tolist(),
                random.random(), float(np.random.rand()))


def test_worker_seeds_and_info_match_torch():
    def fn(lib):
        lib.manual_seed(123)
        loader = lib.utils.data.DataLoader(Probe(), batch_size=None, num_workers=2)
        return list(loader)

    out = same_result(fn)
    ember.manual_seed(123)
    base_seed = ember.empty((), dtype=ember.int64).random_().item()
    assert [sample[0] for sample in out] == [0, 1, 0, 1]
    assert [sample[2] for sample in out] == [base_seed, base_seed + 1] * 2
    assert get_worker_info() is None


def test_worker_seed_from_loader_generator():
    def fn(lib):
        gen = lib.Generator().manual_seed(77)
        return [s[2] for s in lib.utils.data.DataLoader(Probe(), batch_size=None, num_workers=2,
                                                         generator=gen)]

    same_result(fn)


class Tagged:
    """Samples tagged with an attribute that worker_init_fn sets on the worker's copy."""

    tag = "main"

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return f"{self.tag}:{i}:{os.getpid()}"


def tag_worker(worker_id):
    info = get_worker_info()
    assert info.id == worker_id
    info.dataset.tag = f"worker{worker_id}"


@pytest.mark.usefixtures("no_leftover_workers")
def test_worker_init_fn_configures_copy():
    dataset = Tagged()
    samples = list(DataLoader(dataset, batch_size=None, num_workers=2, worker_init_fn=tag_worker))
    assert [s.split(":")[:2] for s in samples] == [["worker0", "0"], ["worker1", "1"],
                                                     ["worker0", "2"], ["worker1", "3"]]
    assert dataset.tag == "main"
    assert len({s.split(":")[2] for s in samples} - {str(os.getpid())}) == 2


@pytest.mark.usefixtures("no_leftover_workers")
def test_persistent_workers_across_epochs():
    loader = DataLoader(Tagged(), batch_size=2, num_workers=2, persistent_workers=True,
                        worker_init_fn=tag_worker, prefetch_factor=1)
    first = list(loader)
    next(iter(loader))  # an epoch broken off leaves answers the next epoch must drop
    second = list(loader)
    assert first == second
    assert loader._iterator is not None
    del loader


def test_persistent_shuffle_matches_torch():
    def fn(lib):
        lib.manual_seed(8)
        loader = lib.utils.data.DataLoader(range(9), batch_size=4, shuffle=True, num_workers=2,
                                           persistent_workers=True)
        return [list(loader) for _ in range(3)], lib.rand(1).item()

    same_result(fn)


def test_out_of_order_delivers_everything():
    loader = DataLoader(range(10), batch_size=3, num_workers=2, in_order=False)
    assert sorted(x for batch in loader for x in batch.tolist()) == list(range(10))


# ---------------------------------------------------------------------- iterable datasets

def sharded(lib, start=3, stop=10, split=True):
    class Sharded(lib.utils.data.IterableDataset):
        def __iter__(self):
            info = lib.utils.data.get_worker_info()
            if info is None or not split:
                return iter(range(start, stop))
            per_worker = -(-(stop - start) // info.num_workers)
            first = start + info.id * per_worker
            return iter(range(first, min(first + per_worker, stop)))

    return Sharded()


@pytest.mark.parametrize("kwargs", [dict(batch_size=None), dict(batch_size=2),
                                    dict(batch_size=2, drop_last=True),
                                    dict(batch_size=2, split=False)])
def test_iterable_dataset_sharding_matches_torch(kwargs):
    split = kwargs.pop("split", True)
    same_result(lambda lib: list(lib.utils.data.DataLoader(sharded(lib, split=split),
                                                           num_workers=2, **kwargs)))


@pytest.mark.usefixtures("no_leftover_workers")
def test_iterable_persistent_epochs():
    loader = DataLoader(sharded(ember), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [[b.tolist() for b in loader] for _ in range(2)]
    assert epochs[0] == epochs[1] == [[3, 4], [7, 8], [5, 6], [9]]
    del loader


@pytest.mark.usefixtures("no_leftover_workers")
def test_spawn_context():
    """A spawned worker unpickles what it needs (here only ember's own objects)."""
    loader = DataLoader(range(5), batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
