"""Pooling, padding, interpolation and shuffles against torch: max/avg/adaptive/lp pooling,
max_unpool, F.pad, F.interpolate, pixel_shuffle / pixel_unshuffle / channel_shuffle and their
layers (values, flat indices, gradients, double backward, errors, node names, reprs)."""

from __future__ import annotations

import itertools

import pytest
from helpers import check_error, check_op
from nn_helpers import check_module, same_error, same_repr

import ember

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


SHAPES = {1: (2, 3, 9), 2: (2, 3, 9, 8), 3: (2, 2, 6, 5, 7)}

# kernel_size, stride, padding, dilation, ceil_mode
MAX_CONFIGS = [(2, None, 0, 1, False), (3, 2, 1, 1, True), (3, 2, 1, 2, False),
               (2, 3, 1, 1, True), (3, 1, 1, 1, False), ((2, 3), (1, 2), (1, 0), (2, 1), True)]


@pytest.mark.parametrize("nd, config", [
    (nd, c) for nd, c in itertools.product((1, 2, 3), MAX_CONFIGS) if nd > 1 or c[0] != (2, 3)])
def test_max_pool(nd, config):
    k, s, p, d, ceil = config
    if nd == 3 and not isinstance(k, int):
        k, s, p, d = k + (2,), s + (1,), p + (0,), d + (1,)

    def fn(lib, x):
        return getattr(F(lib), f"max_pool{nd}d")(x, k, s, p, d, ceil, return_indices=True)

    check_op(fn, SHAPES[nd], grad=True)
    check_op(fn, SHAPES[nd][1:], grad=True)  # unbatched


@pytest.mark.parametrize("dtype", ["int64", "float16", "float64"])
def test_max_pool_dtypes(dtype):
    check_op(lambda lib, x: F(lib).max_pool2d(x, 3, 1, 1, return_indices=True), (2, 3, 5, 5),
             dtype=dtype)


def test_max_pool_ties_nan_and_infinity():
    nan, inf = float("nan"), float("inf")
    data = [[[[1.0, nan, 1.0], [nan, 2.0, 1.0], [-inf, -inf, -inf]]]]
    for args in [(2, 1), (2, 1, 1), (3, 1, 1)]:
        check_op(lambda lib, x, args=args: F(lib).max_pool2d(x, *args, return_indices=True), (1,),
                 inputs=[ember.tensor(data).numpy()])
    full = ember.full((1, 1, 3, 3), -inf).numpy()
    check_op(lambda lib, x: F(lib).max_pool2d(x, 2, 1, 1, return_indices=True), (1,),
             inputs=[full])


AVG_CONFIGS = [(2, None, 0, False), (3, 2, 1, True), (2, 3, 1, True), (3, 1, 1, False),
               ((2, 3), (1, 2), (1, 0), True)]


@pytest.mark.parametrize("nd, config, include", [
    (nd, c, i) for nd, c, i in itertools.product((1, 2, 3), AVG_CONFIGS, (True, False))
    if nd > 1 or c[0] != (2, 3)])
def test_avg_pool(nd, config, include):
    k, s, p, ceil = config
    if nd == 3 and not isinstance(k, int):
        k, s, p = k + (2,), s + (1,), p + (0,)

    def fn(lib, x):
        return getattr(F(lib), f"avg_pool{nd}d")(x, k, s, p, ceil, include)

    check_op(fn, SHAPES[nd], grad=True)
    check_op(fn, SHAPES[nd], dtype="int64")


@pytest.mark.parametrize("divisor", [1, 5])
def test_avg_pool_divisor_override(divisor):
    check_op(lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, True, True, divisor), (2, 3, 9, 8),
             grad=True)
    check_op(lambda lib, x: F(lib).avg_pool3d(x, 2, divisor_override=divisor), (1, 2, 4, 4, 4),
             grad=True)


@pytest.mark.parametrize("fn, shape", [
    (lambda lib, x: F(lib).max_pool2d(x, 2, 1), (1, 2, 3, 3)),
    (lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, ceil_mode=True), (1, 2, 4, 3)),
    (lambda lib, x: F(lib).adaptive_max_pool2d(x, (2, 3)), (1, 1, 4, 5)),
    (lambda lib, x: F(lib).adaptive_avg_pool2d(x, (2, 3)), (1, 2, 3, 4)),
    (lambda lib, x: F(lib).lp_pool2d(x, 2, 2), (1, 1, 4, 4)),
])
def test_pool_double_backward(fn, shape):
    check_op(fn, shape, dtype="float64", grad=True, gradgrad=True, low=0.5)


