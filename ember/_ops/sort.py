"""Sorting and what builds on order: sort, argsort, msort, cummax, cummin, aminmax, unique,
unique_consecutive. topk, kthvalue, median, nanmedian and mode live in select.py (with the Op
these share); this module exports both. searchsorted, bucketize and isin are in search.py,
bincount, histc and histogram in histogram.py.

sort with stable=False: torch's CPU kernel leaves equal values in an order of its own (SIMD sorts
that depend on the processor); Ember always gives the stable order, which is one of torch's
valid answers and the one it gives with stable=True.
"""

from __future__ import annotations

import math

from ember._ops._elementwise import _reject
from ember._ops._op import Op
from ember._ops._return_types import pair_out, return_type
from ember._ops.inplace import out_exact
from ember._ops.select import (
    PickAlong,
    check_nonempty,
    int_arg,
    keys_of,
    kthvalue,
    median,
    mode,
    nanmedian,
    order,
    running,
    same,
    topk,
)
from ember._ops.shape import wrap_dim

__all__ = [
    "aminmax", "argsort", "cummax", "cummin", "kthvalue", "median", "mode", "msort",
    "nanmedian", "sort", "topk", "unique", "unique_consecutive",
]


# -- sort ---------------------------------------------------------------------------------------


class SortBackward0(PickAlong):
    def __init__(self, dim, descending):
        super().__init__(dim)
        self.descending = descending

    def pick(self, keys):
        return order(self.xp, keys, self.descending)


def _sorted(input, dim, descending):
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"sort(): argument 'dim' must be int, not {type(dim).__name__}")
    dim = wrap_dim(dim, input.ndim)
    if input.dtype.is_complex:
        raise RuntimeError(" Sort does not support complex dtypes on CPU")  # torch's spacing
    return SortBackward0(dim, descending)


def sort(input, dim=-1, descending=False, *, stable=False, out=None):
    """Sorted values along dim and the indices that sort (torch.sort); NaN sorts as the largest.
    Equal values keep their order (see the module note on stable=False)."""
    values, indices = _sorted(input, dim, descending).apply(input)
    return pair_out(return_type("sort")(values, indices), out, "sort")


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort input along dim (torch.argsort)."""
    return _sorted(input, dim, descending).apply(input.detach())[1]


def msort(input, *, out=None):
    """input sorted along its first dim (torch.msort); out of the input's dtype."""
    return out_exact(_sorted(input, 0, False).apply(input)[0], out)


# -- cummax, cummin, aminmax ---------------------------------------------------------------


class CummaxBackward0(PickAlong):
    """Running max along dim; on ties (and NaN) the latest index, as torch's kernel updates
    with >=."""

    accumulate = True
    reducer = "maximum"

    def pick(self, keys):
        xp = self.xp
        extreme = running(xp, getattr(xp, self.reducer), keys)
        position = xp.arange(keys.shape[-1])
        return running(xp, xp.maximum, xp.where(same(keys, extreme, xp), position, 0))


class CumminBackward0(CummaxBackward0):
    reducer = "minimum"


