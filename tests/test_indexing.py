"""Indexing against torch: t[...] reads and writes, where/nonzero, the masked ops, the index_* ops,
take, gather and the scatter family: values, dtypes, views, version counters, gradients, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from tests.helpers import check_error, check_op, pair, to_numpy

torch = pytest.importorskip("torch")

# torch's deprecation warnings for behaviour that is checked here on purpose
pytestmark = [
    pytest.mark.filterwarnings("ignore:Using a non-tuple sequence:UserWarning"),
    pytest.mark.filterwarnings("ignore:where received a uint8:UserWarning"),
    pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter:UserWarning"),
]


def T(lib, data, dtype=None):
    """An index (or mask) tensor of the given library."""
    return lib.tensor(data, dtype=getattr(lib, dtype) if dtype else None)


# -- __getitem__ -----------------------------------------------------------------------------------

READS = {
    "int": lambda lib: 1,
    "negative int": lambda lib: -1,
    "ints": lambda lib: (1, 2),
    "slice": lambda lib: slice(1, None),
    "step slice": lambda lib: (slice(None, None, 2), slice(1, 4, 2)),
    "slice past the end": lambda lib: slice(2, 10),
    "None": lambda lib: None,
    "ellipsis": lambda lib: (Ellipsis, 1),
    "mixed basic": lambda lib: (None, 1, Ellipsis, None, slice(0, 2)),
    "full slice": lambda lib: slice(None),
    "0-dim int tensor": lambda lib: T(lib, 2),
    "0-dim int tensors": lambda lib: (T(lib, 2), T(lib, -1)),
    "tensor slice bounds": lambda lib: slice(T(lib, 1), T(lib, 3)),
    "int list": lambda lib: [0, 2, 2],
    "nested list as tuple": lambda lib: [[0, 1], [1, 2]],
    "ndarray": lambda lib: np.array([2, 0]),
    "float list is cast": lambda lib: [0.0, 2.0],
    "int64 tensor": lambda lib: T(lib, [[0, 1], [2, 2]]),
    "int32 tensor": lambda lib: T(lib, [2, 0], "int32"),
    "negative tensor": lambda lib: T(lib, [-1, -3]),
    "empty list": lambda lib: [],
    "two tensors": lambda lib: (T(lib, [0, 2]), T(lib, [1, 3])),
    "broadcast tensors": lambda lib: (T(lib, [[0], [2]]), T(lib, [1, 3])),
    "adjacent advanced": lambda lib: (slice(None), [0, 1], [2, 3]),
    "separated advanced": lambda lib: ([0, 1], slice(None), [2, 3]),
    "int with advanced": lambda lib: (0, slice(None), [0, 2]),
    "0-dim tensor with advanced": lambda lib: (T(lib, 1), slice(None), [0, 2]),
    "advanced after None": lambda lib: (None, [0, 1], None, [1, 2]),
    "ellipsis then advanced": lambda lib: (Ellipsis, [0, 3]),
    "bool list": lambda lib: [True, False, True],
    "True": lambda lib: True,
    "False": lambda lib: False,
    "True with int": lambda lib: (True, 1),
    "0-dim bool tensor": lambda lib: T(lib, True),
    "mask 1d": lambda lib: T(lib, [False, True, True]),
    "mask 2d": lambda lib: T(lib, [[True, False, True, False]] * 3),
    "mask after slice": lambda lib: (slice(None), T(lib, [True, False, True, False])),
    "mask and tensor": lambda lib: (T(lib, [True, False, True]), slice(None), T(lib, [0, 4])),
    "bool ndarray": lambda lib: np.array([True, True, False]),
}


@pytest.mark.parametrize("name", READS)
def test_getitem(name):
    check_op(lambda lib, x: x[READS[name](lib)], (3, 4, 5), grad=True)


@pytest.mark.parametrize("name", ["int", "0-dim int tensor", "int list", "mask 2d", "True"])
def test_getitem_int_input(name):
    check_op(lambda lib, x: x[READS[name](lib)], (3, 4, 5), dtype="int64")


def test_getitem_uint8_mask():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_op(lambda lib, x: x[T(lib, [1, 0, 1], "uint8")], (3, 4), grad=True)


@pytest.mark.parametrize("index", [None, Ellipsis, True, False])
def test_getitem_0dim_input(index):
    check_op(lambda lib, x: x[index], (), grad=True)


def test_getitem_repeated_indices_accumulate():
    check_op(lambda lib, x: x[[0, 0, 2, 0]] * 2, (3, 2), grad=True)
    check_op(lambda lib, x: x[T(lib, [[1, 1], [1, 0]]), 1], (2, 3), grad=True)


def test_getitem_gradgrad():
    check_op(lambda lib, x: x[1:, [0, 0, 2]] ** 2, (3, 4), dtype="float64", grad=True,
             gradgrad=True)


@pytest.mark.parametrize("index,node", [
    (1, "SelectBackward0"), ((slice(None), 1), "SelectBackward0"),
    (slice(1, None), "SliceBackward0"),
    (slice(None), "SliceBackward0"), ((slice(None),), "AliasBackward0"),
    ((slice(0, 9),), "AliasBackward0"), (Ellipsis, "AliasBackward0"), (None, "UnsqueezeBackward0"),
    ((1, None), "UnsqueezeBackward0"), ([0], "IndexBackward0"), (True, "IndexBackward0"),
])
def test_getitem_node_names(index, node):
    e_out, t_out = check_op(lambda lib, x: x[index], (3, 4), grad=True)
    assert type(t_out.grad_fn).__name__ == node
    assert type(e_out.grad_fn).__name__ == node


def test_basic_index_is_a_view():
    x = ember.arange(12.0).reshape(3, 4).clone()
    for view in (x[1], x[:, 1:3], x[None, ..., ::2], x[0, 0], x[:]):
        assert view._version is x._version
        assert view._base is x
    row = x[1]
    row[0] = 100.0  # the write goes to x's memory and bumps the shared counter
    assert x[1, 0].item() == 100.0
    assert x._version.value == row._version.value == 1
    x.add_(1)
    assert row[0].item() == 101.0 and row._version.value == 2


def test_advanced_index_is_a_copy():
    x = ember.arange(12.0).reshape(3, 4)
    for copy in (x[[0, 1]], x[x > 3], x[True], x[0, [1, 2]]):
        assert copy._base is None and copy._version is not x._version
        copy.fill_(-1.0)
    assert (x >= 0).all()


def test_saved_view_modified_in_place_is_detected():
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        z = y[0:2] ** 2  # pow saves its input, a view of y
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


READ_ERRORS = {
    "negative step": lambda lib: slice(None, None, -1),
    "zero step": lambda lib: slice(None, None, 0),
    "int out of range": lambda lib: 3,
    "negative int out of range": lambda lib: (0, -5),
    "too many": lambda lib: (0, 0, 0, 0),
    "list out of range": lambda lib: [0, 3],
    "tensor out of range in dim 2": lambda lib: (slice(None), slice(None), T(lib, [0, 5])),
    "negative tensor out of range": lambda lib: T(lib, [-4]),
    "float tensor": lambda lib: T(lib, [0.0]),
    "0-dim float tensor": lambda lib: T(lib, 1.0),
    "int8 tensor": lambda lib: T(lib, [0], "int8"),
    "float": lambda lib: 1.0,
    "mask shape": lambda lib: T(lib, [True, False]),
    "mask shape dim 1": lambda lib: (slice(None), T(lib, [[True] * 4] * 5)),
    "bool list length": lambda lib: [True, False],
    "broadcast mismatch": lambda lib: ([0, 1], [0, 1, 2]),
    "0-dim int tensor out of range": lambda lib: T(lib, 7),
}


@pytest.mark.parametrize("name", READ_ERRORS)
def test_getitem_errors(name):
    error, t_error = check_error(lambda lib, x: x[READ_ERRORS[name](lib)], (3, 4, 5))
    assert str(error) == str(t_error)


@pytest.mark.parametrize("index", [0, slice(0, 1), [0], T(ember, 0)])
def test_getitem_0dim_errors(index):
    t_index = T(torch, 0) if isinstance(index, ember.Tensor) else index
    x_t, x_e = pair(np.array(5.0))
    with pytest.raises(IndexError) as t_info:
        x_t[t_index]
    with pytest.raises(IndexError) as e_info:
        x_e[index]
    assert str(e_info.value) == str(t_info.value)


# -- __setitem__ -----------------------------------------------------------------------------------


def _set(index, value):
    """fn(lib, x, *values): x's clone with clone[index(lib)] = value(lib, values)."""

    def fn(lib, x, *values):
        y = x.clone()
        y[index(lib)] = value(lib, *values)
        return y

    return fn


