"""Convolution and pooling, Ember vs torch side by side in one process: median time per call and
the ratio Ember/torch.

Run: python bench/bench_conv.py
"""

from __future__ import annotations

import numpy as np
import torch
from bench_core import quiet_time, run

import ember
import ember.nn.functional as EF

FUNCTIONAL = {torch: torch.nn.functional, ember: EF}


def cases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 16, 32, 32), np.float32)
    w = rng.standard_normal((32, 16, 3, 3), np.float32)
    b = rng.standard_normal(32, np.float32)
    g = rng.standard_normal((64, 32, 32, 32), np.float32)

    def conv_step(lib):
        F = FUNCTIONAL[lib]
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        bt, gt = lib.tensor(b, requires_grad=True), lib.tensor(g)

        def step():
            F.conv2d(xt, wt, bt, padding=1).backward(gt)

        return step

    def conv_forward(lib):
        F = FUNCTIONAL[lib]
        xt, wt, bt = lib.tensor(x), lib.tensor(w), lib.tensor(b)
        return lambda: F.conv2d(xt, wt, bt, padding=1)

    def pool_step(lib):
        F = FUNCTIONAL[lib]
        xt, gt = lib.tensor(x, requires_grad=True), lib.tensor(g[:, :16, :16, :16])

        def step():
            F.max_pool2d(xt, 2).backward(gt)

        return step

    yield "conv2d fwd+bwd (64,16,32,32) 32x3x3 pad 1", conv_step, 2.0
    # no targets set for these two: shown for reference
    yield "conv2d forward, same shapes", conv_forward, None
    yield "max_pool2d 2x2 fwd+bwd (64,16,32,32)", pool_step, None


def workloads():
    """(name, make, target, unit, timer) for each case, as compare() takes them."""
    for name, make, target in cases():
        yield name, make, target, "ms", quiet_time


def main():
    run(workloads())


if __name__ == "__main__":
    main()
