"""The DataLoader iterator with worker processes (torch's _MultiProcessingDataLoaderIter).

Each worker has its own index queue; all answer on one result queue. Tasks are numbered in
sampler order and handed out round robin, ``prefetch_factor`` per worker ahead; answers that
arrive early wait in ``_task_info`` until their turn, so batches come out in sampler order.

Robustness: while waiting, the main process checks every _WORKER_CHECK_INTERVAL seconds
whether a worker died (torch learns it from SIGCHLD) and raises torch's "DataLoader worker
(pid(s) ...) exited unexpectedly"; ``timeout`` bounds each wait; the workers are stopped (asked,
then terminated) when the epoch ends, when the iterator is freed -- after ``break``,
an exception or ``del`` -- and multiprocessing terminates any left at interpreter exit."""

from __future__ import annotations

import atexit
import itertools
import math
import multiprocessing
import queue
import time
import weakref

from ember.utils.data.dataloader import _BaseDataLoaderIter
from ember.utils.data.worker import (
    ExceptionWrapper,
    _IterableDatasetStopIteration,
    _ResumeIteration,
    _worker_loop,
)

_WORKER_CHECK_INTERVAL = 0.1  # seconds between checks for dead workers while waiting
_SHUTDOWN_GRACE = 1.0  # seconds the workers get to exit before they are terminated

_python_exiting = False


def _set_python_exiting():
    global _python_exiting
    _python_exiting = True


# At exit multiprocessing terminates daemonic workers itself; iterators freed while the
# interpreter tears down then leave their (half torn-down) queues alone, as torch's do.
atexit.register(_set_python_exiting)


class _WorkerPool:
    """The worker processes, their index queues, the result queue and the done event. Kept
    apart from the iterator, which stops it through a weakref finalizer: when an iterator dies
    in a garbage cycle, gc runs the queues' own finalizers (which stop their feeder threads)
    before any __del__, so a stop request sent from __del__ would never reach the workers."""

    def __init__(self, context):
        self.context = context
        self.result_queue = context.Queue()
        self.done_event = context.Event()
        self.index_queues, self.workers = [], []

    def start(self, num_workers, loader_args):
        for worker_id in range(num_workers):
            index_queue = self.context.Queue()
            index_queue.cancel_join_thread()  # never block exit on indices nobody will read
            args = (index_queue, self.result_queue, self.done_event, worker_id, num_workers,
                    *loader_args)
            worker = self.context.Process(target=_worker_loop, args=args, daemon=True)
            worker.start()
            self.index_queues.append(index_queue)
            self.workers.append(worker)

    def stop(self):
        """Ask every worker to exit, give them a moment, terminate the rest."""
        if _python_exiting:
            return  # multiprocessing terminates daemonic workers at exit
        try:
            self.done_event.set()
            for index_queue in self.index_queues:
                index_queue.put(None)  # harmless for a worker that already has one
            deadline = time.monotonic() + _SHUTDOWN_GRACE
            for worker in self.workers:
                worker.join(timeout=max(0.0, deadline - time.monotonic()))
            for index_queue in self.index_queues:
                index_queue.close()
        finally:
            for worker in self.workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=_SHUTDOWN_GRACE)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        self._pool = _WorkerPool(loader.multiprocessing_context or multiprocessing.get_context())
        # registered before any worker starts, so a failed start still stops the others; not
        # at exit, where multiprocessing terminates daemonic workers itself
        self._finalizer = weakref.finalize(self, self._pool.stop)
        self._finalizer.atexit = False
        self._pool.start(self._num_workers, (
            self._dataset_kind, self._dataset, self._auto_collation, self._collate_fn,
            self._drop_last, self._base_seed, loader.worker_init_fn))
        self._workers, self._index_queues = self._pool.workers, self._pool.index_queues
        self._data_queue = self._pool.result_queue
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False) -> None:
        """Start an epoch: fresh bookkeeping, persistent workers told to restart (and their
        acknowledgements awaited, dropping answers left from a broken-off epoch), then
        prefetch_factor tasks per worker sent ahead."""
        super()._reset(loader, first_iter)
        self._send_idx = 0  # number of the next task to send
        self._rcvd_idx = 0  # number of the next task to return
        self._task_info = {}  # task -> (worker_id,) while pending, (worker_id, data) when early
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for index_queue in self._index_queues:
                index_queue.put(_ResumeIteration())
            pending = self._num_workers
            while pending > 0:
                task_idx, _ = self._get_data()
                pending -= isinstance(task_idx, _ResumeIteration)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_get_data(self, timeout=math.inf):
        """(True, answer) within timeout, else (False, None); raises if a worker died."""
        deadline = time.monotonic() + timeout
        while True:
            wait = min(_WORKER_CHECK_INTERVAL, max(0.0, deadline - time.monotonic()))
            try:
                return True, self._data_queue.get(timeout=wait)
            except queue.Empty:
                self._raise_if_workers_died()
                if time.monotonic() >= deadline:
                    return False, None

    def _raise_if_workers_died(self):
        dead = [worker_id for worker_id, worker in enumerate(self._workers)
                if self._workers_status[worker_id] and not worker.is_alive()]
        for worker_id in dead:
            self._mark_worker_as_unavailable(worker_id)
        if dead:
            pids = ", ".join(str(self._workers[worker_id].pid) for worker_id in dead)
            raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")

    def _get_data(self):
        if self._timeout > 0:
            success, data = self._try_get_data(self._timeout)
            if not success:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        return self._try_get_data()[1]

    def _next_data(self):
        while True:
            # skip tasks whose worker stopped without answering (an ended iterable dataset)
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # it came early and waited
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)
            task_idx, data = self._get_data()
            if isinstance(data, _IterableDatasetStopIteration):
                self._stop_exhausted_worker(data.worker_id)
                continue
            if task_idx != self._rcvd_idx and self._in_order:
                self._task_info[task_idx] += (data,)
                continue
            worker_id = self._task_info.pop(task_idx)[0]
            if task_idx == self._rcvd_idx:
                self._rcvd_idx += 1
            return self._process_data(data, worker_id)

    def _stop_exhausted_worker(self, worker_id):
        """An iterable dataset's copy ran out in this worker: send it no more tasks (a
        persistent one stays alive for the next epoch)."""
        if self._persistent_workers:
            self._workers_status[worker_id] = False
        else:
            self._mark_worker_as_unavailable(worker_id)
        self._try_put_index()

    def _try_put_index(self) -> None:
        """Send the next task to the next active worker in turn (fewest-loaded when out of
        order), if the sampler has one left."""
        max_tasks = self._prefetch_factor * self._num_workers
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id] and (
                    self._in_order or
                    self._workers_num_tasks[worker_id] < max_tasks // sum(self._workers_status)):
                break
        else:
            return  # every worker is done
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._send_idx += 1

    def _process_data(self, data, worker_id):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker_id):
        self._index_queues[worker_id].put(None)  # it exits when it reads this
        self._workers_status[worker_id] = False

    def _shutdown_workers(self) -> None:
        """Stop the workers now (also what happens when the iterator is collected)."""
        self._finalizer()
