"""F.grid_sample and F.affine_grid against torch: every mode x padding_mode x align_corners in 2-D
and 3-D, grids inside and outside [-1, 1] and on pixel borders, odd shapes, non-contiguous inputs,
float32 / float64 / half precision; values, input and grid gradients, second derivatives,
gradcheck in float64, errors, warnings and node names."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from helpers import assert_same, check_op, to_numpy
from nn_helpers import same_error

import ember

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


MODES = {2: ["bilinear", "nearest", "bicubic"], 3: ["bilinear", "nearest"]}
PADDINGS = ["zeros", "border", "reflection"]
# NOTE: a float32 grid gradient sums terms of size ~10 that cancel; torch adds them in another
# order, so its last bits differ at that scale
GRID_ATOL = 1e-4
CASES = [(nd, m, p, ac) for nd in (2, 3) for m in MODES[nd] for p in PADDINGS
         for ac in (False, True)]


def _arrays(in_shape, grid_shape, dtype="float32", seed=0, reach=1.6):
    """Random input in [-3, 3) and grid values in [-reach, reach): some fall outside [-1, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, in_shape).astype(dtype)
    g = rng.uniform(-reach, reach, grid_shape).astype(dtype)
    return x, g


def _check(fn, *arrays, **kwargs):
    """check_op on given arrays."""
    return check_op(fn, inputs=list(arrays), dtypes=[a.dtype.name for a in arrays], **kwargs)


def _sample(mode, padding, corners):
    return lambda lib, x, g: F(lib).grid_sample(x, g, mode, padding, corners)


@pytest.mark.parametrize("nd, mode, padding, corners", CASES)
def test_grid_sample_matches_torch(nd, mode, padding, corners):
    in_shape, grid_shape = ((2, 3, 5, 7), (2, 4, 6, 2)) if nd == 2 else (
        (2, 2, 4, 5, 3), (2, 3, 2, 4, 3))
    for dtype, atol in (("float32", GRID_ATOL), ("float64", None)):
        x, g = _arrays(in_shape, grid_shape, dtype, reach=2.5)  # reflects more than once
        _check(_sample(mode, padding, corners), x, g, grad=True, atol=atol)


@pytest.mark.parametrize("mode", MODES[2])
@pytest.mark.parametrize("in_shape, grid_shape", [
    ((1, 1, 1, 1), (1, 3, 2, 2)),       # a single input pixel
    ((1, 2, 1, 6), (1, 1, 5, 2)),       # unit height
    ((3, 1, 9, 4), (3, 7, 1, 2)),       # tall input, one output column
])
def test_grid_sample_odd_shapes(mode, in_shape, grid_shape):
    for padding, corners in itertools.product(PADDINGS, (False, True)):
        x, g = _arrays(in_shape, grid_shape, seed=1)
        _check(_sample(mode, padding, corners), x, g, grad=True, atol=GRID_ATOL)


@pytest.mark.parametrize("mode", MODES[2])
def test_grid_sample_non_contiguous(mode):
    x, g = _arrays((2, 3, 6, 5), (2, 2, 4, 7), seed=2)  # grid stored as (N, 2, H, W)

    def fn(lib, x, g):
        return F(lib).grid_sample(x.transpose(2, 3), g.permute(0, 2, 3, 1), mode, "border", False)

    _check(fn, x, g, grad=True, atol=GRID_ATOL)


@pytest.mark.parametrize("mode", MODES[2])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("corners", [False, True])
def test_grid_sample_on_pixel_centres_and_borders(mode, padding, corners):
    """A grid from affine_grid lands exactly on pixel centres and borders, where rounding
    (nearest) and the border gradient (zero on the border, as torch) are decided."""
    theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[1.5, 0.0, 0.25], [0.0, -2, 0.5]]])
    grid = F(torch).affine_grid(theta, (2, 1, 7, 9), align_corners=corners).numpy()
    x = np.random.default_rng(3).uniform(-3, 3, (2, 2, 4, 5)).astype("float32")
    _check(_sample(mode, padding, corners), x, grid, grad=True, atol=GRID_ATOL)


@pytest.mark.parametrize("nd, mode, padding", [
    (nd, m, p) for nd in (2, 3) for m in MODES[nd] for p in PADDINGS])