WRITES = {
    "int, scalar": (lambda lib: 1, lambda lib: 7.0),
    "slice, broadcast row": (lambda lib: (slice(1, None), slice(None)), lambda lib, v: v),
    "column": (lambda lib: (slice(None), 1), lambda lib, v: v[:3]),
    "ellipsis inside": (lambda lib: (Ellipsis, 2), lambda lib, v: v[1]),
    "False": (lambda lib: False, lambda lib, v: v),
    "leading ones dropped": (lambda lib: 0, lambda lib, v: v.reshape(1, 1, 4)),
    "int scalar into float": (lambda lib: (0, 0), lambda lib: 3),
    "list, broadcast row": (lambda lib: [0, 2], lambda lib, v: v),
    "tensor, 0-dim value": (lambda lib: T(lib, [2, 0]), lambda lib, v: v.sum()),
    "mask, scalar": (lambda lib: T(lib, [[True, False, False, True]] * 3), lambda lib: -1.0),
    "mask, 0-dim value": (lambda lib: T(lib, [[True, False, False, True]] * 3),
                          lambda lib, v: v[0] * 2),
    "mask rows, values": (lambda lib: T(lib, [True, False, True]), lambda lib, v: v * 3),
    "mixed": (lambda lib: (slice(1, None), [0, 3]), lambda lib, v: v[:2]),
    "advanced, leading ones": (lambda lib: [0, 1], lambda lib, v: v.reshape(1, 1, 4)),
    "0-dim int tensor": (lambda lib: T(lib, 1), lambda lib, v: v),
}


@pytest.mark.parametrize("name", WRITES)
def test_setitem(name):
    index, value = WRITES[name]
    shapes = [(3, 4)] + ([(4,)] if value.__code__.co_argcount == 2 else [])
    check_op(_set(index, value), *shapes, grad=True)


