"""Pointwise, reduction and linear-algebra ops against torch, driven by one table of op specs.

Each spec is one line: a name, a lambda over (lib, *tensors), the input shapes, dtypes, the domain
of the random inputs, and whether gradients (and second derivatives) are checked. From the table:
- test_op compares values, dtypes, autograd metadata and input gradients with torch (check_op);
- test_gradcheck runs ember.autograd.gradcheck and gradgradcheck in float64.
Error cases, grad_fn names, namedtuple results and broadcasting (with hypothesis) follow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import ember
from tests.helpers import Spec, check_error, check_op, check_spec, make_array, spec_dtypes, torch


# in-place forms, on a clone so that a leaf requiring grad is not written to
def iadd(lib, a, b):
    a = a.clone()
    a += b
    return a


def isub(lib, a, b):
    a = a.clone()
    a -= b
    return a


def imul(lib, a, b):
    a = a.clone()
    a *= b
    return a


def idiv(lib, a, b):
    a = a.clone()
    a /= b
    return a


def ipow(lib, a):
    a = a.clone()
    a **= 2
    return a


def ifloordiv(lib, a, b):
    a = a.clone()
    a //= b
    return a


def imod(lib, a, b):
    a = a.clone()
    a %= b
    return a


def imatmul_chain(lib, a, b, c):
    return (a @ b) @ c


MAT = ((3, 4), (4, 5))
I64 = ("int64", "int64")
S = Spec
SPECS = [
    # -- arithmetic, both operand orders, in-place forms
    S("add", lambda lib, a, b: lib.add(a, b), ((3, 4), (4,))),
    S("add_op", lambda lib, a, b: a + b, ((2, 1, 3), (4, 1))),
    S("add_alpha", lambda lib, a, b: lib.add(a, b, alpha=2.5), ((3, 4), (3, 1))),
    S("add_scalar", lambda lib, a: a + 1.5, ((3, 4),)),
    S("radd_scalar", lambda lib, a: 2 + a, ((3, 4),)),
    S("add_0dim", lambda lib, a, b: a + b, ((), (3,))),
    S("add_int", lambda lib, a, b: a + b, ((3,), (2, 3)), I64, grad=False),
    S("add_mixed", lambda lib, a, b: a + b, ((3,), (3,)), ("int32", "float32")),
    S("add_half", lambda lib, a, b: a + b, ((3,), (3,)), ("float16", "float16"), gradgrad=False),
    S("add_bfloat16", lambda lib, a: a * 1.5 + 1, ((3,),), ("bfloat16",), gradgrad=False),
    S("add_", lambda lib, a, b: a.clone().add_(b, alpha=-0.5), ((3, 4), (4,))),
    S("iadd", iadd, ((3, 4), (4,))),
    S("iadd_int", lambda lib, a, b: iadd(lib, a, b), ((3,), (3,)), I64, grad=False),
    S("sub", lambda lib, a, b: lib.sub(a, b), ((3, 4), (3, 4))),
    S("sub_alpha", lambda lib, a, b: lib.sub(a, b, alpha=3), ((3, 4), (4,))),
    S("rsub_scalar", lambda lib, a: 2 - a, ((3, 4),)),
    S("rsub", lambda lib, a, b: lib.rsub(a, b, alpha=2), ((3,), (3,))),
    S("sub_", lambda lib, a, b: a.clone().sub_(b), ((3, 4), (4,))),
    S("isub", isub, ((3,), (3,))),
    S("mul", lambda lib, a, b: lib.mul(a, b), ((3, 4), (4,))),
    S("mul_self", lambda lib, a: a * a, ((3, 4),)),
    S("rmul_scalar", lambda lib, a: 0.5 * a, ((3, 4),)),
    S("mul_", lambda lib, a, b: a.clone().mul_(b), ((3, 4), (3, 4))),
    S("imul", imul, ((3,), ())),
    S("mul_int", lambda lib, a, b: a * b, ((3,), (3,)), ("int16", "uint8"), grad=False),
    S("div", lambda lib, a, b: lib.div(a, b), ((3, 4), (4,)), low=0.5),
    S("div_scalar", lambda lib, a: a / 4, ((3, 4),)),
    S("rdiv_scalar", lambda lib, a: 2 / a, ((3, 4),), low=0.5),
    S("div_int", lambda lib, a, b: a / b, ((3,), (3,)), I64, low=1, grad=False),
    S("div_floor", lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), ((3, 4), (4,)),
      low=0.5),
    S("div_trunc", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), ((5,), (5,)),
      low=0.5),
    S("div_trunc_int", lambda lib, a, b: lib.div(-a, b, rounding_mode="trunc"), ((5,), (5,)),
      I64, low=1, grad=False),
    S("div_", lambda lib, a, b: a.clone().div_(b), ((3,), (3,)), low=0.5),
    S("idiv", idiv, ((3, 4), (4,)), low=0.5),
    S("floor_divide", lambda lib, a, b: a // b, ((3, 4), (4,)), low=0.5, grad=False),
    S("floor_divide_int", lambda lib, a, b: (-a) // b, ((6,), (6,)), I64, low=1, grad=False),
    S("rfloordiv", lambda lib, a: 7 // a, ((4,),), I64, low=1, grad=False),
    S("ifloordiv", ifloordiv, ((4,), (4,)), I64, low=1, grad=False),
    S("remainder", lambda lib, a, b: a % b, ((3, 4), (4,)), low=0.5),
    S("remainder_neg", lambda lib, a, b: lib.remainder(-a, b), ((6,), (6,)), I64, low=1,
      grad=False),
    S("rremainder", lambda lib, a: 7 % a, ((4,),), I64, low=1, grad=False),
    S("imod", imod, ((4,), (4,)), low=0.5),
    S("fmod", lambda lib, a, b: lib.fmod(a, b), ((3, 4), (4,)), low=0.5),
    S("fmod_scalar", lambda lib, a: lib.fmod(-a, 1.5), ((3, 4),), low=0.1),
    S("pow_scalar", lambda lib, a: a ** 2.5, ((3, 4),), low=0.5),
    S("pow_int_exp", lambda lib, a: lib.pow(a, 3), ((3, 4),)),
    S("pow_neg_exp", lambda lib, a: a ** -1.5, ((3, 4),), low=0.5),
    S("pow_zero_exp", lambda lib, a: a ** 0, ((3,),)),
    S("pow_tensor", lambda lib, a, b: lib.pow(a, b), ((3, 4), (4,)), low=0.5),
    S("rpow", lambda lib, a: 2.5 ** a, ((3, 4),)),
    S("pow_int", lambda lib, a: a ** 2, ((4,),), ("int64",), grad=False),
    S("pow_int_negative_tensor", lambda lib, a, b: a ** (-b.abs() - 1), ((7,), (7,)), I64,
      grad=False),
    S("ipow", ipow, ((3,),)),
    S("neg", lambda lib, a: -a, ((3, 4),)),
    S("neg_", lambda lib, a: a.clone().neg_(), ((3,),)),
    S("positive", lambda lib, a: +a, ((3,),)),
    # -- unary math
    S("abs", lambda lib, a: lib.abs(a), ((3, 4),)),
    S("abs_int", lambda lib, a: abs(a), ((5,),), ("int32",), grad=False),
    S("exp", lambda lib, a: lib.exp(a), ((3, 4),)),
    S("exp_", lambda lib, a: a.clone().exp_(), ((3,),)),
    S("exp_int", lambda lib, a: a.exp(), ((3,),), ("int64",), grad=False),
    S("log", lambda lib, a: lib.log(a), ((3, 4),), low=0.5),
    S("log_nonpositive", lambda lib, a: lib.log(a - 1), ((6,),), low=-1, high=1, grad=False),
    S("log2", lambda lib, a: a.log2(), ((3, 4),), low=0.5),
    S("log10", lambda lib, a: a.log10(), ((3, 4),), low=0.5),
    S("log1p", lambda lib, a: a.log1p(), ((3, 4),), low=-0.5),
    S("expm1", lambda lib, a: a.expm1(), ((3, 4),)),
    S("sqrt", lambda lib, a: lib.sqrt(a), ((3, 4),), low=0.5),
    S("sqrt_", lambda lib, a: a.clone().sqrt_(), ((3,),), low=0.5),
    S("rsqrt", lambda lib, a: a.rsqrt(), ((3, 4),), low=0.5),
    S("reciprocal", lambda lib, a: a.reciprocal(), ((3, 4),), low=0.5),
    S("square", lambda lib, a: a.square(), ((3, 4),)),
    S("sigmoid", lambda lib, a: lib.sigmoid(a), ((3, 4),), low=-6, high=6),
    S("sigmoid_", lambda lib, a: a.clone().sigmoid_(), ((3,),)),
    S("tanh", lambda lib, a: lib.tanh(a), ((3, 4),)),
    S("relu", lambda lib, a: lib.relu(a), ((3, 4),)),
    S("relu_", lambda lib, a: a.clone().relu_(), ((3, 4),)),
    S("relu_int", lambda lib, a: a.relu(), ((5,),), ("int64",), grad=False),
    S("sin", lambda lib, a: a.sin(), ((3, 4),)),
    S("cos", lambda lib, a: a.cos(), ((3, 4),)),
    S("tan", lambda lib, a: a.tan(), ((3, 4),), low=-1.2, high=1.2),
    S("sign", lambda lib, a: a.sign(), ((3, 4),)),
    # (times a: torch's own gradient of sgn is a ZeroTensor, which has no .numpy())
    S("sgn", lambda lib, a: a.sgn() * a, ((3, 4),)),
    S("floor", lambda lib, a: a.floor(), ((3, 4),)),
    S("ceil", lambda lib, a: a.ceil(), ((3, 4),)),
    S("round", lambda lib, a: a.round(), ((3, 4),)),
    S("round_half_even", lambda lib, a: (a * 0 + lib.arange(-3, 3) + 0.5).round(), ((6,),)),
    S("round_decimals", lambda lib, a: a.round(decimals=2), ((3, 4),)),
    S("trunc", lambda lib, a: a.trunc(), ((3, 4),)),
    S("frac", lambda lib, a: a.frac(), ((3, 4),)),
    S("clamp", lambda lib, a: lib.clamp(a, -1, 1), ((3, 4),)),
    S("clamp_min", lambda lib, a: a.clamp(min=0.5), ((3, 4),)),
    S("clamp_max", lambda lib, a: a.clamp(max=0.5), ((3, 4),)),
    S("clamp_min_fn", lambda lib, a: lib.clamp_min(a, 0.5), ((3, 4),)),
    S("clamp_int_float", lambda lib, a: a.clamp(0.5, 1.5), ((5,),), ("int64",), grad=False),
    S("clamp_tensor", lambda lib, a, b: lib.clamp(a, b - 1, b + 1), ((3, 4), (4,))),
    S("clamp_", lambda lib, a: a.clone().clamp_(-1, 1), ((3, 4),)),
    S("clip", lambda lib, a: a.clip(-1, 2), ((3, 4),)),
    S("maximum", lambda lib, a, b: lib.maximum(a, b), ((3, 4), (4,))),
    S("minimum", lambda lib, a, b: lib.minimum(a, b), ((3, 4), (3, 1))),
    S("maximum_ties", lambda lib, a: lib.maximum(a, a.clone()), ((3,),), gradgrad=False),
    S("lerp", lambda lib, a, b: lib.lerp(a, b, 0.3), ((3, 4), (4,))),
    S("addcmul", lambda lib, a, b, c: lib.addcmul(a, b, c, value=0.5), ((3, 4), (4,), (3, 1))),
    S("addcdiv", lambda lib, a, b, c: lib.addcdiv(a, b, c, value=2), ((3,), (3,), (3,)),
      low=0.5),
    # -- comparisons, logical and bitwise ops (no gradient)
    S("eq", lambda lib, a, b: a == b.round(), ((3, 4), (4,)), grad=False),
    S("ne", lambda lib, a, b: lib.ne(a, b), ((3, 4), (3, 4)), I64, grad=False),
    S("lt", lambda lib, a, b: a < b, ((3, 4), (4,)), grad=False),
    S("le", lambda lib, a, b: lib.le(a, b), ((3, 4), (4,)), I64, grad=False),
    S("gt_scalar", lambda lib, a: a > 0, ((3, 4),), grad=False),
    S("ge_reflected", lambda lib, a: 0.5 <= a, ((3, 4),), grad=False),
    S("logical_and", lambda lib, a, b: lib.logical_and(a, b), ((4,), (4,)), ("bool", "int64"),
      grad=False),
    S("logical_or", lambda lib, a, b: lib.logical_or(a, b), ((4,), (4,)), ("float32", "bool"),
      grad=False),
    S("logical_xor", lambda lib, a, b: a.logical_xor(b), ((4,), (4,)), ("bool", "bool"),
      grad=False),
    S("logical_not", lambda lib, a: lib.logical_not(a), ((4,),), grad=False),
    S("bitwise_and", lambda lib, a, b: a & b, ((4,), (4,)), I64, grad=False),
    S("bitwise_or_bool", lambda lib, a, b: a | b, ((4,), (4,)), ("bool", "bool"), grad=False),
    S("bitwise_xor", lambda lib, a, b: lib.bitwise_xor(a, b), ((4,), (4,)), ("int32", "uint8"),
      grad=False),
    S("bitwise_not", lambda lib, a: ~a, ((4,),), ("int64",), grad=False),
    S("invert_bool", lambda lib, a: ~a, ((4,),), ("bool",), grad=False),
    S("isnan", lambda lib, a: lib.isnan(lib.log(a)), ((6,),), grad=False),
    S("isinf", lambda lib, a: (1 / a.round()).isinf(), ((6,),), grad=False),
    S("isfinite", lambda lib, a: (a.round() / a.round()).isfinite(), ((6,),), grad=False),
    S("isclose", lambda lib, a, b: lib.isclose(a, a + b * 1e-6, rtol=1e-6), ((6,), (6,)),
      grad=False),
    S("allclose_equal", lambda lib, a, b: (lib.allclose(a, b), a.allclose(a), lib.equal(a, a),
                                           a.equal(b), lib.equal(a, a[:2])), ((3,), (3,)),
      grad=False),
    # -- torch's aliases
    S("true_divide", lambda lib, a, b: lib.true_divide(a, b), ((3,), (3,)), low=0.5),
    S("subtract_multiply_divide", lambda lib, a, b: a.subtract(b).multiply(b).divide(b),
      ((3,), (3,)), low=0.5),
    S("absolute_negative", lambda lib, a: a.absolute().negative(), ((3,),)),
    S("greater_less", lambda lib, a, b: (a.greater(b), a.less_equal(b), a.not_equal(b)),
      ((3,), (3,)), grad=False),
    # -- matrix products
    S("matmul", lambda lib, a, b: lib.matmul(a, b), MAT),
    S("matmul_op", lambda lib, a, b: a @ b, MAT),
    S("matmul_1d_2d", lambda lib, a, b: a @ b, ((4,), (4, 5))),
    S("matmul_2d_1d", lambda lib, a, b: a @ b, ((3, 4), (4,))),
    S("matmul_1d_1d", lambda lib, a, b: a @ b, ((4,), (4,))),
    S("matmul_3d_2d", lambda lib, a, b: a @ b, ((2, 3, 4), (4, 5))),
    S("matmul_2d_3d", lambda lib, a, b: a @ b, ((3, 4), (2, 4, 5))),
    S("matmul_batch_bcast", lambda lib, a, b: a @ b, ((2, 1, 3, 4), (5, 4, 2))),
    S("matmul_1d_3d", lambda lib, a, b: a @ b, ((4,), (2, 4, 5))),
    S("matmul_3d_1d", lambda lib, a, b: a @ b, ((2, 3, 4), (4,))),
    S("matmul_chain", imatmul_chain, ((2, 3), (3, 4), (4, 2))),
    S("matmul_int", lambda lib, a, b: a @ b, MAT, I64, grad=False),
    S("matmul_f64", lambda lib, a, b: a @ b, MAT, ("float64", "float64")),
    S("mm", lambda lib, a, b: lib.mm(a, b), MAT),
    S("mm_transposed", lambda lib, a, b: a.t().mm(b.t()), ((4, 3), (5, 4))),
    S("bmm", lambda lib, a, b: lib.bmm(a, b), ((2, 3, 4), (2, 4, 5))),
    S("mv", lambda lib, a, b: lib.mv(a, b), ((3, 4), (4,))),
    S("dot", lambda lib, a, b: lib.dot(a, b), ((5,), (5,))),
    # -- reductions
    S("sum", lambda lib, a: a.sum(), ((3, 4),)),
    S("sum_dim", lambda lib, a: lib.sum(a, 1), ((3, 4),)),
    S("sum_neg_dim_keepdim", lambda lib, a: a.sum(-1, keepdim=True), ((2, 3, 4),)),
    S("sum_dims", lambda lib, a: a.sum((0, 2)), ((2, 3, 4),)),
    S("sum_dtype", lambda lib, a: a.sum(dtype=lib.float64), ((3, 4),)),
    S("sum_int", lambda lib, a: a.sum(0), ((3, 4),), ("int32",), grad=False),
    S("sum_bool", lambda lib, a: a.sum(), ((3, 4),), ("bool",), grad=False),
    S("sum_0dim", lambda lib, a: a.sum(0), ((),)),
    S("mean", lambda lib, a: a.mean(), ((3, 4),)),
    S("mean_dim", lambda lib, a: lib.mean(a, 0), ((3, 4),)),
    S("mean_dims_keepdim", lambda lib, a: a.mean((-1, 0), keepdim=True), ((2, 3, 4),)),
    S("mean_dtype", lambda lib, a: a.mean(dtype=lib.float64), ((3, 4),)),
    S("mean_int_dtype", lambda lib, a: a.mean(dtype=lib.float32), ((3, 4),), ("int64",),
      grad=False),
    S("mean_half", lambda lib, a: a.mean(1), ((3, 40),), ("float16",), gradgrad=False),
    S("prod", lambda lib, a: a.prod(), ((3, 4),), low=0.5, high=1.5),
    S("prod_dim", lambda lib, a: a.prod(1, keepdim=True), ((3, 4),)),
    S("prod_with_zero", lambda lib, a: (a * (lib.arange(4) != 1)).prod(1), ((3, 4),)),
    S("prod_int", lambda lib, a: a.prod(0), ((3, 4),), ("int16",), grad=False),
    S("max", lambda lib, a: a.max(), ((3, 4),)),
    S("max_dim", lambda lib, a: lib.max(a, 1), ((3, 4),)),
    S("max_dim_keepdim", lambda lib, a: a.max(0, keepdim=True), ((3, 4),)),
    S("max_pair", lambda lib, a, b: lib.max(a, b), ((3, 4), (4,))),
    S("max_ties", lambda lib, a: (a * 0 + lib.tensor([1.0, 3.0, 3.0, 2.0])).max(), ((4,),),
      gradgrad=False),
    S("max_int_dim", lambda lib, a: a.max(0), ((3, 4),), ("int64",), grad=False),
    S("min", lambda lib, a: lib.min(a), ((3, 4),)),
    S("min_dim", lambda lib, a: a.min(-1), ((2, 3, 4),)),
    S("min_pair", lambda lib, a, b: a.min(b), ((3, 4), (3, 4))),
    S("amax", lambda lib, a: lib.amax(a, (0, 2)), ((2, 3, 4),)),
    S("amin", lambda lib, a: a.amin(1, keepdim=True), ((3, 4),)),
    S("argmax", lambda lib, a: a.argmax(), ((3, 4),), grad=False),
    S("argmax_dim", lambda lib, a: lib.argmax(a, 1, keepdim=True), ((3, 4),), grad=False),
    S("argmin_dim", lambda lib, a: a.argmin(0), ((3, 4),), ("int32",), grad=False),
    S("argmax_dim_of_empty", lambda lib, a: a.argmax(-1), ((0, 4),), grad=False),
    S("argmin_keepdim_of_empty", lambda lib, a: a.argmin(1, keepdim=True), ((0, 4),),
      grad=False),
    S("norm", lambda lib, a: a.norm(), ((3, 4),)),
    S("norm_fro", lambda lib, a: lib.norm(a, "fro"), ((3, 4),)),
    S("norm_p1_dim", lambda lib, a: a.norm(p=1, dim=1), ((3, 4),)),
    S("norm_p3_dims", lambda lib, a: a.norm(p=3, dim=(0, 1), keepdim=True), ((2, 3, 4),)),
    S("norm_inf", lambda lib, a: a.norm(p=math.inf, dim=0), ((3, 4),)),
    S("norm_neg_inf", lambda lib, a: a.norm(p=-math.inf), ((3, 4),)),
    S("norm_p0", lambda lib, a: a.norm(p=0, dim=1), ((3, 4),), gradgrad=False),
    S("var", lambda lib, a: a.var(), ((3, 4),)),
    S("var_dim_biased", lambda lib, a: a.var(1, unbiased=False), ((3, 4),)),
    S("var_correction", lambda lib, a: lib.var(a, 0, correction=0, keepdim=True), ((3, 4),)),
    S("std", lambda lib, a: a.std(), ((3, 4),)),
    S("std_dim", lambda lib, a: lib.std(a, (0, 1), keepdim=True), ((2, 3, 4),)),
    S("logsumexp", lambda lib, a: a.logsumexp(1), ((3, 4),)),
    S("logsumexp_dims", lambda lib, a: lib.logsumexp(a * 50, (0, 1), keepdim=True), ((3, 4),)),
    S("softmax_method", lambda lib, a: a.softmax(1), ((3, 4),)),
    S("softmax_fn_dtype", lambda lib, a: lib.softmax(a * 30, 0, dtype=lib.float64), ((3, 4),)),
    S("log_softmax_method", lambda lib, a: a.log_softmax(-1), ((3, 4),)),
    S("log_softmax_fn", lambda lib, a: lib.log_softmax(a * 30, dim=0), ((3, 4),)),
    S("cumsum", lambda lib, a: a.cumsum(1), ((3, 4),)),
    S("cumsum_neg_dim", lambda lib, a: lib.cumsum(a, -2), ((3, 4),)),
    S("cumsum_int", lambda lib, a: a.cumsum(0), ((5,),), ("int8",), grad=False),
    S("cumsum_dtype", lambda lib, a: a.cumsum(0, dtype=lib.float64), ((5,),)),
    S("all", lambda lib, a: a.all(), ((3, 4),), ("bool",), grad=False),
    S("all_dim", lambda lib, a: a.all(1), ((3, 4),), ("int64",), grad=False),
    S("any_dim", lambda lib, a: lib.any(a, 0, keepdim=True), ((3, 4),), ("bool",), grad=False),
    S("any_uint8", lambda lib, a: a.any(), ((3, 4),), ("uint8",), grad=False),
]

SPEC_IDS = [s.name for s in SPECS]
assert len(set(SPEC_IDS)) == len(SPEC_IDS), "spec names must be unique"


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_op(spec):
    check_spec(spec)


GRAD_SPECS = [s for s in SPECS if s.grad and any(d.startswith("float") for d in spec_dtypes(s))
              and "half" not in s.name and "bfloat16" not in s.name]


@pytest.mark.parametrize("spec", GRAD_SPECS, ids=[s.name for s in GRAD_SPECS])
def test_gradcheck(spec):
    """gradcheck and gradgradcheck with torch's defaults, in float64."""
    rng = np.random.default_rng(1)
    inputs = []
    for shape, dtype in zip(spec.shapes, spec_dtypes(spec)):
        array = make_array(shape, dtype, rng, spec.low, spec.high)
        t = ember.tensor(array.astype("float64") if dtype.startswith("float") else array)
        inputs.append(t.requires_grad_(True) if t.is_floating_point() else t)

    def fn(*xs):
        out = spec.fn(ember, *xs)
        if isinstance(out, tuple):  # max(dim) and friends: the values are differentiable
            out = out[0]
        return out

    assert ember.autograd.gradcheck(fn, inputs)
    if spec.gradgrad:
        assert ember.autograd.gradgradcheck(fn, inputs)


