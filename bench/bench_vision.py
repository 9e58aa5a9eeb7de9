"""ember.vision vs torchvision, side by side in one process: median time per call and the ratio
Ember/torchvision.

Run: python bench/bench_vision.py
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from bench_core import median_time, run

N_IMAGES = 1000
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)


_LIBRARIES = []  # keeps the operator declarations below alive


def _has_op(name):
    try:
        getattr(torch.ops.torchvision, name)
    except (AttributeError, RuntimeError):
        return False
    return True


def _torchvision():
    """torchvision's pure-Python parts: its C++ extension does not load beside the CPU torch
    wheel, yet at import it registers fake kernels for these two operators, so declare them."""
    missing = [name for name in ("nms", "qnms") if not _has_op(name)]
    if missing:
        _LIBRARIES.append(torch.library.Library("torchvision", "FRAGMENT"))
        for name in missing:
            _LIBRARIES[-1].define(name + "(Tensor dets, Tensor scores, float iou_threshold) -> "
                                  "Tensor")
    import torchvision

    return torchvision


def _vision(lib):
    if lib is torch:
        return _torchvision()
    import ember.vision

    return ember.vision


@functools.cache
def _images():
    """The PIL images, made on first use so that listing the workloads needs no Pillow."""
    from PIL import Image

    rng = np.random.default_rng(0)
    return [Image.fromarray(a) for a in rng.integers(0, 256, (N_IMAGES, 32, 32, 3), np.uint8)]


def cases():
    def to_tensor_normalize(lib):
        T = _vision(lib).transforms
        pipeline = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])
        images = _images()
        return lambda: [pipeline(img) for img in images]

    yield f"ToTensor + Normalize, {N_IMAGES} 32x32 RGB", to_tensor_normalize, 1.2


def workloads():
    """(name, make, target, unit, timer) for each case, as compare() takes them."""
    for name, make, target in cases():
        yield name, make, target, "ms", median_time


def main():
    run(workloads())


if __name__ == "__main__":
    main()