@pytest.mark.parametrize("index", [Ellipsis, None, True])
def test_setitem_whole_tensor(index):
    def fn(lib, v):
        y = lib.zeros(3, 4)
        y[index] = v * 2
        return y

    check_op(fn, (4,), grad=True)


def test_setitem_casts_values():
    check_op(_set(lambda lib: 0, lambda lib: 2.7), (3,), dtype="int64")
    check_op(_set(lambda lib: slice(1, None), lambda lib, v: v), (3,), (2,),
             dtypes=["int64", "float32"])
    check_op(_set(lambda lib: T(lib, [True, False, True]), lambda lib: True), (3,), dtype="int32")
    check_op(_set(lambda lib: [0], lambda lib: 2.5), (3,), dtype="int64")


def test_setitem_repeated_indices_last_wins():
    check_op(_set(lambda lib: [0, 0], lambda lib: T(lib, [1.0, 2.0])), (3,))


def test_setitem_records_copyslices():
    """y = zeros(1, 2); y[0, 0] = x[0, 0] ** 2 + 3 * x[0, 1]: y now depends on x."""

    def fn(lib, x):
        y = lib.zeros(1, 2)
        y[0, 0] = x[0, 0] ** 2 + 3 * x[0, 1]
        y[0, 1] = x[0, 0] * x[0, 1]
        return y

    e_out, t_out = check_op(fn, (1, 2), grad=True)
    assert type(e_out.grad_fn).__name__ == type(t_out.grad_fn).__name__ == "CopySlices"


def test_setitem_on_tensor_with_history():
    def fn(lib, x, v):
        y = x * 2
        y[1:, [0, 2]] = v.exp()
        y[y > 5] = 0.0
        y[0] = v[0, 0]
        return y

    check_op(fn, (3, 4), (2, 2), grad=True)


def test_setitem_through_views_of_views():
    def fn(lib, x, v):
        y = x * 1
        y[1][2:] = v  # a write into a view of a view rebases y
        y.T[0] = v[0] * 3
        y[:, 1][[0, 2]] = v.exp()
        return y

    e_out, t_out = check_op(fn, (3, 4), (2,), grad=True)
    assert type(e_out.grad_fn).__name__ == type(t_out.grad_fn).__name__ == "CopySlices"


def test_overwritten_region_blocks_nan_gradients():
    """The overwritten values' gradient is 0 even where the upstream gradient there is nan or
    inf (a product with the mask would give nan): a masked write into a 0-dim tensor and a
    sliced write, both through CopySlices."""

    def masked(lib, x):
        y = x.clone()
        y[y <= 2] = float("nan")
        return y / (y - 2)

    def sliced(lib, x):
        y = x.clone()
        y[1:3, ::2] = float("inf")
        return y / (y - 2)

    check_op(masked, (), inputs=[np.array(1.5, np.float32)], grad=True)
    check_op(sliced, (4, 3), inputs=[np.arange(12, dtype=np.float32).reshape(3, 4).T], grad=True)


def _version(t):
    """torch's _version is an int; ember's is the shared counter object."""
    return t._version if isinstance(t, torch.Tensor) else t._version.value


def test_setitem_rows_in_a_loop():
    """Each row written from the previous one, as an RNN fills a preallocated tensor. Regression:
    ``row * 2`` saved the row (a view) and the next write made backward fail its version check;
    torch saves nothing of a tensor multiplied or divided by a number."""

    def fn(lib, x):
        y = x.clone()
        for i in range(1, 4):
            y[i] = lib.tanh(y[i - 1] * 2 + y[i] / 3)
        return y

    check_op(fn, (4, 3), grad=True)


def test_setitem_node_names_and_versions():
    for lib in (torch, ember):
        x = lib.zeros(3, 4, requires_grad=True)
        y = x * 1
        y[y > 0] = 1.0  # advanced writes on the tensor itself are index_put_
        assert type(y.grad_fn).__name__ == "IndexPutBackward0"
        z = lib.zeros(3, 4)
        view = z[1]
        z[[0, 2]] = 1.0
        z[z > 0] = T(lib, 2)  # a lone mask with a one-element value casts it (a masked fill)
        z[..., 0] = 3.0
        assert _version(z) == _version(view) == 3
        assert z.sum().item() == 2 * 4 * 2 + 3 * 1 + 3 * 2 - 2 * 2


def test_setitem_on_leaf_that_requires_grad():
    for index in (0, (slice(None), 1), [0], ember.tensor([True, False, True])):
        t_index = torch.tensor(index.tolist()) if isinstance(index, ember.Tensor) else index
        error, t_error = check_error(_set_in_place(index, t_index), (3, 2))
        assert str(error) == str(t_error)


def _set_in_place(index, t_index):
    def fn(lib, x):
        x.requires_grad_()
        x[index if lib is ember else t_index] = 1.0

    return fn


def test_setitem_under_no_grad_on_leaf():
    for lib in (torch, ember):
        x = lib.zeros(3, requires_grad=True)
        with lib.no_grad():
            x[1] = 5.0
            x[[0]] = 2.0
        assert x.tolist() == [2.0, 5.0, 0.0] and x.is_leaf


