"""Sorting and selection against torch: sort, argsort, msort, topk, kthvalue, median, nanmedian,
mode, cummax, cummin, aminmax, unique, unique_consecutive, searchsorted, bucketize, bincount,
histc, histogram, count_nonzero, isin.

One table of op specs drives the forward / dtype / gradient comparison (check_op) and gradcheck;
``tied`` inputs (rounded to integers, keeping the gradient path) check that equal values pick
torch's indices, so the gradient lands where torch's does. Errors, grad_fn names, the named
tuples, out= and a randomised tie battery follow.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from tests.helpers import (
    Spec,
    assert_same,
    check_error,
    check_op,
    check_spec,
    make_array,
    spec_dtypes,
    torch,
)

NAN = float("nan")



def tied(a):
    """a rounded to integers (many equal values) with its gradient path intact."""
    return a.detach().round() + (a - a.detach())


def nans(lib, a):
    """a with NaN where it is above 1.5 (no gradient checks on these)."""
    return lib.where(a > 1.5, NAN, a)


S = Spec
F16, BF16, I64, I32, U8, B = ("float16",), ("bfloat16",), ("int64",), ("int32",), ("uint8",), (
    "bool",)
SPECS = [
    # -- sort / argsort / msort
    S("sort", lambda lib, a: lib.sort(a), ((3, 5),)),
    S("sort_dim0_desc", lambda lib, a: a.sort(0, True), ((4, 3),)),
    S("sort_3d", lambda lib, a: lib.sort(a, dim=1, descending=True, stable=True), ((2, 4, 3),)),
    S("sort_tied_stable", lambda lib, a: lib.sort(tied(a), stable=True), ((4, 9),), gradgrad=False),
    S("sort_tied_desc", lambda lib, a: tied(a).sort(descending=True, stable=True), ((3, 20),),
      gradgrad=False),
    S("sort_0dim", lambda lib, a: lib.sort(a, 0), ((),)),
    S("sort_empty", lambda lib, a: lib.sort(a, 0), ((0, 3),)),
    S("sort_int_desc", lambda lib, a: lib.sort(a, descending=True, stable=True), ((4, 7),), I64),
    S("sort_uint8", lambda lib, a: a.sort(stable=True), ((9,),), U8),
    S("sort_bool", lambda lib, a: lib.sort(a, descending=True, stable=True), ((10,),), B),
    S("sort_half", lambda lib, a: lib.sort(a), ((3, 5),), F16, gradgrad=False),
    S("sort_bfloat16", lambda lib, a: lib.sort(a, 0, True), ((5, 3),), BF16, gradgrad=False),
    S("sort_nan", lambda lib, a: (lib.sort(nans(lib, a)), lib.sort(nans(lib, a), 0, True)),
      ((4, 6),), grad=False),
    S("argsort", lambda lib, a: lib.argsort(a, 0, True), ((4, 3),)),
    S("argsort_stable", lambda lib, a: a.argsort(stable=True, descending=True), ((20,),), I64),
    S("msort", lambda lib, a: lib.msort(a), ((4, 3),)),
    S("msort_0dim", lambda lib, a: a.msort(), ((),)),
    # -- topk
    S("topk", lambda lib, a: lib.topk(a, 3), ((4, 6),)),
    S("topk_smallest_dim0", lambda lib, a: a.topk(2, 0, largest=False), ((5, 3),)),
    S("topk_unsorted", lambda lib, a: lib.topk(a, 5, sorted=False), ((3, 9),)),
    S("topk_unsorted_smallest", lambda lib, a: a.topk(6, 1, False, False), ((2, 20),)),
    S("topk_partial_sort", lambda lib, a: lib.topk(a, 2, sorted=False), ((2, 130),),
      gradgrad=False),
    S("topk_tied", lambda lib, a: lib.topk(tied(a), 4), ((5, 12),), gradgrad=False),
    S("topk_tied_unsorted", lambda lib, a: tied(a).topk(7, sorted=False), ((3, 30),),
      gradgrad=False),
    S("topk_tied_partial", lambda lib, a: tied(a).topk(3, largest=False), ((2, 200),),
      gradgrad=False),
    S("topk_int", lambda lib, a: lib.topk(a, 4), ((3, 10),), I64),
    S("topk_k0", lambda lib, a: lib.topk(a, 0), ((3, 4),)),
    S("topk_0dim", lambda lib, a: (lib.topk(a, 1), lib.topk(a, 0)), ((),)),
    S("topk_nan", lambda lib, a: (lib.topk(nans(lib, a), 3), lib.topk(nans(lib, a), 3,
                                                                        largest=False)),
      ((3, 8),), grad=False),
    S("topk_half", lambda lib, a: lib.topk(a, 2), ((3, 5),), F16, gradgrad=False),
    # -- kthvalue
    S("kthvalue", lambda lib, a: lib.kthvalue(a, 2), ((3, 5),)),
    S("kthvalue_dim0_keepdim", lambda lib, a: a.kthvalue(3, 0, True), ((4, 3),)),
    S("kthvalue_tied", lambda lib, a: lib.kthvalue(tied(a), 5), ((6, 11),), gradgrad=False),
    S("kthvalue_int", lambda lib, a: lib.kthvalue(a, 4, 0), ((9, 3),), I32),
    S("kthvalue_0dim", lambda lib, a: lib.kthvalue(a, 1), ((),)),
    S("kthvalue_nan", lambda lib, a: lib.kthvalue(nans(lib, a), 5), ((4, 6),), grad=False),
    # -- median / nanmedian
    S("median", lambda lib, a: lib.median(a), ((3, 5),)),
    S("median_even", lambda lib, a: a.median(), ((4,),)),
    S("median_dim", lambda lib, a: lib.median(a, 0), ((4, 3),)),
    S("median_dim_keepdim", lambda lib, a: a.median(-1, keepdim=True), ((3, 6),)),
    S("median_tied", lambda lib, a: (lib.median(tied(a)), lib.median(tied(a), 1)), ((4, 7),),
      gradgrad=False),
    S("median_int", lambda lib, a: (a.median(), a.median(1)), ((3, 6),), I64),
    S("median_nan", lambda lib, a: (lib.median(nans(lib, a)), lib.median(nans(lib, a), 1)),
      ((4, 5),), grad=False),
    S("median_empty_dim", lambda lib, a: a.median(1), ((0, 3),)),
    S("median_0dim", lambda lib, a: (a.median(), a.median(0)), ((),)),
    S("nanmedian", lambda lib, a: (lib.nanmedian(a), a.nanmedian(1)), ((3, 5),)),
    S("nanmedian_nan", lambda lib, a: (lib.nanmedian(nans(lib, a)), nans(lib, a).nanmedian(0)),
      ((5, 4),), low=-1.0, high=4.0, grad=False),
    S("nanmedian_all_nan", lambda lib, a: (nans(lib, a + 9).nanmedian(1), nans(lib, a + 9)
                                          .nanmedian()), ((2, 7),), grad=False),
    S("nanmedian_tied", lambda lib, a: lib.nanmedian(tied(a), 0), ((7, 3),), gradgrad=False),
    # -- mode
    S("mode", lambda lib, a: lib.mode(a), ((3, 5),)),
    S("mode_tied", lambda lib, a: (lib.mode(tied(a)), tied(a).mode(0, True)), ((6, 8),),
      gradgrad=False),
    S("mode_tied_long", lambda lib, a: lib.mode(tied(a)), ((3, 40),), gradgrad=False),
    S("mode_int", lambda lib, a: (a.mode(), a.mode(0)), ((30, 20),), I64),
    S("mode_bool", lambda lib, a: lib.mode(a, 0), ((9, 4),), B),
    S("mode_nan", lambda lib, a: lib.mode(nans(lib, tied(a))), ((4, 20),), grad=False),
    S("mode_0dim", lambda lib, a: lib.mode(a), ((),)),
    # -- cummax / cummin
    S("cummax", lambda lib, a: lib.cummax(a, 1), ((3, 5),)),
    S("cummin_dim0", lambda lib, a: a.cummin(0), ((5, 3),)),
    S("cummax_tied", lambda lib, a: (lib.cummax(tied(a), 1), lib.cummin(tied(a), 1)), ((3, 9),),
      gradgrad=False),
    S("cummax_int", lambda lib, a: (a.cummax(0), a.cummin(0)), ((7,),), U8),
    S("cummax_bool", lambda lib, a: a.cummax(0), ((7,),), B),
    S("cummax_nan", lambda lib, a: (lib.cummax(nans(lib, a), 0), lib.cummin(nans(lib, a), 0)),
      ((9,),), grad=False),
    S("cummax_0dim", lambda lib, a: lib.cummax(a, 0), ((),)),
    # -- aminmax
    S("aminmax", lambda lib, a: lib.aminmax(a), ((3, 5),)),
    S("aminmax_dim", lambda lib, a: a.aminmax(dim=0, keepdim=True), ((4, 3),)),
    S("aminmax_tied", lambda lib, a: (tied(a).aminmax(), lib.aminmax(tied(a), dim=1)),
      ((3, 6),), low=-1.4, high=1.4, gradgrad=False),
    S("aminmax_int", lambda lib, a: lib.aminmax(a, dim=-1), ((3, 4),), I64),
    S("aminmax_0dim", lambda lib, a: (a.aminmax(), a.aminmax(dim=0, keepdim=True)), ((),)),
    S("aminmax_keepdim_all", lambda lib, a: a.aminmax(keepdim=True), ((2, 3),)),
]

# -- ops without gradients: unique, search, counting, histograms
NOGRAD = [
    S("unique", lambda lib, a: lib.unique(a), ((20,),), I64),
    S("unique_all", lambda lib, a: lib.unique(a, sorted=False, return_inverse=True,
                                              return_counts=True), ((4, 5),), I64),
    S("unique_float", lambda lib, a: a.round().unique(return_counts=True), ((12,),)),
    S("unique_nan", lambda lib, a: lib.unique(nans(lib, a.round()), return_inverse=True,
                                              return_counts=True), ((12,),)),
    S("unique_dim0", lambda lib, a: lib.unique(a, dim=0, return_inverse=True,
                                               return_counts=True), ((6, 2),), U8),
    S("unique_dim1", lambda lib, a: a.unique(False, True, True, dim=1), ((2, 7),), I64),
    S("unique_0dim", lambda lib, a: lib.unique(a, return_inverse=True, return_counts=True), ((),),
      I64),
    S("unique_empty", lambda lib, a: lib.unique(a, return_inverse=True, return_counts=True),
      ((0,),)),
    S("unique_bool_half", lambda lib, a: (a.unique(), a.half().unique(), a.bfloat16().unique()),
      ((9,),), B),
    S("unique_consecutive", lambda lib, a: lib.unique_consecutive(a, return_inverse=True,
                                                                  return_counts=True), ((15,),),
      I64, low=0, high=2),
    S("unique_consecutive_dim", lambda lib, a: a.unique_consecutive(True, True, 0), ((6, 2),),
      I64, low=0, high=1),
    S("unique_consecutive_nan", lambda lib, a: nans(lib, a.round()).unique_consecutive(
        return_counts=True), ((12,),)),
    S("searchsorted", lambda lib, a, b: lib.searchsorted(a.sort().values, b), ((9,), (3, 4))),
    S("searchsorted_right", lambda lib, a, b: (
        lib.searchsorted(a.sort().values, b, right=True),
        lib.searchsorted(a.sort().values, b, side="right", out_int32=True)), ((9,), (7,)), I64 * 2),
    S("searchsorted_nd", lambda lib, a, b: lib.searchsorted(a.sort().values, b),
      ((2, 3, 6), (2, 3, 4))),
    S("searchsorted_scalar", lambda lib, a: (lib.searchsorted(a.sort().values, 1),
                                             lib.searchsorted(a.sort().values, 0.5, right=True)),
      ((8,),), I64),
    S("searchsorted_mixed", lambda lib, a, b: lib.searchsorted(a.sort().values, b), ((9,), (5,)),
      ("int64", "float32")),
    S("searchsorted_sorter", lambda lib, a, b: lib.searchsorted(a, b, sorter=a.argsort()),
      ((2, 7), (2, 3))),
    S("searchsorted_nan", lambda lib, a, b: lib.searchsorted(nans(lib, a).sort().values, nans(
        lib, b)), ((7,), (9,))),
    S("searchsorted_empty", lambda lib, a, b: lib.searchsorted(a, b), ((0,), (3,))),
    S("bucketize", lambda lib, a, b: (lib.bucketize(b, a.sort().values),
                                      lib.bucketize(b, a.sort().values, right=True,
                                                    out_int32=True)), ((6,), (3, 4)), I64 * 2),
    S("bucketize_scalar", lambda lib, a: lib.bucketize(1.5, a.sort().values), ((6,),)),
    S("bincount", lambda lib, a: (lib.bincount(a), a.bincount(minlength=9)), ((12,),), I64, low=0,
      high=5),
    S("bincount_weights", lambda lib, a, w: (lib.bincount(a, w), lib.bincount(a, w.double()),
                                             lib.bincount(a, w.half()), lib.bincount(a, a)),
      ((12,), (12,)), ("int64", "float32"), low=0, high=5),
    S("bincount_uint8_empty", lambda lib, a: (lib.bincount(a), lib.bincount(a[:0], minlength=3),
                                              lib.bincount(a[:0], a[:0].float())), ((8,),), U8,
      low=0, high=5),
    S("histc", lambda lib, a: lib.histc(a, bins=7, min=-2, max=2), ((50,),)),
    S("histc_auto", lambda lib, a: (a.histc(), lib.histc(a.round(), 4), a.double().histc(5)),
      ((4, 6),)),
    S("histc_constant", lambda lib, a: (lib.histc(a * 0 + 2, 4), lib.histc(a[:0], 3)), ((5,),)),
    S("histc_half", lambda lib, a: (lib.histc(a, 6), lib.histc(a.bfloat16(), 6)), ((30,),), F16),
    S("histc_nan", lambda lib, a: lib.histc(nans(lib, a), 5, min=-3, max=3), ((20,),)),
    S("histogram", lambda lib, a: lib.histogram(a, 5), ((40,),)),
    S("histogram_range", lambda lib, a: a.histogram(6, range=(-1.0, 2.0)), ((3, 10),)),
    S("histogram_weight_density", lambda lib, a, w: lib.histogram(
        a, 4, weight=w.abs(), density=True), ((30,), (30,)), ("float64", "float64")),
    S("histogram_edges", lambda lib, a: lib.histogram(a, a.new_tensor([-3.0, -1.0, 0.5, 3.0])),
      ((25,),)),
    S("histogram_edges_density", lambda lib, a: lib.histogram(a, a.new_tensor([-2.0, 0.0, 2.5]),
                                                              density=True), ((25,),)),
    S("histogram_constant_empty", lambda lib, a: (lib.histogram(a * 0 + 1, 2),
                                                  lib.histogram(a[:0], 3)), ((4,),)),
    S("count_nonzero", lambda lib, a: (lib.count_nonzero(a), a.count_nonzero(1),
                                       lib.count_nonzero(a, (0, 1)), a.count_nonzero([0])),
      ((3, 4),), I64, low=-1, high=1),
    S("count_nonzero_float", lambda lib, a: (nans(lib, a.round()).count_nonzero(),
                                             lib.count_nonzero(a[0, 0], 0)), ((3, 4),)),
    S("isin", lambda lib, a, b: (lib.isin(a, b), lib.isin(a, b, invert=True),
                                 lib.isin(a, b, assume_unique=True)), ((3, 4), (5,)), I64 * 2),
    S("isin_scalars", lambda lib, a: (lib.isin(a, 2), lib.isin(2, a), lib.isin(a, 2.5),
                                      lib.isin(a[0, 0], a)), ((3, 4),), I64, low=0),
    S("isin_mixed_nan", lambda lib, a, b: (lib.isin(a, b.round()), lib.isin(nans(lib, a), nans(
        lib, a))), ((9,), (4,)), ("float32", "int64")),
]
NOGRAD = [s._replace(grad=False) for s in NOGRAD]

SPEC_IDS = [s.name for s in SPECS + NOGRAD]
assert len(set(SPEC_IDS)) == len(SPEC_IDS), "spec names must be unique"


@pytest.mark.parametrize("spec", SPECS + NOGRAD, ids=SPEC_IDS)
def test_op(spec):
    check_spec(spec)


GRAD_SPECS = [s for s in SPECS if s.grad and s.gradgrad and spec_dtypes(s)[0] == "float32"]


@pytest.mark.parametrize("spec", GRAD_SPECS, ids=[s.name for s in GRAD_SPECS])
def test_gradcheck(spec):
    """gradcheck and gradgradcheck with torch's defaults, in float64 (distinct inputs)."""
    rng = np.random.default_rng(1)
    inputs = [ember.tensor(make_array(s, "float64", rng, spec.low, spec.high),
                           requires_grad=True) for s in spec.shapes]

    def fn(*xs):
        return spec.fn(ember, *xs)

    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(fn, inputs)


