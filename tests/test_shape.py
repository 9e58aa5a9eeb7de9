"""Shape ops and views against torch: values, dtypes, gradients (first and second order), view
geometry (strides, storage offset, contiguity), memory and version-counter sharing, node names
and errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same, check_error, check_op, make_array, pair, to_numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember

torch = pytest.importorskip("torch")

FAST = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- values and gradients ---------------------------------------------------------------------

# (id, fn(lib, *tensors), input shapes)
OPS = [
    ("flatten", lambda lib, a: a.flatten(), [(2, 3, 4)]),
    ("flatten-mid", lambda lib, a: lib.flatten(a, 1, -1), [(2, 3, 4)]),
    ("flatten-copy", lambda lib, a: a.transpose(0, 1).flatten(), [(2, 3, 4)]),
    ("flatten-0d", lambda lib, a: a.flatten(), [()]),
    ("ravel-copy", lambda lib, a: a.mT.ravel(), [(3, 4)]),
    ("unflatten", lambda lib, a: a.unflatten(-1, (2, -1)), [(2, 3, 4)]),
    ("unflatten-t", lambda lib, a: lib.unflatten(a.transpose(0, 2), 1, (3, 1)), [(2, 3, 4)]),
    ("movedim", lambda lib, a: lib.movedim(a, 0, 2), [(2, 3, 4)]),
    ("movedim-seq", lambda lib, a: lib.movedim(a, (0, 1), (2, 0)), [(2, 3, 4)]),
    ("moveaxis", lambda lib, a: a.moveaxis([-1], [0]), [(2, 3, 4)]),
    ("narrow", lambda lib, a: a.narrow(1, 1, 2), [(2, 3, 4)]),
    ("narrow-neg", lambda lib, a: lib.narrow(a, -1, -3, 2), [(2, 3, 4)]),
    ("narrow-tensor-start", lambda lib, a: a.narrow(0, lib.tensor(1), 2), [(4, 3)]),
    ("select", lambda lib, a: a.select(1, 2), [(2, 3, 4)]),
    ("select-neg", lambda lib, a: lib.select(a, -1, -1), [(2, 3, 4)]),
    ("select-to-0d", lambda lib, a: a.select(0, 1), [(3,)]),
    ("diagonal", lambda lib, a: a.diagonal(), [(3, 4)]),
    ("diagonal-offset", lambda lib, a: lib.diagonal(a, 1, 1, 2), [(2, 3, 4)]),
    ("diagonal-neg", lambda lib, a: a.diagonal(-1, -1, 0), [(3, 2, 4)]),
    ("diagonal-empty", lambda lib, a: a.diagonal(7), [(3, 4)]),
    ("diagonal-kw", lambda lib, a: lib.diagonal(a, offset=1, dim1=0, dim2=2), [(3, 2, 4)]),
    ("unbind", lambda lib, a: a.unbind(1), [(2, 3, 4)]),
    ("unbind-neg", lambda lib, a: lib.unbind(a, -1), [(2, 3)]),
    ("split", lambda lib, a: a.split(3, 2), [(2, 3, 4)]),
    ("split-big", lambda lib, a: lib.split(a, 10), [(2, 3)]),
    ("split-sizes", lambda lib, a: a.split([1, 0, 3], -1), [(2, 3, 4)]),
    ("split-empty-dim", lambda lib, a: a.split(0, 1), [(2, 0, 3)]),
    ("chunk", lambda lib, a: a.chunk(3, 2), [(2, 3, 4)]),
    ("chunk-more", lambda lib, a: lib.chunk(a, 5, -1), [(2, 4)]),
    ("chunk-empty-dim", lambda lib, a: a.chunk(2, 0), [(0, 3)]),
    ("tensor_split", lambda lib, a: a.tensor_split(3, 2), [(2, 3, 4)]),
    ("tensor_split-idx", lambda lib, a: lib.tensor_split(a, [3, 1, 9], 2), [(2, 3, 4)]),
    ("tensor_split-neg", lambda lib, a: a.tensor_split((-1,), 0), [(4, 2)]),
    ("tensor_split-tensor", lambda lib, a: a.tensor_split(lib.tensor([1, 3]), 1), [(2, 4)]),
    ("tensor_split-0d-tensor", lambda lib, a: a.tensor_split(lib.tensor(3)), [(5, 2)]),
    ("hsplit", lambda lib, a: lib.hsplit(a, 2), [(3, 4)]),
    ("hsplit-1d", lambda lib, a: a.hsplit([1, 2]), [(4,)]),
    ("vsplit", lambda lib, a: lib.vsplit(a, [1]), [(3, 4)]),
    ("dsplit", lambda lib, a: a.dsplit(2), [(2, 3, 4)]),
    ("cat", lambda lib, a, b: lib.cat([a, b], 1), [(2, 3), (2, 2)]),
    ("cat-neg-dim", lambda lib, a, b: lib.cat((a, b), dim=-1), [(2, 3), (2, 1)]),
    ("cat-one", lambda lib, a: lib.cat([a]), [(2, 3)]),
    ("cat-three", lambda lib, a, b, c: lib.cat([a, b, c]), [(1, 3), (2, 3), (0, 3)]),
    ("cat-legacy-empty", lambda lib, a, b: lib.cat([a, b], 1), [(0,), (2, 3)]),
    ("concat", lambda lib, a, b: lib.concat([a, b]), [(2, 3), (1, 3)]),
    ("concatenate", lambda lib, a, b: lib.concatenate([a, b], axis=1), [(2, 3), (2, 1)]),
    ("stack", lambda lib, a, b: lib.stack([a, b]), [(2, 3), (2, 3)]),
    ("stack-last", lambda lib, a, b: lib.stack((a, b), -1), [(2, 3), (2, 3)]),
    ("stack-0d", lambda lib, a, b: lib.stack([a, b]), [(), ()]),
    ("hstack", lambda lib, a, b: lib.hstack([a, b]), [(2, 3), (2, 2)]),
    ("hstack-1d", lambda lib, a, b: lib.hstack([a, b]), [(3,), ()]),
    ("vstack", lambda lib, a, b: lib.vstack([a, b]), [(3,), (2, 3)]),
    ("row_stack", lambda lib, a, b: lib.row_stack([a, b]), [(3,), (3,)]),
    ("dstack", lambda lib, a, b: lib.dstack([a, b]), [(3,), (1, 3)]),
    ("column_stack", lambda lib, a, b: lib.column_stack([a, b]), [(3,), (3, 2)]),
    ("atleast_1d", lambda lib, a: lib.atleast_1d(a), [()]),
    ("atleast_2d", lambda lib, a, b: lib.atleast_2d(a, b), [(3,), ()]),
    ("atleast_3d", lambda lib, a, b: lib.atleast_3d([a, b]), [(3,), (2, 3)]),
    ("flip", lambda lib, a: a.flip(0), [(2, 3, 4)]),
    ("flip-many", lambda lib, a: lib.flip(a, (0, -1)), [(2, 3, 4)]),
    ("flip-varargs", lambda lib, a: a.flip(0, 2), [(2, 3, 4)]),
    ("flip-none", lambda lib, a: a.flip(()), [(2, 3)]),
    ("flip-0d", lambda lib, a: a.flip(0), [()]),
    ("flip-transposed", lambda lib, a: a.mT.flip(0), [(3, 4)]),
    ("fliplr", lambda lib, a: a.fliplr(), [(2, 3, 4)]),
    ("flipud", lambda lib, a: lib.flipud(a), [(2, 3)]),
    ("roll", lambda lib, a: a.roll(1), [(2, 3, 4)]),
    ("roll-dim", lambda lib, a: lib.roll(a, -2, 1), [(2, 3, 4)]),
    ("roll-dims", lambda lib, a: a.roll((1, -5), (1, 2)), [(2, 3, 4)]),
    ("roll-0d", lambda lib, a: a.roll(1), [()]),
    ("roll-transposed", lambda lib, a: a.mT.roll(1, 0), [(3, 4)]),
    ("repeat", lambda lib, a: a.repeat(2, 1, 3), [(2, 3, 4)]),
    ("repeat-more", lambda lib, a: a.repeat((2, 2, 1, 3)), [(2, 3, 4)]),
    ("repeat-zero", lambda lib, a: a.repeat(0, 1), [(2, 3)]),
    ("repeat-0d", lambda lib, a: a.repeat(2, 3), [()]),
    ("tile", lambda lib, a: a.tile(2), [(2, 3, 4)]),
    ("tile-more", lambda lib, a: lib.tile(a, (2, 1, 1, 2)), [(2, 3, 4)]),
    ("tile-none", lambda lib, a: lib.tile(a, ()), [(2, 3)]),
    ("repeat_interleave", lambda lib, a: a.repeat_interleave(2), [(2, 3)]),
    ("repeat_interleave-dim", lambda lib, a: lib.repeat_interleave(a, 3, 1), [(2, 3, 4)]),
    ("repeat_interleave-0d", lambda lib, a: a.repeat_interleave(3), [()]),
    ("repeat_interleave-tensor",
     lambda lib, a: a.repeat_interleave(lib.tensor([1, 0, 2]), 1), [(2, 3, 4)]),
    ("repeat_interleave-tensor1",
     lambda lib, a: lib.repeat_interleave(a, lib.tensor([2]), dim=-1), [(2, 3)]),
    ("repeat_interleave-tensor-flat",
     lambda lib, a: a.repeat_interleave(lib.tensor(2, dtype=lib.int32)), [(2, 3)]),
    ("repeat_interleave-output_size",
     lambda lib, a: a.repeat_interleave(lib.tensor([1, 2]), 0, output_size=3), [(2, 3)]),
    ("swapaxes", lambda lib, a: a.swapaxes(0, 2), [(2, 3, 4)]),
    ("swapdims", lambda lib, a: lib.swapdims(a, -1, 0), [(2, 3, 4)]),
    ("t-1d", lambda lib, a: a.t(), [(3,)]),
    ("t-0d", lambda lib, a: lib.t(a), [()]),
    ("squeeze", lambda lib, a: a.squeeze(), [(2, 1, 3, 1)]),
    ("squeeze-dim", lambda lib, a: a.squeeze(1), [(2, 1, 3)]),
    ("squeeze-keep", lambda lib, a: lib.squeeze(a, 0), [(2, 1, 3)]),
    ("squeeze-dims", lambda lib, a: a.squeeze((0, -1)), [(1, 2, 1)]),
    ("squeeze-no-dims", lambda lib, a: a.squeeze(()), [(1, 2, 1)]),
    ("squeeze-0d", lambda lib, a: a.squeeze(-1), [()]),
    ("unsqueeze", lambda lib, a: a.unsqueeze(-1), [(2, 3)]),
    ("unsqueeze-0d", lambda lib, a: lib.unsqueeze(a, -1), [()]),
    ("broadcast_to", lambda lib, a: lib.broadcast_to(a, (3, 2, 5, 4)), [(2, 1, 4)]),
    ("broadcast_to-keep", lambda lib, a: a.broadcast_to((-1, 3, -1)), [(2, 1, 4)]),
    ("broadcast_tensors", lambda lib, a, b: lib.broadcast_tensors(a, b), [(2, 1), (3, 1, 1)]),
    ("expand_as", lambda lib, a, b: a.expand_as(b), [(2, 1), (3, 2, 2)]),
    ("view_as", lambda lib, a, b: a.view_as(b), [(2, 3), (6,)]),
    ("reshape_as", lambda lib, a, b: a.mT.reshape_as(b), [(2, 3), (6,)]),
    ("contiguous", lambda lib, a: a.mT.contiguous(), [(2, 3)]),
    ("as_strided", lambda lib, a: a.as_strided((2, 2), (1, 2), 1), [(2, 3)]),
    ("as_strided-overlap", lambda lib, a: lib.as_strided(a, (3, 3), (1, 1)), [(6,)]),
]

# the double-backward subset (gradgradcheck in float64)
GRADGRAD = {"flatten-copy", "unflatten", "movedim-seq", "narrow-neg", "select", "diagonal-neg",
            "unbind", "split-sizes", "chunk", "tensor_split-idx", "cat-three", "cat-legacy-empty",
            "stack-last", "hstack-1d", "dstack", "flip-many", "roll-dims", "repeat-more", "tile",
            "repeat_interleave-dim", "repeat_interleave-tensor", "squeeze-dims",
            "broadcast_tensors", "as_strided", "as_strided-overlap"}


@pytest.mark.parametrize("fn, shapes", [pytest.param(f, s, id=i) for i, f, s in OPS])
def test_values_and_grads(fn, shapes):
    check_op(fn, *shapes, grad=True)


@pytest.mark.parametrize("fn, shapes", [pytest.param(f, s, id=i) for i, f, s in OPS
                                        if i in GRADGRAD])
def test_double_backward(fn, shapes):
    check_op(fn, *shapes, dtype="float64", grad=True, gradgrad=True)


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("fn, shapes", [pytest.param(f, s, id=i) for i, f, s in OPS])
def test_node_names(fn, shapes):
    """grad_fn names follow torch's (SplitBackward0, CatBackward0, SliceBackward0, ...)."""
    rng = np.random.default_rng(0)
    pairs = [pair(make_array(s, "float32", rng), requires_grad=True) for s in shapes]
    t_outs = _outputs(fn(torch, *(p[0] for p in pairs)))
    e_outs = _outputs(fn(ember, *(p[1] for p in pairs)))
    for e, t in zip(e_outs, t_outs):
        expected = t.grad_fn.name() if t.grad_fn is not None else None
        assert (e.grad_fn.name() if e.grad_fn is not None else None) == expected