SET_ERRORS = {
    "value shape": (lambda lib: 0, lambda lib: lib.ones(5)),
    "advanced value shape": (lambda lib: [0, 1], lambda lib: lib.ones(5)),
    "mask value shape": (lambda lib: T(lib, [True, False, True]), lambda lib: lib.ones(2, 5)),
    "advanced value dtype": (lambda lib: [0], lambda lib: lib.ones(4, dtype=lib.float64)),
    "advanced 0-dim value dtype": (lambda lib: [0], lambda lib: T(lib, 1)),
    "negative step": (lambda lib: slice(None, None, -2), lambda lib: 1.0),
    "out of range": (lambda lib: 3, lambda lib: 1.0),
    "complex into float": (lambda lib: 0, lambda lib: 1 + 2j),
    "list value": (lambda lib: 0, lambda lib: [1.0, 2.0, 3.0, 4.0]),
    "ndarray value": (lambda lib: 0, lambda lib: np.ones(4)),
}


@pytest.mark.parametrize("name", SET_ERRORS)
def test_setitem_errors(name):
    error, t_error = check_error(_set(*SET_ERRORS[name]), (3, 4))
    assert str(error) == str(t_error)


# -- index_put -------------------------------------------------------------------------------------


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(accumulate):
    check_op(lambda lib, x, v: x.index_put((T(lib, [0, 2, 0]),), v, accumulate=accumulate),
             (3, 4), (4,), grad=not accumulate)
    check_op(lambda lib, x, v: lib.index_put(x, [T(lib, [1, 1]), T(lib, [0, 0])], v,
                                             accumulate=accumulate), (3, 4), (), grad=True)
    check_op(lambda lib, x, v: x.index_put((x > 0,), v, accumulate=accumulate), (3, 4), (),
             grad=True)


def test_index_put_in_place():
    def fn(lib, x, v):
        y = x + 0
        y.index_put_((T(lib, [1, 1]), T(lib, [2, 2])), v, accumulate=True)
        return y

    check_op(fn, (3, 4), (2,), grad=True)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.index_put((T(lib, [3]),), lib.ones(())),
    lambda lib, x: x.index_put((T(lib, [0]),) * 3, lib.ones(())),
    lambda lib, x: x.index_put((T(lib, [0]),), lib.ones((), dtype=lib.float64)),
    lambda lib, x: x.index_put((1,), lib.ones(())),
    lambda lib, x: x.index_put((T(lib, [0]),), 1.0),
])
def test_index_put_errors(call):
    error, t_error = check_error(call, (3, 4))
    assert str(error) == str(t_error)


# -- where, nonzero, argwhere ----------------------------------------------------------------------


def test_where_study_notes():
    check_op(lambda lib, x, y: lib.where(x > 0, x, y), (3, 4), (3, 4), grad=True)
    check_op(lambda lib, x: lib.where(x > 0, x, 0.0), (3, 4), grad=True, gradgrad=True,
             dtype="float64")
    check_op(lambda lib, x: lib.where(x > 0), (3, 4))
    check_op(lambda lib, x, y: x.where(x < y, y), (3, 1), (4,), grad=True)


@pytest.mark.parametrize("operands,dtypes", [
    (lambda lib, x, y: (x, y), ["int32", "float32"]),
    (lambda lib, x, y: (x, 1.5), ["int32", "int32"]),
    (lambda lib, x, y: (2, y), ["int64", "int16"]),
    (lambda lib, x, y: (1.0, 0), ["int64", "int64"]),
    (lambda lib, x, y: (1, 0), ["int64", "int64"]),
    (lambda lib, x, y: (x, y[0]), ["int32", "int64"]),
    (lambda lib, x, y: (x, y), ["float16", "float64"]),
    (lambda lib, x, y: (True, y), ["bool", "uint8"]),
])
def test_where_promotion(operands, dtypes):
    check_op(lambda lib, x, y: lib.where(x > 1, *operands(lib, x, y)), (3, 4), (4,), dtypes=dtypes)


def test_where_uint8_condition_and_errors():
    check_op(lambda lib, c, x: lib.where(c.to(lib.uint8), x, -x), (4,), (4,), dtypes=["bool",
                                                                                    "float32"])
    check_error(lambda lib, x: lib.where(x, x, x), (3,))
    check_error(lambda lib, x: lib.where(x > 0, x), (3,))
    check_error(lambda lib, x, y: lib.where(x > 0, x, y), (3,), (4,))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), (), (0, 3)])
def test_nonzero(shape):
    check_op(lambda lib, x: lib.nonzero(x > 0, out=lib.zeros(0, dtype=lib.int64)), shape)
    check_op(lambda lib, x: lib.where(x > 0, x, -x, out=lib.zeros(shape)), shape)
    check_op(lambda lib, x: lib.nonzero(x > 0), shape)
    check_op(lambda lib, x: (x > 0).nonzero(as_tuple=True), shape)
    check_op(lambda lib, x: lib.argwhere(x), shape, dtype="int64", low=-1, high=1)
    check_op(lambda lib, x: x.nonzero(), shape, dtype="bool")


# -- masked ops ------------------------------------------------------------------------------------


def test_masked_select_study_notes():
    check_op(lambda lib, x: lib.masked_select(x, x > 0.5), (3, 4), grad=True)
    check_op(lambda lib, x, m: x.masked_select(m > 0), (4,), (3, 1), grad=True)
    check_op(lambda lib, x: x.masked_select(x > 0), (2, 3), dtype="int16")