def test_pool_node_names():
    x = ember.randn(2, 3, 6, 6, requires_grad=True)
    names = {F(ember).max_pool2d(x, 2): "MaxPool2DWithIndicesBackward0",
             F(ember).avg_pool2d(x, 2): "AvgPool2DBackward0",
             F(ember).adaptive_avg_pool2d(x, 3): "AdaptiveAvgPool2DBackward0",
             F(ember).adaptive_avg_pool2d(x, 1): "MeanBackward1",
             F(ember).adaptive_max_pool2d(x, 3): "AdaptiveMaxPool2DBackward0",
             F(ember).max_pool1d(x[0], 2): "SqueezeBackward1",
             F(ember).interpolate(x, scale_factor=2): "UpsampleNearest2DBackward0",
             F(ember).interpolate(x, scale_factor=2, mode="bicubic"): "UpsampleBicubic2DBackward0",
             F(ember).pad(x[0], (1, 1), mode="reflect"): "ReflectionPad1DBackward0",
             F(ember).pad(x, (1, 1, 1, 1), mode="replicate"): "ReplicationPad2DBackward0",
             F(ember).pad(x, (1, 1)): "ConstantPadNdBackward0",
             F(ember).pixel_shuffle(x[:, :1].expand(2, 4, 6, 6), 2): "PixelShuffleBackward0"}
    for out, name in names.items():
        assert out.grad_fn.name() == name
    y = F(ember).max_pool2d(x, 2)
    upstream = ember.randn(*y.shape, requires_grad=True)
    g, = ember.autograd.grad(y, x, upstream, create_graph=True)
    assert g.grad_fn.name() == "MaxPool2DWithIndicesBackwardBackward0"


# -- adaptive pooling --------------------------------------------------------------------------


@pytest.mark.parametrize("nd, size", [
    (1, 4), (1, 1), (1, 12), (2, 3), (2, (4, None)), (2, (2, 5)), (2, 11), (3, (2, 3, 4)),
    (3, 1), (3, (None, 2, 8)),
])
def test_adaptive_pools(nd, size):
    shape = SHAPES[nd]
    check_op(lambda lib, x: getattr(F(lib), f"adaptive_avg_pool{nd}d")(x, size), shape,
             grad=True)
    check_op(lambda lib, x: getattr(F(lib), f"adaptive_avg_pool{nd}d")(x, size), shape[1:],
             grad=True)
    if nd < 3 or size != (None, 2, 8):
        check_op(lambda lib, x: getattr(F(lib), f"adaptive_max_pool{nd}d")(
            x, size, return_indices=True), shape, grad=True)


# -- lp pooling and max unpooling --------------------------------------------------------------


@pytest.mark.parametrize("fn, shape", [
    (lambda lib, x: F(lib).lp_pool1d(x, 2, 3), (2, 3, 7)),
    (lambda lib, x: F(lib).lp_pool2d(x, 2, 3, 2), (2, 3, 7, 6)),
    (lambda lib, x: F(lib).lp_pool2d(x, 3, (2, 3), ceil_mode=True), (2, 3, 7, 6)),
    (lambda lib, x: F(lib).lp_pool3d(x, 1.5, 2), (1, 2, 4, 4, 4)),
])
def test_lp_pool(fn, shape):
    check_op(fn, shape, grad=True, low=0.1)


@pytest.mark.parametrize("nd, kwargs", [(1, {}), (2, {}), (2, dict(stride=1)), (3, {}),
                                        (2, dict(padding=1, output_size="input"))])
def test_max_unpool(nd, kwargs):
    shape = {1: (2, 3, 6), 2: (2, 3, 6, 6), 3: (1, 2, 4, 4, 4)}[nd]

    def fn(lib, x):
        args = dict(kwargs)
        if args.get("output_size") == "input":
            args["output_size"] = x.shape
        pool_args = {k: v for k, v in args.items() if k != "output_size"}
        y, i = getattr(F(lib), f"max_pool{nd}d")(x, 2, return_indices=True, **pool_args)
        return getattr(F(lib), f"max_unpool{nd}d")(y, i, 2, **args)

    check_op(fn, shape, grad=True)


# -- padding -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, shape, pad", [
    (m, s, p) for m in ("constant", "reflect", "replicate", "circular")
    for s, p in [((2, 3, 5), (1, 2)), ((2, 3, 5), (-1, 2)), ((3, 5), (2, 0)),
                 ((2, 3, 4, 5), (1, 2, 2, 1)), ((3, 4, 5), (0, 1, 3, 2)),
                 ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2))]
] + [("constant", (2, 3), (1, 1, 2, 2)), ("constant", (2, 3, 4), (1, -2, 0, 1, 1, 1))])
def test_pad(mode, shape, pad):
    check_op(lambda lib, x: F(lib).pad(x, pad, mode=mode), shape, grad=True)