# -- dtypes -----------------------------------------------------------------------------------

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("first", DTYPES)
@pytest.mark.parametrize("second", ["bool", "uint8", "int8", "int64", "float16", "float64"])
def test_cat_stack_promote(first, second):
    check_op(lambda lib, a, b: lib.cat([a, b], 1), (2, 3), (2, 1), dtypes=[first, second])
    check_op(lambda lib, a, b: lib.stack([a, b]), (2,), (2,), dtypes=[first, second])


def test_cat_legacy_empty_takes_part_in_promotion():
    check_op(lambda lib, a, b: lib.cat([a, b], 1), (0,), (2, 1), dtypes=["float64", "int32"])
    check_op(lambda lib, a, b: lib.cat([a, b]), (0,), (0,), dtypes=["float16", "float32"])


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "complex64"])
@pytest.mark.parametrize("fn", [
    lambda lib, a: a.flip(0), lambda lib, a: a.roll(1, 1), lambda lib, a: a.repeat(2, 1),
    lambda lib, a: a.repeat_interleave(2, 0), lambda lib, a: a.split(1, 1),
    lambda lib, a: a.diagonal(), lambda lib, a: lib.tile(a, (2,)),
], ids=["flip", "roll", "repeat", "repeat_interleave", "split", "diagonal", "tile"])
def test_dtypes_kept(fn, dtype):
    check_op(fn, (2, 3), dtype=dtype)