def test_masked_fill():
    check_op(lambda lib, x: x.masked_fill(x > 0, -1.0), (3, 4), grad=True)
    check_op(lambda lib, x, v: x.masked_fill(x < 0, v), (3, 4), (), grad=True)
    check_op(lambda lib, x, m: lib.masked_fill(x, m > 0, 2.0), (4,), (3, 1), grad=True)
    check_op(lambda lib, x: x.masked_fill(x > 0, 1.7), (5,), dtype="int64")
    check_op(lambda lib, x: x.masked_fill(x > 0, T(lib, 1.7)), (5,), dtype="int64")
    check_op(lambda lib, x: x.masked_fill(x, 2), (5,), dtype="bool")


def test_masked_fill_in_place():
    def fn(lib, x, v):
        y = x * 1
        y.masked_fill_(y > 1, v)
        y[1:].masked_fill_(T(lib, [True, False, False]), 9.0)
        return y

    check_op(fn, (3, 3), (), grad=True)


@pytest.mark.parametrize("call,dtypes", [
    (lambda lib, x, m: x.masked_fill(m, 1.0), ["float32", "float32"]),
    (lambda lib, x, m: x.masked_fill(m, 1.0), ["float32", "uint8"]),
    (lambda lib, x, m: x.masked_fill(m, 1.0), ["float32", "int64"]),
    (lambda lib, x, m: x.masked_fill(m > 0, lib.ones(1)), ["float32", "float32"]),
    (lambda lib, x, m: m.masked_fill_(x > 0, 1.0), ["float32", "float32"]),
    (lambda lib, x, m: x.masked_select(m), ["float32", "float32"]),
    (lambda lib, x, m: x.masked_scatter(m, x), ["float32", "float32"]),
    (lambda lib, x, m: x.masked_scatter(m > 0, m.double()), ["float32", "float32"]),
    (lambda lib, x, m: x.masked_scatter(m > -9, x[0, :2]), ["float32", "float32"]),
])
def test_masked_errors(call, dtypes):
    error, t_error = check_error(call, (2, 3), (3,), dtypes=dtypes)
    assert str(error) == str(t_error)


def test_masked_scatter():
    check_op(lambda lib, x, s: x.masked_scatter(x > 0, s), (3, 4), (4, 5), grad=True)
    check_op(lambda lib, x, m, s: lib.masked_scatter(x, m > 0, s), (4,), (3, 1), (12,), grad=True)

    def in_place(lib, x, s):
        y = x * 1
        return y.masked_scatter_(y < 0, s)

    check_op(in_place, (3, 4), (12,), grad=True)


# -- index_select, index_add, index_copy, index_fill, take, take_along_dim -------------------------


@pytest.mark.parametrize("dim,index", [(0, [2, 0, 2]), (1, [3]), (-1, [0, 1, 0]), (1, 2),
                                       (0, [])])
def test_index_select(dim, index):
    check_op(lambda lib, x: lib.index_select(x, dim, T(lib, index, "int64")), (3, 4), grad=True)
    check_op(lambda lib, x: x.index_select(dim, T(lib, index, "int32")), (3, 4), dtype="int16")


def test_index_select_scalar_and_gradgrad():
    check_op(lambda lib, x: x.index_select(0, T(lib, [0])), (), grad=True)
    check_op(lambda lib, x: x.index_select(1, T(lib, [1, 1, 0])) ** 2, (2, 3), dtype="float64",
             grad=True, gradgrad=True)


def test_index_add():
    idx = [0, 2, 0]
    check_op(lambda lib, x, s: x.index_add(0, T(lib, idx), s), (3, 2), (3, 2), grad=True)
    check_op(lambda lib, x, s: lib.index_add(x, 1, T(lib, [1, 1], "int32"), s, alpha=-2.5),
             (3, 2), (3, 2), grad=True)
    check_op(lambda lib, x, s: x.index_add(0, T(lib, idx), s, alpha=3), (3,), (3,),
             dtype="int64")

    def in_place(lib, x, s):
        return (x * 1).index_add_(-1, T(lib, [1, 0]), s)

    check_op(in_place, (2, 3), (2, 2), grad=True)


def test_index_ops_on_0dim_tensors():
    check_op(lambda lib, x, s: x.index_add(0, T(lib, [0]), s), (), (), grad=True)
    check_op(lambda lib, x, s: x.index_copy(0, T(lib, [0]), s), (), (), grad=True)
    check_op(lambda lib, x, s: x.index_copy(0, T(lib, 1), s), (3,), (), grad=True)
    check_op(lambda lib, x: x.index_fill(0, T(lib, 0), -1.0), (), grad=True)
    check_op(lambda lib, x: x.masked_select(T(lib, True)), (), grad=True)
    check_op(lambda lib, x, s: x.masked_scatter(T(lib, True), s), (), (2,), grad=True)
    check_error(lambda lib, x, s: x.index_add(0, T(lib, 1), s), (3,), ())


def test_index_copy_and_fill():
    check_op(lambda lib, x, s: x.index_copy(1, T(lib, [2, 0]), s), (3, 4), (3, 2), grad=True)
    check_op(lambda lib, x, s: (x * 1).index_copy_(0, T(lib, [1]), s), (3, 4), (1, 4), grad=True)
    check_op(lambda lib, x: x.index_fill(1, T(lib, [0, -1, 0]), -2.0), (3, 4), grad=True)
    check_op(lambda lib, x, v: lib.index_fill(x, 0, T(lib, [1, 1]), v), (3, 4), (), grad=True)
    check_op(lambda lib, x: (x + 0).index_fill_(0, T(lib, 1), 7), (3, 4), dtype="int32")