# -- errors: both raise, with the same exception class ---------------------------------------

ERRORS = [
    ("add_shape_mismatch", lambda lib, a, b: a + b, ((3,), (4,)), None),
    ("mul_shape_mismatch", lambda lib, a, b: lib.mul(a, b), ((2, 3), (3, 2)), None),
    ("inplace_broadcast_to_smaller", lambda lib, a, b: a.add_(b), ((3,), (2, 3)), None),
    ("matmul_mismatch", lambda lib, a, b: a @ b, ((3, 4), (5, 6)), None),
    ("matmul_1d_mismatch", lambda lib, a, b: a @ b, ((3,), (4,)), None),
    ("matmul_batch_mismatch", lambda lib, a, b: a @ b, ((2, 3, 4), (3, 4, 5)), None),
    ("matmul_0d", lambda lib, a, b: lib.matmul(a, b), ((), (3,)), None),
    ("matmul_dtype_mismatch", lambda lib, a, b: a @ b, ((3, 4), (4, 5)), ("float32", "float64")),
    ("mm_not_matrix", lambda lib, a, b: lib.mm(a, b), ((2, 3, 4), (4, 5)), None),
    ("mm_mismatch", lambda lib, a, b: lib.mm(a, b), ((3, 4), (3, 4)), None),
    ("bmm_2d", lambda lib, a, b: lib.bmm(a, b), ((3, 4), (4, 5)), None),
    ("bmm_batch_mismatch", lambda lib, a, b: lib.bmm(a, b), ((2, 3, 4), (3, 4, 5)), None),
    ("mv_mismatch", lambda lib, a, b: lib.mv(a, b), ((3, 4), (5,)), None),
    ("mv_not_vector", lambda lib, a, b: lib.mv(a, b), ((3, 4), (4, 1)), None),
    ("dot_2d", lambda lib, a, b: lib.dot(a, b), ((3, 4), (4,)), None),
    ("dot_dtype_mismatch", lambda lib, a, b: lib.dot(a, b), ((3,), (3,)), ("float32", "int64")),
    ("dot_size_mismatch", lambda lib, a, b: lib.dot(a, b), ((3,), (4,)), None),
    ("mean_int", lambda lib, a: a.mean(), ((3,),), ("int64",)),
    ("mean_bool", lambda lib, a: lib.mean(a, 0), ((3,),), ("bool",)),
    ("var_int", lambda lib, a: a.var(), ((3,),), ("int32",)),
    ("norm_int", lambda lib, a: a.norm(), ((3,),), ("int64",)),
    ("norm_fro_3_dims", lambda lib, a: a.norm(dim=(0, 1, 2)), ((2, 2, 2),), None),
    ("neg_bool", lambda lib, a: -a, ((3,),), ("bool",)),
    ("sub_bool", lambda lib, a, b: a - b, ((3,), (3,)), ("bool", "bool")),
    ("positive_bool", lambda lib, a: +a, ((3,),), ("bool",)),
    ("sum_dim_out_of_range", lambda lib, a: a.sum(2), ((3, 4),), None),
    ("sum_dim_repeated", lambda lib, a: a.sum((0, 0)), ((3, 4),), None),
    ("max_dim_out_of_range", lambda lib, a: a.max(-3), ((3, 4),), None),
    ("max_empty", lambda lib, a: a.max(), ((0,),), None),
    ("max_dim_empty", lambda lib, a: a.max(0), ((0, 3),), None),
    ("argmax_empty", lambda lib, a: a.argmax(), ((0,),), None),
    ("argmax_empty_dim", lambda lib, a: a.argmax(1), ((3, 0),), None),
    ("cumsum_dim_out_of_range", lambda lib, a: a.cumsum(1), ((3,),), None),
    ("int_negative_power", lambda lib, a: a ** -1, ((3,),), ("int64",)),
    ("int_division_by_zero", lambda lib, a: a // (a * 0), ((3,),), ("int64",)),
    ("int_remainder_by_zero", lambda lib, a: a % (a * 0), ((3,),), ("int64",)),
    ("div_bad_rounding_mode", lambda lib, a: lib.div(a, 2, rounding_mode="round"), ((3,),),
     None),
    ("inplace_int_float", lambda lib, a: a.add_(1.5), ((3,),), ("int64",)),
    ("inplace_int_div", lambda lib, a: a.div_(2), ((3,),), ("int64",)),
    ("inplace_exp_int", lambda lib, a: a.exp_(), ((3,),), ("int64",)),
    ("inplace_leaf_requires_grad", lambda lib, a: a.requires_grad_().add_(1), ((3,),), None),
    ("clamp_no_bounds", lambda lib, a: lib.clamp(a), ((3,),), None),
    ("clamp_mixed_bounds", lambda lib, a, b: lib.clamp(a, 0, b), ((3,), (3,)), None),
    ("maximum_scalar", lambda lib, a: lib.maximum(a, 1), ((3,),), None),
    ("logical_and_scalar", lambda lib, a: lib.logical_and(a, True), ((3,),), None),
    ("bitwise_float", lambda lib, a, b: a & b, ((3,), (3,)), None),
    ("invert_float", lambda lib, a: ~a, ((3,),), None),
    ("lt_complex", lambda lib, a: a < 1j, ((3,),), None),
    ("add_int_float_alpha", lambda lib, a, b: lib.add(a, b, alpha=0.5), ((3,), (3,)), I64),
    ("relu_bool", lambda lib, a: a.relu(), ((3,),), ("bool",)),
    ("floor_divide_backward", lambda lib, a: (a.requires_grad_() // 2).sum().backward(), ((3,),),
     None),
    ("item_many", lambda lib, a: a.sum(0).item(), ((3, 2),), None),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_error(case):
    _, fn, shapes, dtypes = case
    check_error(fn, *shapes, dtypes=list(dtypes) if dtypes else None)


def test_error_messages():
    """torch's messages, where users search for them."""
    a, b = ember.ones(3), ember.ones(4)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 0"):
        a + b
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(3x4 and 5x6\)"):
        ember.ones(3, 4) @ ember.ones(5, 6)
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype. Input dtype "
                                           "must be either a floating point or complex dtype. "
                                           "Got: Long"):
        ember.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is not "
                                           "supported"):
        -ember.tensor([True])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        ember.tensor([1, 2]).add_(1.5)
    with pytest.raises(NotImplementedError, match="\"bitwise_and_cpu\" not implemented for "
                                                  "'Float'"):
        ember.ones(2) & ember.ones(2)


@pytest.mark.parametrize("name", ["add", "sub", "rsub"])
@pytest.mark.parametrize("alpha", [1, 1.0, True, 1 + 0j, 2, 2.5])
@pytest.mark.parametrize("dtype", ["int64", "float32", "bool", "complex64"])
def test_alpha_is_checked_even_when_it_equals_one(name, alpha, dtype):
    """torch checks alpha's type against the result's whatever its value: alpha=1.0 with
    integers, True with non-bools, a complex 1 with reals are errors, with torch's message."""
    outcomes = []
    for lib in (torch, ember):
        a, b = lib.ones(3, dtype=getattr(lib, dtype)), lib.ones(3, dtype=getattr(lib, dtype))
        try:
            outcomes.append(getattr(lib, name)(a, b, alpha=alpha))
        except RuntimeError as error:
            outcomes.append(str(error))
    if isinstance(outcomes[0], str):
        assert outcomes[1] == outcomes[0]
    else:
        assert not isinstance(outcomes[1], str), outcomes[1]
        np.testing.assert_array_equal(outcomes[1].numpy(), outcomes[0].numpy())
        assert str(outcomes[1].dtype).split(".")[1] == str(outcomes[0].dtype).split(".")[1]


# -- grad_fn names ---------------------------------------------------------------------------

GRAD_FN_CASES = {
    "AddBackward0": lambda lib, x: x + x,
    "AddBackward0 (scalar)": lambda lib, x: x + 1,
    "SubBackward0": lambda lib, x: x - x,
    "RsubBackward1": lambda lib, x: 2 - x,
    "MulBackward0": lambda lib, x: x * x,
    "MulBackward0 (scalar)": lambda lib, x: x * 2,
    "MulBackward0 (rdiv)": lambda lib, x: 2 / x,
    "DivBackward0": lambda lib, x: x / x,
    "DivBackward2": lambda lib, x: lib.div(x, 2, rounding_mode="floor"),
    "NegBackward0": lambda lib, x: -x,
    "PowBackward0": lambda lib, x: x ** 2,
    "PowBackward1": lambda lib, x: x ** x,
    "PowBackward2": lambda lib, x: 2 ** x,
    "ExpBackward0": lambda lib, x: x.exp(),
    "LogBackward0": lambda lib, x: x.log(),
    "SqrtBackward0": lambda lib, x: x.sqrt(),
    "SigmoidBackward0": lambda lib, x: x.sigmoid(),
    "TanhBackward0": lambda lib, x: x.tanh(),
    "ReluBackward0": lambda lib, x: x.relu(),
    "AbsBackward0": lambda lib, x: x.abs(),
    "ClampBackward1": lambda lib, x: x.clamp(0, 1),
    "ClampBackward0": lambda lib, x: x.clamp(x, x),
    "ClampMinBackward0": lambda lib, x: lib.clamp_min(x, 0),
    "MaximumBackward0": lambda lib, x: lib.maximum(x, x),
    "SumBackward0": lambda lib, x: x.sum(),
    "SumBackward1": lambda lib, x: x.sum(0),
    "MeanBackward0": lambda lib, x: x.mean(),
    "MeanBackward1": lambda lib, x: x.mean(1),
    "ProdBackward0": lambda lib, x: x.prod(),
    "ProdBackward1": lambda lib, x: x.prod(0),
    "MaxBackward1": lambda lib, x: x.max(),
    "MaxBackward0": lambda lib, x: x.max(0).values,
    "MinBackward0": lambda lib, x: x.min(1)[0],
    "AmaxBackward0": lambda lib, x: x.amax(0),
    "LinalgVectorNormBackward0": lambda lib, x: x.norm(),
    "LogsumexpBackward0": lambda lib, x: x.logsumexp(0),
    "CumsumBackward0": lambda lib, x: x.cumsum(0),
    "MmBackward0": lambda lib, x: x @ x.t(),
    "MmBackward0 (mm)": lambda lib, x: lib.mm(x, x.t()),
    "MvBackward0": lambda lib, x: x @ x[0],
    "DotBackward0": lambda lib, x: x[0] @ x[0],
    "BmmBackward0": lambda lib, x: lib.bmm(x[None], x.t()[None]),
    "UnsafeViewBackward0": lambda lib, x: x[None].expand(2, 3, 3) @ x,
    "AddBackward0 (in-place)": lambda lib, x: x.clone().add_(1),
}


@pytest.mark.parametrize("case", list(GRAD_FN_CASES))
def test_grad_fn_name(case):
    fn = GRAD_FN_CASES[case]
    data = np.random.default_rng(0).uniform(0.5, 2, (3, 3)).astype("float32")
    t_out = fn(torch, torch.tensor(data, requires_grad=True))
    e_out = fn(ember, ember.tensor(data, requires_grad=True))
    assert e_out.grad_fn.name() == t_out.grad_fn.name()
    assert repr(e_out).endswith(f"grad_fn=<{t_out.grad_fn.name()}>)")


# -- max / min overloads and their namedtuple results -----------------------------------------


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_overloads(name):
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    fn = getattr(ember, name)
    full = fn(x)
    assert full.ndim == 0 and full.item() == (7.0 if name == "max" else 0.0)
    result = fn(x, 1)
    assert type(result).__name__ == name == type(getattr(torch, name)(torch.ones(2, 2), 1)).__name__
    values, indices = result
    assert result.values is values and result.indices is indices
    assert indices.dtype is ember.int64
    expected = [1, 0] if name == "max" else [0, 1]  # torch picks the first of tied extremes
    assert indices.tolist() == expected
    kept = getattr(x, name)(dim=-1, keepdim=True)
    assert kept.values.shape == (2, 1) and kept.indices.shape == (2, 1)
    pair = fn(x, ember.full((3,), 3.0))
    assert pair.shape == (2, 3)


def test_max_nan_propagates():
    check_op(lambda lib, a: (a.log().max(), a.log().max(0), a.log().amax(1)), (3, 4),
             inputs=[np.array([[1, 2, -1, 3], [1, 2, 3, 4], [-1, 5, 1, 1]], "float32")])


# -- out= and dtype= arguments ----------------------------------------------------------------


def test_out_argument():
    def fn(lib, a, b):
        out = lib.empty(3, 4)
        result = lib.add(a, b, out=out)
        return result is out, out, lib.mul(a, 2, out=lib.empty(0)), lib.matmul(
            a, b.t(), out=lib.empty(3, 3)), lib.sum(a, 1, out=lib.empty(3))

    check_op(fn, (3, 4), (3, 4))


def test_out_argument_cast_error():
    check_error(lambda lib, a: lib.add(a, 1.5, out=lib.empty(3, dtype=lib.int64)), (3,))


# -- broadcasting, with hypothesis -------------------------------------------------------------

BROADCAST_OPS = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / (b.abs() + 1),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "pow": lambda lib, a, b: a.abs() ** b,
    "where_gt": lambda lib, a, b: (a > b) & (b < 1),
}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
       name=st.sampled_from(sorted(BROADCAST_OPS)),
       dtypes=st.sampled_from([("float32", "float32"), ("float64", "float32"),
                               ("int64", "float32"), ("float32", "int32")]))
