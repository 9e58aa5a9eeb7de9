"""The index of ``t[...]`` parsed as torch parses it: each item classified (int, slice, None,
..., bool, integer array, mask), the items split into the basic pass (a view) and the advanced
pass, and the advanced pass turned into a NumPy index tuple after torch's checks (mask shapes,
broadcasting, bounds)."""

from __future__ import annotations

import warnings

import numpy  # host side only: Python lists used as indices become arrays here

from ember._backend import xp_of
from ember._ops.shape import broadcast_shape


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


_INDEX_DTYPE_ERROR = "tensors used as indices must be long, int, byte or bool tensors"


def _on(xp, array):
    """An index array on ``xp``'s device (a CPU index may index a CUDA tensor)."""
    return array if xp is numpy else xp.asarray(array)


# -- index parsing ---------------------------------------------------------------------------------
# An index becomes a list of (kind, value) items: ("int", i), ("slice", s), ("none", None),
# ("ellipsis", None), ("bool", b) for a Python or 0-dim bool, ("array", int64 array) and
# ("mask", bool array). Then _split turns them into the basic pass and the advanced pass.


def _as_items(index):
    """The index as a tuple. A short list holding slices, sequences, tensors, None or ... is read
    as a tuple, torch's (deprecated) NumPy-inherited rule; any other list is one index tensor."""
    if isinstance(index, tuple):
        return index
    Tensor = _tensor_cls()
    if isinstance(index, list) and len(index) < 32 and any(
            item is None or item is Ellipsis or isinstance(
                item, (Tensor, slice, list, tuple, numpy.ndarray)) for item in index):
        return tuple(index)
    if isinstance(index, numpy.ndarray) and index.ndim > 1 and len(index) < 32:
        return tuple(index)
    return (index,)


def _classify(item, xp, select_ints=True):
    """One index item as (kind, value); torch's IndexError for items that cannot index."""
    Tensor = _tensor_cls()
    if isinstance(item, Tensor):
        return _classify_tensor(item, xp, select_ints)
    if isinstance(item, (bool, numpy.bool_)):
        return "bool", bool(item)
    if isinstance(item, (list, tuple, numpy.ndarray)):
        return _classify_sequence(item, xp)
    if isinstance(item, slice):
        return "slice", _checked_slice(item)
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if hasattr(item, "__index__"):
        return "int", item.__index__()
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(item).__name__})")


def _classify_tensor(item, xp, select_ints):
    name = item.dtype.name
    if name in ("bool", "uint8"):
        if name == "uint8":
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                          "torch.bool instead.", UserWarning, stacklevel=4)
        data = _on(xp, item._data).astype(bool, copy=False)
        return ("bool", bool(data)) if data.ndim == 0 else ("mask", data)
    if name not in ("int32", "int64"):
        raise IndexError(_INDEX_DTYPE_ERROR)
    if item.ndim == 0 and select_ints:
        return "int", _TensorInt(item._data)  # a 0-dim integer tensor selects like an int
    return "array", _on(xp, item._data).astype("int64", copy=False)


class _TensorInt(int):
    """An int that came from a 0-dim tensor: it selects like an int, but indexing a 0-dim
    tensor with it is "too many indices" in torch, not "invalid index"."""


def _classify_sequence(item, xp):
    """A list (or ndarray) index: bools make a mask, anything else is cast to int64 (torch's
    indexing_tensor_from_data truncates floats)."""
    array = numpy.asarray(_plain_list(item))
    if array.dtype == bool:
        return ("bool", bool(array)) if array.ndim == 0 else ("mask", _on(xp, array))
    if array.dtype.kind not in "iuf":
        raise IndexError(_INDEX_DTYPE_ERROR)
    if array.ndim == 0:
        return "int", int(array)
    return "array", _on(xp, array.astype("int64"))


def _plain_list(item):
    Tensor = _tensor_cls()
    if isinstance(item, (list, tuple)):
        return [_plain_list(x) for x in item]
    return item.item() if isinstance(item, Tensor) else item


def _checked_slice(item):
    start, stop, step = (None if v is None else v.__index__()
                         for v in (item.start, item.stop, item.step))
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step is not None and step < 0:
        raise ValueError("step must be greater than zero")
    return slice(start, stop, step)