def test_pad_value_and_dtypes():
    check_op(lambda lib, x: F(lib).pad(x, (1, 2), value=2.5), (2, 3), grad=True)
    check_op(lambda lib, x: F(lib).pad(x, (1, 2), value=7), (2, 3), dtype="int64")
    check_op(lambda lib, x: F(lib).pad(x, (1, 2, 1, 1), mode="reflect"), (1, 2, 3),
             dtype="int64")


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_double_backward(mode):
    check_op(lambda lib, x: F(lib).pad(x, (1, 2, 2, 1), mode=mode), (1, 3, 3), dtype="float64",
             grad=True, gradgrad=True)


PAD_ERRORS = [
    lambda lib, x: F(lib).pad(x, (1,)),
    lambda lib, x: F(lib).pad(x, (1, 1) * 4),
    lambda lib, x: F(lib).pad(x, (5, 5), mode="reflect"),
    lambda lib, x: F(lib).pad(x, (5, 2), mode="circular"),
    lambda lib, x: F(lib).pad(x, (1, 1, 1, 1, 1, 1), mode="reflect"),
    lambda lib, x: F(lib).pad(x[0, 0], (1, 1), mode="replicate"),
    lambda lib, x: F(lib).pad(x, (1, 1), mode="wrap"),
    lambda lib, x: F(lib).pad(x, (1, 1), mode="reflect", value=1.0),
    lambda lib, x: F(lib).pad(x, (-3, -2)),
    lambda lib, x: F(lib).pad(x.bool(), (1, 1), mode="replicate"),
    lambda lib, x: F(lib).pad(x[:, :0], (1, 1), mode="reflect"),
]


@pytest.mark.parametrize("fn", PAD_ERRORS)
def test_pad_errors(fn):
    same_error(lambda lib: fn(lib, lib.ones(2, 3, 4)))


# -- interpolation -----------------------------------------------------------------------------

SIZES = [dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=0.6), dict(size=11),
         dict(scale_factor=2.3, recompute_scale_factor=True), dict(size="same")]
MODES = {1: ["nearest", "nearest-exact", "linear", "area"],
         2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
         3: ["nearest", "nearest-exact", "trilinear", "area"]}


@pytest.mark.parametrize("nd, mode, kwargs, corners", [
    (nd, m, kw, ac) for nd in (1, 2, 3) for m in MODES[nd] for kw in SIZES
    for ac in ([None] if m in ("nearest", "nearest-exact", "area") else [False, True])
    if nd < 3 or kw.get("size") != 11])
def test_interpolate(nd, mode, kwargs, corners):
    shape = {1: (2, 3, 7), 2: (2, 3, 5, 6), 3: (1, 2, 3, 4, 5)}[nd]
    if kwargs.get("size") == "same":
        kwargs = dict(size=shape[2:])
    check_op(lambda lib, x: F(lib).interpolate(x, mode=mode, align_corners=corners, **kwargs),
             shape, grad=True)


def test_interpolate_dtypes_and_double_backward():
    check_op(lambda lib, x: F(lib).interpolate(x, scale_factor=2), (1, 1, 3, 3), dtype="uint8")
    check_op(lambda lib, x: F(lib).interpolate(x, scale_factor=1.5, mode="bilinear"),
             (1, 1, 3, 3), dtype="float16")
    check_op(lambda lib, x: F(lib).interpolate(x, size=(5, 4), mode="bicubic",
                                               align_corners=True),
             (1, 1, 3, 3), dtype="float64", grad=True, gradgrad=True)
    with pytest.warns(UserWarning, match="upsample_bilinear. is deprecated"):
        check_op(lambda lib, x: F(lib).upsample_bilinear(x, scale_factor=2), (1, 2, 3, 3),
                 grad=True)


INTERPOLATE_ERRORS = [
    lambda lib, x: F(lib).interpolate(x, scale_factor=2, size=3),
    lambda lib, x: F(lib).interpolate(x),
    lambda lib, x: F(lib).interpolate(x, size=(2, 2, 2)),
    lambda lib, x: F(lib).interpolate(x, scale_factor=(2, 2, 2)),
    lambda lib, x: F(lib).interpolate(x, scale_factor=2, align_corners=True),
    lambda lib, x: F(lib).interpolate(x, scale_factor=2, mode="bilinear_"),
    lambda lib, x: F(lib).interpolate(x, scale_factor=0.1),
    lambda lib, x: F(lib).interpolate(x, size=3, recompute_scale_factor=True),
    lambda lib, x: F(lib).interpolate(x, size=3, mode="trilinear"),
    lambda lib, x: F(lib).interpolate(x[0], size=3, mode="bilinear"),
    lambda lib, x: F(lib).interpolate(x.long(), scale_factor=2, mode="bilinear"),
]


