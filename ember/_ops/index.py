"""Indexing with torch's semantics: ``t[...]`` reads and writes, where/nonzero and the masked ops.
index_select, the index_* ops, index_put, take and the gather/scatter family live in scatter.py.

Basic indexing (ints, slices, None, ...) gives a view; advanced indexing (integer and bool tensors,
lists, Python bools) gives a copy, and advanced writes are index_put. As in torch, an index is
applied in two passes: first the basic items (ints select, so they never take part in advanced
indexing's placement of dimensions), then the advanced ones on the resulting view, with NumPy's
placement rule (adjacent advanced indices stay in place, separated ones move to the front).
"""

from __future__ import annotations

import warnings

import numpy  # host side only: Python lists used as indices become arrays here

from ember._backend import xp_of
from ember._ops._op import Op, _legacy_type_name
from ember._ops.inplace import inplace_update, view_geometry
from ember._ops.shape import broadcast_shape

__all__ = [
    "argwhere", "masked_fill", "masked_scatter", "masked_select", "nonzero", "where",
]


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def _scalar_name(t):
    """torch's ScalarType name of a tensor's dtype: Float, Long, Bool, ..."""
    return _legacy_type_name(t).split(".")[1][:-6]


# the C++ type names torch prints in a few messages (masked_fill's mask check)
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}

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


# -- reading ---------------------------------------------------------------------------------------


class SliceBackward0(Op):
    """Basic indexing: a view into the input. One node stands for torch's chain of select, slice
    and unsqueeze nodes and takes the name of the last of them (SelectBackward0, ...)."""

    promote = "keep"
    is_view = True

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        # NOTE: a trailing ... makes NumPy return a 0-d view instead of a scalar copy
        self._layout = x
        return x[self.index + (Ellipsis,)]

    def backward(self, g):
        from ember._ops.shape import StridedScatter

        return StridedScatter(self.geometry, self._layout).apply(g)


class SelectBackward0(SliceBackward0):
    pass


class UnsqueezeBackward0(SliceBackward0):
    pass


class AliasBackward0(SliceBackward0):
    pass


def _view_op(basic, shape):
    """The node class named after the last non-trivial basic item, as torch's chain ends."""
    sizes = iter(shape)
    last = AliasBackward0
    for item in basic:
        if item is None:
            last = UnsqueezeBackward0
            continue
        size = next(sizes)
        if isinstance(item, int):
            last = SelectBackward0
        elif item.indices(size) != (0, size, 1):
            last = SliceBackward0
    return last


def _basic_view(input, basic, node=None):
    op = (node or _view_op(basic, input.shape))(basic)
    out = op.apply(input)
    if out.grad_fn is op:
        op.geometry = view_geometry(out, input)
    return out


def _is_trivial(basic):
    """Whether the basic pass leaves the tensor as it is (only full slices)."""
    return all(b == slice(None) for b in basic)


class IndexBackward0(Op):
    """Advanced indexing: a copy of the selected elements."""

    promote = "keep"

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, g):
        shape, _ = self._input_meta[0]
        return IndexPutBackward0(self.index, accumulate=True).apply(g.new_zeros(shape), g)


def _parse(input, index):
    xp = xp_of(input.device)
    items = _as_items(index)
    bare = len(items) == 1 and items[0] is index
    return _split([_classify(item, xp) for item in items], input.shape, bare), xp


def getitem(input, index):
    """Tensor.__getitem__ with torch's views, copies, placement rules and errors."""
    (basic, advanced), xp = _parse(input, index)
    if not advanced:
        # torch's fast path for a lone slice always records a slice node
        return _basic_view(input, basic, SliceBackward0 if isinstance(index, slice) else None)
    view = input if _is_trivial(basic) else _basic_view(input, basic)
    return IndexBackward0(_advanced(advanced, view.shape, xp)).apply(view)


# -- writing ---------------------------------------------------------------------------------------


class IndexPutBackward0(Op):
    """``x`` with ``x[index] = values`` (or ``+=`` with accumulate), as a new tensor."""

    promote = "keep"

    def __init__(self, index, accumulate=False):
        self.index, self.accumulate = index, accumulate

    def forward(self, x, values):
        out = x.copy()
        values = values.astype(x.dtype, copy=False)
        try:
            if self.accumulate:
                self.xp.add.at(out, self.index, values)
            else:
                out[self.index] = values
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} "
                               f"cannot be broadcast to indexing result of shape "
                               f"{list(x[self.index].shape)}") from None
        return out

    def backward(self, g):
        grad_x = grad_values = None
        if self.needs_input_grad[0]:
            grad_x = g if self.accumulate else IndexPutBackward0(self.index).apply(
                g, g.new_zeros(()))
        if self.needs_input_grad[1]:
            grad_values = IndexBackward0(self.index).apply(g)
        return grad_x, grad_values