INDEX_ERRORS = {
    "select float index": lambda lib, x: x.index_select(0, T(lib, [0.0])),
    "select 2d index": lambda lib, x: x.index_select(0, T(lib, [[0]])),
    "select out of range": lambda lib, x: x.index_select(0, T(lib, [3])),
    "select negative": lambda lib, x: x.index_select(0, T(lib, [-1])),
    "select dim 1 out of range": lambda lib, x: x.index_select(1, T(lib, [4])),
    "select bad dim": lambda lib, x: x.index_select(2, T(lib, [0])),
    "select scalar": lambda lib, x: x[0, 0].index_select(0, T(lib, [0, 0])),
    "add count": lambda lib, x: x.index_add(1, T(lib, [0, 1]), lib.ones(3, 3)),
    "add shape": lambda lib, x: x.index_add(1, T(lib, [0, 1]), lib.ones(4, 2)),
    "add dtype": lambda lib, x: x.index_add(1, T(lib, [0, 1]), lib.ones(3, 2).double()),
    "add out of range": lambda lib, x: x.index_add(1, T(lib, [0, 4]), lib.ones(3, 2)),
    "add float index": lambda lib, x: x.index_add(1, T(lib, [0.0]), lib.ones(3, 1)),
    "add 2d index": lambda lib, x: x.index_add(1, T(lib, [[0]]), lib.ones(3, 1)),
    "copy dtype": lambda lib, x: x.index_copy(1, T(lib, [0]), lib.ones(3, 1).double()),
    "copy int32 index": lambda lib, x: x.index_copy(1, T(lib, [0], "int32"), lib.ones(3, 1)),
    "copy out of range": lambda lib, x: x.index_copy(1, T(lib, [4]), lib.ones(3, 1)),
    "copy count": lambda lib, x: x.index_copy(1, T(lib, [0, 1]), lib.ones(3, 1)),
    "fill 1-d value": lambda lib, x: x.index_fill(1, T(lib, [0]), lib.ones(1)),
    "fill out of range": lambda lib, x: x.index_fill(1, T(lib, [4]), 1.0),
    "fill int32 index": lambda lib, x: x.index_fill(1, T(lib, [0], "int32"), 1.0),
    "fill 2d index": lambda lib, x: x.index_fill(1, T(lib, [[0]]), 1.0),
    "take out of range": lambda lib, x: x.take(T(lib, [12])),
    "take negative out of range": lambda lib, x: x.take(T(lib, [-13])),
    "take int32": lambda lib, x: x.take(T(lib, [0], "int32")),
    "take_along_dim dims": lambda lib, x: x.take_along_dim(T(lib, [0]), 1),
    "take_along_dim dtype": lambda lib, x: x.take_along_dim(T(lib, [[0]], "int32"), 1),
}


@pytest.mark.parametrize("name", INDEX_ERRORS)
def test_index_errors(name):
    error, t_error = check_error(INDEX_ERRORS[name], (3, 4))
    assert str(error) == str(t_error)


def test_take():
    check_op(lambda lib, x: x.take(T(lib, [[0, 5], [-1, 5]])), (3, 4), grad=True)
    check_op(lambda lib, x: lib.take(x, T(lib, 3)), (2, 2), grad=True)
    check_op(lambda lib, x: x.take(T(lib, [0, 0])), (), dtype="int64")


def test_take_along_dim():
    check_op(lambda lib, x: x.take_along_dim(T(lib, [[2], [0], [1]]), 1), (3, 4), grad=True)
    check_op(lambda lib, x: lib.take_along_dim(x, T(lib, [[0, 2, 1, 0]]), dim=0), (3, 4),
             grad=True)
    check_op(lambda lib, x: x.take_along_dim(T(lib, [7, 0, 7])), (3, 4), grad=True)
    check_op(lambda lib, x: x.take_along_dim(T(lib, [[[1]], [[0]]]), dim=-1), (2, 3, 2),
             grad=True)


# -- gather and scatter ----------------------------------------------------------------------------


def test_gather_study_notes():
    """torch.gather on a 2-D tensor along dims 0 and 1."""
    t = [[1.0, 2.0], [3.0, 4.0]]
    for lib in (torch, ember):
        assert lib.gather(T(lib, t), 1, T(lib, [[0, 0], [1, 0]])).tolist() == [[1, 1], [4, 3]]
        assert lib.gather(T(lib, t), 0, T(lib, [[0, 1], [1, 0]])).tolist() == [[1, 4], [3, 2]]
    check_op(lambda lib, x: lib.gather(x, 0, T(lib, [[0, 1, 2], [2, 2, 0]])), (3, 3), grad=True)
    check_op(lambda lib, x: x.gather(1, T(lib, [[0, 0], [1, 0], [2, 2]])), (3, 3), grad=True)


def test_gather_more():
    check_op(lambda lib, x: x.gather(-1, T(lib, [[0], [1]], "int32")), (2, 3), dtype="int64")
    check_op(lambda lib, x: x.gather(0, T(lib, [0, 0])), (), grad=True)
    check_op(lambda lib, x: x.gather(0, T(lib, 0)), (), grad=True)
    check_op(lambda lib, x: x.gather(1, T(lib, [[1, 1, 0]])) ** 2, (2, 4), dtype="float64",
             grad=True, gradgrad=True)


