"""Ember vs torch, side by side in one process: median time per call and the ratio Ember/torch.

Run: python bench/bench_core.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

import ember

# set by run_all.py --quick: fewer and shorter rounds, for a smoke test rather than a measurement
QUICK = False
# every row that compare() or record() printed, in order, for run_all.py to gather
ROWS: list[dict] = []
MATMUL_SIZES = (1024, 2048)
SCALES = {"us": 1e6, "ms": 1e3, "MB": 1e-6}


def matmul_name(n):
    """The workload name of an n x n float32 matmul (run_all.py adds GFLOP/s to these rows)."""
    return f"{n}x{n} float32 matmul"


def median_time(fn, repeat=7, budget=0.2):
    """Median seconds per call over ``repeat`` rounds of a loop sized to ~budget/repeat seconds."""
    if QUICK:
        repeat, budget = min(repeat, 3), budget / 20
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.01:
        fn()
        n += 1
    # sized from the calls' real duration: a call longer than 10 ms must not count as 10 ms
    loops = max(1, int(budget / repeat * n / (time.perf_counter() - start)))
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        rounds.append((time.perf_counter() - start) / loops)
    return statistics.median(rounds)


def quiet_time(step, repeat=7, budget=1.5):
    """median_time after a pause: the other library's worker threads spin for a while after
    their last task, and would otherwise steal the cores being measured."""
    time.sleep(0.5)
    return median_time(step, repeat=repeat, budget=budget)


def cases():
    rng = np.random.default_rng(0)
    a44, b44 = rng.standard_normal((4, 4), np.float32), rng.standard_normal((4, 4), np.float32)
    big = {n: rng.standard_normal((2, n, n), np.float32) for n in MATMUL_SIZES}

    def add(lib, grad):
        a = lib.tensor(a44, requires_grad=grad)
        b = lib.tensor(b44, requires_grad=grad)
        return lambda: a + b

    def fwd_bwd(lib):
        a = lib.tensor(a44, requires_grad=True)
        b = lib.tensor(b44, requires_grad=True)

        def step():
            y = (a * b + a).sum()
            y.backward()

        return step

    def matmul(n):
        def make(lib):
            a, b = lib.tensor(big[n][0]), lib.tensor(big[n][1])
            return lambda: a @ b

        return make

    yield "a + b, 4x4 float32, no grad", lambda lib: add(lib, False), 1.0
    yield "a + b, 4x4 float32, requires_grad", lambda lib: add(lib, True), 1.5
    yield "(a * b + a).sum().backward(), 4x4", fwd_bwd, 0.5
    yield matmul_name(1024), matmul(1024), 1.05
    yield matmul_name(2048), matmul(2048), None


def print_header():
    print(f"{'case':45s} {'ember':>11s} {'torch':>11s} {'ratio':>7s} {'target':>7s}")


def workloads():
    """(name, make, target, unit, timer) for each case, as compare() takes them."""
    for name, make, target in cases():
        yield name, make, target, "us", median_time


def compare(name, make, target, unit="us", timer=median_time):
    """Time ``make(torch)`` then ``make(ember)`` (each returns the callable to time) in this
    process with ``timer``; print one table row, record it in ROWS and return the ratio
    Ember/torch."""
    t_torch = timer(make(torch))
    t_ember = timer(make(ember))
    return record(name, t_ember, t_torch, target, unit)


def record(name, ember_value, torch_value, target, unit):
    """Print one table row and append it to ROWS; values are in seconds (bytes for "MB")."""
    ratio = ember_value / torch_value
    scale = SCALES[unit]
    flag = "" if target is None or ratio <= target else "  (above target)"
    shown = "      -" if target is None else f"{target:7.2f}"
    print(f"{name:45s} {ember_value * scale:9.2f}{unit} {torch_value * scale:9.2f}{unit} "
          f"{ratio:7.2f} {shown}{flag}")
    ROWS.append({"workload": name, "ember": ember_value, "torch": torch_value, "ratio": ratio,
                 "target": target, "unit": unit})
    return ratio


def run(workloads):
    """Print the table header, then one row per (name, make, target, unit, timer) workload."""
    print_header()
    for workload in workloads:
        compare(*workload)


def main():
    run(workloads())


if __name__ == "__main__":
    main()
