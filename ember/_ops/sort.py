"""Sorting and what builds on order: sort, argsort, msort, cummax, cummin, aminmax, unique,
unique_consecutive, searchsorted, bucketize, isin, bincount, histc, histogram. topk, kthvalue,
median, nanmedian and mode live in select.py (with the Op and named tuples all of these share);
this module exports both.

sort with stable=False: torch's CPU kernel leaves equal values in an order of its own (SIMD sorts
that depend on the processor); Ember always gives the stable order, which is one of torch's
valid answers and the one it gives with stable=True.
"""

from __future__ import annotations

import math
import warnings

from ember import _dtype
from ember._ops._op import Op, result_type
from ember._ops.inplace import out_exact, with_out
from ember._ops.pointwise import _reject
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
    pair_out,
    return_type,
    running,
    same,
    topk,
    warn_resized,
)
from ember._ops.shape import wrap_dim

__all__ = [
    "aminmax", "argsort", "bincount", "bucketize", "cummax", "cummin",
    "histc", "histogram", "isin", "kthvalue", "median", "mode", "msort", "nanmedian",
    "searchsorted", "sort", "topk", "unique", "unique_consecutive",
]


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


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


# -- searchsorted and bucketize ---------------------------------------------------------------


class _Bisect(Op):
    """Binary search of each value in its row of sorted boundaries, step for step as torch's
    kernel runs it (so NaN and unsorted boundaries give torch's answer): left finds the first
    boundary >= value, right the first > value."""

    promote = "binary"
    differentiable = False

    def __init__(self, right, out_int32, sorter=None):
        self.right, self.out_int32, self.sorter = right, out_int32, sorter

    def forward(self, boundaries, values):
        xp, n = self.xp, boundaries.shape[-1]
        values = xp.asarray(values)  # a Python number arrives as a NumPy scalar
        rows = math.prod(boundaries.shape[:-1])
        sorter = None if self.sorter is None else self.sorter.reshape(rows, n)
        probe = values.reshape(rows, values.size // max(rows, 1))
        found = bisect(xp, boundaries.reshape(rows, n), probe, self.right, sorter)
        return found.reshape(values.shape).astype(xp.int32 if self.out_int32 else xp.int64)


def bisect(xp, table, probe, right, sorter=None):
    """Vectorised binary search: row i of ``probe`` in row i of ``table``."""
    table, probe, n = keys_of(table, xp), keys_of(probe, xp), table.shape[-1]
    low = xp.zeros(probe.shape, dtype=xp.int64)
    high = xp.full(probe.shape, n, dtype=xp.int64)
    for _ in range(n.bit_length()):
        mid = low + (high - low) // 2
        at = xp.minimum(mid, n - 1)
        if sorter is not None:
            at = xp.take_along_axis(sorter, at, -1)
        bound = xp.take_along_axis(table, at, -1)
        ahead = ~(bound > probe) if right else ~(bound >= probe)
        active = low < high
        low = xp.where(active & ahead, mid + 1, low)
        high = xp.where(active & ~ahead, mid, high)
    return low


def _check_side(side, right):
    if side is None:
        return right
    if side not in ("left", "right"):
        raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but got "
                           f"{side}")
    if (side == "right") != right and right:
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got "
                           f"side of {side} while right was True")
    return side == "right"


def _check_search(boundaries, ndim, values, sorter):
    if boundaries.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if sorter is not None:
        if sorter.dtype.name != "int64":
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {_legacy_name(sorter.dtype)}")
        if sorter.shape != boundaries.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(boundaries.shape)}and got "
                               f"sorter tensor {list(sorter.shape)}")
        n = boundaries.shape[-1]
        if sorter.numel() and not bool(((sorter >= 0) & (sorter < n)).all()):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
    if boundaries.ndim > 1 and ndim == 0:
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when "
                           f"boundaries tensor dimension is 1, but we got boundaries tensor "
                           f"dim({boundaries.ndim}) and input value's dim(0) numel(1)")
    if boundaries.ndim > 1 and boundaries.shape[:-1] != values.shape[:-1]:  # values: a tensor
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           "first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {list(boundaries.shape)} "
                           f"and input value tensor {list(values.shape)}")


def _legacy_name(dtype):
    from ember._ops.inplace import _scalar_type_name

    return _scalar_type_name(dtype)


