"""ember.vision.models vs torchvision.models, side by side in one process: median time per
forward pass and the ratio Ember/torchvision.

Run: python bench/bench_vision_models.py
"""

from __future__ import annotations

import numpy as np
import torch
from bench_core import quiet_time, run
from bench_vision import _torchvision

import ember

BATCH, SIZE = 8, 224


def _models(lib):
    if lib is torch:
        return _torchvision().models
    import ember.vision.models

    return ember.vision.models


def cases():
    x = np.random.default_rng(0).standard_normal((BATCH, 3, SIZE, SIZE), np.float32)

    def forward(name):
        def make(lib):
            # the same weights in both: torchvision's, copied over
            torch.manual_seed(0)
            reference = _torchvision().models.get_model(name).eval()
            model = _models(lib).get_model(name).eval()
            if lib is ember:
                model.load_state_dict({k: ember.tensor(v.numpy())
                                       for k, v in reference.state_dict().items()})
            else:
                model = reference
            inputs = lib.tensor(x)

            def step():
                with lib.no_grad():
                    model(inputs)

            return step

        return make

    yield f"resnet18 forward, eval, no_grad, ({BATCH},3,{SIZE},{SIZE})", forward("resnet18"), 3.0


def long_quiet_time(step):
    """quiet_time with rounds long enough for a call of a few hundred milliseconds."""
    return quiet_time(step, repeat=5, budget=3.0)


def workloads():
    """(name, make, target, unit, timer) for each case, as compare() takes them."""
    for name, make, target in cases():
        yield name, make, target, "ms", long_quiet_time


def main():
    run(workloads())


if __name__ == "__main__":
    main()
