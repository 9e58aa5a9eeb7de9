"""Linear layers, activations and the softmax family against torch: functional forms (values,
gradients for a random upstream gradient, second derivatives), modules with copied weights,
in-place forms, errors, warnings and repr."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import assert_same, check_error, check_op
from nn_helpers import check_arrays, check_module, same_error, same_repr

import ember

torch = pytest.importorskip("torch")

# (name, fn(lib, *tensors), shapes, gradgrad)
FUNCTIONAL = [
    ("relu", lambda lib, x: lib.nn.functional.relu(x), [(3, 4)], False),
    ("relu6", lambda lib, x: lib.nn.functional.relu6(x * 3), [(3, 4)], False),
    ("leaky_relu", lambda lib, x: lib.nn.functional.leaky_relu(x, 0.2), [(3, 4)], True),
    ("elu", lambda lib, x: lib.nn.functional.elu(x, alpha=0.7), [(3, 4)], True),
    ("selu", lambda lib, x: lib.nn.functional.selu(x), [(3, 4)], True),
    ("celu", lambda lib, x: lib.nn.functional.celu(x, alpha=1.3), [(3, 4)], True),
    ("gelu", lambda lib, x: lib.nn.functional.gelu(x), [(3, 4)], True),
    ("gelu_tanh", lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"), [(3, 4)], True),
    ("silu", lambda lib, x: lib.nn.functional.silu(x), [(3, 4)], True),
    ("mish", lambda lib, x: lib.nn.functional.mish(x), [(3, 4)], True),
    ("sigmoid", lambda lib, x: lib.nn.functional.sigmoid(x), [(3, 4)], False),
    ("tanh", lambda lib, x: lib.nn.functional.tanh(x), [(3, 4)], False),
    ("softplus", lambda lib, x: lib.nn.functional.softplus(x, beta=2, threshold=3),
     [(3, 4)], True),
    ("softsign", lambda lib, x: lib.nn.functional.softsign(x), [(3, 4)], True),
    ("hardtanh", lambda lib, x: lib.nn.functional.hardtanh(x, -0.5, 2.0), [(3, 4)], False),
    ("hardsigmoid", lambda lib, x: lib.nn.functional.hardsigmoid(x * 2), [(3, 4)], False),
    ("hardswish", lambda lib, x: lib.nn.functional.hardswish(x * 2), [(3, 4)], True),
    ("threshold", lambda lib, x: lib.nn.functional.threshold(x, 0.5, -2.0), [(3, 4)], False),
    ("logsigmoid", lambda lib, x: lib.nn.functional.logsigmoid(x * 10), [(3, 4)], True),
    ("tanhshrink", lambda lib, x: lib.nn.functional.tanhshrink(x), [(3, 4)], True),
    ("softshrink", lambda lib, x: lib.nn.functional.softshrink(x, 0.7), [(3, 4)], False),
    ("hardshrink", lambda lib, x: lib.nn.functional.hardshrink(x, 0.7), [(3, 4)], False),
    ("softmax0", lambda lib, x: lib.nn.functional.softmax(x, dim=0), [(3, 4)], True),
    ("softmax_last", lambda lib, x: lib.nn.functional.softmax(x * 30, -1), [(2, 3, 4)], True),
    ("log_softmax", lambda lib, x: lib.nn.functional.log_softmax(x * 30, 1), [(3, 4)], True),
    ("softmin", lambda lib, x: lib.nn.functional.softmin(x, 1), [(3, 4)], False),
    ("softmax_0dim", lambda lib, x: lib.nn.functional.softmax(x, 0), [()], False),
    ("glu", lambda lib, x: lib.nn.functional.glu(x, 0), [(4, 3)], True),
    ("normalize", lambda lib, x: lib.nn.functional.normalize(x), [(3, 4)], True),
    ("normalize_p1", lambda lib, x: lib.nn.functional.normalize(x, p=1, dim=0), [(3, 4)],
     False),
    ("cosine_similarity", lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
     [(3, 4), (4,)], True),
    ("cosine_similarity_dim", lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, -1),
     [(2, 3, 4), (3, 4)], False),
    ("linear", lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), [(5, 3), (4, 3), (4,)],
     True),
    ("linear_nobias", lambda lib, x, w: lib.nn.functional.linear(x, w), [(5, 3), (4, 3)], True),
    ("linear_3d", lambda lib, x, w, b: lib.nn.functional.linear(x, w, b),
     [(2, 5, 3), (4, 3), (4,)], True),
    ("linear_bias_2d", lambda lib, x, w, b: lib.nn.functional.linear(x, w, b),
     [(5, 3), (4, 3), (5, 4)], False),
    ("linear_1d", lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), [(3,), (4, 3), (4,)],
     False),
    ("linear_vector_weight", lambda lib, x, w: lib.nn.functional.linear(x, w), [(2, 3), (3,)],
     False),
    ("bilinear", lambda lib, a, b, w, c: lib.nn.functional.bilinear(a, b, w, c),
     [(5, 2), (5, 3), (4, 2, 3), (4,)], True),
    ("prelu_shared", lambda lib, x, w: lib.nn.functional.prelu(x, w), [(2, 3, 4), (1,)], True),
    ("prelu_channels", lambda lib, x, w: lib.nn.functional.prelu(x, w), [(2, 3, 4), (3,)],
     False),
]


@pytest.mark.parametrize("name, fn, shapes, gradgrad", FUNCTIONAL, ids=[f[0] for f in FUNCTIONAL])
def test_functional(name, fn, shapes, gradgrad):
    check_op(fn, *shapes, grad=True, gradgrad=gradgrad)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_functional_dtypes(dtype):
    check_op(lambda lib, x: lib.nn.functional.softmax(x, 1), (3, 4), dtype=dtype, grad=True)
    check_op(lambda lib, x: lib.nn.functional.gelu(x), (3, 4), dtype=dtype, grad=True)
    check_op(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), (2, 3), (4, 3), (4,),
             dtype=dtype, grad=True, rtol=2e-2 if dtype == "bfloat16" else None)


def test_integer_inputs():
    ints = [np.arange(-3, 3).reshape(2, 3)]
    for fn in (lambda lib, x: lib.nn.functional.relu(x),
               lambda lib, x: lib.nn.functional.relu6(x),
               lambda lib, x: lib.nn.functional.hardtanh(x),
               lambda lib, x: lib.nn.functional.threshold(x, 1, 5),
               lambda lib, x: lib.nn.functional.softmax(x, 0, dtype=lib.float64)):
        check_arrays(fn, *ints)


@pytest.mark.parametrize("fn", [
    lambda lib, x: lib.nn.functional.elu(x.long()),
    lambda lib, x: lib.nn.functional.selu(x.bool()),
    lambda lib, x: lib.nn.functional.gelu(x.long()),
    lambda lib, x: lib.nn.functional.gelu(x, approximate="fast"),
    lambda lib, x: lib.nn.functional.silu(x.long()),
    lambda lib, x: lib.nn.functional.mish(x.int()),
    lambda lib, x: lib.nn.functional.softplus(x.long()),
    lambda lib, x: lib.nn.functional.leaky_relu(x.long()),
    lambda lib, x: lib.nn.functional.hardswish(x.long()),
    lambda lib, x: lib.nn.functional.hardsigmoid(x.long()),
    lambda lib, x: lib.nn.functional.logsigmoid(x.long()),
    lambda lib, x: lib.nn.functional.hardtanh(x.bool()),
    lambda lib, x: lib.nn.functional.relu(x.bool()),
    lambda lib, x: lib.nn.functional.softmax(x.long(), 1),
    lambda lib, x: lib.nn.functional.softmax(x.long(), 0),
    lambda lib, x: lib.nn.functional.log_softmax(x.long(), 1),
    lambda lib, x: lib.nn.functional.softmax(x, 2),
    lambda lib, x: lib.nn.functional.glu(x, 1),
    lambda lib, x: lib.nn.functional.glu(x[0, 0]),
    lambda lib, x: lib.nn.functional.prelu(x, lib.ones(2)),
    lambda lib, x: lib.nn.functional.prelu(x[0], lib.ones(3)),
    lambda lib, x: lib.nn.functional.prelu(x, lib.ones(1, 3)),
    lambda lib, x: lib.nn.functional.linear(x, lib.ones(4, 2)),
    lambda lib, x: lib.nn.functional.linear(x, lib.ones(4, 3).double()),
    lambda lib, x: lib.nn.functional.linear(x, lib.ones(4, 3), lib.ones(5)),
    lambda lib, x: lib.nn.functional.linear(x, lib.ones(4, 3), lib.ones(4).double()),
    lambda lib, x: lib.nn.functional.linear(x[0, 0], lib.ones(4, 3)),
    lambda lib, x: lib.nn.functional.cosine_similarity(x.long(), x.long()),
    lambda lib, x: lib.nn.functional.cosine_similarity(x, lib.ones(2)),
])
def test_errors_match_torch(fn):
    e_error, t_error = check_error(fn, (2, 3))
    assert str(e_error).replace("ember", "torch") == str(t_error)


def test_gradients_at_the_kinks():
    values = np.array([-3.0, 3.0, -1.0, 1.0, 0.0, 6.0, 0.5], dtype="float32")
    for fn in (lambda lib, x: lib.nn.functional.hardswish(x),
               lambda lib, x: lib.nn.functional.hardsigmoid(x),
               lambda lib, x: lib.nn.functional.hardtanh(x),
               lambda lib, x: lib.nn.functional.relu6(x),
               lambda lib, x: lib.nn.functional.relu(x),
               lambda lib, x: lib.nn.functional.threshold(x, 0.5, 5.0),
               lambda lib, x: lib.nn.functional.leaky_relu(x),
               lambda lib, x: lib.nn.functional.elu(x),
               lambda lib, x: lib.nn.functional.selu(x)):
        check_arrays(fn, values, grad=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [3072, 768, 192, 21])  # rows of 1024, 256, 64 zeros; none
def test_relu_bits_on_special_values(dtype, size):
    # relu keeps -0.0 and every nan's sign, as torch's does
    special = np.array([-0.0, 0.0, np.nan, -np.nan, -np.inf, np.inf, -1.5, 2.5], dtype)
    values = np.resize(special, size)
    for x in (values, values.reshape(-1, 3)[:, ::2]):  # and a non-contiguous input
        ours = ember.relu(ember.tensor(x)).numpy()
        theirs = torch.relu(torch.tensor(x)).numpy()
        assert ours.dtype == theirs.dtype
        assert ours.tobytes() == theirs.tobytes()


def test_extreme_inputs_stay_finite():
    big = [np.array([[-1000.0, 0.0, 1000.0], [88.0, 89.0, -89.0]], dtype="float32")]
    for fn in (lambda lib, x: lib.nn.functional.softmax(x, 1),
               lambda lib, x: lib.nn.functional.log_softmax(x, 1),
               lambda lib, x: lib.nn.functional.softplus(x),
               lambda lib, x: lib.nn.functional.logsigmoid(x),
               lambda lib, x: lib.nn.functional.silu(x),
               lambda lib, x: lib.nn.functional.mish(x),
               lambda lib, x: lib.nn.functional.gelu(x),
               lambda lib, x: lib.nn.functional.elu(x)):
        check_arrays(fn, *big, grad=True)


INPLACE = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "silu", "mish", "hardtanh",
           "hardsigmoid", "hardswish"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms(name):
    def fn(lib, x):
        y = x * 1  # a non-leaf: in-place is allowed and rewrites its history
        out = getattr(lib.nn.functional, name)(y, inplace=True)
        assert out is y
        return y

    check_op(fn, (3, 4), grad=True)
    same_error(lambda lib: getattr(lib.nn.functional, name)(
        lib.ones(2, requires_grad=True), inplace=True))


def test_inplace_underscore_functions():
    for name, args in (("relu_", ()), ("elu_", (0.5,)), ("leaky_relu_", (0.1,)),
                       ("hardtanh_", (-0.5, 0.5)), ("threshold_", (0.1, 20.0)), ("selu_", ()),
                       ("celu_", ()),):
        check_op(lambda lib, x, name=name, args=args: getattr(lib.nn.functional, name)(
            x * 1, *args), (3, 4), grad=True)


def test_softmax_implicit_dim_warns_and_picks_torchs_dim():
    for shape in ((3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)):
        x = np.random.default_rng(0).standard_normal(shape).astype("float32")
        for name in ("softmax", "log_softmax", "softmin"):
            with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}") as rec:
                e_out = getattr(ember.nn.functional, name)(ember.tensor(x))
            assert rec[0].filename == __file__  # the warning points at the caller, as torch's
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_out = getattr(torch.nn.functional, name)(torch.tensor(x))
            assert_same(e_out, t_out)
    with pytest.warns(UserWarning) as rec:
        ember.nn.Softmax()(ember.ones(2, 2))
    assert rec[0].filename == __file__


def test_one_hot():
    check_arrays(lambda lib, x: lib.nn.functional.one_hot(x), np.array([[1, 3], [0, 0]]))
    check_arrays(lambda lib, x: lib.nn.functional.one_hot(x, 5), np.array(2))
    check_arrays(lambda lib, x: lib.nn.functional.one_hot(x, 3), np.zeros(0, "int64"))
    for values, classes in (([1.0], -1), ([-1], -1), ([3], 2), ([], -1)):
        def fn(lib, values=values, classes=classes):
            return lib.nn.functional.one_hot(lib.tensor(values, dtype=None if values else
                                                        lib.long), classes)

        same_error(fn)


# -- modules ----------------------------------------------------------------------------------

ACTIVATIONS = [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU6(), lambda nn: nn.LeakyReLU(0.3),
    lambda nn: nn.PReLU(), lambda nn: nn.PReLU(3, init=0.1), lambda nn: nn.ELU(0.5),
    lambda nn: nn.SELU(), lambda nn: nn.CELU(2.0), lambda nn: nn.GELU(),
    lambda nn: nn.GELU("tanh"), lambda nn: nn.SiLU(), lambda nn: nn.Mish(),
    lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(), lambda nn: nn.Softplus(2, 5),
    lambda nn: nn.Softsign(), lambda nn: nn.Hardtanh(-2, 2), lambda nn: nn.Hardsigmoid(),
    lambda nn: nn.Hardswish(), lambda nn: nn.Threshold(0.1, 20), lambda nn: nn.LogSigmoid(),
    lambda nn: nn.Softmax(1), lambda nn: nn.LogSoftmax(dim=-1), lambda nn: nn.Softmin(0),
    lambda nn: nn.GLU(-1), lambda nn: nn.Tanhshrink(), lambda nn: nn.Softshrink(0.3),
    lambda nn: nn.Hardshrink(), lambda nn: nn.Softmax2d(), lambda nn: nn.Identity(3, k=1),
    lambda nn: nn.Flatten(), lambda nn: nn.Flatten(0, 1), lambda nn: nn.Unflatten(2, (2, 2)),
    lambda nn: nn.Linear(4, 3), lambda nn: nn.Linear(4, 2, bias=False),
]


@pytest.mark.parametrize("build", ACTIVATIONS)
def test_modules_forward_backward_repr(build):
    t_module, e_module = check_module(lambda lib: build(lib.nn), (2, 3, 4))
    same_repr(e_module, t_module)


@pytest.mark.parametrize("build", [
    lambda nn: nn.ReLU(inplace=True), lambda nn: nn.ReLU6(True), lambda nn: nn.ELU(inplace=True),
    lambda nn: nn.LeakyReLU(inplace=True), lambda nn: nn.SELU(True), lambda nn: nn.CELU(True),
    lambda nn: nn.SiLU(True), lambda nn: nn.Mish(True), lambda nn: nn.Hardtanh(0, 1, True),
    lambda nn: nn.Threshold(1, 2, True), lambda nn: nn.Hardswish(True),
])
def test_inplace_module_repr(build):
    same_repr(build(ember.nn), build(torch.nn))


def test_bilinear_module():
    t_module, e_module = check_module(lambda lib: lib.nn.Bilinear(3, 2, 4), (5, 3), (5, 2))
    same_repr(e_module, t_module)
    same_repr(ember.nn.Bilinear(1, 1, 1, bias=False), torch.nn.Bilinear(1, 1, 1, bias=False))


def test_module_errors():
    same_error(lambda lib: lib.nn.Hardtanh(1.0, -1.0))
    same_error(lambda lib: lib.nn.Unflatten(1, 4))
    same_error(lambda lib: lib.nn.Unflatten(1, (2, 2.0)))
    same_error(lambda lib: lib.nn.Softmax2d()(lib.ones(2, 2)))
    same_error(lambda lib: lib.nn.Linear(3, 2)(lib.ones(2, 4)))
