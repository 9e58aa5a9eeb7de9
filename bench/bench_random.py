"""Random sampling, Ember vs torch in one process: median time per call and the ratio Ember/torch.
Both draw torch's numbers (same seed, same bits), so this is the price of bit-exactness.

Run: python bench/bench_random.py
"""

from __future__ import annotations

import numpy as np
import torch
from bench_core import median_time, run

import ember

N = 1_000_000


def cases():
    rng = np.random.default_rng(0)
    probs = rng.uniform(0, 1, N).astype(np.float32)
    rates = rng.uniform(0, 30, 10_000)  # both of torch's methods: below 10 and from 10
    weights = rng.uniform(0, 1, 1000)

    def call(fn):
        return lambda lib: (lambda: fn(lib))

    # the random-numbers issue sets one target, randn's; the other rows are for reference
    yield "rand 1M float32", call(lambda lib: lib.rand(N)), None
    yield "rand 1M float64", call(lambda lib: lib.rand(N, dtype=lib.float64)), None
    yield "randn 1M float32", call(lambda lib: lib.randn(N)), 2.0
    yield "randn 1M float64", call(lambda lib: lib.randn(N, dtype=lib.float64)), None
    yield "randint(0, 1000, 1M)", call(lambda lib: lib.randint(0, 1000, (N,))), None
    yield "randperm(100000)", call(lambda lib: lib.randperm(100_000)), None

    def bernoulli(lib):
        p = lib.from_numpy(probs)
        return lambda: lib.bernoulli(p)

    def poisson(values):
        def make(lib):
            r = lib.from_numpy(values)
            return lambda: lib.poisson(r)
        return make

    def multinomial(lib, replacement):
        w = lib.from_numpy(weights)
        return lambda: lib.multinomial(w, 1000 if replacement else 100, replacement)

    yield "bernoulli(p), 1M float32", bernoulli, None
    yield "poisson, 10k rates in [0, 30)", poisson(rates), None
    yield "poisson, 100k rates all 4.5", poisson(np.full(100_000, 4.5)), None
    yield "poisson, 100k rates all 40", poisson(np.full(100_000, 40.0)), None
    yield "multinomial 1000 of 1000, replacement", lambda lib: multinomial(lib, True), None
    yield "multinomial 100 of 1000, no replacement", lambda lib: multinomial(lib, False), None


def workloads():
    """(name, make, target, unit, timer) for each case, as compare() takes them."""
    for name, make, target in cases():
        yield name, make, target, "ms", median_time


def main():
    torch.manual_seed(0)
    ember.manual_seed(0)
    run(workloads())


if __name__ == "__main__":
    main()
