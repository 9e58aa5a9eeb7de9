"""Convolutions against torch: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold/fold and the
Conv / ConvTranspose / Unfold / Fold layers (values, gradients, double backward, errors, node
names, initial weights after manual_seed, reprs)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import check_error, check_op
from nn_helpers import check_module, same_error, same_repr

import ember

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


# -- conv: values and gradients over a grid of configurations ------------------------------------

# (input shape, weight shape, kwargs); the bias is added whenever the weight's out dim allows
CONV_CASES = [
    ((2, 4, 9), (6, 4, 3), {}),
    ((2, 4, 9), (6, 2, 2), dict(stride=2, padding=1, dilation=2, groups=2)),
    ((3, 3, 10), (6, 1, 4), dict(stride=3, groups=3)),
    ((2, 4, 8), (4, 4, 3), dict(padding="same", dilation=3)),
    ((2, 4, 8), (4, 4, 4), dict(padding="valid")),
    ((2, 4, 7, 6), (5, 4, 3, 3), dict(padding=1)),
    ((2, 4, 7, 6), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ((2, 4, 8, 8), (8, 1, 3, 3), dict(padding=1, groups=4)),  # depthwise, multiplier 2
    ((1, 3, 9, 7), (2, 3, 1, 1), dict(stride=2)),
    ((2, 2, 6, 7), (3, 2, 3, 3), dict(padding="same")),
    ((2, 2, 6, 7), (3, 2, 2, 4), dict(padding="same")),  # even kernels: the odd unit on the right
    ((2, 2, 8, 8), (3, 2, 3, 3), dict(stride=3, padding=2, dilation=2)),
    ((2, 2, 5, 5, 4), (3, 2, 3, 2, 2), dict(padding=(1, 0, 1))),
    ((1, 4, 5, 6, 5), (4, 2, 2, 3, 2), dict(stride=2, dilation=(1, 2, 1), groups=2)),
    ((3, 9, 8), (4, 3, 3, 3), dict(padding=2)),  # unbatched 2-D
    ((3, 7), (4, 3, 2), dict(stride=2)),  # unbatched 1-D
]


def _conv(lib, x, w, b=None, **kwargs):
    fn = getattr(F(lib), f"conv{w.ndim - 2}d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # padding='same' with an even kernel
        return fn(x, w, b, **kwargs)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV_CASES)
def test_conv(x_shape, w_shape, kwargs):
    check_op(lambda lib, x, w, b: _conv(lib, x, w, b, **kwargs), x_shape, w_shape,
             (w_shape[0],), grad=True)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV_CASES[:3] + CONV_CASES[5:8])
def test_conv_without_bias_float64(x_shape, w_shape, kwargs):
    check_op(lambda lib, x, w: _conv(lib, x, w, **kwargs), x_shape, w_shape, dtype="float64",
             grad=True)


TRANSPOSE_CASES = [
    ((2, 4, 5), (4, 3, 3), {}),
    ((2, 4, 5), (4, 2, 3), dict(stride=2, padding=1, output_padding=1, groups=2, dilation=2)),
    ((2, 4, 5, 4), (4, 3, 3, 3), dict(stride=2, output_padding=1)),
    ((2, 4, 5, 4), (4, 2, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(0, 2),
                                     groups=2)),
    ((2, 4, 5, 5), (4, 3, 3, 3), dict(output_padding=1, dilation=2)),  # padding < dilation
    ((2, 6, 4, 4), (6, 1, 3, 3), dict(stride=2, padding=1, groups=6)),
    ((1, 2, 3, 4, 3), (2, 3, 2, 3, 2), dict(stride=(1, 2, 2), padding=(0, 1, 0))),
    ((4, 5, 5), (4, 3, 3, 3), dict(stride=2)),  # unbatched
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", TRANSPOSE_CASES)
def test_conv_transpose(x_shape, w_shape, kwargs):
    nd = len(w_shape) - 2
    out_channels = w_shape[1] * kwargs.get("groups", 1)

    def fn(lib, x, w, b):
        return getattr(F(lib), f"conv_transpose{nd}d")(x, w, b, **kwargs)

    check_op(fn, x_shape, w_shape, (out_channels,), grad=True)


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1), ((1, 2, 4, 4), (2, 2, 3, 3), (2,))),
    (lambda lib, x, w: F(lib).conv1d(x, w, stride=2, dilation=2, groups=2, padding=1),
     ((1, 4, 7), (4, 2, 2))),
    (lambda lib, x, w: F(lib).conv_transpose2d(x, w, stride=2, output_padding=1),
     ((1, 2, 3, 2), (2, 2, 2, 2))),
    (lambda lib, x, w: F(lib).conv3d(x, w, padding=(1, 0, 0)), ((1, 1, 3, 3, 2), (2, 1, 2, 2, 1))),
])
def test_conv_double_backward(fn, shapes):
    check_op(fn, *shapes, dtype="float64", grad=True, gradgrad=True)


def test_conv_node_names():
    x = ember.randn(2, 3, 5, 5, requires_grad=True)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    y = F(ember).conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    gx, gw = ember.autograd.grad(y, (x, w), ember.randn(*y.shape), create_graph=True)
    assert gx.grad_fn.name() == gw.grad_fn.name() == "ConvolutionBackwardBackward0"
    assert F(ember).conv_transpose2d(x, w.transpose(0, 1)).grad_fn.name() == (
        "ConvolutionBackward0")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int64"])
def test_conv_dtypes(dtype):
    low, high = (-3, 3) if dtype == "int64" else (-1, 1)
    check_op(lambda lib, x, w: F(lib).conv2d(x, w, padding=1), (2, 3, 5, 5), (4, 3, 3, 3),
             dtype=dtype, low=low, high=high, rtol=2e-2, atol=2e-2)


def test_conv_empty_batch():
    check_op(lambda lib, x, w: F(lib).conv2d(x, w), (0, 3, 5, 5), (4, 3, 3, 3), grad=True)


def test_conv_same_padding_warns_for_even_kernels():
    x, w = ember.randn(1, 1, 5, 5), ember.randn(1, 1, 2, 2)
    with pytest.warns(UserWarning, match="even kernel lengths"):
        F(ember).conv2d(x, w, padding="same")


# -- errors ----------------------------------------------------------------------------------------

CONV_ERRORS = [
    (lambda lib, x, w: F(lib).conv2d(x[0, 0], w), "Expected 3D (unbatched) or 4D (batched)"),
    (lambda lib, x, w: F(lib).conv1d(x, w), "Expected 2D (unbatched) or 3D (batched)"),
    (lambda lib, x, w: F(lib).conv2d(x, w[:, :3]), "expected input[2, 4, 5, 5] to have 3"),
    (lambda lib, x, w: F(lib).conv2d(x, w, groups=2), "to have 8 channels, but got 4"),
    (lambda lib, x, w: F(lib).conv2d(x, w[:5, :2], groups=2), "divisible by 2 at dimension 0"),
    (lambda lib, x, w: F(lib).conv2d(x, w[:0]), "expected weight to be at least 1"),
    (lambda lib, x, w: F(lib).conv2d(x, w, x[0, 0, 0]), "expected bias to be 1-dimensional"),
    (lambda lib, x, w: F(lib).conv2d(x, w, stride=2, padding="same"), "strided convolutions"),
    (lambda lib, x, w: F(lib).conv2d(x, w, padding="full"), "Invalid padding string: 'full'"),
    (lambda lib, x, w: F(lib).conv2d(x[..., :2, :2], w), "Kernel size can't be greater"),
    (lambda lib, x, w: F(lib).conv2d(x, w, stride=0), "non-positive stride is not supported"),
    (lambda lib, x, w: F(lib).conv2d(x, w, padding=-1), "negative padding is not supported"),
    (lambda lib, x, w: F(lib).conv2d(x, w, dilation=0), "non-positive dilation"),
    (lambda lib, x, w: F(lib).conv2d(x, w, groups=0), "non-positive groups is not supported"),
    (lambda lib, x, w: F(lib).conv2d(x, w, stride=(1, 2, 3)), "a list of 2 values"),
    (lambda lib, x, w: F(lib).conv2d(x, w[..., 0]), "a list of 1 values"),
    (lambda lib, x, w: F(lib).conv2d(x.double(), w), "expected scalar type Double but found"),
    (lambda lib, x, w: F(lib).conv2d(x, w.double()), "and weight type (torch.DoubleTensor)"),
    (lambda lib, x, w: F(lib).conv2d(x, w, w[:, 0, 0, 0].double()), "bias type (double)"),
    (lambda lib, x, w: F(lib).conv2d(x.bool(), w.bool()), "not implemented for 'Bool'"),
    (lambda lib, x, w: F(lib).conv_transpose2d(x, w, output_padding=1), "output padding must"),
    (lambda lib, x, w: F(lib).conv_transpose2d(x, w[:4], padding=5), None),
    (lambda lib, x, w: F(lib).conv_transpose2d(x, w), "Given transposed=1, weight of size"),
    (lambda lib, x, w: F(lib).conv_transpose2d(x, w[:4], padding="same"), "must be tuple"),
    (lambda lib, x, w: F(lib).conv_transpose2d(x, w[:4], w[:, 0, 0, 0]), "with 4 elements"),
    (lambda lib, x, w: F(lib).conv_transpose2d(x, w[:4], output_padding=-1), "negative output"),
]


@pytest.mark.parametrize("fn, match", CONV_ERRORS)
def test_conv_errors(fn, match):
    check_error(fn, (2, 4, 5, 5), (6, 4, 3, 3), match=match)


# -- unfold and fold -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape, args", [
    ((2, 3, 6, 5), (2,)), ((2, 3, 6, 5), ((2, 3), 2, 1, (1, 2))), ((3, 6, 5), (3, 1, 1, 2)),
])
def test_unfold(shape, args):
    check_op(lambda lib, x: F(lib).unfold(x, *args), shape, grad=True)


@pytest.mark.parametrize("shape, args", [
    ((2, 8, 12), ((4, 5), 2)), ((12, 6), ((5, 4), (2, 3), 1, 1, 2)), ((1, 4, 4), (6, 2, 2, 0, 2)),
])
def test_fold(shape, args):
    check_op(lambda lib, x: F(lib).fold(x, *args), shape, grad=True)


def test_unfold_fold_double_backward():
    check_op(lambda lib, x: F(lib).unfold(x, 2, padding=1), (1, 2, 3, 3), dtype="float64",
             grad=True, gradgrad=True)
    check_op(lambda lib, x: F(lib).fold(x, (3, 3), 2), (1, 8, 4), dtype="float64", grad=True,
             gradgrad=True)


@pytest.mark.parametrize("fn", [
    lambda lib, x: F(lib).unfold(x, 5),
    lambda lib, x: F(lib).unfold(x, (2, 2, 2)),
    lambda lib, x: F(lib).unfold(x, 2, stride=0),
    lambda lib, x: F(lib).unfold(x, 2, padding=-1),
    lambda lib, x: F(lib).unfold(x.long(), 2),
    lambda lib, x: F(lib).fold(x[0], 4, 3),
    lambda lib, x: F(lib).fold(x.reshape(2, 8, 4, 2)[0], 4, 2),
    lambda lib, x: F(lib).fold(x.reshape(2, 16, 8), 4, 2),
    lambda lib, x: F(lib).fold(x.reshape(2, 32, 4), 4, 2),
])
def test_unfold_fold_errors(fn):
    same_error(lambda lib: fn(lib, lib.ones(2, 8, 4, 4)))


# -- layers ----------------------------------------------------------------------------------------

LAYERS = [
    lambda nn: nn.Conv1d(4, 6, 3),
    lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding="valid", bias=False),
    lambda nn: nn.Conv2d(16, 32, 3, padding=1),
    lambda nn: nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=2, groups=2,
                         padding_mode="reflect"),
    lambda nn: nn.Conv2d(4, 4, 3, padding="same", groups=4, padding_mode="circular"),
    lambda nn: nn.Conv2d(4, 6, 2, padding="same", padding_mode="replicate", bias=False),
    lambda nn: nn.Conv3d(2, 4, (2, 3, 2), padding=(1, 0, 1)),
    lambda nn: nn.ConvTranspose1d(4, 6, 3, stride=2, output_padding=1),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, dilation=2),
    lambda nn: nn.ConvTranspose3d(2, 3, 2, bias=False),
]


@pytest.mark.parametrize("build", LAYERS)
def test_layer_initial_weights_and_repr(build):
    torch.manual_seed(3)
    t_layer = build(torch.nn)
    ember.manual_seed(3)
    e_layer = build(ember.nn)
    same_repr(e_layer, t_layer)
    t_params = dict(t_layer.named_parameters())
    assert [n for n, _ in e_layer.named_parameters()] == list(t_params)
    for name, p in e_layer.named_parameters():
        assert isinstance(p, ember.nn.Parameter)
        np.testing.assert_array_equal(p.detach().numpy(), t_params[name].detach().numpy())


@pytest.mark.parametrize("build, shape", [
    (LAYERS[0], (2, 4, 9)), (LAYERS[3], (2, 4, 8, 7)), (LAYERS[4], (2, 4, 6, 6)),
    (LAYERS[5], (2, 4, 5, 6)), (LAYERS[6], (1, 2, 4, 5, 3)), (LAYERS[7], (2, 4, 5)),
    (LAYERS[8], (2, 4, 4, 5)), (LAYERS[8], (4, 4, 5)),
])
def test_layer_forward_backward(build, shape):
    check_module(lambda lib: build(lib.nn), shape)


def test_conv_transpose_output_size():
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)

    t_layer, e_layer = build(torch), build(ember)
    x = np.random.default_rng(0).standard_normal((1, 3, 4, 4)).astype("float32")
    for size in [(7, 7), (8, 8), (1, 2, 8, 7)]:
        t_out = t_layer(torch.tensor(x), output_size=size)
        e_out = e_layer(ember.tensor(x), output_size=size)
        np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    for size in [(9, 9), (7,)]:
        same_error(lambda lib, size=size: build(lib)(lib.ones(1, 3, 4, 4), output_size=size))


@pytest.mark.parametrize("build", [
    lambda nn: nn.Conv2d(4, 6, 3, groups=0),
    lambda nn: nn.Conv2d(4, 6, 3, groups=3),
    lambda nn: nn.Conv2d(6, 4, 3, groups=3),
    lambda nn: nn.Conv2d(4, 6, 3, padding="same", stride=2),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
])
def test_layer_constructor_errors(build):
    same_error(lambda lib: build(lib.nn))


@pytest.mark.parametrize("kwargs, start", [
    (dict(padding="full"), "Invalid padding string 'full', should be one of {"),
    (dict(padding_mode="mirror"), "padding_mode must be one of {"),
])
def test_layer_constructor_errors_naming_sets(kwargs, start):
    # NOTE: torch prints a set literal, whose order follows the hash seed its .pyc was compiled
    # under, so only the start of the message can be compared
    for lib in (torch, ember):
        with pytest.raises(ValueError) as info:
            lib.nn.Conv2d(4, 6, 3, **kwargs)
        assert str(info.value).startswith(start)


def test_unfold_fold_layers():
    for build, shape in [(lambda nn: nn.Unfold((2, 3), 2, 1, 1), (2, 3, 6, 5)),
                         (lambda nn: nn.Fold((4, 5), 2), (2, 8, 12))]:
        same_repr(build(ember.nn), build(torch.nn))
        check_module(lambda lib, build=build: build(lib.nn), shape)


# -- the memory-bound steps split across threads ---------------------------------------------------


@pytest.fixture
def sliced(monkeypatch):
    """Run im2col, col2im and layout copies in slices on a thread pool even for small arrays
    (and on one core), as big arrays run on a multi-core machine."""
    from ember._ops import im2col

    monkeypatch.setattr(im2col, "_PARALLEL_MIN_SIZE", 0)
    monkeypatch.setattr(im2col, "cores", lambda: 3)


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1, groups=2),
     ((5, 4, 6, 6), (6, 2, 3, 3), (6,))),
    (lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=2), ((1, 7, 6, 5), (2, 7, 2, 2), (2,))),
    (lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b, stride=2, output_padding=1),
     ((3, 4, 4, 5), (4, 5, 3, 3), (5,))),
    (lambda lib, x: F(lib).max_pool2d(x, 3, 1, 1, return_indices=True), ((2, 5, 6, 6),)),
    (lambda lib, x: F(lib).adaptive_max_pool2d(x, (4, 3), return_indices=True), ((2, 5, 7, 6),)),
    (lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1), ((2, 5, 6, 6),)),
    (lambda lib, x: F(lib).fold(x, (5, 4), 2), ((3, 8, 12),)),
])
def test_sliced_kernels(sliced, fn, shapes):
    check_op(fn, *shapes, grad=True)


# -- stride 1: the wide im2col layout; the batch in chunks ---------------------------------------


def test_wide_layout_serves_stride_one():
    from ember._ops.im2col import Geometry, wide

    assert wide(Geometry((28, 28), (28, 28), (5, 5), (1, 1), (2, 2), (1, 1), 1))  # LeNet's first
    assert wide(Geometry((9,), (7,), (3,), (1,), (0,), (1,), 1))
    assert not wide(Geometry((28, 28), (14, 14), (5, 5), (2, 2), (2, 2), (1, 1), 1))
    assert not wide(Geometry((8, 8), (2, 2), (7, 7), (1, 1), (0, 0), (1, 1), 1))  # 4x the GEMM


@pytest.fixture
def chunked(monkeypatch):
    """One image per chunk of the batch, as a big batch runs."""
    from ember._ops import im2col

    monkeypatch.setattr(im2col, "_CHUNK_BYTES", 1)


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=2), ((3, 1, 8, 7), (4, 1, 5, 5), (4,))),
    (lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=(1, 2), dilation=(2, 1), groups=2),
     ((3, 4, 7, 6), (6, 2, 3, 3), (6,))),
    (lambda lib, x, w, b: F(lib).conv3d(x, w, b, padding=(1, 0, 1)),
     ((2, 2, 5, 5, 4), (3, 2, 3, 2, 2), (3,))),
    (lambda lib, x, w, b: F(lib).conv1d(x, w, b, dilation=2), ((3, 2, 9), (4, 2, 3), (4,))),
    (lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b, padding=1), ((3, 4, 5, 5),
                                                                       (4, 2, 3, 3), (2,))),
    (lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=2), ((3, 2, 7, 6), (2, 2, 3, 3), (2,))),
])
def test_conv_batch_in_chunks(chunked, fn, shapes):
    check_op(fn, *shapes, grad=True)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("where", ["input", "weight"])
def test_wide_layout_with_non_finite_values(where, bad):
    # the wide layout's extra positions read neighbouring inputs and meet the weights: one
    # non-finite value must not reach gradients that torch computes as finite
    from ember._ops.im2col import Geometry, wide

    assert wide(Geometry((6, 6), (4, 4), (3, 3), (1, 1), (0, 0), (1, 1), 1))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    (x if where == "input" else w)[0, 1, 2, 0] = bad
    # NOTE: no padding: torch skips padded positions, so a non-finite weight that meets only
    # padding leaves its output finite there; im2col multiplies it by zero (nan)
    check_op(lambda lib, x, w: F(lib).conv2d(x, w), x.shape, w.shape, inputs=[x, w], grad=True)


def test_parallel_chunks_restore_blas_threads(chunked):
    # chunks on the pool run their products on one core each; the setting comes back after
    from ember import _threads

    if not _threads.can_set_blas_threads() or _threads.cores() < 2:
        pytest.skip("needs NumPy on OpenBLAS and two cores")
    threads = _threads._openblas()[1]()
    check_op(lambda lib, x, w: F(lib).conv2d(x, w, padding=1), (4, 2, 6, 6), (3, 2, 3, 3),
             grad=True)
    assert _threads._openblas()[1]() == threads
    with pytest.raises(RuntimeError), _threads.blas_single_threaded():
        assert _threads._openblas()[1]() == 1
        raise RuntimeError("a failing chunk")
    assert _threads._openblas()[1]() == threads