def test_grid_sample_gradcheck(nd, mode, padding):
    in_shape, grid_shape = ((1, 2, 3, 4), (1, 2, 3, 2)) if nd == 2 else (
        (1, 1, 2, 3, 3), (1, 1, 2, 2, 3))
    x, g = _arrays(in_shape, grid_shape, "float64", seed=4)
    inputs = [ember.tensor(x, requires_grad=True), ember.tensor(g, requires_grad=True)]
    fn = _sample(mode, padding, nd == 3)
    assert ember.autograd.gradcheck(lambda a, b: fn(ember, a, b), inputs)
    if (mode == "bilinear" and (nd == 2 or padding == "reflection")) or (
            mode == "bicubic" and padding == "zeros"):
        assert ember.autograd.gradgradcheck(lambda a, b: fn(ember, a, b), inputs)


@pytest.mark.parametrize("mode, padding", [("bilinear", "zeros"), ("bilinear", "reflection"),
                                           ("bicubic", "border")])
def test_grid_sample_second_derivatives_match_torch(mode, padding):
    x, g = _arrays((1, 2, 3, 4), (1, 2, 3, 2), "float64", seed=5)
    up = np.random.default_rng(6).standard_normal((1, 2, 2, 3))
    results = []
    for lib in (torch, ember):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(g, requires_grad=True)
        out = F(lib).grid_sample(a, b, mode, padding, False)
        ga, gb = lib.autograd.grad(out, (a, b), lib.tensor(up), create_graph=True)
        loss = (ga * ga).sum() + (gb * lib.tensor(g)).sum()
        results.append(lib.autograd.grad(loss, (a, b), allow_unused=True))
    for e, t in zip(results[1], results[0]):
        if t is None:
            assert e is None or not to_numpy(e).any()
        else:
            assert_same(e, t, check_grad_fn=False)


@pytest.mark.parametrize("dtype, atol", [("float16", 1e-2), ("bfloat16", 8e-2)])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_half_precision(dtype, atol, mode):
    # NOTE: Ember computes half precision in float32; torch rounds each step to half
    x, g = _arrays((2, 2, 5, 6), (2, 3, 4, 2), seed=7)
    fn = _sample(mode, "zeros", False)
    _check(lambda lib, a, b: fn(lib, a.to(getattr(lib, dtype)), b.to(getattr(lib, dtype))),
           x, g, atol=atol, rtol=atol)


def test_grid_sample_empty_and_node_names():
    for in_shape, grid_shape in [((0, 3, 4, 5), (0, 6, 7, 2)), ((2, 0, 4, 5), (2, 6, 7, 2)),
                                 ((2, 3, 4, 5), (2, 0, 7, 2)), ((0, 2, 3, 4, 5), (0, 1, 2, 3, 3))]:
        check_op(_sample("bilinear", "zeros", False), in_shape, grid_shape, grad=True)
    x4, g4 = ember.randn(1, 2, 3, 3, requires_grad=True), ember.rand(1, 2, 2, 2)
    assert F(ember).grid_sample(x4, g4, align_corners=True).grad_fn.name() == (
        "GridSampler2DBackward0")
    x5, g5 = ember.randn(1, 2, 3, 3, 3, requires_grad=True), ember.rand(1, 2, 2, 2, 3)
    assert F(ember).grid_sample(x5, g5, align_corners=True).grad_fn.name() == (
        "GridSampler3DBackward0")


def test_grid_sample_default_align_corners_warns():
    x, g = ember.randn(1, 1, 3, 3), ember.rand(1, 2, 2, 2)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        out = F(ember).grid_sample(x, g)
    assert_same(out, F(torch).grid_sample(torch.tensor(x.numpy()), torch.tensor(g.numpy()),
                                          align_corners=False))


def _t(*shape, dtype="float32"):
    return lambda lib: lib.ones(*shape, dtype=getattr(lib, dtype))