@pytest.mark.parametrize("fn", INTERPOLATE_ERRORS)
def test_interpolate_errors(fn):
    check_error(fn, (2, 3, 5, 5))


# -- pixel and channel shuffles ----------------------------------------------------------------


@pytest.mark.parametrize("fn, shape", [
    (lambda lib, x: F(lib).pixel_shuffle(x, 2), (2, 8, 3, 4)),
    (lambda lib, x: F(lib).pixel_shuffle(x, 3), (5, 2, 9, 2, 3)),
    (lambda lib, x: F(lib).pixel_unshuffle(x, 2), (2, 3, 4, 6)),
    (lambda lib, x: F(lib).pixel_unshuffle(x, 2), (3, 4, 6)),
    (lambda lib, x: F(lib).channel_shuffle(x, 2), (2, 8, 3, 4)),
    (lambda lib, x: F(lib).channel_shuffle(x, 4), (2, 8, 3)),
])
def test_shuffles(fn, shape):
    check_op(fn, shape, grad=True)


def test_shuffles_double_backward():
    check_op(lambda lib, x: F(lib).pixel_shuffle(x, 2), (1, 4, 2, 2), dtype="float64",
             grad=True, gradgrad=True)
    check_op(lambda lib, x: F(lib).channel_shuffle(x, 2), (1, 4, 2), dtype="float64",
             grad=True, gradgrad=True)


@pytest.mark.parametrize("fn", [
    lambda lib: F(lib).pixel_shuffle(lib.ones(2, 7, 3, 3), 2),
    lambda lib: F(lib).pixel_shuffle(lib.ones(7, 3), 2),
    lambda lib: F(lib).pixel_shuffle(lib.ones(4, 3, 3), 0),
    lambda lib: F(lib).pixel_unshuffle(lib.ones(1, 3, 5, 4), 2),
    lambda lib: F(lib).pixel_unshuffle(lib.ones(1, 3, 4, 5), 2),
    lambda lib: F(lib).channel_shuffle(lib.ones(2, 8, 3, 3), 3),
    lambda lib: F(lib).channel_shuffle(lib.ones(2, 8), 2),
    lambda lib: F(lib).channel_shuffle(lib.ones(2, 8, 3), 0),
])
def test_shuffle_errors(fn):
    same_error(fn)


# -- pooling and resampling errors -------------------------------------------------------------

POOL_ERRORS = [
    lambda lib, x: F(lib).max_pool2d(x, 3, padding=2),
    lambda lib, x: F(lib).max_pool2d(x, 2, stride=0),
    lambda lib, x: F(lib).max_pool2d(x, 2, dilation=0),
    lambda lib, x: F(lib).max_pool2d(x, (2, 2, 2)),
    lambda lib, x: F(lib).max_pool2d(x, 9),
    lambda lib, x: F(lib).max_pool2d(x.bool(), 2),
    lambda lib, x: F(lib).max_pool2d(x[:, :, :0], 2),
    lambda lib, x: F(lib).max_pool1d(x, 2),
    lambda lib, x: F(lib).avg_pool2d(x, 3, padding=2),
    lambda lib, x: F(lib).avg_pool2d(x, 9),
    lambda lib, x: F(lib).avg_pool2d(x, 3, divisor_override=0),
    lambda lib, x: F(lib).avg_pool1d(x, 3),
    lambda lib, x: F(lib).adaptive_avg_pool2d(x, (2, 3, 4)),
    lambda lib, x: F(lib).adaptive_avg_pool2d(x[0, 0], 2),
    lambda lib, x: F(lib).adaptive_avg_pool2d(x.long(), 2),
    lambda lib, x: F(lib).adaptive_avg_pool2d(x[:, :, :0], 2),
    lambda lib, x: F(lib).adaptive_max_pool2d(x[0, 0], 2),
    lambda lib, x: F(lib).adaptive_max_pool2d(x.long(), 2),
    lambda lib, x: F(lib).max_unpool2d(x, x.long(), 2, output_size=(3,)),
    lambda lib, x: F(lib).max_unpool2d(x, x[..., :3].long(), 2),
    lambda lib, x: F(lib).max_unpool2d(x, x.long() * 0 + 999, 2),
]