def test_scatter_study_notes_one_hot():
    """scatter_ building a one-hot matrix from class labels."""
    for lib in (torch, ember):
        labels = T(lib, [2, 0, 1, 2])
        one_hot = lib.zeros(4, 3).scatter_(1, labels.unsqueeze(1), 1.0)
        assert one_hot.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    check_op(lambda lib, x: lib.zeros(4, 3, dtype=lib.int64).scatter_(
        1, T(lib, [[2], [0], [1], [2]]), 1), (1,))


def test_scatter():
    idx = [[0, 1, 2], [2, 0, 0]]
    check_op(lambda lib, x, s: x.scatter(0, T(lib, idx), s), (3, 3), (2, 3), grad=True)
    check_op(lambda lib, x, s: lib.scatter(x, 1, T(lib, [[1], [0]]), s), (2, 3), (2, 1), grad=True)
    check_op(lambda lib, x: x.scatter(1, T(lib, [[1, 0]]), 2.5), (2, 3), grad=True)
    check_op(lambda lib, x: x.scatter(1, T(lib, [[1, 0]]), value=-1.0), (2, 3), grad=True)
    check_op(lambda lib, x: x.scatter(1, T(lib, [[1, 0]]), 2.5), (2, 3), dtype="int64")
    check_op(lambda lib, x, s: x.scatter(0, T(lib, [[1, 0]], "int32"), s), (2, 3), (3, 4))
    check_op(lambda lib, x, s: (x * 1).scatter_(0, T(lib, idx), s), (3, 3), (2, 3), grad=True)
    check_op(lambda lib, x, s: x.scatter(0, T(lib, 0), s), (), (), grad=True)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_argument(reduce):
    idx = [[0, 1, 0], [0, 0, 0]]
    check_op(lambda lib, x, s: x.scatter(0, T(lib, idx), s, reduce=reduce), (2, 3), (2, 3))
    check_op(lambda lib, x: x.scatter(0, T(lib, idx), 2.0, reduce=reduce), (2, 3))
    for lib in (torch, ember):
        x = lib.ones(2, 3, requires_grad=True)
        y = x.scatter(0, T(lib, idx), 2.0, reduce=reduce)
        assert type(y.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()


def test_scatter_add():
    idx = [[0, 1, 0], [0, 0, 2]]
    check_op(lambda lib, x, s: x.scatter_add(0, T(lib, idx), s), (3, 3), (2, 3), grad=True)
    check_op(lambda lib, x, s: lib.scatter_add(x, 1, T(lib, idx), s), (2, 3), (2, 3), grad=True)
    check_op(lambda lib, x, s: (x * 1).scatter_add_(1, T(lib, idx), s), (2, 3), (2, 3), grad=True)
    check_op(lambda lib, x, s: x.scatter_add(1, T(lib, idx), s), (2, 3), (2, 4), dtype="int32")
    check_op(lambda lib, x, s: x.scatter_add(1, T(lib, idx), s) ** 2, (2, 3), (2, 3),
             dtype="float64", grad=True, gradgrad=True)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    idx = [[0, 1, 0, 0], [2, 1, 0, 0]]
    check_op(lambda lib, x, s: x.scatter_reduce(0, T(lib, idx), s, reduce,
                                                include_self=include_self), (3, 4), (2, 4),
             grad=True)
    check_op(lambda lib, x, s: x.scatter_reduce(1, T(lib, idx), s, reduce,
                                                include_self=include_self), (2, 4), (2, 4),
             dtype="int64")


def test_scatter_reduce_ties_and_zeros():
    x = np.array([[1.0, 0.0, 2.0], [3.0, 3.0, 0.0]])
    s = np.array([[3.0, 0.0, 2.0], [3.0, 0.0, 0.0]])
    idx = [[0, 1, 1], [0, 1, 0]]
    for reduce in ("amax", "amin", "prod"):
        check_op(lambda lib, a, b, r=reduce: lib.scatter_reduce(a, 0, T(lib, idx), b, r), x.shape,
                 s.shape, inputs=[x, s], grad=True)
    check_op(lambda lib, a, b: (a * 1).scatter_reduce_(1, T(lib, idx), b, "mean"), x.shape, s.shape,
             inputs=[x, s], grad=True)


SCATTER_ERRORS = {
    "gather dims": lambda lib, x: x.gather(1, T(lib, [0, 1])),
    "gather size": lambda lib, x: x.gather(0, T(lib, [[0, 1, 0, 1, 0]])),
    "gather out of range": lambda lib, x: x.gather(1, T(lib, [[0, 4]])),
    "gather negative": lambda lib, x: x.gather(1, T(lib, [[0, -1]])),
    "gather float index": lambda lib, x: x.gather(1, T(lib, [[0.0]])),
    "gather bad dim": lambda lib, x: x.gather(2, T(lib, [[0]])),
    "scatter dims": lambda lib, x: x.scatter(1, T(lib, [0, 1]), 1.0),
    "scatter size self": lambda lib, x: x.scatter(1, T(lib, [[0]] * 4), 1.0),
    "scatter size src": lambda lib, x: x.scatter(1, T(lib, [[0, 1]] * 2), lib.ones(2, 1)),
    "scatter src fewer dims": lambda lib, x: x.scatter(0, T(lib, [[0, 1]]), lib.ones(2)),
    "scatter src 0-dim": lambda lib, x: x.scatter(0, T(lib, [[0, 1]]), lib.ones(())),
    "scatter out of range": lambda lib, x: x.scatter(1, T(lib, [[0, 5]]), 1.0),
    "scatter negative": lambda lib, x: x.scatter(1, T(lib, [[-1]]), 1.0),
    "scatter src dtype": lambda lib, x: x.scatter(1, T(lib, [[0]]), lib.ones(1, 1).double()),
    "scatter float index": lambda lib, x: x.scatter(1, T(lib, [[0.0]]), 1.0),
    "scatter reduce name": lambda lib, x: x.scatter(1, T(lib, [[0]]), 1.0, reduce="mean"),
    "scatter_ leaf": lambda lib, x: x.requires_grad_().scatter_(1, T(lib, [[0]]), 1.0),
    "scatter_add dtype": lambda lib, x: x.scatter_add(1, T(lib, [[0]]), lib.ones(1, 1).double()),
    "scatter_add out of range": lambda lib, x: x.scatter_add(0, T(lib, [[3]]), x),
    "scatter_reduce name": lambda lib, x: x.scatter_reduce(0, T(lib, [[0]]), x, "max_"),
    "scatter_reduce index dtype": lambda lib, x: x.scatter_reduce(0, T(lib, [[0.0]]), x, "sum"),
}


@pytest.mark.parametrize("name", SCATTER_ERRORS)
def test_scatter_errors(name):
    error, t_error = check_error(SCATTER_ERRORS[name], (3, 4))
    assert str(error) == str(t_error)


# -- random index tensors (hypothesis) -------------------------------------------------------------


@st.composite
def along_dim_case(draw, src_extra=False):
    """(shape, dim, index array, src shape) with the index within torch's size rules."""
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    dim = draw(st.integers(0, ndim - 1))
    index_shape = [draw(st.integers(1, s)) if d != dim else draw(st.integers(1, 5))
                   for d, s in enumerate(shape)]
    seed = draw(st.integers(0, 2**16))
    index = np.random.default_rng(seed).integers(0, shape[dim], size=index_shape)
    src_shape = tuple(n + (draw(st.integers(0, 1)) if src_extra else 0) for n in index_shape)
    return shape, dim, index, src_shape


@settings(max_examples=25, deadline=None)
@given(along_dim_case())
def test_gather_random(case):
    shape, dim, index, _ = case
    check_op(lambda lib, x: x.gather(dim, T(lib, index.tolist())), shape, grad=True)


@settings(max_examples=25, deadline=None)
@given(along_dim_case(src_extra=True), st.sampled_from(["scatter", "scatter_add", "value"]))
def test_scatter_random(case, name):
    shape, dim, index, src_shape = case
    if name == "value":
        check_op(lambda lib, x: x.scatter(dim, T(lib, index.tolist()), 1.5), shape, grad=True)
        return
    if name == "scatter":  # distinct targets along dim: repeated ones make the result order-bound
        k = min(index.shape[dim], shape[dim])
        noise = np.random.default_rng(0).random(index.shape[:dim] + (shape[dim],)
                                                + index.shape[dim + 1:])
        index = np.take(np.argsort(noise, axis=dim), range(k), axis=dim)
        src_shape = tuple(max(n, m) for n, m in zip(src_shape, index.shape))
    # the src gradient needs src of the index's shape (torch rejects other shapes)
    check_op(lambda lib, x, s: getattr(x, name)(dim, T(lib, index.tolist()), s), shape, src_shape,
             grad=src_shape == index.shape)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_index_select_and_index_add_random(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index = data.draw(st.lists(st.integers(0, shape[dim] - 1), max_size=6))
    check_op(lambda lib, x: x.index_select(dim, T(lib, index, "int64")), tuple(shape), grad=True)
    src_shape = list(shape)
    src_shape[dim] = len(index)
    check_op(lambda lib, x, s: x.index_add(dim, T(lib, index, "int64"), s, alpha=2), tuple(shape),
             tuple(src_shape), grad=True)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_getitem_random_advanced(data):
    """Random mixes of ints, slices, None and index lists on a 3-D tensor."""
    shape = (3, 4, 2)
    items, dim = [], 0
    while dim < len(shape):
        kind = data.draw(st.sampled_from(["int", "slice", "none", "list", "stop"]))
        if kind == "stop":
            break
        if kind == "none":
            items.append(None)
            continue
        size = shape[dim]
        if kind == "int":
            items.append(data.draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            items.append(slice(data.draw(st.integers(0, size)), None, data.draw(st.integers(1, 2))))
        else:
            items.append(data.draw(st.lists(st.integers(-size, size - 1), min_size=2, max_size=2)))
        dim += 1
    check_op(lambda lib, x: x[tuple(items)], shape, grad=True)


def test_numpy_interop_index_values_exact():
    x_t, x_e = pair(np.arange(24).reshape(2, 3, 4))
    index = (np.array([1, 0]), slice(None), [3, -1])
    np.testing.assert_array_equal(to_numpy(x_e[index]), to_numpy(x_t[index]))
