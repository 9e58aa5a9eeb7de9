"""DataLoader throughput with and without worker processes, Ember and torch side by side.

Each sample costs 1 ms in __getitem__ -- sleeping (I/O-like) or spinning (CPU-bound) -- so two
workers should deliver batches close to twice as fast as the main process alone on a machine
with two cores. Each epoch is timed whole (worker start-up included) and from its first batch
on; the best of a few epochs is printed with the speed-up of num_workers=2 over 0.

Run: python bench/bench_dataloader.py
"""

from __future__ import annotations

import functools
import time

import bench_core
import numpy as np
import torch

import ember

SAMPLES, BATCH_SIZE, REPEATS = 512, 8, 3


class SlowDataset:
    """A float32 row and an int label per sample, each costing 1 ms."""

    def __init__(self, busy):
        self.busy = busy
        self.rows = np.random.default_rng(0).standard_normal((SAMPLES, 64)).astype(np.float32)

    def __len__(self):
        return SAMPLES

    def __getitem__(self, i):
        if self.busy:
            end = time.perf_counter() + 0.001
            while time.perf_counter() < end:
                pass
        else:
            time.sleep(0.001)
        return self.rows[i], i


def epoch_times(lib, busy, num_workers):
    """Best wall times of a whole epoch (iterator creation to last batch) and of its steady
    state (first batch to last, so without starting the workers)."""
    loader = lib.utils.data.DataLoader(SlowDataset(busy), batch_size=BATCH_SIZE, shuffle=True,
                                       num_workers=num_workers)
    whole = steady = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        batches = iter(loader)
        next(batches)
        first = time.perf_counter()
        count = 1 + sum(1 for _ in batches)
        end = time.perf_counter()
        whole, steady = min(whole, end - start), min(steady, end - first)
    assert count == SAMPLES // BATCH_SIZE
    return whole, steady


def one_epoch(lib, busy, num_workers):
    """A callable running one shuffled epoch, worker start-up included (for compare())."""
    loader = lib.utils.data.DataLoader(SlowDataset(busy), batch_size=BATCH_SIZE, shuffle=True,
                                       num_workers=num_workers)

    def epoch():
        count = sum(1 for _ in loader)
        if count != SAMPLES // BATCH_SIZE:
            raise RuntimeError(f"{count} batches, expected {SAMPLES // BATCH_SIZE}")

    return epoch


def best_time(fn):
    """Best wall time of REPEATS calls (one call when bench_core.QUICK)."""
    best = float("inf")
    for _ in range(1 if bench_core.QUICK else REPEATS):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def workloads():
    """(name, make, target, unit, timer) per epoch kind, as bench_core.compare() takes them."""
    for busy in (False, True):
        for workers in (0, 2):
            name = f"DataLoader epoch, 1 ms {'busy' if busy else 'sleep'}/item, workers={workers}"
            make = functools.partial(one_epoch, busy=busy, num_workers=workers)
            yield name, make, None, "ms", best_time


def main():
    print(f"{SAMPLES} samples of 1 ms each, batch_size={BATCH_SIZE}; seconds per epoch, best of "
          f"{REPEATS}: whole epoch / after the first batch\n")
    print(f"{'getitem':8} {'library':8} {'workers=0':>16} {'workers=2':>16} {'speed-up':>16}")
    for busy in (False, True):
        for lib in (ember, torch):
            serial, parallel = epoch_times(lib, busy, 0), epoch_times(lib, busy, 2)
            kind = "busy" if busy else "sleep"
            ratios = [s / p for s, p in zip(serial, parallel)]
            print(f"{kind:8} {lib.__name__:8} {serial[0]:7.3f} /{serial[1]:7.3f} "
                  f"{parallel[0]:7.3f} /{parallel[1]:7.3f} {ratios[0]:6.2f}x /{ratios[1]:6.2f}x")


if __name__ == "__main__":
    main()
