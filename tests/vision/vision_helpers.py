"""Tools shared by the ember.vision tests: torchvision (the reference) imported beside the CPU
torch wheel, test images, and one call run through both libraries and compared."""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import assert_same

import ember

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")

_FRAGMENT = None


def _declare_torchvision_ops():
    """torchvision's C++ extension does not load beside the CPU torch wheel, yet its Python code
    registers fake kernels for these two operators at import: declare their schemas first."""
    global _FRAGMENT
    schema = "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"
    missing = []
    for name in ("nms", "qnms"):
        try:
            getattr(torch.ops.torchvision, name)
        except (AttributeError, RuntimeError):
            missing.append(name)
    if missing:
        _FRAGMENT = torch.library.Library("torchvision", "FRAGMENT")
        for name in missing:
            _FRAGMENT.define(name + schema)


_declare_torchvision_ops()
tv = pytest.importorskip("torchvision")
import ember.vision as ev  # noqa: E402

LIBS = {"torch": (torch, tv), "ember": (ember, ev)}


def rgb_array(h=23, w=31, seed=0):
    """A random HWC uint8 image with some flat regions (ties matter for hue and rounding)."""
    rng = np.random.default_rng(seed)
    array = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    array[:4, :5] = 128
    return array


def pil_image(mode="RGB", h=23, w=31, seed=0):
    """A random PIL image of ``mode`` made from rgb_array."""
    return Image.fromarray(rgb_array(h, w, seed)).convert(mode)


def chw(array, dtype="uint8"):
    """HWC uint8 -> CHW of dtype uint8 or float32 (in [0, 1])."""
    out = np.ascontiguousarray(array.transpose(2, 0, 1))
    return out if dtype == "uint8" else (out / 255.0).astype(dtype)


def to_lib(x, lib):
    """NumPy arrays become ``lib`` tensors; PIL images and other values pass through."""
    if isinstance(x, np.ndarray):
        return lib.tensor(x)
    if isinstance(x, (list, tuple)):
        return type(x)(to_lib(v, lib) for v in x)
    return x


def compare(e_out, t_out, atol=None, path="output"):
    """PIL images: same mode, size and pixels (within atol); tensors: helpers.assert_same."""
    if isinstance(t_out, Image.Image):
        assert isinstance(e_out, Image.Image), f"{path}: expected a PIL image, got {type(e_out)}"
        assert (e_out.mode, e_out.size) == (t_out.mode, t_out.size), path
        np.testing.assert_allclose(np.asarray(e_out, dtype=np.float64),
                                   np.asarray(t_out, dtype=np.float64), atol=atol or 0,
                                   rtol=0, err_msg=path)
    elif isinstance(t_out, (list, tuple)) and not isinstance(t_out, torch.Size):
        assert isinstance(e_out, (list, tuple)) and len(e_out) == len(t_out), path
        for i, (e, t) in enumerate(zip(e_out, t_out)):
            compare(e, t, atol, f"{path}[{i}]")
    else:
        assert_same(e_out, t_out, atol=atol, check_grad_fn=False, path=path)


def check(fn, *inputs, atol=None, seed=None):
    """Run ``fn(lib, vision, *inputs)`` with (torch, torchvision) and (ember, ember.vision) and
    compare; with ``seed``, both generators and Python's ``random`` are seeded first."""
    outs = {}
    for name, (lib, vision) in LIBS.items():
        if seed is not None:
            lib.manual_seed(seed)
            random.seed(seed)
        outs[name] = fn(lib, vision, *to_lib(list(inputs), lib))
    compare(outs["ember"], outs["torch"], atol)
    return outs


def check_error(fn, *inputs):
    """Both libraries raise the same exception class (and message)."""
    errors = {}
    for name, (lib, vision) in LIBS.items():
        with pytest.raises(Exception) as info:
            fn(lib, vision, *to_lib(list(inputs), lib))
        errors[name] = info.value
    assert type(errors["ember"]) is type(errors["torch"]), errors
    assert str(errors["ember"]).replace("ember", "torch") == str(errors["torch"]), errors
