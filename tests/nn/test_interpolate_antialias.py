"""F.interpolate(..., antialias=True) and mode='lanczos' against torch: bilinear, bicubic and
lanczos over down- and upsampling, sizes and scale factors, align_corners; float32 / float64
values and gradients, gradcheck, uint8 in torch's fixed point (exact), errors and node names."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_op
from nn_helpers import same_error

import ember

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


MODES = ["bilinear", "bicubic", "lanczos"]
SIZES = [dict(size=(4, 5)), dict(size=(3, 17)), dict(scale_factor=0.3), dict(scale_factor=0.5),
         dict(scale_factor=(0.77, 1.9)), dict(scale_factor=2.5), dict(size=(1, 1)),
         dict(scale_factor=0.41, recompute_scale_factor=True)]


def _resize(mode, corners, kwargs):
    return lambda lib, x: F(lib).interpolate(x, mode=mode, align_corners=corners, antialias=True,
                                             **kwargs)


@pytest.mark.parametrize("mode, corners", [(m, c) for m in MODES for c in (False, True)
                                           if m != "lanczos" or not c])
@pytest.mark.parametrize("kwargs", SIZES)
def test_antialias_matches_torch(mode, corners, kwargs):
    for shape in [(2, 3, 9, 11), (1, 1, 32, 17)]:
        check_op(_resize(mode, corners, kwargs), shape, grad=True)
    check_op(_resize(mode, corners, kwargs), (1, 2, 7, 9), dtype="float64", grad=True)


@pytest.mark.parametrize("mode", MODES)
def test_antialias_strong_downsampling_and_non_contiguous(mode):
    check_op(lambda lib, x: F(lib).interpolate(x.transpose(2, 3), size=(3, 5), mode=mode,
                                               antialias=True), (1, 2, 90, 64), grad=True)


@pytest.mark.parametrize("mode", MODES)
def test_antialias_gradcheck(mode):
    x = ember.tensor(np.random.default_rng(0).uniform(-1, 1, (1, 2, 7, 6)), requires_grad=True)
    fn = _resize(mode, False, dict(size=(3, 4)))
    assert ember.autograd.gradcheck(lambda a: fn(ember, a), [x])
    assert ember.autograd.gradgradcheck(lambda a: fn(ember, a), [x])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("channels", [3, 5])
@pytest.mark.parametrize("size", [(7, 9), (5, 40), (31, 61)])
def test_antialias_uint8_is_exact(mode, channels, size):
    x = np.random.default_rng(1).integers(0, 256, (2, channels, 30, 24)).astype("uint8")
    check_op(lambda lib, a: F(lib).interpolate(a, size=size, mode=mode, antialias=True),
             inputs=[x], dtypes=["uint8"])


def test_antialias_same_size_is_identity():
    # NOTE: where a dim keeps its size, torch's forward skips it (identity) but its backward
    # still applies the filter; Ember's gradient is the forward's true gradient
    x = np.random.default_rng(2).uniform(-3, 3, (1, 2, 9, 11))
    check_op(lambda lib, a: F(lib).interpolate(a, scale_factor=1.05, mode="bicubic",
                                               antialias=True), inputs=[x], dtypes=["float64"])
    t = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a: F(ember).interpolate(a, scale_factor=1.05, mode="bicubic", antialias=True), [t])


def test_antialias_to_width_one():
    # NOTE: torch's float kernel repeats the first output row when the output is one pixel wide
    # (a kernel bug); Ember gives what torch computes for the transposed input
    x = np.random.default_rng(3).uniform(-3, 3, (1, 2, 20, 6))
    out = F(ember).interpolate(ember.tensor(x), size=(4, 1), mode="bicubic", antialias=True)
    expected = F(torch).interpolate(torch.tensor(x).transpose(2, 3), size=(1, 4), mode="bicubic",
                                    antialias=True).transpose(2, 3)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_antialias_node_names():
    x = ember.randn(1, 1, 6, 6, requires_grad=True)
    for mode, name in [("bilinear", "UpsampleBilinear2DAaBackward0"),
                       ("bicubic", "UpsampleBicubic2DAaBackward0"),
                       ("lanczos", "UpsampleLanczos2DAaBackward0")]:
        out = F(ember).interpolate(x, size=(3, 2), mode=mode, antialias=True)
        assert out.grad_fn.name() == name


def _x(*shape, dtype="float32"):
    return lambda lib: lib.ones(*shape, dtype=getattr(lib, dtype))


ANTIALIAS_ERRORS = [
    (_x(1, 2, 6, 6), dict(size=3, mode="nearest", antialias=True)),
    (_x(1, 2, 6), dict(size=3, mode="linear", antialias=True)),
    (_x(1, 2, 6), dict(size=3, mode="bilinear", antialias=True)),
    (_x(1, 2, 6, 6, 6), dict(size=3, mode="trilinear", antialias=True)),
    (_x(1, 2, 6, 6), dict(size=3, mode="lanczos")),
    (_x(1, 2, 6, 6), dict(size=3, mode="lanczos", align_corners=True, antialias=True)),
    (_x(1, 2, 6), dict(size=3, mode="lanczos")),
    (_x(1, 2, 6, 6, 6), dict(size=3, mode="lanczos")),
    (_x(1, 2, 6, 6), dict(size=(0, 3), mode="bilinear", antialias=True)),
    (_x(1, 2, 6, 6, dtype="float16"), dict(size=3, mode="bilinear", antialias=True)),
    (_x(1, 2, 6, 6, dtype="bfloat16"), dict(size=3, mode="bicubic", antialias=True)),
    (_x(1, 2, 6, 6, dtype="int64"), dict(size=3, mode="lanczos", antialias=True)),
]


@pytest.mark.parametrize("make_input, kwargs", ANTIALIAS_ERRORS)
def test_antialias_errors(make_input, kwargs):
    same_error(lambda lib: F(lib).interpolate(make_input(lib), **kwargs))


def test_antialias_empty_batch():
    check_op(_resize("bilinear", False, dict(size=(3, 5))), (0, 3, 9, 11), grad=True)