def test_repeat_interleave_indices_only():
    for dtype in ("int64", "int32"):
        check_op(lambda lib, r: lib.repeat_interleave(r), (3,),
                 inputs=[np.array([1, 0, 3], dtype=dtype)])


# -- random shapes (hypothesis) ----------------------------------------------------------------

shapes = st.lists(st.integers(0, 4), min_size=1, max_size=4)


@FAST
@given(shape=shapes, sizes=st.lists(st.integers(0, 3), min_size=1, max_size=4), data=st.data())
def test_cat_random(shape, sizes, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = [tuple(n if d == dim % len(shape) else s for d, s in enumerate(shape)) for n in sizes]
    check_op(lambda lib, *xs: lib.cat(xs, dim), *parts, grad=True)


@FAST
@given(shape=shapes, count=st.integers(1, 3), data=st.data())
def test_stack_random(shape, count, data):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_op(lambda lib, *xs: lib.stack(xs, dim), *[tuple(shape)] * count, grad=True)


@FAST
@given(shape=shapes, data=st.data())
def test_split_chunk_random(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[dim]
    step = data.draw(st.integers(0 if size == 0 else 1, 5))
    sections = data.draw(st.integers(1, 5))
    indices = data.draw(st.lists(st.integers(-6, 6), max_size=3))
    check_op(lambda lib, a: a.split(step, dim), tuple(shape), grad=True)
    check_op(lambda lib, a: a.chunk(sections, dim), tuple(shape), grad=True)
    check_op(lambda lib, a: a.tensor_split(sections, dim), tuple(shape), grad=True)
    check_op(lambda lib, a: a.tensor_split(indices, dim), tuple(shape), grad=True)


@FAST
@given(shape=shapes, data=st.data())
def test_repeat_roll_flip_random(shape, data):
    ndim = len(shape)
    repeats = data.draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim + 2))
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda d: d % ndim))
    shifts = data.draw(st.lists(st.integers(-7, 7), min_size=len(dims), max_size=len(dims)))
    check_op(lambda lib, a: a.repeat(repeats), tuple(shape), grad=True)
    check_op(lambda lib, a: a.flip(dims), tuple(shape), grad=True)
    if dims:
        check_op(lambda lib, a: a.roll(shifts, dims), tuple(shape), grad=True)


