"""Indexing: t[...] reads and writes with torch's (NumPy's) rules, where, and the gather/scatter
family. Basic indexing (ints, slices, None, ...) gives views; advanced indexing (integer and bool
tensors, lists) gives copies, and its writes go through index_put."""

from __future__ import annotations

import numpy

from ember._ops._op import Op
from ember._ops.inplace import inplace_update, view_geometry


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


# -- index parsing ---------------------------------------------------------------------------------


def _normalise(index, xp):
    """The index as a tuple NumPy understands, and whether it is advanced (copying)."""
    Tensor = _tensor_cls()
    items = index if isinstance(index, tuple) else (index,)
    out, advanced = [], False
    for item in items:
        if isinstance(item, Tensor):
            if item.dtype.category > 1:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            item = item._data if item.device.type != "cpu" or xp is numpy else xp.asarray(
                item._data)
            if item.dtype == numpy.uint8:
                item = item.astype(bool)
            advanced = True
        elif isinstance(item, (list, numpy.ndarray)):
            item = xp.asarray(_plain_list(item, Tensor))
            if item.dtype.kind not in "iub":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(item, bool):
            advanced = True
        elif isinstance(item, slice):
            if item.step is not None and _int(item.step) <= 0:
                raise ValueError("step must be greater than zero")
            item = slice(*(None if v is None else _int(v) for v in (item.start, item.stop,
                                                                      item.step)))
        elif item is None or item is Ellipsis:
            pass
        elif hasattr(item, "__index__"):
            item = item.__index__()
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got "
                             f"{type(item).__name__})")
        out.append(item)
    return tuple(out), advanced


def _int(v):
    return v.__index__()


def _plain_list(item, Tensor):
    if isinstance(item, list):
        return [_plain_list(x, Tensor) for x in item]
    return item.item() if isinstance(item, Tensor) else item


def _check_bounds(index, shape):
    """torch's IndexError wording for integer indices out of range."""
    dim = 0
    for item in index:
        if item is None:
            continue
        if item is Ellipsis:
            dim = len(shape) - sum(1 for i in index[index.index(Ellipsis) + 1:]
                                   if i is not None and not _is_bool_array(i))
            continue
        if isinstance(item, int) and not isinstance(item, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= item < shape[dim]:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size "
                                 f"{shape[dim]}")
        dim += item.ndim if _is_bool_array(item) else 1
    if dim > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")


def _is_bool_array(item):
    return hasattr(item, "dtype") and item.dtype == bool


# -- reading --------------------------------------------------------------------------------


class SliceBackward0(Op):
    """Basic indexing: a view into the input."""

    promote = "keep"
    is_view = True

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        # NOTE: a trailing ... makes NumPy return a 0-d view instead of a scalar copy
        index = self.index if Ellipsis in self.index else self.index + (Ellipsis,)
        self._layout = x
        return x[index]

    def backward(self, g):
        from ember._ops.shape import StridedScatter

        return StridedScatter(self.geometry, self._layout).apply(g)


class SelectBackward0(SliceBackward0):
    pass


class IndexBackward0(Op):
    """Advanced indexing: a copy of the selected elements."""

    promote = "keep"

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        try:
            return x[self.index]
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None

    def backward(self, g):
        shape, dtype = self._input_meta[0]
        return IndexPutBackward0(self.index, accumulate=True, zeros_shape=shape).apply(
            g.new_zeros(shape, dtype=g.dtype), g)


def getitem(input, index):
    """Tensor.__getitem__."""
    from ember._backend import xp_of

    index, advanced = _normalise(index, xp_of(input.device))
    if not advanced:
        _check_bounds(index, input.shape)
        single_int = len(index) == 1 and isinstance(index[0], int)
        op = (SelectBackward0 if single_int else SliceBackward0)(index)
        out = op.apply(input)
        if out.grad_fn is op:
            op.geometry = view_geometry(out, input)
        return out
    return IndexBackward0(index).apply(input)


# -- writing --------------------------------------------------------------------------------