ALONG_DIM = {
    "sort": lambda lib, x, dim, k, flag: lib.sort(x, dim, flag),
    "topk": lambda lib, x, dim, k, flag: x.topk(k, dim, flag, flag),
    "kthvalue": lambda lib, x, dim, k, flag: x.kthvalue(max(k, 1), dim, flag),
    "median": lambda lib, x, dim, k, flag: lib.median(x, dim, flag),
    "nanmedian": lambda lib, x, dim, k, flag: x.nanmedian(dim, flag),
    "mode": lambda lib, x, dim, k, flag: lib.mode(x, dim, flag),
    "cummax": lambda lib, x, dim, k, flag: x.cummin(dim) if flag else lib.cummax(x, dim),
    "aminmax": lambda lib, x, dim, k, flag: lib.aminmax(x, dim=dim, keepdim=flag),
    "unique_dim": lambda lib, x, dim, k, flag: x.detach().round().unique(
        dim=dim, return_inverse=True, return_counts=flag),
}


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_along_any_dim(shape, data):
    """Every dim of random shapes, values and gradients against torch."""
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(0, shape[dim]))
    name, flag = data.draw(st.sampled_from(sorted(ALONG_DIM))), data.draw(st.booleans())
    check_op(lambda lib, a: ALONG_DIM[name](lib, a, dim, k, flag), tuple(shape), grad=True)


