"""var, std, var_mean, std_mean and dist as single Ops, against torch: values, dtypes, the node
torch shows (VarBackward0, StdBackward0, VarMeanBackward0, StdMeanBackward0, DistBackward0, in
grad_fn and in the printed tensor), gradients for a random upstream gradient (real and complex),
gradcheck and gradgradcheck in float64, warnings for degrees of freedom <= 0 and errors.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_error, check_op, torch

MOMENTS = {
    "var": lambda lib, a: lib.var(a),
    "var_dim": lambda lib, a: lib.var(a, 1),
    "var_dims_keepdim": lambda lib, a: a.var((0, 2), keepdim=True),
    "var_biased": lambda lib, a: a.var(1, unbiased=False),
    "var_positional_unbiased": lambda lib, a: lib.var(a, False),
    "var_correction": lambda lib, a: lib.var(a, -1, correction=2.5),
    "std": lambda lib, a: a.std(),
    "std_dim": lambda lib, a: lib.std(a, 2, keepdim=True),
    "std_correction0": lambda lib, a: lib.std(a, (1, 2), correction=0),
    "var_mean": lambda lib, a: lib.var_mean(a),
    "var_mean_dim": lambda lib, a: lib.var_mean(a, (0, 1), keepdim=True),
    "var_mean_correction": lambda lib, a: lib.var_mean(a, 1, correction=0),
    "std_mean": lambda lib, a: lib.std_mean(a, 0),
    "std_mean_positional": lambda lib, a: lib.std_mean(a, False),
    "var_mean_only_mean": lambda lib, a: lib.var_mean(a, 2)[1],
    "std_mean_only_std": lambda lib, a: lib.std_mean(a, 2)[0],
}
SHAPE = (2, 3, 4)


@pytest.mark.parametrize("name", list(MOMENTS))
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
def test_moments_values_and_grads(name, dtype):
    check_op(MOMENTS[name], SHAPE, dtype=dtype, grad=True)


@pytest.mark.parametrize("name", ["var", "std_dim", "var_mean_dim", "std_mean"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_moments_half_precision(name, dtype):
    check_op(MOMENTS[name], SHAPE, dtype=dtype, grad=True)


@pytest.mark.parametrize("name", list(MOMENTS))
def test_moments_gradcheck(name):
    x = ember.tensor(np.random.default_rng(1).standard_normal(SHAPE), requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: MOMENTS[name](ember, t), [x])
    assert ember.autograd.gradgradcheck(lambda t: MOMENTS[name](ember, t), [x])


@pytest.mark.parametrize("shape, fn", [
    ((), lambda lib, a: lib.var(a, 0, correction=0)),
    ((), lambda lib, a: lib.std(a, correction=0)),
    ((5,), lambda lib, a: lib.var(a, 0)),
    ((1, 3), lambda lib, a: lib.std_mean(a, 0, keepdim=True)),
], ids=["var_0d", "std_0d", "var_1d_dim", "std_mean_keepdim"])
@pytest.mark.filterwarnings("ignore:std_mean.... degrees of freedom")
def test_small_shapes(shape, fn):
    check_op(fn, shape, dtype="float64", grad=True)


def test_std_of_constant_has_zero_gradient():
    """torch's std_backward masks the division by std == 0."""
    check_op(lambda lib, a: lib.std(a * 0, 1), (3, 4), dtype="float64", grad=True)


DOF_CASES = {
    "var_all": lambda lib, a: lib.var(a, correction=12),
    "var_dim_equal": lambda lib, a: lib.var(a, 1, correction=4),
    "var_dim_over": lambda lib, a: lib.var(a, 1, correction=5),
    "std_dim_equal": lambda lib, a: lib.std(a, 0, correction=3),
    "var_mean_all": lambda lib, a: lib.var_mean(a, correction=20),
    "std_mean_dim": lambda lib, a: lib.std_mean(a, 0, correction=3),
    "var_empty_dim_list": lambda lib, a: lib.var(a, []),
}


@pytest.mark.parametrize("name", list(DOF_CASES))
def test_degrees_of_freedom_not_positive(name):
    """inf / nan results and gradients as torch's, with its warning (var(x, []) reduces all
    dims but torch's backward divides by 1 - correction: it is matched too)."""
    fn = DOF_CASES[name]
    messages = []
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(lib, lib.ones(3, 4))
        messages.append([re.sub(r" \(Triggered internally.*", "", str(w.message))
                         for w in caught if "degrees of freedom" in str(w.message)])
    assert messages[0] == messages[1]
    assert len(messages[1]) == (0 if name == "var_empty_dim_list" else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(fn, (3, 4), dtype="float64", grad=True)


def test_var_of_empty_is_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda lib, a: (lib.var(a), lib.var(a, 0), lib.std_mean(a, 1)), (0, 3),
                 dtype="float64")


DIST = {
    "p2": lambda lib, a, b: lib.dist(a, b),
    "p3_method": lambda lib, a, b: a.dist(b, 3),
    "p1": lambda lib, a, b: lib.dist(a, b, 1),
    "p_half": lambda lib, a, b: lib.dist(a, b, 0.5),
    "p1_5": lambda lib, a, b: lib.dist(a, b, 1.5),
    "p_neg": lambda lib, a, b: lib.dist(a, b, -2),
    "p_inf": lambda lib, a, b: lib.dist(a, b, math.inf),
    "p_neg_inf": lambda lib, a, b: lib.dist(a, b, -math.inf),
}


