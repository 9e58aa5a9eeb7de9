"""Searching sorted values and membership: searchsorted, bucketize, isin."""

from __future__ import annotations

import math
import warnings

from ember._ops._op import Op, result_type
from ember._ops._return_types import warn_resized
from ember._ops.inplace import with_out
from ember._ops.select import keys_of

__all__ = ["bucketize", "isin", "searchsorted"]


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


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


def _c_name(t):
    from ember._ops.index import _C_NAMES

    return _C_NAMES[t.dtype.name]