def _search(boundaries, values, out_int32, right, sorter, out, kernel):
    ndim = values.ndim if isinstance(values, _tensor_cls()) else 0  # a number: torch's overload
    _check_search(boundaries, ndim, values, sorter)
    dtype = result_type(boundaries, values)
    if dtype.is_complex or dtype.name == "bool":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(dtype)}\'')
    if out is not None and out.dtype.name != ("int32" if out_int32 else "int64"):
        raise RuntimeError("torch.searchsorted(): output tensor's dtype is wrong, it can only be "
                           "Int(int32) or Long(int64) depending on whether out_int32 flag is "
                           f"True, but we got output tensor's dtype {_legacy_name(out.dtype)} "
                           f"and out_int32 flag is {out_int32}")
    sorter = None if sorter is None else sorter._data
    return with_out(_Bisect(right, out_int32, sorter).apply(boundaries, values), out)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, out=None,
                 sorter=None):
    """For each value, the index where it would be inserted into the (last dim of the) sorted
    sequence to keep it sorted: before equal entries, or after them with right=True or
    side='right' (torch.searchsorted). Both are promoted to a common dtype first."""
    right = _check_side(side, right)
    return _search(sorted_sequence, input, out_int32, right, sorter, out, "searchsorted_out_cpu")


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The index of the bucket of each value, given 1-D sorted boundaries (torch.bucketize)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _search(boundaries, input, out_int32, right, None, out, "bucketize_cpu")


def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    """True where an element of ``elements`` occurs in ``test_elements`` (False with invert),
    after promoting both to a common dtype (torch.isin). NaN is in nothing."""
    Tensor = _tensor_cls()
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__})")
    for t in (elements, test_elements):
        dtype = t.dtype if isinstance(t, Tensor) else result_type(t)
        if dtype.is_complex or dtype.name == "bool":
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{_legacy_name(dtype)}")
    result = _IsIn(invert).apply(elements, test_elements)
    if out is None:
        return result
    if out.dtype.name != "bool":
        raise RuntimeError(f"Expected out tensor to have dtype bool, but got {_c_name(out)} "
                           "instead")
    if isinstance(elements, Tensor):
        return with_out(result, out)
    # NOTE: torch's isin of a number first resizes out to [0] (warning if it had elements),
    # then to the 0-dim result without a warning
    warn_resized(out, [0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return with_out(result, out)


class _IsIn(Op):
    promote = "binary"
    differentiable = False

    def __init__(self, invert):
        self.invert = invert

    def forward(self, elements, test_elements):
        xp = self.xp
        elements, test_elements = xp.asarray(elements), xp.asarray(test_elements)
        found = xp.isin(keys_of(elements.reshape(-1), xp), keys_of(test_elements.reshape(-1), xp),
                        invert=self.invert)
        return found.reshape(elements.shape)


# -- counting and histograms ------------------------------------------------------------------


class _NoDerivative(Op):
    """torch's node for an op without a derivative: recorded, failing at backward."""

    promote = "keep"
    aten = ""

    def name(self):
        return "torch::autograd::NotImplemented"

    def __repr__(self):
        return f"<NotImplemented object at {id(self):#x}>"

    def backward(self, *grads):
        raise RuntimeError(f"derivative for aten::{self.aten} is not implemented")


class _Bincount(_NoDerivative):
    aten = "bincount"

    def __init__(self, minlength):
        self.minlength = minlength

    def forward(self, input, weights=None):
        xp = self.xp
        if weights is None:
            return xp.bincount(input, minlength=self.minlength).astype(xp.int64)
        # NOTE: float32 weights sum to float32 (NumPy sums in float64 first); others to float64
        dtype = xp.float32 if weights.dtype == xp.float32 else xp.float64
        counts = xp.bincount(input, weights.astype(xp.float64), minlength=self.minlength)
        return counts.astype(dtype)


def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in a 1-D tensor, or the sum of its weights
    (torch.bincount): int64 counts; float32 weights give float32, other weights float64."""
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    _reject(input._data, "bcfV", "bincount_cpu")
    if input.ndim != 1 or (input.numel() and bool((input < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or len(weights) != len(input)):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if input.numel() == 0:  # torch gives int64 zeros here, weights or not
        from ember._ops.creation import zeros

        return zeros(minlength, dtype=_dtype.int64, device=input.device)
    op = _Bincount(minlength)
    return op.apply(input) if weights is None else op.apply(input, weights)


class _Histogram(_NoDerivative):
    """Counts (or summed weights) of the values in each bin given by edges: bins include their
    left edge, the last also its right one; values outside the edges (and NaN) are left out.
    histc maps a value to its bin by interpolation in the input's dtype, as torch's kernel does;
    histogram by searching the edges (torch runs std::upper_bound: the same bins for increasing
    edges; for edges out of order the two searches may differ)."""

    aten = "histogram"

    def __init__(self, interpolate=False, density=False):
        self.interpolate, self.density = interpolate, density

    def forward(self, x, edges, weight=None):
        xp, bins = self.xp, len(edges) - 1
        x, low, high = x.reshape(-1), edges[0], edges[-1]
        inside = (x >= low) & (x <= high)
        if self.interpolate:
            where = ((x - low) * bins / (high - low)).astype(xp.int64)  # truncates, as C++ does
        else:
            where = bisect(xp, edges[None], x[None], right=True)[0] - 1
        where = xp.minimum(where[inside], bins - 1)  # the last bin holds its right edge
        weight = None if weight is None else weight.reshape(-1)[inside].astype(xp.float64)
        hist = xp.bincount(where, weight, minlength=bins)[:bins].astype(x.dtype)
        if self.density:
            hist = hist / hist.sum() / xp.diff(edges)
        return (hist, edges.copy()) if not self.interpolate else hist


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram of equal-width bins between min and max (the data's range when both are equal);
    values outside are ignored (torch.histc). Same dtype as input; no gradient."""
    from ember._ops.creation import linspace

    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if input.dtype.category != _dtype.FLOAT:
        kernel = "linspace_cpu" if input.dtype.name == "bool" else "histogram_cpu"
        _reject(input._data, "biuc", kernel)
    low, high = float(min), float(max)
    if low == high and input.numel():
        low, high = (float(v) for v in aminmax(input.detach()))
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low:g}, {high:g}] is not finite")
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    edges = linspace(low, high, bins + 1, dtype=input.dtype, device=input.device)
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError("torch.histogram: input tensor and hist tensor should have the same "
                           f"dtype, but got input {_c_name(input)} and hist {_c_name(out)}")
    # NOTE: detached: torch's histc result has no grad_fn
    return with_out(_Histogram(interpolate=True).apply(input.detach(), edges), out)


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """Histogram with ``bins`` equal-width bins over ``range`` (the data's range by default), or
    with the given bin edges; weights sum per bin, density normalises to unit area. Returns
    (hist, bin_edges) (torch.histogram; float32 and float64 only)."""
    if isinstance(bins, _tensor_cls()):
        edges = _given_edges(input, bins)
    else:
        edges = _equal_edges(input, bins, range)
    if weight is not None:
        _check_weight(input, weight)
    args = (input, edges) if weight is None else (input, edges, weight)
    hist, edges = _Histogram(density=density).apply(*args)
    fields = ("hist", "bin_edges")
    return pair_out(return_type("histogram", fields)(hist, edges), out, "histogram", fields)