def _consumed(kind, value):
    """How many dims of the indexed tensor an item uses up."""
    if kind in ("int", "slice", "array"):
        return 1
    return value.ndim if kind == "mask" else 0


def _split(items, shape, bare=False):
    """(basic items for the view, [(view dim, kind, value)] for the advanced pass). ``bare``:
    the index was one item, not a tuple (torch words some errors differently then)."""
    used = sum(_consumed(kind, value) for kind, value in items)
    if used > len(shape):
        _raise_too_many(items, len(shape), bare)
    basic, advanced, dim, ellipsis_seen = [], [], 0, False
    for n, (kind, value) in enumerate(items):
        pos = len(basic) - sum(1 for b in basic if isinstance(b, int))  # dim in the view
        if kind == "ellipsis":
            fill = len(shape) - used
            if ellipsis_seen and fill and any(k != "ellipsis" for k, _ in items[n + 1:]):
                # torch moves past the dims again and fails on the next item; trailing ones
                # change nothing
                raise IndexError("an index can only have a single ellipsis ('...')")
            fill = 0 if ellipsis_seen else fill
            basic += [slice(None)] * fill
            dim, ellipsis_seen = dim + fill, True
        elif kind == "int":
            # NOTE: torch's message numbers the dimension by the item's place in the index
            _check_int(value, n, shape[dim])
            basic.append(value)
        elif kind in ("none", "bool"):
            basic.append(None)
            if kind == "bool":
                advanced.append((pos, kind, value))
        elif kind == "slice":
            basic.append(value)
        else:
            basic += [slice(None)] * _consumed(kind, value)
            advanced.append((pos, kind, value))
        dim += _consumed(kind, value)
    return tuple(basic), advanced


def _raise_too_many(items, ndim, bare):
    kind, value = items[0]
    if ndim == 0 and bare and kind == "int" and not isinstance(value, _TensorInt):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    if ndim == 0 and bare and kind == "slice":
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    raise IndexError(f"too many indices for tensor of dimension {ndim}")


def _check_int(value, dim, size):
    if not -size <= value < size:
        raise IndexError(f"index {value} is out of bounds for dimension {dim} with size {size}")


def _advanced(advanced, shape, xp):
    """The NumPy index tuple of the advanced pass on a tensor of ``shape``, checked as torch
    checks: mask shapes, then broadcasting, then bounds."""
    arrays = {}
    for pos, kind, value in advanced:
        if kind == "bool":  # unsqueezed above; now keep that dim (True) or empty it (False)
            arrays[pos] = xp.zeros(1 if value else 0, dtype="int64")
        elif kind == "array":
            arrays[pos] = value
        else:
            _check_mask(value, shape, pos)
            arrays.update(enumerate(xp.nonzero(value), pos))
    try:
        result_shape = broadcast_shape(*(a.shape for a in arrays.values()))
    except RuntimeError:
        shapes = ", ".join(str(list(a.shape)) for a in arrays.values())
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {shapes}") from None
    others = [size for d, size in enumerate(shape) if d not in arrays]
    if not result_shape.numel() or 0 in others:  # an empty result: torch checks no bounds
        arrays = {pos: xp.zeros(result_shape, dtype="int64") for pos in arrays}
    # NOTE: torch numbers the dimension by the index tensor's position among the index tensors
    for nth, (pos, array) in enumerate(sorted(arrays.items())):
        _check_bounds(array, shape[pos], nth, IndexError)
    return tuple(arrays.get(d, slice(None)) for d in range(max(arrays) + 1))


def _check_mask(mask, shape, pos):
    for j, size in enumerate(mask.shape):
        if size != shape[pos + j]:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not "
                             f"match the shape of the indexed tensor {list(shape)} at index "
                             f"{pos + j}")


def _check_bounds(index, size, dim, error=RuntimeError, prefix="", negative=True):
    """torch's "index i is out of bounds for dimension d with size n"; ``negative``: whether
    negative indices count from the end."""
    bad = (index >= size) | (index < (-size if negative else 0))
    if index.size and bad.any():
        value = int(index[bad].ravel()[0])
        raise error(f"{prefix}index {value} is out of bounds for dimension {dim} with size {size}")


def _parse(input, index):
    xp = xp_of(input.device)
    items = _as_items(index)
    bare = len(items) == 1 and items[0] is index
    return _split([_classify(item, xp) for item in items], input.shape, bare), xp