@pytest.mark.parametrize("fn", POOL_ERRORS)
def test_pool_errors(fn):
    same_error(lambda lib: fn(lib, lib.ones(2, 3, 7, 7)))


# -- layers ------------------------------------------------------------------------------------

LAYERS = [
    (lambda nn: nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True), (2, 3, 9)),
    (lambda nn: nn.MaxPool2d(2), (2, 3, 6, 7)),
    (lambda nn: nn.MaxPool3d((1, 2, 2), ceil_mode=True), (1, 2, 3, 5, 5)),
    (lambda nn: nn.AvgPool1d(3), (2, 3, 9)),
    (lambda nn: nn.AvgPool2d(3, 2, 1, divisor_override=2), (2, 3, 7, 7)),
    (lambda nn: nn.AvgPool3d(2, 1, 1, True, False), (1, 2, 3, 4, 4)),
    (lambda nn: nn.AdaptiveAvgPool1d(3), (2, 3, 8)),
    (lambda nn: nn.AdaptiveAvgPool2d((None, 3)), (2, 3, 5, 7)),
    (lambda nn: nn.AdaptiveAvgPool3d(2), (1, 2, 3, 4, 5)),
    (lambda nn: nn.AdaptiveMaxPool1d(3), (2, 3, 8)),
    (lambda nn: nn.AdaptiveMaxPool2d((2, 3)), (2, 3, 5, 7)),
    (lambda nn: nn.AdaptiveMaxPool3d(2), (1, 2, 3, 4, 5)),
    (lambda nn: nn.LPPool1d(2, 3, 2, True), (2, 3, 9)),
    (lambda nn: nn.LPPool2d(2, 3), (2, 3, 6, 6)),
    (lambda nn: nn.ZeroPad2d((1, 2, 3, 4)), (2, 3, 4, 4)),
    (lambda nn: nn.ZeroPad1d(1), (2, 3, 4)),
    (lambda nn: nn.ConstantPad1d(2, 3.5), (2, 3, 4)),
    (lambda nn: nn.ConstantPad3d(1, 0.0), (1, 2, 3, 3, 3)),
    (lambda nn: nn.ReflectionPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ReflectionPad2d((1, 2, 3, 0)), (2, 3, 4, 4)),
    (lambda nn: nn.ReflectionPad3d(1), (1, 2, 3, 3, 3)),
    (lambda nn: nn.ReplicationPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ReplicationPad2d(1), (3, 4, 4)),
    (lambda nn: nn.ReplicationPad3d(1), (1, 2, 3, 3, 3)),
    (lambda nn: nn.CircularPad2d(1), (2, 3, 4, 4)),
    (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 4, 4)),
    (lambda nn: nn.Upsample(size=3, mode="bilinear"), (2, 3, 4, 4)),
    (lambda nn: nn.Upsample(scale_factor=(2, 3), mode="bicubic", align_corners=True),
     (2, 3, 4, 4)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 4, 4)),
    (lambda nn: nn.UpsamplingBilinear2d(size=(3, 5)), (2, 3, 4, 4)),
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 3)),
    (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    (lambda nn: nn.ChannelShuffle(2), (2, 4, 3, 3)),
]


@pytest.mark.parametrize("build, shape", LAYERS)
def test_layers(build, shape):
    same_repr(build(ember.nn), build(torch.nn))
    check_module(lambda lib: build(lib.nn), shape, low=0.1)


def test_layers_with_indices():
    for build, shape in [(lambda nn: nn.MaxPool2d(2, return_indices=True), (2, 3, 6, 7)),
                         (lambda nn: nn.AdaptiveMaxPool2d(3, True), (2, 3, 6, 7))]:
        check_op(lambda lib, x, build=build: build(lib.nn)(x), shape, grad=True)

    def unpool(lib, x):
        y, i = lib.nn.MaxPool2d(2, return_indices=True)(x)
        return lib.nn.MaxUnpool2d(2)(y, i, output_size=x.shape)

    check_op(unpool, (2, 3, 5, 5), grad=True)
    same_repr(ember.nn.MaxUnpool3d(2), torch.nn.MaxUnpool3d(2))
    same_repr(ember.nn.MaxUnpool1d(2, 1, 1), torch.nn.MaxUnpool1d(2, 1, 1))


def test_circular_pad_layer_checks_rank():
    same_error(lambda lib: lib.nn.CircularPad2d(1)(lib.ones(2, 3)))