def test_broadcast_binary(shapes, name, dtypes):
    a_shape, b_shape = shapes.input_shapes
    # a float64 input meeting a float32 one gets a gradient summed in float32: float32 tolerance
    check_op(BROADCAST_OPS[name], a_shape, b_shape, dtypes=list(dtypes), grad=True, low=0.5,
             rtol=1.3e-5, atol=1e-5)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(batch=mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
       n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3),
       vector=st.sampled_from(["none", "left", "right", "both"]))
def test_broadcast_matmul(batch, n, k, m, vector):
    a_batch, b_batch = batch.input_shapes
    a_shape = (k,) if vector in ("left", "both") else (*a_batch, n, k)
    b_shape = (k,) if vector in ("right", "both") else (*b_batch, k, m)
    check_op(lambda lib, a, b: a @ b, a_shape, b_shape, grad=True)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=4), data=st.data())
def test_reduction_dims(shape, data):
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                              max_size=len(shape), unique_by=lambda d: d % len(shape)))
    keepdim = data.draw(st.booleans())
    name = data.draw(st.sampled_from(["sum", "mean", "amax", "norm", "logsumexp", "var"]))
    kwargs = {"p": 2} if name == "norm" else {}  # torch's default 'fro' takes at most 2 dims
    check_op(lambda lib, a: getattr(a, name)(dim=tuple(dims), keepdim=keepdim, **kwargs),
             tuple(shape), grad=True)


def test_floating_point_warnings_stay_inside_ember():
    """NumPy's 'invalid value' warnings inside Ember's ops are not shown (torch has none),
    while the user's own NumPy code keeps its warnings."""
    import subprocess
    import sys

    code = ("import numpy as np, ember\n"
            "x = ember.tensor([float('inf'), -float('inf')])\n"
            "print(x.sum().item(), x.sum(0).item(), x.mean().item())\n"
            "np.array([np.inf, -np.inf]).sum()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.split() == ["nan", "nan", "nan"]
    assert run.stderr.count("RuntimeWarning") == 1 and "numpy" in run.stderr
