"""Ember vs torch, side by side in one process: median time per call and the ratio Ember/torch.

Run: python bench/bench_core.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

import ember


def median_time(fn, repeat=7, budget=0.2):
    """Median seconds per call over ``repeat`` rounds of a loop sized to ~budget/repeat seconds."""
    fn()
    n, start = 1, time.perf_counter()
    while time.perf_counter() - start < 0.01:
        fn()
        n += 1
    loops = max(1, int(n * budget / repeat / 0.01))
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        rounds.append((time.perf_counter() - start) / loops)
    return statistics.median(rounds)


def cases():
    rng = np.random.default_rng(0)
    a44, b44 = rng.standard_normal((4, 4), np.float32), rng.standard_normal((4, 4), np.float32)
    big_a = rng.standard_normal((1024, 1024), np.float32)
    big_b = rng.standard_normal((1024, 1024), np.float32)

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

    def matmul(lib):
        a, b = lib.tensor(big_a), lib.tensor(big_b)
        return lambda: a @ b

    yield "a + b, 4x4 float32, no grad", lambda lib: add(lib, False), 1.0
    yield "a + b, 4x4 float32, requires_grad", lambda lib: add(lib, True), 1.5
    yield "(a * b + a).sum().backward(), 4x4", fwd_bwd, 0.5
    yield "1024x1024 float32 matmul", matmul, 1.05


def print_header():
    print(f"{'case':45s} {'ember':>11s} {'torch':>11s} {'ratio':>7s} {'target':>7s}")


def compare(name, make, target, unit="us", timer=median_time):
    """Time ``make(torch)`` then ``make(ember)`` (each returns the callable to time) in this
    process with ``timer``; print one table row and return the ratio Ember/torch."""
    t_torch = timer(make(torch))
    t_ember = timer(make(ember))
    ratio = t_ember / t_torch
    scale = {"us": 1e6, "ms": 1e3}[unit]
    flag = "" if target is None or ratio <= target else "  (above target)"
    shown = "      -" if target is None else f"{target:7.2f}"
    print(f"{name:45s} {t_ember * scale:9.2f}{unit} {t_torch * scale:9.2f}{unit} {ratio:7.2f} "
          f"{shown}{flag}")
    return ratio


def main():
    print_header()
    for name, make, target in cases():
        compare(name, make, target)


if __name__ == "__main__":
    main()