# -- view geometry --------------------------------------------------------------------------

# inputs with different layouts: contiguous, transposed, sliced with an offset, expanded
LAYOUTS = {
    "contiguous": lambda lib, a: a,
    "transposed": lambda lib, a: a.transpose(0, 2),
    "sliced": lambda lib, a: a[1:, :, 1:],
    "expanded": lambda lib, a: a[:, :1].expand(2, 3, 4),
}

VIEWS = {
    "view": lambda lib, a: a.view(-1) if a.is_contiguous() else a.unsqueeze(0),
    "reshape": lambda lib, a: a.reshape(a.shape[0], 1, -1),
    "flatten": lambda lib, a: a.flatten(1),
    "unflatten": lambda lib, a: a.unflatten(1, (1, -1, 1)),
    "movedim": lambda lib, a: a.movedim(0, -1),
    "narrow": lambda lib, a: a.narrow(-1, 1, 1),
    "narrow-empty": lambda lib, a: a.narrow(1, 2, 0),
    "select": lambda lib, a: a.select(1, -1),
    "diagonal": lambda lib, a: a.diagonal(1, 1, 2),
    "diagonal-neg": lambda lib, a: a.diagonal(-1, 0, 2),
    "diagonal-empty": lambda lib, a: a.diagonal(9, 1, 2),
    "unbind": lambda lib, a: a.unbind(2),
    "split": lambda lib, a: a.split(2, -1),
    "split-sizes": lambda lib, a: a.split([0, 1, a.shape[1] - 1], 1),
    "chunk": lambda lib, a: a.chunk(2, 0),
    "tensor_split": lambda lib, a: a.tensor_split([2, 1, 9], -1),
    "squeeze": lambda lib, a: a[:, :1].squeeze(1),
    "unsqueeze": lambda lib, a: a.unsqueeze(1),
    "swapaxes": lambda lib, a: a.swapaxes(0, 1),
    "expand": lambda lib, a: a[:1].expand(3, -1, -1, -1),
    "broadcast_to": lambda lib, a: lib.broadcast_to(a[..., :1], (2, *a.shape)),
    "as_strided": lambda lib, a: a.as_strided((2, 2), (1, 2)),
    "as_strided-offset": lambda lib, a: a.as_strided((2,), (3,), 5),
    "t": lambda lib, a: a[0].t(),
    "mT": lambda lib, a: a.mT,
    "atleast_3d": lambda lib, a: lib.atleast_3d(a[0]),
    "repeat_interleave": lambda lib, a: a.repeat_interleave(2, 1),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("view", list(VIEWS))
def test_view_geometry(view, layout):
    """Same strides, storage offset, contiguity and view-ness as torch, for any input layout."""
    data = np.arange(24, dtype="float32").reshape(2, 3, 4)
    t_base, e_base = pair(data)

    def run(lib, base):
        return _outputs(VIEWS[view](lib, LAYOUTS[layout](lib, base)))

    t_outs, e_outs = run(torch, t_base), run(ember, e_base)
    assert_same(e_outs, t_outs)
    for e, t in zip(e_outs, t_outs):
        assert e.stride() == t.stride()
        assert e.storage_offset() == t.storage_offset()
        assert e.is_contiguous() == t.is_contiguous()
        assert (e._base is not None) == t._is_view()


COPIES = {
    "flip": lambda lib, a: a.flip(0),
    "fliplr": lambda lib, a: a.fliplr(),
    "roll": lambda lib, a: a.roll(1, 0),
    "repeat": lambda lib, a: a.repeat(1, 1, 1),
    "tile": lambda lib, a: a.tile(1),
    "cat": lambda lib, a: lib.cat([a]),
    "stack": lambda lib, a: lib.stack([a]),
    "repeat_interleave-tensor": lambda lib, a: a.repeat_interleave(lib.tensor([1]), 0),
    "flatten-copy": lambda lib, a: a.transpose(0, 1).flatten(),
}


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
@pytest.mark.parametrize("op", list(COPIES))
def test_copies(op, layout):
    """torch's copying ops give fresh memory (flip too, where NumPy would give a view), laid out
    as torch lays it out; writing the input leaves them unchanged."""
    data = np.arange(24, dtype="float32").reshape(2, 3, 4)
    t_base, e_base = pair(data)
    t_out = COPIES[op](torch, LAYOUTS[layout](torch, t_base))
    e_out = COPIES[op](ember, LAYOUTS[layout](ember, e_base))
    assert e_out.stride() == t_out.stride()
    assert e_out._base is None and not t_out._is_view()
    before = to_numpy(e_out).copy()
    e_base.fill_(-1)
    np.testing.assert_array_equal(to_numpy(e_out), before)


# -- memory and version-counter sharing -----------------------------------------------------


def test_writes_through_views_reach_the_base():
    a = ember.zeros(12)
    b = a.reshape(3, 4)
    b[:] = 2
    assert a.tolist() == [2.0] * 12
    a.narrow(0, 0, 2).fill_(5)
    a.view(3, 4).select(1, 3).fill_(7)
    a.view(3, 4).diagonal().fill_(1)
    assert a.tolist() == [1, 5, 2, 7, 2, 1, 2, 7, 2, 2, 1, 7]


def test_writes_to_the_base_reach_every_piece():
    a = ember.zeros(2, 6)
    pieces = a.split([1, 2, 3], 1) + a.unbind(0) + a.chunk(3, 1) + a.tensor_split(2, 1)
    a.copy_(ember.arange(12.0).reshape(2, 6))
    expected = torch.arange(12.0).reshape(2, 6)
    t_pieces = (expected.split([1, 2, 3], 1) + expected.unbind(0) + expected.chunk(3, 1)
                + expected.tensor_split(2, 1))
    assert_same(list(pieces), list(t_pieces))


def test_flip_does_not_share_memory():
    a = ember.arange(4.0)
    b = a.flip(0)
    b[0] = 10
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert b.tolist() == [10.0, 2.0, 1.0, 0.0]


VIEWS_OF_A = [
    lambda lib, a: a.narrow(0, 1, 2), lambda lib, a: a.select(0, 1), lambda lib, a: a.diagonal(),
    lambda lib, a: a.unbind(0)[1], lambda lib, a: a.split(2)[0], lambda lib, a: a.chunk(3)[2],
    lambda lib, a: a.tensor_split(2, 1)[1], lambda lib, a: a.flatten(), lambda lib, a: a.mT,
    lambda lib, a: a.unflatten(1, (3, 1)), lambda lib, a: a.movedim(0, 1),
    lambda lib, a: a.as_strided((2,), (1,)),
]


@pytest.mark.parametrize("make_view", VIEWS_OF_A)
def test_version_counter_is_shared(make_view):
    """A view modified in place invalidates values saved from its base, as in torch."""
    def fn(lib, x):
        base = x.requires_grad_() * 2
        out = base.sin()  # saves base
        make_view(lib, base).mul_(3)
        out.sum().backward()

    e, t = check_error(fn, (3, 3))
    assert str(e).split(":")[0] == str(t).split(":")[0]


MULTI_OUTPUT = {3, 4, 5}  # unbind, split, chunk: torch forbids writing into their outputs


@pytest.mark.parametrize("make_view", [v for i, v in enumerate(VIEWS_OF_A)
                                       if i not in MULTI_OUTPUT])
def test_inplace_through_view_gradients(make_view):
    """Writing into a view of a tensor with history rebases the base's gradient, as in torch."""
    def fn(lib, x):
        base = x * 1
        make_view(lib, base).mul_(3)
        return base

    check_op(fn, (3, 3), grad=True)


@pytest.mark.parametrize("make_view", [
    lambda lib, a: a.unbind(0)[1], lambda lib, a: list(a)[0], lambda lib, a: a.split(3)[0],
    lambda lib, a: a.chunk(2)[0], lambda lib, a: a[:0].chunk(2)[1],
    lambda lib, a: a.unbind(0)[0].t(), lambda lib, a: a.split([1, 2])[1][:1],
])
def test_multi_output_views_refuse_inplace(make_view):
    """Writing into an output of unbind/split/chunk (or a view of one) is torch's RuntimeError."""
    def fn(lib, x):
        make_view(lib, x.requires_grad_() * 1).mul_(2)

    e, t = check_error(fn, (3, 2))
    assert str(e) == str(t)


def test_multi_output_views_allow_inplace_without_grad():
    for lib in (torch, ember):
        a = lib.ones(3, 2, requires_grad=True) * 1
        with lib.no_grad():
            a.unbind(0)[0].mul_(2)
        b = lib.ones(3, 2)
        b.split(1)[2].fill_(0)
        a.tensor_split(2)[1].mul_(3)  # tensor_split's pieces are ordinary narrow views
        assert a.tolist() == [[2.0, 2.0], [1.0, 1.0], [3.0, 3.0]]
        assert b.tolist() == [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]


def test_unbind_pieces_get_zero_gradients_when_unused():
    check_op(lambda lib, a: a.unbind(0)[1] * 2, (3, 2), grad=True)
    check_op(lambda lib, a: a.split(1)[2].exp(), (3, 2), grad=True)


# -- identity and small semantics -----------------------------------------------------------


def test_flatten_returns_input_when_nothing_to_merge():
    a = ember.ones(2, 3)
    assert a.flatten(1) is a and a.flatten(-1, -1) is a
    b = ember.ones(3)
    assert b.flatten() is b


def test_broadcast_tensors_returns_inputs_of_the_right_shape():
    a, b = ember.ones(2, 3), ember.ones(3)
    out = ember.broadcast_tensors(a, b)
    assert type(out) is tuple and out[0] is a and out[1].shape == (2, 3)
    assert ember.broadcast_tensors() == ()


def test_unbind_empty_dim():
    check_op(lambda lib, a: a.unbind(1), (2, 0))


@pytest.mark.parametrize("shapes", [((2, 1), (3, 1, 1), 5), ((), (4,)), ((0,), (1,)), (),
                                    ([2, 1], ember.Size([1, 3]))])
def test_broadcast_shapes(shapes):
    def fn(lib):
        return lib.broadcast_shapes(*(tuple(s) if isinstance(s, ember.Size) else s
                                      for s in shapes))

    assert tuple(fn(ember)) == tuple(fn(torch))
    assert isinstance(fn(ember), ember.Size)


def test_iteration_unbinds():
    check_op(lambda lib, a: list(a), (3, 2), grad=True)


def test_out_argument():
    for lib in (torch, ember):
        out = lib.zeros(3, 2)
        lib.cat([lib.ones(1, 2), lib.zeros(2, 2)], out=out)
        assert out.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]
        lib.stack([lib.ones(3), lib.zeros(3)], 1, out=out)
        assert out.tolist() == [[1.0, 0.0]] * 3