def _index_put(input, advanced, values, accumulate, xp):
    """index_put on parsed advanced items. As torch, one bool mask with a one-element value is
    a masked fill, which casts the value; otherwise the dtypes must match."""
    index = _advanced(advanced, input.shape, xp)
    if len(advanced) == 1 and advanced[0][1] == "mask" and values.numel() == 1 and not accumulate:
        values = values.reshape(()).to(input.dtype)
    if values.dtype is not input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_scalar_name(input)} for the destination and {_scalar_name(values)} "
                           f"for the source.")
    return IndexPutBackward0(index, accumulate).apply(input, values)


def _strip_leading_ones(value, ndim):
    # torch drops leading size-1 dims of the value: x[0] = t of shape (1, n) works
    while value.ndim > ndim and value.shape[0] == 1:
        value = value.squeeze(0)
    return value


def _value_tensor(value, input):
    """setitem's value as a tensor: a number becomes a 0-dim tensor of input's dtype."""
    Tensor = _tensor_cls()
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, (bool, int, float, complex, numpy.generic)):
        kind = type(value)
        name = kind.__qualname__
        if kind.__module__ != "builtins":
            name = f"{kind.__module__}.{name}"
        raise TypeError(f"can't assign a {name} to a {_legacy_type_name(input)}")
    if isinstance(value, complex) and not input.dtype.is_complex:
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[input.dtype.name]} "
                           "without overflow")
    from ember._ops.creation import full

    return full((), value, dtype=input.dtype, device=input.device)


def setitem(input, index, value):
    """Tensor.__setitem__: ``...``, None and True copy into the whole tensor and False does
    nothing, as in torch; otherwise basic indices write through a view (copy_, which casts) and
    advanced ones through index_put_ on that view."""
    from ember._ops.creation import copy_

    value = _value_tensor(value, input)
    if index is None or index is Ellipsis or index is True:
        copy_(input, _strip_leading_ones(value, input.ndim))
        return
    if index is False:
        return
    (basic, advanced), xp = _parse(input, index)
    view = input if _is_trivial(basic) else _basic_view(input, basic)
    value = _strip_leading_ones(value, view.ndim)
    if not advanced:
        copy_(view, value)
        return
    inplace_update(view, _index_put(view, advanced, value, False, xp))


# -- where, nonzero --------------------------------------------------------------------------------


class WhereBackward0(Op):
    def __init__(self, condition):
        self.condition = condition

    def forward(self, x, y):
        return self.xp.where(self.condition, x, y)

    def backward(self, g):
        c = _tensor_cls()._make(self.condition, g.device)
        zero = g.new_zeros(())
        return (where(c, g, zero) if self.needs_input_grad[0] else None,
                where(c, zero, g) if self.needs_input_grad[1] else None)


def where(condition, input=None, other=None, *, out=None):
    """where(cond, x, y) picks elementwise, promoting x and y by torch's rules (numbers
    included); where(cond) is nonzero(cond, as_tuple=True) (torch.where)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() received an invalid combination of arguments - expected "
                        "(Tensor condition, Tensor input, Tensor other)")
    if condition.dtype.name not in ("bool", "uint8"):
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_scalar_name(condition)}")
    Tensor = _tensor_cls()
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from ember._ops.creation import full_like_scalar

        input = full_like_scalar(input, condition)  # keeps a number's weak dtype in promotion
    cond = condition._data.astype(bool, copy=False)
    return _with_out(WhereBackward0(cond).apply(input, other), out)


def _where_method(input, condition, other):
    """Tensor.where(condition, other) is where(condition, self, other)."""
    return where(condition, input, other)


def nonzero(input, *, out=None, as_tuple=False):
    """Indices of nonzero elements: an (n, ndim) int64 tensor, or one tensor per dim with
    as_tuple (a 0-dim input counts as 1-dim there) (torch.nonzero)."""
    Tensor = _tensor_cls()
    xp = xp_of(input.device)
    data = input._data
    found = xp.nonzero(data.reshape(1) if data.ndim == 0 else data)
    if as_tuple:
        return tuple(Tensor._make(i.astype("int64"), input.device) for i in found)
    if data.ndim == 0:
        stacked = xp.zeros((len(found[0]), 0), dtype="int64")
    else:
        stacked = xp.stack(found, axis=1).astype("int64")
    return _with_out(Tensor._make(stacked, input.device), out)


def _with_out(result, out):
    from ember._ops.inplace import with_out

    return result if out is None else with_out(result, out)


def argwhere(input):
    """nonzero(input) as an (n, ndim) tensor (torch.argwhere)."""
    return nonzero(input)


# -- masked ops ------------------------------------------------------------------------------------


def _check_bool_mask(mask, message):
    if mask.dtype.name != "bool":
        raise RuntimeError(message)
    return mask._data


class MaskedFillBackward0(Op):
    """where(mask, value, x) for a number value, cast to x's dtype."""

    promote = "keep"

    def __init__(self, mask, value):
        self.mask, self.value = mask, value

    def forward(self, x):
        value = self.xp.asarray(self.value).astype(x.dtype)
        return self.xp.where(self.mask, value, x)

    def backward(self, g):
        mask = _tensor_cls()._make(self.mask, g.device)
        return where(mask, g.new_zeros(()), g)