@pytest.mark.parametrize("name", list(DIST))
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_dist_values_and_grads(name, dtype):
    check_op(DIST[name], (3, 4), (4,), dtype=dtype, grad=True)


@pytest.mark.parametrize("name", ["p2", "p3_method", "p1_5", "p_neg"])
def test_dist_gradcheck(name):
    rng = np.random.default_rng(2)
    a = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = ember.tensor(rng.standard_normal((4,)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, y: DIST[name](ember, x, y), [a, b])
    assert ember.autograd.gradgradcheck(lambda x, y: DIST[name](ember, x, y), [a, b])


def test_dist_promotion_and_half():
    check_op(lambda lib, a, b: lib.dist(a, b), (2, 3), (3,), dtypes=["float64", "float32"],
             grad=True)
    check_op(lambda lib, a, b: lib.dist(a, b, 3), (5,), (5,), dtype="float16")
    check_op(lambda lib, a, b: lib.dist(a, b), (5,), (5,), dtypes=["int64", "float32"])


def test_dist_p0():
    """The count of differing elements; torch's backward fails when ``other`` needs a
    gradient and gives none to ``input`` otherwise."""
    check_op(lambda lib, a, b: lib.dist(a, b, 0), (5,), (5,), dtype="float64")
    for lib in (torch, ember):
        a = lib.ones(3, dtype=lib.float64, requires_grad=True)
        lib.dist(a, lib.zeros(3, dtype=lib.float64), 0).backward()
        assert a.grad is None
    check_error(lambda lib, a, b: lib.dist(a.requires_grad_(), b.requires_grad_(), 0).backward(),
                (3,), (3,))


def test_dist_of_equal_tensors_has_zero_gradient():
    check_op(lambda lib, a: lib.dist(a, a.detach() * 1), (4,), dtype="float64", grad=True)


@pytest.mark.parametrize("fn, node", [
    (lambda lib, a: lib.var(a), "VarBackward0"),
    (lambda lib, a: a.var(0), "VarBackward0"),
    (lambda lib, a: lib.std(a, 1), "StdBackward0"),
    (lambda lib, a: lib.var_mean(a, 1)[0], "VarMeanBackward0"),
    (lambda lib, a: lib.var_mean(a)[1], "VarMeanBackward0"),
    (lambda lib, a: lib.std_mean(a, 0)[1], "StdMeanBackward0"),
    (lambda lib, a: lib.dist(a, a * 2), "DistBackward0"),
    (lambda lib, a: lib.var(a.to(lib.complex128)), "VarBackward0"),
])
def test_grad_fn_and_repr_match_torch(fn, node):
    t = torch.tensor([[1.0, 2.0], [3.5, -1.0]], dtype=torch.float64, requires_grad=True)
    e = ember.tensor([[1.0, 2.0], [3.5, -1.0]], dtype=ember.float64, requires_grad=True)
    t_out, e_out = fn(torch, t), fn(ember, e)
    assert type(t_out.grad_fn).__name__ == node
    assert type(e_out.grad_fn).__name__ == node
    assert repr(e_out).replace("ember.", "torch.") == repr(t_out)


def test_var_mean_outputs_share_one_node():
    for lib in (torch, ember):
        x = lib.ones(2, 3, requires_grad=True)
        for fn in (lib.var_mean, lib.std_mean):
            v, m = fn(x, 1)
            assert v.grad_fn is m.grad_fn


ERRORS = [
    (lambda lib, a: lib.var(a), ("int64",)),
    (lambda lib, a: a.std(), ("int32",)),
    (lambda lib, a: lib.var_mean(a), ("int64",)),
    (lambda lib, a: lib.std_mean(a, 0), ("bool",)),
    (lambda lib, a: lib.var(a, 1, True, correction=1), ("float32",)),
    (lambda lib, a: lib.std(a, unbiased=True, correction=0), ("float32",)),
    (lambda lib, a: lib.var(a, 2), ("float32",)),
    (lambda lib, a: lib.var(a, (0, 0)), ("float32",)),
    (lambda lib, a: lib.dist(a, 2.0), ("float32",)),
    (lambda lib, a: lib.dist(a, a), ("int64",)),
    (lambda lib, a: lib.dist(a, a[:1, :1].reshape(1).expand(3)), ("float32",)),
    (lambda lib, a: lib.dist(a[:0], a[:0], math.inf), ("float32",)),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case):
    fn, dtypes = ERRORS[case]
    e, t = check_error(fn, (2, 2), dtypes=list(dtypes))
    if isinstance(t, RuntimeError):
        assert str(e) == str(t).split("\n")[0]


def test_out_argument():
    x = np.random.default_rng(3).standard_normal((3, 4))
    for lib in (torch, ember):
        out = lib.empty(3, dtype=lib.float64)
        assert lib.var(lib.tensor(x), 1, out=out) is out
        assert lib.std(lib.tensor(x), 1, correction=0, out=out) is out
    assert_same(ember.var(ember.tensor(x), 1), torch.var(torch.tensor(x), 1))


def test_logsumexp_complex_grad():
    """A reduction of the same family: its complex gradient is conjugated as torch's."""
    check_op(lambda lib, a: lib.logsumexp(a, 0), (3, 2), dtype="complex128", grad=True)
