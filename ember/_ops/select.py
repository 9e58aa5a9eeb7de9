"""Selection along a dim with indices: topk, kthvalue, median, nanmedian, mode, and the Op they
share with sort and cummax: values taken from the input at indices along a dim, whose gradient
flows back to those positions; torch's named tuple results.

Which of several equal values torch returns is decided by the algorithm its CPU kernel runs:
libstdc++'s std::nth_element / std::partial_sort / std::sort (topk, mode) and torch's own
quickselect (kthvalue). Rows where equal values make the choice matter are replayed on the host
with those algorithms (``_stl``-style functions below), so the indices are torch's; every other
row, and every row on CUDA, takes the vectorised path (stable order).
"""

from __future__ import annotations

import collections
import functools
import math

from ember._ops._op import Op
from ember._ops.index import _C_NAMES
from ember._ops.inplace import with_out
from ember._ops.pointwise import _reject
from ember._ops.shape import wrap_dim

# -- torch.return_types ------------------------------------------------------------------------

_RETURN_TYPES = {}


def return_type(name, fields=("values", "indices")):
    """The named tuple torch returns as ``torch.return_types.<name>``; prints as torch's does
    (with ``ember.`` for ``torch.``) and compares as a plain tuple."""
    cls = _RETURN_TYPES.get((name, fields))
    if cls is None:
        cls = collections.namedtuple(name, fields, module="ember.return_types")
        cls.__repr__ = _return_repr
        cls.__reduce__ = lambda self: (_rebuild, (type(self).__name__, self._fields, tuple(self)))
        _RETURN_TYPES[(name, fields)] = cls
    return cls


def _return_repr(self):
    body = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
    return f"ember.return_types.{type(self).__name__}(\n{body})"


def _rebuild(name, fields, values):
    return return_type(name, tuple(fields))(*values)


def pair_out(result, out, name, fields=("values", "indices"), dim=None, input=None):
    """Write a (values, indices)-style result into ``out=(a, b)``; torch returns ``<name>_out``.

    Each out must have its result's dtype, with the message of the kernel torch runs (see
    _OUT_CHECKS). For kthvalue and mode (``dim`` and ``input`` given) torch resizes the outs to
    the keepdim shape first, so its resize warning shows that shape."""
    if out is None:
        return result
    _check_out_dtypes(result, out, name)
    if dim is not None:
        return return_type(name + "_out", fields)(
            *(_keepdim_out(r, o, input, dim, name) for r, o in zip(result, out)))
    return return_type(name + "_out", fields)(with_out(result[0], out[0]),
                                              with_out(result[1], out[1]))


def _legacy(dtype):
    from ember._ops.inplace import _scalar_type_name

    return _scalar_type_name(dtype)


_EXACT = ("Expected out tensor to have dtype {want}, but got {got} instead",) * 2
_MEDIAN = ("Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; "
           "but type torch.{got}Tensor does not equal torch.{want}Tensor (while checking "
           "arguments for median)",
           "Expected tensor for argument #1 'indices' to have scalar type Long; but got "
           "torch.{got}Tensor instead (while checking arguments for median)")
_CUMULATIVE = ("expected scalar_type {want} but found {got}",) * 2
# op -> torch's messages for an out of the wrong dtype: (values, indices), with C++ type names
# (float, long int) for _EXACT and scalar type names (Float, Long) for the others
_OUT_CHECKS = {
    "kthvalue": ("output values must be of same type as input",
                 "output indices must be of scalar type Long"),
    "mode": ("expected scalar type '{want}' but got '{got}' for values output",
             "expected scalar type '{want}' but got '{got}' for indices output"),
    "median": _MEDIAN, "nanmedian": _MEDIAN, "cummax": _CUMULATIVE, "cummin": _CUMULATIVE,
    "histogram": ("torch.histogram: input tensor and hist tensor should have the same dtype, but "
                  "got input {want} and hist {got}",
                  "torch.histogram: input tensor and bin_edges tensor should have the same dtype, "
                  "but got input {want} and bin_edges {got} for dimension 0"),
}