class IndexPutBackward0(Op):
    """x with x[index] = values (or += with accumulate), as a new tensor."""

    promote = "keep"

    def __init__(self, index, accumulate=False, zeros_shape=None):
        self.index, self.accumulate = index, accumulate

    def forward(self, x, values):
        out = x.copy()
        if values.dtype != x.dtype:
            values = values.astype(x.dtype)
        if self.accumulate:
            self.xp.add.at(out, self.index, values)
        else:
            try:
                out[self.index] = values
            except ValueError:
                target = out[self.index].shape
                raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} "
                                   f"cannot be broadcast to indexing result of shape "
                                   f"{list(target)}") from None
        return out

    def backward(self, g):
        grad_x = grad_v = None
        if self.needs_input_grad[0]:
            grad_x = g if self.accumulate else IndexPutBackward0(self.index).apply(
                g, g.new_zeros(()))
        if self.needs_input_grad[1]:
            grad_v = IndexBackward0(self.index).apply(g)
        return grad_x, grad_v


def index_put(input, indices, values, accumulate=False):
    """A copy of input with input[indices] = values (or +=) (torch.index_put)."""
    from ember._backend import xp_of

    index = _normalise(tuple(indices), xp_of(input.device))[0]
    return IndexPutBackward0(index, accumulate).apply(input, _as_value(values, input))


def index_put_(input, indices, values, accumulate=False):
    return inplace_update(input, index_put(input, indices, values, accumulate))


def _as_value(value, like):
    Tensor = _tensor_cls()
    if isinstance(value, Tensor):
        return value
    from ember._ops.creation import tensor

    return tensor(value, dtype=like.dtype, device=like.device)


def _strip_leading_ones(value, ndim):
    # torch drops leading size-1 dims of the value: x[0] = t of shape (1, n) works
    while value.ndim > ndim and value.shape[0] == 1:
        value = value.squeeze(0)
    return value


def setitem(input, index, value):
    """Tensor.__setitem__: basic indices write through a view, advanced ones via index_put."""
    from ember._backend import xp_of
    from ember.autograd.grad_mode import state

    norm, advanced = _normalise(index, xp_of(input.device))
    value = _as_value(value, input)
    if state.enabled and input.grad_fn is None and input._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    if not advanced:
        view = getitem(input, index)
        from ember._ops.creation import copy_

        copy_(view, _strip_leading_ones(value, view.ndim))
        return
    result = IndexPutBackward0(norm).apply(input, value.to(input.dtype))
    inplace_update(input, result)


# -- where ----------------------------------------------------------------------------------------


class WhereBackward0(Op):
    def __init__(self, condition):
        self.condition = condition

    def forward(self, x, y):
        return self.xp.where(self.condition._data, x, y)

    def backward(self, g):
        c = self.condition
        return (g * c if self.needs_input_grad[0] else None,
                g * c.logical_not() if self.needs_input_grad[1] else None)


def where(condition, input=None, other=None, *, out=None):
    """where(cond, x, y) picks elementwise; where(cond) is nonzero(cond, as_tuple=True)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if condition.dtype.name != "bool":
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_scalar_name(condition)}")
    Tensor = _tensor_cls()
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from ember._ops.creation import full_like_scalar

        input = full_like_scalar(input, condition)
    return WhereBackward0(condition).apply(input, other)


def _scalar_name(t):
    from ember._ops._op import _legacy_type_name

    return _legacy_type_name(t).split(".")[1][:-6]


def nonzero(input, *, as_tuple=False):
    """Indices of nonzero elements: (n, ndim) int64, or a tuple per dim (torch.nonzero)."""
    Tensor = _tensor_cls()
    xp = input._data.__array_namespace__() if hasattr(input._data, "__array_namespace__") else None
    found = (xp or numpy).nonzero(input._data if input.ndim else input._data.reshape(1))
    if as_tuple:
        return tuple(Tensor._make(i.astype("int64"), input.device) for i in found)
    stacked = (xp or numpy).stack(found, axis=1) if input.ndim else (xp or numpy).zeros(
        (len(found[0]), 0), "int64")
    return Tensor._make(stacked.astype("int64"), input.device)
