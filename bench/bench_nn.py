"""Training steps, Ember vs torch side by side in one process: median time per step and the
ratio Ember/torch. Run: python bench/bench_nn.py

Each step is the tutorial loop body: zero_grad, forward, CrossEntropyLoss, backward, SGD step.
"""

from __future__ import annotations

import functools

import numpy as np
from bench_core import median_time, run


def mlp(lib, sizes):
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [lib.nn.Linear(a, b), lib.nn.ReLU()]
    return lib.nn.Sequential(*layers[:-1])


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def training_step(lib, build, input_shape, batch, momentum=0.0):
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    model = build(lib)
    x = lib.tensor(rng.standard_normal((batch, *input_shape)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=momentum)

    def step():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()

    return step


CASES = [
    ("MLP 784-256-128-10, batch 128", lambda lib: mlp(lib, [784, 256, 128, 10]), (784,), 128,
     0.0, 1.0),
    ("MLP 32-32-32-10, batch 16 (overhead)", lambda lib: mlp(lib, [32, 32, 32, 10]), (32,), 16,
     0.0, 1.0),
    ("LeNet-5, batch 64, SGD momentum", lenet, (1, 28, 28), 64, 0.9, 2.0),
]


def long_time(fn):
    """median_time with a one-second budget: a training step takes milliseconds."""
    return median_time(fn, budget=1.0)


def workloads():
    """(name, make, target, unit, timer) for each case, as compare() takes them."""
    for name, build, shape, batch, momentum, target in CASES:
        step = functools.partial(training_step, build=build, input_shape=shape, batch=batch,
                                 momentum=momentum)
        yield name, step, target, "ms", long_time


def main():
    run(workloads())


if __name__ == "__main__":
    main()