class AminmaxBackward0(Op):
    """(min, max) over dims; each gradient is shared evenly among the elements equal to it."""

    promote = "keep"

    def __init__(self, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        low = x.min(axis=self.dims, keepdims=self.keepdim)
        high = x.max(axis=self.dims, keepdims=self.keepdim)
        self.save(x, low, high)
        return low, high

    def backward(self, g_min, g_max):
        x, low, high = self.saved
        return self._share(g_min, x, low) + self._share(g_max, x, high)

    def _share(self, g, x, value):
        from ember._ops.reduce import _expand_grad

        shape, dims = self._input_meta[0][0], self.dims
        # NOTE: a NaN extreme matches nothing: 0 / 0 gives NaN everywhere, as in torch
        hits = (x == _expand_grad(value, dims, self.keepdim, shape)).to(g.dtype)
        count = _expand_grad(hits.sum(dims, keepdim=True), dims, True, shape)
        return _expand_grad(g, dims, self.keepdim, shape) * hits / count


def _cumulative(input, dim, out, name, op):
    dim = wrap_dim(int_arg(name, "dim", dim, 1), input.ndim)
    _reject(input._data, "c", f"{name}_cpu")
    values, indices = op(dim).apply(input)
    return pair_out(return_type(name)(values, indices), out, name)


def cummax(input, dim, *, out=None):
    """Running maximum along dim and the index where it was reached (the latest on ties); NaN
    propagates (torch.cummax)."""
    return _cumulative(input, dim, out, "cummax", CummaxBackward0)


def cummin(input, dim, *, out=None):
    """Running minimum along dim and its index (torch.cummin)."""
    return _cumulative(input, dim, out, "cummin", CumminBackward0)


def aminmax(input, *, dim=None, keepdim=False, out=None):
    """(min, max) over all elements or one dim, as a named tuple (torch.aminmax)."""
    _reject(input._data, "c", "aminmax_cpu")
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        dims = tuple(range(input.ndim))
    else:
        dim = wrap_dim(int_arg("aminmax", "dim", dim, 1), input.ndim)
        check_nonempty(input, dim, "aminmax", sep="")
        dims = (dim,) if input.ndim else ()
    low, high = AminmaxBackward0(dims, keepdim).apply(input)
    return pair_out(return_type("aminmax", ("min", "max"))(low, high), out, "aminmax",
                    ("min", "max"))


# -- unique ---------------------------------------------------------------------------------------


class Unique2Backward0(Op):
    """unique: forward gives (values, inverse, counts); torch records a node with no derivative."""

    promote = "keep"
    aten = "_unique2"

    def __init__(self, dim=None, consecutive=False):
        self.dim, self.consecutive = dim, consecutive

    def forward(self, x):
        xp = self.xp
        if self.dim is None:
            slices = x.reshape(-1, 1)
        else:
            moved = xp.moveaxis(x, self.dim, 0)
            slices = moved.reshape(len(moved), math.prod(moved.shape[1:]))
        ranked = xp.arange(len(slices)) if self.consecutive else _slice_order(xp, slices)
        ordered = slices[ranked]
        starts = xp.ones(len(ordered), dtype=bool)
        # NOTE: != keeps every NaN apart, as torch does (NumPy's unique would merge them)
        starts[1:] = (ordered[1:] != ordered[:-1]).any(-1)
        inverse = xp.empty(len(ordered), dtype=xp.int64)
        inverse[ranked] = xp.cumsum(starts) - 1
        first = xp.nonzero(starts)[0]
        counts = xp.diff(xp.concatenate([first, xp.asarray([len(ordered)])]))
        if self.dim is None:
            return ordered[first].reshape(-1), inverse.reshape(x.shape), counts
        values = ordered[first].reshape((len(first),) + moved.shape[1:])
        return xp.moveaxis(values, 0, self.dim), inverse, counts

    def backward(self, *grads):
        raise NotImplementedError(f"the derivative for '{self.aten}' is not implemented.")


class UniqueConsecutiveBackward0(Unique2Backward0):
    aten = "unique_consecutive"


class UniqueDimBackward0(Unique2Backward0):
    aten = "unique_dim"


def _slice_order(xp, slices):
    """Stable lexicographic order of the rows of a 2-D array (first column first)."""
    keys = keys_of(slices, xp)
    if keys.shape[1] == 1:
        return xp.argsort(keys[:, 0], kind="stable")
    return xp.lexsort(keys.T[::-1])


def _unique(input, dim, return_inverse, return_counts, consecutive):
    _reject(input._data, "c", "unique")
    if dim is None:
        op = (UniqueConsecutiveBackward0 if consecutive else Unique2Backward0)(None, consecutive)
    else:
        if input.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        dim = wrap_dim(dim, input.ndim)
        if any(s == 0 for d, s in enumerate(input.shape) if d != dim):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                               "cannot be applied")
        op = (UniqueConsecutiveBackward0 if consecutive else UniqueDimBackward0)(dim, consecutive)
    values, inverse, counts = op.apply(input)
    result = (values,) + ((inverse,) if return_inverse else ()) + (
        (counts,) if return_counts else ())
    return result if len(result) > 1 else values


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or slices along dim), sorted, with optional inverse indices and
    counts (torch.unique). NaNs are all distinct; torch's CPU kernel sorts even for sorted=False,
    and so does Ember."""
    return _unique(input, dim, return_inverse, return_counts, consecutive=False)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Keep the first of each run of equal consecutive values or slices
    (torch.unique_consecutive)."""
    return _unique(input, dim, return_inverse, return_counts, consecutive=True)