GRID_SAMPLE_ERRORS = [
    (_t(2, 3, 4, 5), _t(2, 6, 7, 2), dict(mode="area")),
    (_t(2, 3, 4, 5), _t(2, 6, 7, 2), dict(mode=None)),
    (_t(2, 3, 4, 5), _t(2, 6, 7, 2), dict(padding_mode="wrap")),
    (_t(2, 3, 4, 5), _t(2, 6, 7, 2), dict(align_corners=1)),
    (_t(2, 3, 4, 5), _t(1, 6, 7, 2), {}),                       # batch sizes differ
    (_t(2, 3, 4, 5), _t(2, 6, 7, 3), {}),                       # grid's last dim
    (_t(2, 3, 4), _t(2, 6, 1), {}),                             # 3-D input
    (_t(2, 3, 4), _t(2, 6, 2), {}),
    (_t(2, 3, 4, 4, 4, 4), _t(2, 1, 1, 1, 1, 4), {}),           # 6-D input
    (_t(2, 3, 4, 5), _t(2, 6, 2), {}),                          # grid dims differ
    (_t(2, 3, 4, 5, 6), _t(2, 6, 7, 3), {}),
    (_t(2, 3, 0, 5), _t(2, 6, 7, 2), {}),                       # empty spatial dim
    (_t(2, 3, 4, 5, 6), _t(2, 1, 2, 3, 3), dict(mode="bicubic")),
    (_t(2, 3, 4, 5), _t(2, 6, 7, 2, dtype="float64"), {}),      # dtypes differ
    (_t(2, 3, 4, 5, dtype="float16"), _t(2, 6, 7, 2), {}),
    (_t(2, 3, 4, 5, dtype="int64"), _t(2, 6, 7, 2, dtype="int64"), {}),
    (_t(2, 3, 4, 5, dtype="int64"), _t(2, 6, 7, 2), {}),
    (_t(2, 3, 4, 5, 5, dtype="int64"), _t(2, 1, 1, 1, 3), {}),
    (lambda lib: lib.tensor(1.0), _t(2, 6, 7, 2), {}),
]


@pytest.mark.parametrize("make_input, make_grid, kwargs", GRID_SAMPLE_ERRORS)
def test_grid_sample_errors(make_input, make_grid, kwargs):
    kwargs = {"align_corners": False, **kwargs}
    same_error(lambda lib: F(lib).grid_sample(make_input(lib), make_grid(lib), **kwargs))


# -- affine_grid ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 6), (3, 2, 7, 1), (2, 1, 3, 4, 5),
                                  (1, 2, 1, 1, 3)])
@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_affine_grid(size, corners, dtype):
    nd = len(size) - 2
    with warnings.catch_warnings(record=True) as caught:  # torch warns for unit-size grids
        warnings.simplefilter("always")
        F(ember).affine_grid(ember.zeros(size[0], nd, nd + 1), size, align_corners=corners)
    assert len(caught) == (1 if corners and min(size[2:]) == 1 else 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda lib, theta: F(lib).affine_grid(theta, size, align_corners=corners),
                 (size[0], nd, nd + 1), dtype=dtype, grad=True,
                 gradgrad=dtype == "float64" and nd == 2)


def test_affine_grid_default_warns_and_half():
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        F(ember).affine_grid(ember.randn(1, 2, 3), (1, 1, 2, 2))
    for dtype in ("float16", "bfloat16"):
        def fn(lib, theta, dtype=dtype):
            return F(lib).affine_grid(theta.to(getattr(lib, dtype)), (2, 3, 4, 5), False)

        check_op(fn, (2, 2, 3))


AFFINE_ERRORS = [
    (_t(2, 2, 3, dtype="int64"), (2, 3, 4, 5)),
    (_t(2, 3, 3), (2, 3, 4, 5)),
    (_t(2, 3), (2, 3, 4, 5)),
    (_t(2, 2, 3), (2, 3, 4, 5, 6)),
    (_t(2, 2, 3), (2, 3, 4)),
    (_t(2, 2, 3), (2, 3, 0, 5)),
    (_t(2, 2, 3), (2, -3, 4, 5)),
    (_t(3, 2, 3), (2, 3, 4, 5)),                                # batch sizes differ (bmm)
    (_t(2, 2, 3, dtype="float16"), (2, 3, 1, 5)),               # torch has no half 0-d here
]


@pytest.mark.parametrize("make_theta, size", AFFINE_ERRORS)
def test_affine_grid_errors(make_theta, size):
    same_error(lambda lib: F(lib).affine_grid(make_theta(lib), size, align_corners=False))


def test_spatial_transformer_pipeline():
    """affine_grid then grid_sample, gradients flowing back to theta and the image."""
    rng = np.random.default_rng(8)
    image = rng.uniform(-1, 1, (2, 3, 8, 6)).astype("float32")
    theta = (np.eye(2, 3)[None] + rng.uniform(-0.3, 0.3, (2, 2, 3))).astype("float32")

    def fn(lib, img, th):
        grid = F(lib).affine_grid(th, (2, 3, 5, 7), align_corners=False)
        return F(lib).grid_sample(img, grid, "bilinear", "reflection", False)

    _check(fn, image, theta, grad=True, atol=GRID_ATOL)