def test_exports():
    """ember exports the torch-level shape functions, not the module's helpers."""
    from ember._ops import shape

    assert {"Op", "math", "wrap_dim", "strided_view", "view", "expand", "repeat"}.isdisjoint(
        shape.__all__)
    for name in shape.__all__:
        assert getattr(ember, name) is getattr(shape, name) and hasattr(torch, name), name
    assert not hasattr(ember, "strided_view") and not hasattr(ember, "_owner")


# -- errors ---------------------------------------------------------------------------------

# (id, fn(lib, *tensors), input shapes); ember raises torch's exception class and message
ERRORS = [
    ("flatten-order", lambda lib, a: a.flatten(2, 1), [(2, 3, 4)]),
    ("flatten-dim", lambda lib, a: a.flatten(0, 3), [(2, 3, 4)]),
    ("flatten-float", lambda lib, a: a.flatten(0.0), [(2, 3)]),
    ("unflatten-product", lambda lib, a: a.unflatten(-1, (3, 2)), [(2, 4)]),
    ("unflatten-infer", lambda lib, a: a.unflatten(1, (0, -1)), [(2, 4)]),
    ("unflatten-empty", lambda lib, a: a.unflatten(1, ()), [(2, 4)]),
    ("movedim-count", lambda lib, a: a.movedim((0, 1), (1,)), [(2, 3)]),
    ("movedim-repeat-src", lambda lib, a: a.movedim((0, -2), (1, 0)), [(2, 3)]),
    ("movedim-repeat-dst", lambda lib, a: a.movedim((0, 1), (-1, 1)), [(2, 3)]),
    ("movedim-range", lambda lib, a: a.movedim(2, 0), [(2, 3)]),
    ("narrow-0d", lambda lib, a: a.narrow(0, 0, 1), [()]),
    ("narrow-start", lambda lib, a: a.narrow(1, 4, 0), [(2, 3)]),
    ("narrow-start-neg", lambda lib, a: a.narrow(1, -4, 0), [(2, 3)]),
    ("narrow-length", lambda lib, a: a.narrow(1, 1, 3), [(2, 3)]),
    ("narrow-neg-length", lambda lib, a: a.narrow(1, 1, -1), [(2, 3)]),
    ("narrow-float-tensor", lambda lib, a: a.narrow(0, lib.tensor(1.0), 1), [(2, 3)]),
    ("select-0d", lambda lib, a: a.select(0, 0), [()]),
    ("select-index", lambda lib, a: a.select(-2, 3), [(2, 3, 4)]),
    ("select-index-neg", lambda lib, a: a.select(1, -4), [(2, 3, 4)]),
    ("select-float", lambda lib, a: a.select(0, 1.0), [(2, 3)]),
    ("diagonal-same", lambda lib, a: a.diagonal(0, 1, -2), [(2, 3, 4)]),
    ("diagonal-1d", lambda lib, a: a.diagonal(), [(3,)]),
    ("diagonal-float", lambda lib, a: a.diagonal(1.5), [(3, 3)]),
    ("unbind-0d", lambda lib, a: a.unbind(), [()]),
    ("unbind-dim", lambda lib, a: a.unbind(2), [(2, 3)]),
    ("split-0d", lambda lib, a: a.split(1), [()]),
    ("split-negative", lambda lib, a: a.split(-1), [(2, 3)]),
    ("split-zero", lambda lib, a: a.split(0, 1), [(2, 3)]),
    ("split-sum", lambda lib, a: a.split([1, 1], 1), [(2, 3)]),
    ("split-neg-size", lambda lib, a: a.split([4, -1], 1), [(2, 3)]),
    ("split-dim", lambda lib, a: a.split(1, 5), [(2, 3)]),
    ("chunk-zero", lambda lib, a: a.chunk(0), [(2, 3)]),
    ("chunk-0d", lambda lib, a: a.chunk(1), [()]),
    ("chunk-float", lambda lib, a: a.chunk(2.0), [(2, 3)]),
    ("tensor_split-0d", lambda lib, a: a.tensor_split(1), [()]),
    ("tensor_split-zero", lambda lib, a: a.tensor_split(0), [(2, 3)]),
    ("tensor_split-float", lambda lib, a: a.tensor_split(lib.tensor([1.0])), [(2, 3)]),
    ("tensor_split-2d", lambda lib, a: a.tensor_split(lib.tensor([[1]])), [(2, 3)]),
    ("hsplit-0d", lambda lib, a: lib.hsplit(a, 1), [()]),
    ("hsplit-divide", lambda lib, a: lib.hsplit(a, 2), [(2, 3)]),
    ("vsplit-1d", lambda lib, a: lib.vsplit(a, [1]), [(3,)]),
    ("dsplit-divide", lambda lib, a: lib.dsplit(a, 3), [(2, 3, 4)]),
    ("cat-empty-list", lambda lib, a: lib.cat([]), [(2,)]),
    ("cat-0d", lambda lib, a, b: lib.cat([a, b]), [(2,), ()]),
    ("cat-ndim", lambda lib, a, b: lib.cat([a, b]), [(2, 3), (3,)]),
    ("cat-sizes", lambda lib, a, b, c: lib.cat([a, b, c], -1), [(2, 3), (2, 1), (3, 1)]),
    ("cat-sizes-skip", lambda lib, a, b, c: lib.cat([a, b, c]), [(0,), (2, 3), (2, 2)]),
    ("cat-dim", lambda lib, a, b: lib.cat([a, b], 2), [(2, 3), (2, 3)]),
    ("cat-legacy-dim", lambda lib, a, b: lib.cat([a, b], -3), [(0,), (2, 3)]),
    ("cat-not-tensor", lambda lib, a: lib.cat([a, 1]), [(2,)]),
    ("cat-tensor", lambda lib, a: lib.cat(a), [(2,)]),
    ("stack-empty-list", lambda lib, a: lib.stack([]), [(2,)]),
    ("stack-sizes", lambda lib, a, b, c: lib.stack([a, b, c]), [(2, 3), (2, 3), (3, 2)]),
    ("stack-dim", lambda lib, a, b: lib.stack([a, b], 3), [(2, 3), (2, 3)]),
    ("stack-tensor", lambda lib, a: lib.stack(a), [(2,)]),
    ("hstack-empty", lambda lib, a: lib.hstack([]), [(2,)]),
    ("vstack-empty", lambda lib, a: lib.vstack([]), [(2,)]),
    ("dstack-empty", lambda lib, a: lib.dstack([]), [(2,)]),
    ("column_stack-empty", lambda lib, a: lib.column_stack([]), [(2,)]),
    ("flip-repeat", lambda lib, a: a.flip((0, -2)), [(2, 3)]),
    ("flip-dim", lambda lib, a: a.flip(2), [(2, 3)]),
    ("fliplr-1d", lambda lib, a: a.fliplr(), [(3,)]),
    ("flipud-0d", lambda lib, a: a.flipud(), [()]),
    ("roll-align", lambda lib, a: a.roll((1, 2), 1), [(2, 3)]),
    ("roll-align-none", lambda lib, a: a.roll((1, 2)), [(2, 3)]),
    ("roll-no-shifts", lambda lib, a: a.roll((), ()), [(2, 3)]),
    ("roll-0d-dim", lambda lib, a: a.roll(1, 0), [()]),
    ("roll-float", lambda lib, a: a.roll(1.0), [(2, 3)]),
    ("repeat-fewer", lambda lib, a: a.repeat(2, 2), [(2, 3, 4)]),
    ("repeat-negative", lambda lib, a: a.repeat(2, -1, 1), [(2, 3, 4)]),
    ("repeat-missing", lambda lib, a: a.repeat(), [(2,)]),
    ("tile-negative", lambda lib, a: a.tile(-1), [(2, 3)]),
    ("repeat_interleave-negative", lambda lib, a: a.repeat_interleave(-1, 1), [(2, 3)]),
    ("repeat_interleave-size", lambda lib, a: a.repeat_interleave(lib.tensor([1, 2]), 1),
     [(2, 3)]),
    ("repeat_interleave-neg-tensor",
     lambda lib, a: a.repeat_interleave(lib.tensor([1, -1, 1]), 1), [(2, 3)]),
    ("repeat_interleave-float", lambda lib, a: a.repeat_interleave(lib.tensor([1.0]), 1),
     [(2, 3)]),
    ("repeat_interleave-2d", lambda lib, a: a.repeat_interleave(lib.tensor([[1, 2, 1]]), 1),
     [(2, 3)]),
    ("repeat_interleave-0d-dim", lambda lib, a: a.repeat_interleave(2, 0), [()]),
    ("repeat_interleave-output_size",
     lambda lib, a: a.repeat_interleave(lib.tensor([1, 2]), 0, output_size=4), [(2, 3)]),
    ("repeat_interleave-indices-0d", lambda lib, a: lib.repeat_interleave(lib.tensor(2)),
     [(2,)]),
    ("squeeze-repeat", lambda lib, a: a.squeeze((1, -2)), [(2, 1, 3)]),
    ("squeeze-0d-repeat", lambda lib, a: a.squeeze((0, 0)), [()]),
    ("squeeze-dim", lambda lib, a: a.squeeze(3), [(2, 1, 3)]),
    ("unsqueeze-dim", lambda lib, a: a.unsqueeze(4), [(2, 1, 3)]),
    ("unsqueeze-0d", lambda lib, a: a.unsqueeze(1), [()]),
    ("t-3d", lambda lib, a: a.t(), [(2, 3, 4)]),
    ("broadcast_tensors", lambda lib, a, b: lib.broadcast_tensors(a, b), [(2, 1, 4), (3, 1, 1)]),
    ("broadcast_shapes", lambda lib, a: lib.broadcast_shapes((2, 1), (1, 5), (3, 2, 3)), [()]),
    ("broadcast_shapes-int", lambda lib, a: lib.broadcast_shapes(2, (3,)), [()]),
    ("broadcast_shapes-neg", lambda lib, a: lib.broadcast_shapes((-1, 1), (3,)), [()]),
    ("broadcast_shapes-float", lambda lib, a: lib.broadcast_shapes([2.0]), [()]),
    ("broadcast_to", lambda lib, a: lib.broadcast_to(a, (2, 3)), [(2, 2)]),
    ("as_strided-lengths", lambda lib, a: a.as_strided((2, 2), (1,)), [(2, 3)]),
    ("as_strided-neg-stride", lambda lib, a: a.as_strided((2, 2), (-1, 2)), [(2, 3)]),
    ("as_strided-neg-size", lambda lib, a: a.as_strided((-1,), (1,)), [(2, 3)]),
    ("as_strided-neg-offset", lambda lib, a: a.as_strided((2,), (1,), -1), [(2, 3)]),
    ("as_strided-bounds", lambda lib, a: a.as_strided((20, 2), (1, 2)), [(2, 3)]),
    ("as_strided-bounds-offset", lambda lib, a: a[1].as_strided((2,), (1,), 5), [(2, 3)]),
    ("view", lambda lib, a: a.mT.view(-1), [(2, 3)]),
]

