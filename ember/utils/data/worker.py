"""What runs inside a DataLoader worker process (torch.utils.data._utils.worker): seeding,
get_worker_info, and the loop that turns index messages into batches on the result queue.

Protocol, as torch's: the main process puts ``(task_idx, indices)`` on the worker's own index
queue; the worker answers ``(task_idx, batch)`` on the shared result queue, where the batch may
be an ExceptionWrapper (the dataset raised) or _IterableDatasetStopIteration (an iterable
dataset ran out). ``_ResumeIteration`` starts a new epoch for persistent workers; ``None`` tells
the worker to exit. Batches travel pickled; an ember tensor pickles as its NumPy array."""

from __future__ import annotations

import functools
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

import ember
from ember.utils.data.fetch import _DatasetKind

# How long a worker waits on its index queue before checking that its parent is still alive
MP_STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """About the current worker (torch.utils.data.WorkerInfo): ``id`` in [0, num_workers),
    ``num_workers``, ``seed`` (base_seed + id) and ``dataset``, this process's copy of it."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of this worker process, or None in the main process
    (torch.utils.data.get_worker_info)."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    seed: int | None = None


class KeyErrorMessage(str):
    """A str whose repr is itself, so a re-raised KeyError prints its traceback readably."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception turned into its class and traceback text, to cross a process boundary
    (torch._utils.ExceptionWrapper). reraise() raises the same class with torch's message:
    "Caught ValueError in DataLoader worker process 0.\\nOriginal Traceback ..."."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()  # keep no traceback object: it pins frames
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None  # a class that does not take one message
        try:
            raise exception
        finally:
            # a local holding the raised exception makes a cycle through its traceback that
            # would keep the DataLoader iterator, and so its workers, alive until gc runs
            del exception


def _seed_worker(base_seed, worker_id):
    """torch's per-worker seeding: ``base_seed + worker_id`` for Python's random and the
    default generator, and NumPy's legacy global generator from a SeedSequence of
    (worker_id, base_seed's low and high words, 0) -- the very words torch's
    _generate_state computes -- so NumPy draws in a dataset match torch's workers too."""
    seed = base_seed + worker_id
    random.seed(seed)
    ember.manual_seed(seed)
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    np.random.seed(np.random.SeedSequence(entropy).generate_state(4))
    return seed


def _worker_loop(index_queue, data_queue, done_event, worker_id, num_workers, dataset_kind,
                 dataset, auto_collation, collate_fn, drop_last, base_seed, init_fn):
    """A worker's life: seed, publish WorkerInfo, run worker_init_fn, then serve tasks until
    told to stop or the parent dies. Errors in worker_init_fn are sent as the answer to the
    first task, as torch does."""
    global _worker_info
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        make_fetcher = functools.partial(_DatasetKind.create_fetcher, dataset_kind, dataset,
                                         auto_collation, collate_fn, drop_last)
        init_error = fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher()
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        _serve(index_queue, data_queue, done_event, make_fetcher, fetcher, init_error,
               dataset_kind, worker_id)
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the main process does the cleanup
    if done_event.is_set():
        # the main process no longer reads: exit without waiting to flush the result pipe
        data_queue.cancel_join_thread()
        data_queue.close()


def _serve(index_queue, data_queue, done_event, make_fetcher, fetcher, init_error,
           dataset_kind, worker_id):
    iteration_end = False
    parent = os.getppid()
    while os.getppid() == parent:  # a reparented worker has lost its main process
        try:
            message = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
        except queue.Empty:
            continue
        if isinstance(message, _ResumeIteration):
            data_queue.put((message, None))
            iteration_end, fetcher = False, make_fetcher()
            continue
        if message is None:
            break
        if done_event.is_set() or iteration_end:
            continue  # shutting down, or nothing left: answer nothing
        task_idx, index = message
        if init_error is not None:
            data, init_error = init_error, None
        else:
            data = _fetch(fetcher, index, dataset_kind, worker_id)
            iteration_end = isinstance(data, _IterableDatasetStopIteration)
        data_queue.put((task_idx, data))
        del data, message, index  # free the batch before blocking on the next task


def _fetch(fetcher, index, dataset_kind, worker_id):
    try:
        return fetcher.fetch(index)
    except StopIteration:
        if dataset_kind == _DatasetKind.Iterable:
            return _IterableDatasetStopIteration(worker_id)
        return ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
    except Exception:
        return ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
