"""Selection along a dim with indices: topk, kthvalue, median, nanmedian, mode, and the Op they
share with sort and cummax: values taken from the input at indices along a dim, whose gradient
flows back to those positions. torch's named tuple results are built in _return_types.py.

Which of several equal values torch returns is decided by the algorithm its CPU kernel runs:
libstdc++'s std::nth_element / std::partial_sort / std::sort (topk, mode) and torch's own
quickselect (kthvalue). Rows where equal values make the choice matter are replayed on the host
with those algorithms (replayed in _stl.py), so the indices are torch's; every other
row, and every row on CUDA, takes the vectorised path (stable order).
"""

from __future__ import annotations

import math

from ember._ops._elementwise import _reject
from ember._ops._op import Op
from ember._ops._return_types import pair_out, return_type
from ember._ops._stl import (
    _all_equal_nth,
    _pairs,
    nan_greater,
    nan_less,
    nth_element,
    partial_sort,
    plain_less,
    quick_select,
    std_sort,
)
from ember._ops.shape import wrap_dim

# -- rows: the selection dim last, every other dim flattened ------------------------------------


def rows_of(x, dim, xp):
    """x as a 2-D array of rows along ``dim``, and the leading shape to restore it."""
    moved = xp.moveaxis(x, dim, -1)
    lead = moved.shape[:-1]
    return moved.reshape(math.prod(lead), moved.shape[-1]), lead


def unrows(rows, lead, dim, xp):
    return xp.moveaxis(rows.reshape(lead + rows.shape[-1:]), -1, dim)


def keys_of(rows, xp):
    """Values to order by. NOTE: NumPy's sort of ml_dtypes' bfloat16 mishandles NaN; float32 holds
    every bfloat16 exactly."""
    return rows.astype(xp.float32) if rows.dtype.name == "bfloat16" else rows


def order(xp, keys, descending):
    """Indices sorting each row stably; NaN last ascending and first descending, as in torch."""
    if not descending:
        return xp.argsort(keys, axis=-1, kind="stable")
    # a stable ascending sort of the reversed row, reversed back, keeps equal values in order
    flipped = xp.argsort(keys[:, ::-1], axis=-1, kind="stable")
    return xp.ascontiguousarray((keys.shape[-1] - 1 - flipped)[:, ::-1])


def same(a, b, xp):
    """Elementwise equality that counts NaN as equal to NaN (ties, for choosing among them)."""
    equal = a == b
    return equal | (xp.isnan(a) & xp.isnan(b)) if a.dtype.kind == "f" else equal


def running(xp, ufunc, a):
    """Inclusive scan of a binary ufunc along the last axis. CuPy has no ufunc.accumulate for
    maximum / minimum: there it takes log2(n) doubling steps."""
    if xp.__name__ == "numpy":
        return ufunc.accumulate(a, axis=-1)
    out, shift = a.copy(), 1
    while shift < a.shape[-1]:
        out[..., shift:] = ufunc(out[..., shift:], out[..., :-shift])
        shift *= 2
    return out


def _replay(xp, keys, chosen, needs, exact):
    """Rows flagged in ``needs`` get torch's CPU choice from ``exact(row)``, on the host."""
    if xp.__name__ != "numpy" or not needs.any():
        return chosen  # NOTE: on CUDA the vectorised (stable) choice stands, as documented
    chosen = chosen.copy()
    for r in needs.nonzero()[0].tolist():
        chosen[r] = exact(keys[r])
    return chosen


# -- the shared Op -----------------------------------------------------------------------------


class PickAlong(Op):
    """Values taken from the input at indices along ``dim``: forward gives (values, indices) and
    the gradient goes back to the positions picked (scattered, or summed where one position can
    be picked several times, as in cummax)."""

    promote = "keep"
    accumulate = False

    def __init__(self, dim, keepdim=True):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        xp, scalar = self.xp, x.ndim == 0
        rows, lead = rows_of(x.reshape(1) if scalar else x, self.dim, xp)
        picked = self.pick(keys_of(rows, xp)).astype(xp.int64, copy=False)
        values = unrows(xp.take_along_axis(rows, picked, -1), lead, self.dim, xp)
        self.index = indices = unrows(picked, lead, self.dim, xp)
        if scalar:
            return values.reshape(()), indices.reshape(())
        if not self.keepdim:
            values, indices = values.squeeze(self.dim), indices.squeeze(self.dim)
        return values, indices

    def pick(self, keys):
        """The chosen positions along each row of ``keys`` (a 2-D array), as a 2-D array."""
        raise NotImplementedError

    def backward(self, g, _g_indices=None):
        from ember._ops.scatter import scatter, scatter_add
        from ember._tensor import Tensor

        shape = self._input_meta[0][0]
        index = Tensor._make(self.index, g.device)
        g = g.reshape(self.index.shape)
        place = scatter_add if self.accumulate else scatter
        return place(g.new_zeros(shape or (1,)), self.dim, index, g).reshape(shape)