# messages that differ from torch's (class still matches): torch's argument parser lists
# overloads, or wraps the message in "unflatten got an unexpected error"
LOOSE = {"flatten-float", "select-float", "roll-float", "chunk-float", "repeat-missing",
         "diagonal-float"}


@pytest.mark.parametrize("fn, shapes", [pytest.param(f, s, id=i) for i, f, s in ERRORS])
def test_errors(fn, shapes, request):
    e, t = check_error(fn, *shapes)
    if request.node.callspec.id not in LOOSE:
        assert str(e) == str(t)


@pytest.mark.parametrize("fn", [
    lambda lib, a: a[:, ::2][1], lambda lib, a: a.t()[1:][0],
    lambda lib, a: a[:, 1:].as_strided((3, 3), (0, 1)),
])
def test_slice_gradient_of_non_dense_layout(fn):
    """Regression: gradients of basic slicing and as_strided on a non-dense input used the
    memory offsets of a dense copy (wrong values or an IndexError)."""
    check_op(fn, (3, 4), dtype="float64", grad=True, gradgrad=True)


def test_as_strided_outside_the_input():
    """A region reaching storage outside the input: torch gives those elements no gradient."""
    check_op(lambda lib, a: a[1:].as_strided((2, 2), (1, 1), 0), (3, 4), grad=True)
    check_op(lambda lib, a: a[:, ::2].as_strided((2,), (1,)), (3, 4), grad=True)


def test_write_into_view_of_non_dense_view():
    """Regression: CopySlices gradients when the written view sits in a strided view."""
    def fn(lib, a):
        b = a * 1
        b.t()[1:][0] = 5
        v = b[:, ::2]
        v.t()[1:][0] = v[:, 0].exp()
        return b, v

    check_op(fn, (3, 4), dtype="float64", grad=True, gradgrad=True)