class MaskedFillBackward1(MaskedFillBackward0):
    """masked_fill with a 0-dim tensor value, which gets the sum of the masked gradient."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x, value):
        return self.xp.where(self.mask, value.astype(x.dtype), x)

    def backward(self, g):
        mask = _tensor_cls()._make(self.mask, g.device)
        zero = g.new_zeros(())
        grad_value = where(mask, g, zero).sum() if self.needs_input_grad[1] else None
        return where(mask, zero, g), grad_value


def masked_fill(input, mask, value):
    """input with value where mask is True; input and mask broadcast (torch.masked_fill)."""
    Tensor = _tensor_cls()
    dtype = _C_NAMES[mask.dtype.name]
    mask_data = _check_bool_mask(mask, "masked_fill_ only supports boolean masks, but got mask "
                                       f"with dtype {dtype}")
    if not isinstance(value, Tensor):
        return MaskedFillBackward0(mask_data, value).apply(input)
    if value.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    return MaskedFillBackward1(mask_data).apply(input, value)


def masked_fill_(input, mask, value):
    """In-place masked_fill; the mask must broadcast to input's shape (Tensor.masked_fill_)."""
    return inplace_update(input, masked_fill(input, mask, value))


class MaskedSelectBackward0(Op):
    """The elements of (broadcast) x at the flat positions where the mask is True, as 1-D."""

    promote = "keep"

    def __init__(self, positions, shape):
        self.positions, self.shape = positions, shape

    def forward(self, x):
        return self.xp.broadcast_to(x, self.shape).reshape(-1)[self.positions]

    def backward(self, g):
        flat = g.new_zeros(_numel(self.shape))
        return IndexPutBackward0((self.positions,)).apply(flat, g).reshape(self.shape)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _mask_positions(input, mask, mask_data):
    """(flat positions of the True elements, shape) of mask broadcast with input."""
    shape = tuple(broadcast_shape(input.shape, mask.shape))
    xp = xp_of(input.device)
    return xp.flatnonzero(xp.broadcast_to(mask_data, shape)), shape


def masked_select(input, mask):
    """A 1-D tensor of input's elements where mask is True (torch.masked_select)."""
    mask_data = _check_bool_mask(mask, "masked_select: expected BoolTensor for mask")
    return MaskedSelectBackward0(*_mask_positions(input, mask, mask_data)).apply(input)


class MaskedScatterBackward0(Op):
    """x with the True positions of the mask filled, in order, from source's elements."""

    promote = "keep"

    def __init__(self, positions, shape):
        self.positions, self.shape = positions, shape

    def forward(self, x, source):
        out = self.xp.broadcast_to(x, self.shape).copy()
        out.reshape(-1)[self.positions] = source.reshape(-1)[:len(self.positions)]
        return out

    def backward(self, g):
        grad_x = grad_source = None
        flat = g.reshape(-1)
        if self.needs_input_grad[0]:
            grad_x = IndexPutBackward0((self.positions,)).apply(flat, g.new_zeros(()))
            grad_x = grad_x.reshape(self.shape)
        if self.needs_input_grad[1]:
            shape, _ = self._input_meta[1]
            picked = IndexBackward0((self.positions,)).apply(flat)
            # the unused tail of source gets zeros
            head = (self.xp.arange(len(self.positions)),)
            grad_source = IndexPutBackward0(head).apply(g.new_zeros(_numel(shape)), picked)
            grad_source = grad_source.reshape(shape)
        return grad_x, grad_source


def masked_scatter(input, mask, source):
    """input with its masked positions taken, in order, from source (torch.masked_scatter)."""
    mask_data = _check_bool_mask(mask, "masked_scatter_ only supports boolean masks, but got "
                                       f"mask with dtype {_scalar_name(mask)}")
    if source.dtype is not input.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{_scalar_name(input)} and {_scalar_name(source)}")
    positions, shape = _mask_positions(input, mask, mask_data)
    if len(positions) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatterBackward0(positions, shape).apply(input, source)


def masked_scatter_(input, mask, source):
    """In-place masked_scatter (Tensor.masked_scatter_)."""
    return inplace_update(input, masked_scatter(input, mask, source))