# -- topk, kthvalue, median, mode --------------------------------------------------------------


class TopkBackward0(PickAlong):
    def __init__(self, dim, k, largest, sorted):
        super().__init__(dim)
        self.k, self.largest, self.sorted = k, largest, sorted

    def pick(self, keys):
        xp, k, n = self.xp, self.k, keys.shape[-1]
        best = order(xp, keys, self.largest)[:, :k + 1]
        top = xp.take_along_axis(keys, best, -1)
        # equal values among the k picked (or at the cut) make the choice the kernel's own;
        # so does sorted=False, which leaves nth_element's arrangement
        needs = same(top[:, 1:], top[:, :-1], xp).any(-1)
        if not self.sorted and k > 1 and k * 64 > n:
            needs = xp.ones_like(needs)
        return _replay(xp, keys, best[:, :k], needs, self._exact)

    def _exact(self, row):
        items, k, n = _pairs(row), self.k, len(row)
        less = nan_greater if self.largest else nan_less
        if k * 64 <= n:  # torch's threshold between its two strategies
            partial_sort(items, 0, k, n, less)
        else:
            nth_element(items, k - 1, less)
            if self.sorted:
                std_sort(items, 0, k - 1, less)
        return [i for _, i in items[:k]]


class KthvalueBackward0(PickAlong):
    def __init__(self, dim, keepdim, k):
        super().__init__(dim, keepdim)
        self.k = k

    def pick(self, keys):
        xp, k = self.xp, self.k
        ranked = order(xp, keys, False)
        near = xp.take_along_axis(keys, ranked[:, max(k - 2, 0):k + 1], -1)
        needs = same(near[:, 1:], near[:, :-1], xp).any(-1)
        return _replay(xp, keys, ranked[:, k - 1:k], needs, self._exact)

    def _exact(self, row):
        items = _pairs(row)
        quick_select(items, self.k - 1, nan_greater)
        return [items[self.k - 1][1]]