def _check_out_dtypes(result, out, name):
    messages = _OUT_CHECKS.get(name, _EXACT)
    c_names = messages is _EXACT or name == "histogram"
    order = (1, 0) if messages is _MEDIAN else (0, 1)  # median checks the indices first
    for i in order:
        want, got = result[i].dtype, out[i].dtype
        if want is not got:
            names = (_C_NAMES[want.name], _C_NAMES[got.name]) if c_names else (
                _legacy(want), _legacy(got))
            raise RuntimeError(messages[i].format(want=names[0], got=names[1]))


def warn_resized(out, shape, out_shape=None):
    """torch's deprecation warning for resizing an ``out`` that has elements (shown with shape
    ``out_shape``, out's own by default) to ``shape``."""
    import warnings

    out_shape = list(out.shape) if out_shape is None else out_shape
    if out.numel() and out_shape != list(shape):
        warnings.warn(
            f"An output with one or more elements was resized since it had shape {out_shape}, "
            f"which does not match the required output shape {list(shape)}. This behavior is "
            "deprecated, and in a future PyTorch release outputs will not be resized unless "
            "they have zero elements. You can explicitly reuse an out tensor t by resizing it, "
            "inplace, to zero elements with t.resize_(0).", UserWarning, stacklevel=5)


def _keepdim_out(result, out, input, dim, name):
    """torch resizes the outs of kthvalue and mode to the keepdim shape: without keepdim, an out
    first gets a dim of 1 inserted at ``dim`` (kthvalue: only an out with one dim fewer than the
    input), so the resize warning shows that shape; mode of a 0-dim tensor resizes silently."""
    import warnings

    target = list(input.shape)
    if target:
        target[dim] = 1
    shape = list(out.shape)
    keepdim = list(result.shape) == target
    if input.ndim and not keepdim and dim <= out.ndim and (
            name == "mode" or out.ndim == input.ndim - 1):
        shape.insert(dim, 1)
    if not (name == "mode" and input.ndim == 0):
        warn_resized(out, target, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warning above is torch's; not with_out's
        return with_out(result, out)


# -- libstdc++'s algorithms, replayed on a list of (key, index) pairs ---------------------------
# Only the sequence of comparisons and moves matters here: it decides which of equal keys ends
# where. ``less`` is the comparator torch passes.


def _swap(items, i, j):
    items[i], items[j] = items[j], items[i]


def _median_to_first(items, result, a, b, c, less):
    if less(items[a], items[b]):
        if less(items[b], items[c]):
            _swap(items, result, b)
        elif less(items[a], items[c]):
            _swap(items, result, c)
        else:
            _swap(items, result, a)
    elif less(items[a], items[c]):
        _swap(items, result, a)
    elif less(items[b], items[c]):
        _swap(items, result, c)
    else:
        _swap(items, result, b)


def _partition_pivot(items, first, last, less):
    """Median-of-three pivot moved to ``first``, then Hoare's unguarded partition."""
    _median_to_first(items, first, first + 1, first + (last - first) // 2, last - 1, less)
    pivot, left, right = items[first], first + 1, last
    while True:
        while less(items[left], pivot):
            left += 1
        right -= 1
        while less(pivot, items[right]):
            right -= 1
        if left >= right:
            return left
        _swap(items, left, right)
        left += 1


def _insertion_sort(items, first, last, less, guarded=True):
    for i in range(first + 1, last):
        value = items[i]
        if guarded and less(value, items[first]):
            items[first + 1:i + 1] = items[first:i]
            items[first] = value
            continue
        j = i
        # NOTE: unguarded in libstdc++ (a smaller element always stops it); j > 0 only keeps a
        # comparator that is not a strict weak order (NaN under '<') inside the list
        while j > 0 and less(value, items[j - 1]):
            items[j] = items[j - 1]
            j -= 1
        items[j] = value


def _sift(items, first, hole, length, value, less):
    """__adjust_heap followed by __push_heap."""
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(items[first + child], items[first + child - 1]):
            child -= 1
        items[first + hole] = items[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        items[first + hole] = items[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(items[first + parent], value):
        items[first + hole] = items[first + parent]
        hole, parent = parent, (parent - 1) // 2
    items[first + hole] = value


def _pop_heap(items, first, last, result, less):
    value, items[result] = items[result], items[first]
    _sift(items, first, 0, last - first, value, less)


def _heap_select(items, first, middle, last, less):
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length > 1 else ():
        _sift(items, first, parent, length, items[first + parent], less)
    for i in range(middle, last):
        if less(items[i], items[first]):
            _pop_heap(items, first, middle, i, less)


def partial_sort(items, first, middle, last, less):
    """std::partial_sort: heap selection, then heap sort of the selected part."""
    _heap_select(items, first, middle, last, less)
    while middle - first > 1:
        middle -= 1
        _pop_heap(items, first, middle, middle, less)


def nth_element(items, nth, less):
    """std::nth_element (introselect)."""
    first, last = 0, len(items)
    if first == last or nth == last:
        return
    depth = 2 * ((last - first).bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(items, first, nth + 1, last, less)
            _swap(items, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(items, first, last, less)
        first, last = (cut, last) if cut <= nth else (first, cut)
    _insertion_sort(items, first, last, less)


def std_sort(items, first, last, less):
    """std::sort: introsort down to runs of 16, then one insertion pass."""
    if last - first < 2:
        return
    _introsort(items, first, last, 2 * ((last - first).bit_length() - 1), less)
    if last - first > 16:
        _insertion_sort(items, first, first + 16, less)
        _insertion_sort(items, first + 16 - 1, last, less, guarded=False)
    else:
        _insertion_sort(items, first, last, less)


def _introsort(items, first, last, depth, less):
    while last - first > 16:
        if depth == 0:
            partial_sort(items, first, last, last, less)
            return
        depth -= 1
        cut = _partition_pivot(items, first, last, less)
        _introsort(items, cut, last, depth, less)
        last = cut


def quick_select(items, k, greater):
    """torch's own quickselect (kthvalue's kernel): Sedgewick's partitioning."""
    left, right = 0, len(items) - 1
    while right > left + 1:
        _swap(items, (left + right) // 2, left + 1)
        for a, b in ((left + 1, right), (left, right), (left + 1, left)):
            if greater(items[a], items[b]):
                _swap(items, a, b)
        i, j, pivot = left + 1, right, items[left]
        while True:
            i += 1
            while greater(pivot, items[i]):
                i += 1
            j -= 1
            while greater(items[j], pivot):
                j -= 1
            if j < i:
                break
            _swap(items, i, j)
        _swap(items, left, j)
        if j <= k:
            left = i
        if j >= k:
            right = j - 1
    if right == left + 1 and greater(items[left], items[right]):
        _swap(items, left, right)


def _nan(v):
    return v != v


def nan_greater(a, b):
    """torch's comparator for 'largest first': NaN above everything."""
    return (_nan(a[0]) and not _nan(b[0])) or a[0] > b[0]


def nan_less(a, b):
    """torch's comparator for 'smallest first': NaN still last."""
    return (not _nan(a[0]) and _nan(b[0])) or a[0] < b[0]


def plain_less(a, b):
    return a[0] < b[0]


def _pairs(row):
    return list(zip(row.tolist(), range(len(row))))


@functools.cache
def _all_equal_nth(n):
    """The index std::nth_element leaves first among n equivalent elements (nanmedian of NaNs)."""
    items = [(0, i) for i in range(n)]
    nth_element(items, 0, lambda a, b: False)
    return items[0][1]


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