def _equal_edges(input, bins, range):
    from ember._ops.creation import linspace

    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if range is not None and len(range) != 2:
        raise RuntimeError("torch.histogramdd: for a 1-dimensional histogram range should have 2 "
                           f"elements, but got {len(range)}")
    if input.dtype.name not in ("float32", "float64") and (range is None or input.dtype.category
                                                           != _dtype.FLOAT):
        _reject(input._data, "biucfV", "histogramdd")
    if range is not None:
        low, high = float(range[0]), float(range[1])
    else:
        low, high = (float(v) for v in aminmax(input.detach())) if input.numel() else (0.0, 1.0)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histogramdd: dimension 0's range [{low:g}, {high:g}] is not "
                           "finite")
    if low > high:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {low:g} "
                           f"max {high:g} for dimension 0")
    if low == high:  # as NumPy: widen an empty range
        low, high = low - 0.5, high + 0.5
    return linspace(low, high, bins + 1, dtype=input.dtype, device=input.device)


def _given_edges(input, bins):
    if bins.dtype is not input.dtype:
        raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same "
                           f"dtype, but got input with dtype {_c_name(input)} and bins for "
                           f"dimension 0 with dtype {_c_name(bins)}")
    if bins.ndim != 1:
        raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                           f"{bins.ndim} dimensions in the bins tensor for dimension 0")
    if bins.numel() == 0:
        raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, but "
                           "got 0 elements in the bins tensor for dimension 0")
    if bins.numel() == 1:
        raise RuntimeError("torch.histogram(): bins must be > 0, but got 0 for dimension 0")
    _reject(input._data, "biuc", "histogram_cpu")
    return bins.detach()


def _check_weight(input, weight):
    if weight.dtype is not input.dtype:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and "
                           f"weight tensor should have the same dtype, but got "
                           f"input({_c_name(input)}), and weight({_c_name(weight)})")
    if weight.numel() != input.numel():  # torch compares them flattened
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, but "
                           f"got input with shape [{input.numel()}, 1] and weight with shape "
                           f"[{weight.numel()}]")


def _c_name(t):
    from ember._ops.index import _C_NAMES

    return _C_NAMES[t.dtype.name]