# -- errors: both raise, with the same exception class (and torch's message where given) -----

C64 = ("complex64",)
ERRORS = [
    ("sort_dim", lambda lib, a: a.sort(2), ((3, 4),), None, "Dimension out of range"),
    ("sort_complex", lambda lib, a: lib.sort(a), ((3,),), C64, "Sort does not support complex"),
    ("sort_out_dtype", lambda lib, a: lib.sort(a, out=(lib.empty(0), lib.empty(0))), ((3,),), None,
     "Expected out tensor to have dtype long int, but got float instead"),
    ("argsort_complex", lambda lib, a: a.argsort(), ((3,),), C64, None),
    ("topk_k_big", lambda lib, a: a.topk(5), ((3, 4),), None, "selected index k out of range"),
    ("topk_k_negative", lambda lib, a: lib.topk(a, -1), ((3,),), None, None),
    ("topk_0dim_k2", lambda lib, a: a.topk(2), ((),), None, None),
    ("topk_bool", lambda lib, a: a.topk(1), ((3,),), B, "topk does not support bool dtypes"),
    ("topk_complex", lambda lib, a: a.topk(1), ((3,),), C64, None),
    ("topk_k_float", lambda lib, a: a.topk(1.0), ((3,),), None, None),
    ("kthvalue_k0", lambda lib, a: a.kthvalue(0), ((3, 4),), None,
     "kthvalue(): selected number k out of range for dimension 1"),
    ("kthvalue_k_big", lambda lib, a: lib.kthvalue(a, 4, 0), ((3, 4),), None, None),
    ("kthvalue_empty", lambda lib, a: a.kthvalue(1), ((0,),), None,
     "kthvalue(): Expected reduction dim 0 to have non-zero size."),
    ("kthvalue_bool", lambda lib, a: a.kthvalue(1), ((3,),), B,
     "\"kthvalue_cpu\" not implemented for 'Bool'"),
    ("kthvalue_k_bool", lambda lib, a: a.kthvalue(True), ((3,),), None, None),
    ("median_bool", lambda lib, a: a.median(), ((3,),), B, "\"median_cpu\" not implemented"),
    ("median_dim_complex", lambda lib, a: lib.median(a, 0), ((3,),), C64, None),
    ("median_empty_dim", lambda lib, a: a.median(0), ((0, 3),), None,
     "median(): Expected reduction dim 0 to have non-zero size."),
    ("nanmedian_bool_dim", lambda lib, a: a.nanmedian(0), ((3,),), B, None),
    ("median_keepdim_only", lambda lib, a: lib.median(a, keepdim=True), ((3,),), None, None),
    ("median_out_no_dim", lambda lib, a: lib.median(a, out=lib.empty(0)), ((3,),), None, None),
    ("mode_complex", lambda lib, a: a.mode(), ((3,),), C64, None),
    ("mode_empty", lambda lib, a: lib.mode(a), ((0,),), None,
     "mode(): Expected reduction dim 0 to have non-zero size."),
    ("cummax_complex", lambda lib, a: a.cummax(0), ((3,),), C64, None),
    ("cummax_no_dim", lambda lib, a: lib.cummax(a), ((3,),), None, None),
    ("cummin_dim", lambda lib, a: a.cummin(1), ((3,),), None, None),
    ("aminmax_empty", lambda lib, a: a.aminmax(), ((0,),), None,
     "aminmax(): cannot compute aminmax over an empty dimension"),
    ("aminmax_empty_dim", lambda lib, a: lib.aminmax(a, dim=0), ((0, 3),), None, None),
    ("aminmax_complex", lambda lib, a: a.aminmax(), ((3,),), C64, None),
    ("aminmax_dims", lambda lib, a: a.aminmax(dim=(0, 1)), ((2, 3),), None, None),
    ("unique_complex", lambda lib, a: a.unique(), ((3,),), C64, None),
    ("unique_0dim_dim", lambda lib, a: lib.unique(a, dim=0), ((),), None, None),
    ("unique_dim_range", lambda lib, a: lib.unique(a, dim=2), ((2, 2),), None, None),
    ("unique_empty_other_dim", lambda lib, a: lib.unique(a, dim=1), ((0, 3),), None,
     "There are 0 sized dimensions, and they aren't selected"),
    ("searchsorted_side_conflict", lambda lib, a: lib.searchsorted(a, a, side="left", right=True),
     ((3,),), None, "side and right can't be set to opposites"),
    ("searchsorted_side_bad", lambda lib, a: lib.searchsorted(a, a, side="middle"), ((3,),), None,
     None),
    ("searchsorted_0dim", lambda lib, a: lib.searchsorted(a, a), ((),), None,
     "boundaries tensor should have positive dimension"),
    ("searchsorted_shape", lambda lib, a, b: lib.searchsorted(a, b), ((2, 3), (1, 3)), None,
     "boundaries tensor should be 1 dimension or the first N-1 dimensions"),
    ("searchsorted_scalar_nd", lambda lib, a: lib.searchsorted(a, 1.0), ((2, 3),), None, None),
    ("searchsorted_sorter_dtype", lambda lib, a: lib.searchsorted(a, a, sorter=a.int()), ((3,),),
     None, "sorter must be a tensor of long dtype but got dtype Int"),
    ("searchsorted_sorter_size", lambda lib, a: lib.searchsorted(a, a, sorter=a.long()[:2]),
     ((3,),), None, None),
    ("searchsorted_sorter_range", lambda lib, a: lib.searchsorted(
        a, a, sorter=lib.tensor([0, 1, 3])), ((3,),), None, "sorter index out of range"),
    ("searchsorted_bool", lambda lib, a: lib.searchsorted(a, a), ((3,),), B, None),
    ("searchsorted_complex", lambda lib, a: lib.searchsorted(a, a), ((3,),), C64, None),
    ("searchsorted_out_dtype", lambda lib, a: lib.searchsorted(a, a, out=lib.empty(0)), ((3,),),
     None, "output tensor's dtype is wrong"),
    ("bucketize_2d", lambda lib, a: lib.bucketize(a, a), ((2, 2),), None,
     "boundaries tensor must be 1 dimension, but got dim(2)"),
    ("bincount_negative", lambda lib, a: lib.bincount(a - 5), ((3,),), I64,
     "bincount only supports 1-d non-negative integral inputs."),
    ("bincount_float", lambda lib, a: lib.bincount(a), ((3,),), None, None),
    ("bincount_2d", lambda lib, a: lib.bincount(a.abs()), ((2, 2),), I64, None),
    ("bincount_bool", lambda lib, a: lib.bincount(a), ((3,),), B, None),
    ("bincount_minlength", lambda lib, a: lib.bincount(a.abs(), minlength=-1), ((3,),), I64,
     "minlength should be >= 0"),
    ("bincount_weights", lambda lib, a: lib.bincount(a.abs(), a[:2].float()), ((3,),), I64,
     "weights should be 1-d and have the same length as input"),
    ("histc_int", lambda lib, a: lib.histc(a), ((3,),), I64, None),
    ("histc_bool", lambda lib, a: lib.histc(a), ((3,),), B, None),
    ("histc_bins", lambda lib, a: lib.histc(a, bins=0), ((3,),), None, "bins must be > 0"),
    ("histc_min_max", lambda lib, a: lib.histc(a, 4, min=3, max=1), ((3,),), None,
     "torch.histc: max must be larger than min"),
    ("histc_inf", lambda lib, a: lib.histc(a / 0), ((3,),), None, "is not finite"),
    ("histogram_int", lambda lib, a: lib.histogram(a, 3), ((3,),), I64, None),
    ("histogram_half", lambda lib, a: lib.histogram(a, 3), ((3,),), F16, None),
    ("histogram_weight_dtype", lambda lib, a: lib.histogram(a, 2, weight=a.double()), ((3,),),
     None, "input tensor and weight tensor should have the same dtype"),
    ("histogram_weight_shape", lambda lib, a: lib.histogram(a, 2, weight=a[:2]), ((3,),), None,
     None),
    ("histogram_bins", lambda lib, a: lib.histogram(a, 0), ((3,),), None, None),
    ("histogram_range_order", lambda lib, a: lib.histogram(a, 2, range=(3.0, 1.0)), ((3,),), None,
     "min should not exceed max, but got min 3 max 1 for dimension 0"),
    ("histogram_range_size", lambda lib, a: lib.histogram(a, 2, range=(0.0, 1.0, 2.0)), ((3,),),
     None, None),
    ("histogram_range_inf", lambda lib, a: lib.histogram(a, 2, range=(0.0, math.inf)), ((3,),),
     None, "dimension 0's range [0, inf] is not finite"),
    ("histogram_nan", lambda lib, a: lib.histogram(a.log(), 2), ((3,),), None, None),
    ("histogram_edges_dtype", lambda lib, a: lib.histogram(a, a.long()), ((3,),), None,
     "bins for dimension 0 with dtype long int"),
    ("histogram_edges_2d", lambda lib, a: lib.histogram(a, a[None]), ((3,),), None, None),
    ("histogram_edges_empty", lambda lib, a: lib.histogram(a, a[:0]), ((3,),), None, None),
    ("histogram_edges_one", lambda lib, a: lib.histogram(a, a[:1]), ((3,),), None, None),
    ("isin_bool", lambda lib, a: lib.isin(a, a), ((3,),), B,
     "Unsupported input type encountered for isin(): Bool"),
    ("isin_complex", lambda lib, a: lib.isin(a, a), ((3,),), C64, None),
    ("isin_scalars", lambda lib, a: lib.isin(2, 2), ((3,),), None, None),
    ("count_nonzero_dims", lambda lib, a: lib.count_nonzero(a, (0, 0)), ((2, 2),), None,
     "dim 0 appears multiple times in the list of dims"),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_error(case):
    _, fn, shapes, dtypes, match = case
    check_error(fn, *shapes, dtypes=list(dtypes) * len(shapes) if dtypes else None, match=match)


# -- grad_fn names, and ops whose node has no derivative --------------------------------------

GRAD_FN_CASES = {
    "SortBackward0": lambda lib, x: x.sort(0).values,
    "SortBackward0 (msort)": lambda lib, x: lib.msort(x),
    "TopkBackward0": lambda lib, x: x.topk(2)[0],
    "KthvalueBackward0": lambda lib, x: x.kthvalue(2).values,
    "MedianBackward0": lambda lib, x: x.median(),
    "MedianBackward1": lambda lib, x: x.median(1).values,
    "NanmedianBackward0": lambda lib, x: x.nanmedian(),
    "NanmedianBackward1": lambda lib, x: lib.nanmedian(x, 0)[0],
    "ModeBackward0": lambda lib, x: x.mode().values,
    "CummaxBackward0": lambda lib, x: x.cummax(0).values,
    "CumminBackward0": lambda lib, x: lib.cummin(x, 1)[0],
    "AminmaxBackward0": lambda lib, x: x.aminmax().max,
    "AminmaxBackward0 (min, dim)": lambda lib, x: x.aminmax(dim=0).min,
    "Unique2Backward0": lambda lib, x: x.unique(),
    "UniqueConsecutiveBackward0": lambda lib, x: x.unique_consecutive(),
    "UniqueConsecutiveBackward0 (dim)": lambda lib, x: x.unique_consecutive(dim=0),
    "UniqueDimBackward0": lambda lib, x: x.unique(dim=1),
    "torch::autograd::NotImplemented": lambda lib, x: x.histogram(3).hist,
    "torch::autograd::NotImplemented (edges)": lambda lib, x: lib.histogram(x, 3).bin_edges,
    "torch::autograd::NotImplemented (bincount)": lambda lib, x: lib.bincount(
        lib.tensor([0, 2, 2]), x[0]),
}


@pytest.mark.parametrize("case", list(GRAD_FN_CASES))
def test_grad_fn_name(case):
    fn = GRAD_FN_CASES[case]
    data = np.random.default_rng(0).uniform(0.5, 2, (3, 3)).astype("float32")
    t_out = fn(torch, torch.tensor(data, requires_grad=True))
    e_out = fn(ember, ember.tensor(data, requires_grad=True))
    assert e_out.requires_grad and e_out.grad_fn.name() == t_out.grad_fn.name()
    assert repr(e_out.grad_fn).split(" object")[0] == repr(t_out.grad_fn).split(" object")[0]


NO_DERIVATIVE = {
    "unique": lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
    "unique_consecutive": lambda lib, x: x.unique_consecutive(return_counts=True),
    "unique_dim": lambda lib, x: x.unique(dim=0, return_inverse=True),
    "histogram": lambda lib, x: lib.histogram(x, 4, weight=x),
    "histogram_edges": lambda lib, x: lib.histogram(x, x.detach()[0].sort().values),
    "bincount": lambda lib, x: (lib.bincount(lib.tensor([1, 1, 3]), x[0]),),
}


@pytest.mark.parametrize("name", list(NO_DERIVATIVE))
def test_no_derivative(name):
    """Outputs carry a node (as torch's), and backward through it fails with torch's error."""
    fn = NO_DERIVATIVE[name]
    data = np.random.default_rng(0).uniform(0, 2, (3, 3)).round().astype("float32")
    t_x, e_x = torch.tensor(data, requires_grad=True), ember.tensor(data, requires_grad=True)
    t_out, e_out = fn(torch, t_x), fn(ember, e_x)
    assert_same(e_out, t_out)
    with pytest.raises(Exception) as t_info:
        t_out[0].sum().backward()
    with pytest.raises(Exception) as e_info:
        e_out[0].sum().backward()
    assert e_info.type is t_info.type and str(e_info.value) == str(t_info.value)


def test_histc_and_counts_have_no_graph():
    x = ember.tensor([1.0, 2.0, 2.5], requires_grad=True)
    assert x.histc(3).grad_fn is None and not x.histc(3).requires_grad
    assert not ember.count_nonzero(x).requires_grad
    assert not x.argsort().requires_grad and not ember.isin(x, x).requires_grad
    assert not ember.searchsorted(x.detach(), x).requires_grad


# -- named tuples and out= ----------------------------------------------------------------------

RESULT_TYPES = {
    "sort": lambda lib, x: lib.sort(x),
    "topk": lambda lib, x: x.topk(2),
    "kthvalue": lambda lib, x: x.kthvalue(1),
    "median": lambda lib, x: x.median(0),
    "nanmedian": lambda lib, x: x.nanmedian(1),
    "mode": lambda lib, x: x.mode(),
    "cummax": lambda lib, x: x.cummax(0),
    "cummin": lambda lib, x: x.cummin(1),
    "aminmax": lambda lib, x: x.aminmax(),
    "histogram": lambda lib, x: x.histogram(2),
}


@pytest.mark.parametrize("name", list(RESULT_TYPES))
def test_named_tuple(name):
    """Same type name and fields as torch.return_types; prints as torch's (torch. -> ember.),
    compares as a tuple, pickles."""
    data = np.array([[3.0, 1.0], [2.0, 5.0]], dtype="float32")
    t_out = RESULT_TYPES[name](torch, torch.tensor(data))
    e_out = RESULT_TYPES[name](ember, ember.tensor(data))
    fields = {"aminmax": ("min", "max"), "histogram": ("hist", "bin_edges")}.get(
        name, ("values", "indices"))
    assert type(e_out).__name__ == type(t_out).__name__ == name and e_out._fields == fields
    for i, field in enumerate(fields):
        assert getattr(e_out, field) is e_out[i] and getattr(t_out, field) is t_out[i]
    assert repr(e_out) == repr(t_out).replace("torch.", "ember.") == str(e_out)
    assert e_out == (e_out[0], e_out[1]) and isinstance(e_out, tuple)
    back = pickle.loads(pickle.dumps(e_out))
    assert type(back) is type(e_out) and back[0].tolist() == e_out[0].tolist()


def test_out_arguments():
    def fn(lib, x):
        e, long = lib.empty(0), lib.empty(0, dtype=lib.int64)
        results = [lib.sort(x, 0, out=(lib.empty(0), lib.empty(0, dtype=lib.int64))),
                   lib.topk(x, 2, out=(lib.empty(0), long)),
                   lib.kthvalue(x, 1, out=(lib.empty(0), lib.empty(0, dtype=lib.int64))),
                   lib.median(x, 0, out=(lib.empty(0), lib.empty(0, dtype=lib.int64))),
                   lib.mode(x, 1, out=(lib.empty(0), lib.empty(0, dtype=lib.int64))),
                   lib.cummax(x, 1, out=(lib.empty(0), lib.empty(0, dtype=lib.int64))),
                   lib.aminmax(x, out=(lib.empty(0), lib.empty(0))),
                   lib.histogram(x, 3, out=(lib.empty(0), lib.empty(0))),
                   lib.msort(x, out=e),
                   lib.histc(x, 4, out=lib.empty(0)),
                   lib.searchsorted(x[0].sort().values, x, out=lib.empty(0, dtype=lib.int64)),
                   lib.bucketize(x, x[0].sort().values, out_int32=True,
                                 out=lib.empty(0, dtype=lib.int32)),
                   lib.isin(x, x[0], out=lib.empty(0, dtype=lib.bool))]
        names = [type(r).__name__ for r in results]
        return results, names, results[1].indices is long, results[8] is e

    check_op(fn, (3, 4))


# -- equal values: the indices torch's CPU kernels choose ------------------------------------

TIE_OPS = {
    "topk": lambda lib, x, k, flag: lib.topk(x, k, -1, flag, k % 3 != 0),
    "kthvalue": lambda lib, x, k, flag: lib.kthvalue(x, max(k, 1), -1, flag),
    "median": lambda lib, x, k, flag: lib.median(x, -1),
    "nanmedian": lambda lib, x, k, flag: lib.nanmedian(x, -1),
    "mode": lambda lib, x, k, flag: lib.mode(x, -1),
    "cummax": lambda lib, x, k, flag: lib.cummax(x, -1),
    "cummin": lambda lib, x, k, flag: lib.cummin(x, -1),
    "sort_stable": lambda lib, x, k, flag: lib.sort(x, dim=-1, descending=flag, stable=True),
}


@pytest.mark.parametrize("seed", range(6))
def test_tie_battery(seed):
    """Many equal values (and NaN), row lengths around the algorithms' thresholds (3, 16, k * 64):
    indices must be exactly torch's."""
    rng = np.random.default_rng(seed)
    for _ in range(12):
        n = int(rng.choice([1, 2, 3, 4, 5, 16, 17, 18, 40, 130, 300]))
        k = int(rng.choice([1, 2, n // 3, n - 1, n])) if rng.random() < 0.7 else int(
            rng.integers(0, n + 1))
        data = rng.integers(0, int(rng.choice([1, 2, 4, 12])) + 1, (3, n)).astype("float64")
        dtype = str(rng.choice(["float32", "float64", "int64", "float16", "bfloat16"]))
        if dtype.startswith("float") and rng.random() < 0.4:
            data[rng.random(data.shape) < 0.2] = NAN
        t = torch.tensor(data).to(getattr(torch, dtype))
        e = ember.tensor(data).to(getattr(ember, dtype))
        for name, fn in TIE_OPS.items():
            flag = bool(rng.random() < 0.6)
            assert_same(fn(ember, e, max(k, 0), flag), fn(torch, t, max(k, 0), flag),
                        path=f"{name} n={n} k={k} {dtype} {flag}")


def test_unstable_sort_is_a_valid_sort():
    """stable=False: torch's order among equal values is its own; Ember's (stable) order sorts
    the same values, and each index points at its value."""
    data = np.random.default_rng(0).integers(0, 4, (3, 50)).astype("float32")
    for descending in (False, True):
        t = torch.tensor(data).sort(descending=descending)
        e = ember.tensor(data).sort(descending=descending)
        assert_same(e.values, t.values)
        assert (np.take_along_axis(data, e.indices.numpy(), -1) == e.values.numpy()).all()


# -- CUDA (CuPy): the same results as on the CPU ------------------------------------------------

CUDA_CASES = {
    "sort": lambda x: x.sort(1, descending=True),
    "argsort": lambda x: x.argsort(0, stable=True),
    "topk": lambda x: x.topk(3),
    "kthvalue": lambda x: x.kthvalue(2, 0),
    "median": lambda x: (x.median(), x.median(1), x.nanmedian(0)),
    "mode": lambda x: x.round().mode(1),
    "cummax": lambda x: (x.cummax(1), x.cummin(0)),
    "aminmax": lambda x: x.aminmax(dim=1),
    "unique": lambda x: x.round().unique(return_inverse=True, return_counts=True),
    "unique_dim": lambda x: (x > 0).long().unique(dim=0, return_counts=True),
    "searchsorted": lambda x: ember.searchsorted(x[0].sort().values, x, right=True),
    "bucketize": lambda x: ember.bucketize(x, x[0].sort().values),
    "bincount": lambda x: ember.bincount((x.abs() * 2).long().flatten(), x.flatten().abs()),
    "histc": lambda x: x.histc(5),
    "histogram": lambda x: x.histogram(4),
    "isin": lambda x: ember.isin(x.round(), x.round()[0]),
}


@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs CUDA (CuPy and a GPU)")
@pytest.mark.parametrize("name", list(CUDA_CASES))
def test_cuda_matches_cpu(name):
    data = np.random.default_rng(0).uniform(-2, 2, (6, 8)).astype("float32")
    cpu = ember.tensor(data, requires_grad=True)
    gpu = ember.tensor(data, device="cuda", requires_grad=True)
    c_out, g_out = CUDA_CASES[name](cpu), CUDA_CASES[name](gpu)
    flat_c = [t for t in _flatten(c_out)]
    flat_g = [t for t in _flatten(g_out)]
    for c, g in zip(flat_c, flat_g):
        assert g.device.type == "cuda" and g.dtype is c.dtype
        np.testing.assert_allclose(g.cpu().detach().numpy(), c.detach().numpy(), rtol=1e-6)
    grads = [t for t in flat_c if t.requires_grad]
    if grads and name not in ("unique", "histogram", "bincount"):  # no derivative there
        grads[0].sum().backward()
        [t for t in flat_g if t.requires_grad][0].sum().backward()
        np.testing.assert_allclose(gpu.grad.cpu().numpy(), cpu.grad.numpy(), rtol=1e-6)


def _flatten(out):
    if isinstance(out, tuple):
        return [t for o in out for t in _flatten(o)]
    return [out]


@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs CUDA (CuPy and a GPU)")
def test_cuda_copies_and_scalar_backward():
    """Regressions: .cpu() of a CUDA tensor kept a CuPy array under a 'cpu' device, .cuda() of a
    CPU tensor failed, and backward from a CUDA scalar failed (CuPy arrays have no
    __array_namespace__)."""
    x = ember.tensor([3.0, 1.0], device="cuda", requires_grad=True)
    y = x.cpu()
    assert isinstance(y._data, np.ndarray) and y.device.type == "cpu"
    (y * 2).sum().backward()
    assert x.grad.device.type == "cuda" and x.grad.cpu().tolist() == [2.0, 2.0]
    z = ember.tensor([1.0, 2.0]).cuda()
    assert z.device.type == "cuda" and not isinstance(z._data, np.ndarray)
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.cpu().tolist() == [3.0, 3.0]