class MedianBackward1(PickAlong):
    """median along a dim: the lower median; its index is unique, since torch's comparator breaks
    ties by position. A row holding NaN gives its first NaN."""

    def pick(self, keys):
        xp, n = self.xp, keys.shape[-1]
        middle = order(xp, keys, False)[:, (n - 1) // 2:(n - 1) // 2 + 1]
        if keys.dtype.kind != "f":
            return middle
        nan = xp.isnan(keys)
        return xp.where(nan.any(-1, keepdims=True), nan.argmax(-1)[:, None], middle)


class NanmedianBackward1(PickAlong):
    """nanmedian along a dim: the lower median of the non-NaN values; a row of NaNs gives the
    index std::nth_element leaves first."""

    def pick(self, keys):
        xp, n = self.xp, keys.shape[-1]
        ranked = order(xp, keys, False)
        if keys.dtype.kind != "f":
            return ranked[:, (n - 1) // 2:(n - 1) // 2 + 1]
        count = (~xp.isnan(keys)).sum(-1, keepdims=True)
        middle = xp.take_along_axis(ranked, xp.maximum(count - 1, 0) // 2, -1)
        return xp.where(count == 0, _all_equal_nth(n) if n else 0, middle)


class ModeBackward0(PickAlong):
    """The most frequent value (the smallest of equally frequent ones) and the index std::sort
    leaves last among its copies."""

    def pick(self, keys):
        xp, n = self.xp, keys.shape[-1]
        ranked = order(xp, keys, False)
        ordered = xp.take_along_axis(keys, ranked, -1)
        starts = xp.ones(ordered.shape, dtype=bool)
        starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        ends = xp.ones(ordered.shape, dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        position = xp.arange(n)
        first = running(xp, xp.maximum, xp.where(starts, position, 0))
        runs = xp.where(ends, position - first + 1, 0)
        best = runs.argmax(-1)[:, None]
        # NOTE: std::sort is a stable insertion sort up to 16 elements; beyond, and with NaN
        # (unordered under '<'), the copy it leaves last is its own
        needs = runs.max(-1) > 1 if n > 16 else xp.zeros(len(keys), dtype=bool)
        if keys.dtype.kind == "f":
            needs = needs | xp.isnan(keys).any(-1)
        return _replay(xp, keys, xp.take_along_axis(ranked, best, -1), needs, self._exact)

    def _exact(self, row):
        items = _pairs(row)
        std_sort(items, 0, len(items), plain_less)
        best, best_count, count = items[0], 0, 0
        for i, item in enumerate(items):
            count += 1
            if i == len(items) - 1 or item[0] != items[i + 1][0]:
                if count > best_count:
                    best, best_count = item, count
                count = 0
        return [best[1]]


class MedianBackward0(Op):
    """median of all elements (lower median; NaN if any); the gradient is shared evenly among
    the elements equal to it."""

    promote = "keep"
    ignore_nan = False

    def forward(self, x):
        xp = self.xp
        flat = keys_of(x.reshape(-1), xp)
        value = self._middle(xp, xp.sort(flat)) if flat.size else xp.full((), float("nan"))
        value = xp.asarray(value).astype(x.dtype)  # empty input: torch's NaN, cast to the dtype
        self.save(x, value)
        return value

    def _middle(self, xp, ranked):
        n = len(ranked)
        if ranked.dtype.kind != "f":
            return ranked[(n - 1) // 2]
        if self.ignore_nan:  # NaN sorts last: the median of the leading non-NaN values
            return ranked[xp.maximum((~xp.isnan(ranked)).sum() - 1, 0) // 2]
        return xp.where(xp.isnan(ranked[-1]), ranked[-1], ranked[(n - 1) // 2])

    def backward(self, g):
        x, value = self.saved
        hits = (x == value) | (x.isnan() & value.isnan())
        return g * hits.to(g.dtype) / hits.sum()


class NanmedianBackward0(MedianBackward0):
    ignore_nan = True


# -- the torch functions -----------------------------------------------------------------------


def int_arg(fn, name, value, position):
    """torch's argument parser: an int (not a bool, not None) where the signature says int."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not "
                        f"{type(value).__name__}")
    return value


def check_nonempty(input, dim, name, sep="()"):
    if input.ndim and input.shape[dim] == 0:
        raise IndexError(f"{name}{sep}: Expected reduction dim {dim} to have non-zero size.")


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The k largest (or smallest) elements along dim, and their indices (torch.topk). Equal values
    come in the order torch's CPU kernel leaves them; NaN counts as the largest."""
    int_arg("topk", "k", k, 1)
    dim = wrap_dim(int_arg("topk", "dim", dim, 2), input.ndim)
    if not 0 <= k <= (input.shape[dim] if input.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if input.dtype.is_complex:
        raise RuntimeError(" topk does not support complex dtypes on CPU")  # torch's spacing
    if input.dtype.name == "bool":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    k = max(k, 1) if input.ndim == 0 else k  # torch gives a 0-dim input back even for k=0
    values, indices = TopkBackward0(dim, k, largest, sorted).apply(input)
    return pair_out(return_type("topk")(values, indices), out, "topk")


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The k-th smallest element along dim and its index (torch.kthvalue); among equal values
    the index torch's quickselect lands on."""
    int_arg("kthvalue", "k", k, 1)
    dim = wrap_dim(int_arg("kthvalue", "dim", dim, 2), input.ndim)
    check_nonempty(input, dim, "kthvalue")
    if not 0 < k <= (input.shape[dim] if input.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    _reject(input._data, "bc", "kthvalue_cpu")
    values, indices = KthvalueBackward0(dim, keepdim, k).apply(input)
    return pair_out(return_type("kthvalue")(values, indices), out, "kthvalue", dim=dim,
                    input=input)


def _median(input, dim, keepdim, out, name, whole_op, dim_op):
    if dim is None:
        if keepdim or out is not None:  # torch has median(input) and median(input, dim, ...)
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        _reject(input._data, "bc", "median_cpu")
        return whole_op().apply(input)
    dim = wrap_dim(int_arg(name, "dim", dim, 2), input.ndim)
    check_nonempty(input, dim, "median")
    _reject(input._data, "bc", "median_out")
    values, indices = dim_op(dim, keepdim).apply(input)
    return pair_out(return_type(name)(values, indices), out, name)


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median of all elements (0-dim; NaN if any is NaN), or along dim with its index
    (torch.median); equal values give the index of the one in stable sorted order."""
    return _median(input, dim, keepdim, out, "median", MedianBackward0, MedianBackward1)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """median ignoring NaN: NaN only where every element is NaN (torch.nanmedian)."""
    return _median(input, dim, keepdim, out, "nanmedian", NanmedianBackward0, NanmedianBackward1)


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along dim (the smallest of equally frequent ones) and an index of
    it (torch.mode: the one torch's std::sort leaves last)."""
    dim = wrap_dim(int_arg("mode", "dim", dim, 1), input.ndim)
    check_nonempty(input, dim, "mode")
    _reject(input._data, "c", "mode_cpu")
    values, indices = ModeBackward0(dim, keepdim).apply(input)
    return pair_out(return_type("mode")(values, indices), out, "mode", dim=dim, input=input)
