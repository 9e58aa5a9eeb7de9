"""Indexing with torch's semantics: ``t[...]`` reads and writes, where/nonzero, the masked ops, the
index_* ops, take, and the gather/scatter family.

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
from ember._ops.shape import broadcast_shape, wrap_dim

__all__ = [
    "argwhere", "gather", "index_add", "index_copy", "index_fill", "index_put", "index_put_",
    "index_select", "masked_fill", "masked_scatter", "masked_select", "nonzero", "scatter",
    "scatter_add", "scatter_reduce", "take", "take_along_dim", "where",
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


def index_put(input, indices, values, accumulate=False):
    """A copy of input with input[indices] = values (+= with accumulate) (torch.index_put)."""
    Tensor = _tensor_cls()
    for n, item in enumerate(indices):
        if not isinstance(item, Tensor):
            raise TypeError(f"expected Tensor as element {n} in argument 0, but got "
                            f"{type(item).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    xp = xp_of(input.device)
    items = [_classify(item, xp, select_ints=False) for item in indices]
    used = sum(_consumed(kind, value) or kind == "bool" for kind, value in items)
    if used > input.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got {used})")
    advanced, pos = [], 0
    for kind, value in items:
        if kind == "bool":  # a 0-dim bool index: all or nothing of its dim
            kind, value = "mask", xp.full(input.shape[pos], value)
        advanced.append((pos, kind, value))
        pos += _consumed(kind, value)
    return _index_put(input, advanced, values, accumulate, xp)


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


def index_put_(input, indices, values, accumulate=False):
    """In-place index_put (Tensor.index_put_)."""
    return inplace_update(input, index_put(input, indices, values, accumulate))


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


# -- index_select and the index_* family -----------------------------------------------------------
# These take a 1-D (or 0-dim) index along ``dim``; ``_at(dim, index)`` is the NumPy index that
# addresses those slices.


def _at(dim, index):
    return (slice(None),) * dim + (index,)


def _size(input, dim):
    """input.size(dim), a 0-dim tensor counting as one element."""
    return input.shape[dim] if input.ndim else 1


def _vector_index(index, name):
    """The index as a 1-D array; torch's error when it has more than one dimension."""
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with type: {_scalar_name(index)} and size: {list(index.shape)}")
    return index._data.reshape(-1)


def _check_index_dtype(index, allowed, message, error=RuntimeError):
    if index.dtype.name not in allowed:
        raise error(message)


class IndexSelectBackward0(Op):
    promote = "keep"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        if x.ndim == 0:
            return x.copy()
        return self.xp.take(x, self.index, axis=self.dim)

    def backward(self, g):
        shape, _ = self._input_meta[0]
        if not shape:
            return g
        return IndexAddBackward0(self.dim, self.index, 1).apply(g.new_zeros(shape), g)


def index_select(input, dim, index):
    """The slices of input at ``index`` along ``dim`` (torch.index_select)."""
    dim = wrap_dim(dim, input.ndim)
    _check_index_dtype(index, ("int32", "int64"),
                       "index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index._data.reshape(-1)
    if input.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{idx.size} value(s)")
    size = _size(input, dim)
    bad = (idx < 0) | (idx >= size)
    if idx.size and bad.any():
        if dim == 1:  # torch's CPU kernel for dim 1 raises its own error
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(idx[bad][0])} "
                               f"axis_dim={size}")
        raise IndexError("index out of range in self")
    return IndexSelectBackward0(dim, idx).apply(input)


def _check_source(name, input, dim, idx, source):
    """index_add/index_copy: source has input's shape but len(index) along dim."""
    if source.dtype is not input.dtype:
        if name == "index_copy_":
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                               f"but got (self) {_scalar_name(input)} and (source) "
                               f"{_scalar_name(source)}")
        raise RuntimeError(f"index_add_(): self ({_scalar_name(input)}) and source "
                           f"({_scalar_name(source)}) must have the same scalar type")
    count = source.shape[dim] if source.ndim else 1
    if name == "index_copy_" and source.ndim == 0:
        if idx.size != 1:
            raise IndexError(f"index_copy_(): When source is scalar, index should have one "
                             f"element (got {idx.size})")
        return  # one index may copy a 0-dim source into a slice
    if count != idx.size:
        if name == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                             f"source.size(dim) ({count})")
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({count}), for dim: {dim}")
    if source.ndim != input.ndim or any(
            a != b for d, (a, b) in enumerate(zip(source.shape, input.shape)) if d != dim):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")


class IndexAddBackward0(Op):
    """x with alpha * source added at ``index`` along ``dim`` (repeats accumulate)."""

    promote = "keep"

    def __init__(self, dim, index, alpha):
        self.dim, self.index, self.alpha = dim, index, alpha

    def forward(self, x, source):
        out = _1d(x).copy()
        if self.alpha != 1:
            source = source * self.xp.asarray(self.alpha).astype(x.dtype)
        self.xp.add.at(out, _at(self.dim, self.index), _1d(source).astype(x.dtype, copy=False))
        return out.reshape(x.shape)

    def backward(self, g):
        grad_source = None
        if self.needs_input_grad[1]:
            grad_source = IndexSelectBackward0(self.dim, self.index).apply(g)
            if self.alpha != 1:
                grad_source = grad_source * self.alpha
        return g, grad_source


def index_add(input, dim, index, source, *, alpha=1):
    """input with alpha * source added at index along dim (torch.index_add)."""
    dim = wrap_dim(dim, input.ndim)
    _check_index_dtype(index, ("int32", "int64"), "index_add_(): Expected dtype int32/int64 for "
                                                  f"index but got: {_scalar_name(index)}")
    idx = _vector_index(index, "index_add_")
    if input.ndim == 0 and idx.size != 1:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    _check_source("index_add_", input, dim, idx, source)
    if input.ndim <= 1 or 0 < dim < input.ndim - 1:
        # NOTE: torch's CPU kernels differ by dim; these raise IndexError, the others (dim 0 and
        # the last dim, mostly) the RuntimeError of _check_bounds
        if idx.size and ((idx < 0) | (idx >= _size(input, dim))).any():
            raise IndexError("index out of range in self")
    _check_bounds(idx, _size(input, dim), dim, negative=False)
    return IndexAddBackward0(dim, idx, alpha).apply(input, source)


def index_add_(input, dim, index, source, *, alpha=1):
    return inplace_update(input, index_add(input, dim, index, source, alpha=alpha))


class IndexCopyBackward0(Op):
    """x with source's slices copied to ``index`` along ``dim``."""

    promote = "keep"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, source):
        out = _1d(x).copy()
        out[_at(self.dim, self.index)] = source
        return out.reshape(x.shape)

    def backward(self, g):
        grad_x = grad_source = None
        if self.needs_input_grad[0]:
            grad_x = IndexFillBackward0(self.dim, self.index, 0).apply(g)
        if self.needs_input_grad[1]:
            grad_source = IndexSelectBackward0(self.dim, self.index).apply(g)
        return grad_x, grad_source


def index_copy(input, dim, index, source):
    """input with source's slices copied in at index along dim (torch.index_copy)."""
    dim = wrap_dim(dim, input.ndim)
    _check_index_dtype(index, ("int64",), "index_copy_(): Expected a long tensor for index, but "
                                          f"got {_scalar_name(index)}")
    idx = _vector_index(index, "index_copy_")
    _check_source("index_copy_", input, dim, idx, source)
    _check_bounds(idx, _size(input, dim), dim, IndexError, "index_copy_(): ", negative=False)
    return IndexCopyBackward0(dim, idx).apply(input, source)


def index_copy_(input, dim, index, source):
    return inplace_update(input, index_copy(input, dim, index, source))


class IndexFillBackward0(Op):
    """x with the slices at ``index`` along ``dim`` set to a number."""

    promote = "keep"

    def __init__(self, dim, index, value=None):
        self.dim, self.index, self.value = dim, index, value

    def forward(self, x, value=None):
        out = _1d(x).copy()
        fill = self.value if value is None else value
        out[_at(self.dim, self.index)] = self.xp.asarray(fill).astype(x.dtype)
        return out.reshape(x.shape)

    def backward(self, g):
        return IndexFillBackward0(self.dim, self.index, 0).apply(g)


class IndexFillBackward1(IndexFillBackward0):
    """index_fill with a 0-dim tensor value, which gets the sum of the filled gradient (each
    position once, however often the index repeats it)."""

    def backward(self, g):
        grad_value = None
        if self.needs_input_grad[1]:
            unique = self.xp.unique(self.index % _size(g, self.dim))
            grad_value = IndexSelectBackward0(self.dim, unique).apply(g).sum()
        return IndexFillBackward0(self.dim, self.index, 0).apply(g), grad_value


def index_fill(input, dim, index, value):
    """input with the slices at index along dim set to value (torch.index_fill)."""
    Tensor = _tensor_cls()
    dim = wrap_dim(dim, input.ndim)
    _check_index_dtype(index, ("int64",), "index_fill_(): Expected dtype int64 for index.",
                       IndexError)
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = index._data.reshape(-1)
    _check_bounds(idx, _size(input, dim), dim, IndexError)
    if not isinstance(value, Tensor):
        return IndexFillBackward0(dim, idx, value).apply(input)
    if value.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    return IndexFillBackward1(dim, idx).apply(input, value)


def index_fill_(input, dim, index, value):
    return inplace_update(input, index_fill(input, dim, index, value))


class TakeBackward0(Op):
    """input read as 1-D at ``index``; the result has the index's shape."""

    promote = "keep"

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x.reshape(-1)[self.index]

    def backward(self, g):
        shape, _ = self._input_meta[0]
        flat = g.new_zeros(_numel(shape))
        return IndexPutBackward0((self.index,), accumulate=True).apply(flat, g).reshape(shape)


def take(input, index):
    """input treated as 1-D, read at index (negatives wrap) (torch.take)."""
    _check_index_dtype(index, ("int64",), "take(): Expected a long tensor for index, but got "
                                          f"{_scalar_name(index)}")
    idx, n = index._data, input.numel()
    bad = (idx >= n) | (idx < -n)
    if idx.size and bad.any():
        raise IndexError(f"out of range: tried to access index {int(idx[bad].ravel()[0])} on a "
                         f"tensor of {n} elements.")
    return TakeBackward0(idx).apply(input)


def take_along_dim(input, indices, dim=None):
    """gather with input and indices broadcast apart from ``dim``; with no dim, on the
    flattened input (torch.take_along_dim)."""
    if indices.dtype.name != "int64":
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_scalar_name(indices)}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {input.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, input.ndim)
    shape = list(broadcast_shape(_drop(input.shape, dim), _drop(indices.shape, dim)))
    input = input.expand(*shape[:dim], input.shape[dim], *shape[dim + 1:])
    indices = indices.expand(*shape[:dim], indices.shape[dim], *shape[dim + 1:])
    return gather(input, dim, indices)


def _drop(shape, dim):
    return tuple(shape[:dim]) + (1,) + tuple(shape[dim + 1:])


# -- gather and scatter ----------------------------------------------------------------------------
# The index has the input's number of dims; element [i, j, k] of the index addresses position
# index[i, j, k] along ``dim`` and i, j, k elsewhere. 0-dim tensors act as 1-dim ones.


def _along(index, dim, xp):
    """The NumPy index for the positions an along-dim index addresses."""
    arrays = []
    for d, size in enumerate(index.shape):
        if d == dim:
            arrays.append(index)
        else:
            arrays.append(xp.arange(size).reshape((size,) + (1,) * (index.ndim - d - 1)))
    return tuple(arrays)


def _1d(array):
    return array.reshape(1) if array.ndim == 0 else array


def _head(src, index):
    """The part of src that an index smaller than it uses (its leading corner)."""
    return src[tuple(slice(0, n) for n in index.shape)]


def _check_gather(input, dim, index):
    if index.dtype.name not in ("int32", "int64"):
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(input.ndim):
        if d != dim and index.shape[d] > input.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {dim}")
    _check_bounds(index._data, _size(input, dim), dim, negative=False)


class GatherBackward0(Op):
    promote = "keep"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        index = _1d(self.index)
        return _1d(x)[_along(index, self.dim, self.xp)].reshape(self.index.shape)

    def backward(self, g):
        shape, _ = self._input_meta[0]
        return ScatterAddBackward0(self.dim, self.index).apply(g.new_zeros(shape), g)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """out[i][j] = input[index[i][j]][j] for dim 0, and so on (torch.gather)."""
    dim = wrap_dim(dim, input.ndim)
    _check_gather(input, dim, index)
    return _with_out(GatherBackward0(dim, index._data.astype("int64", copy=False)).apply(input),
                     out)


def _check_scatter(input, dim, index, src, name="scatter"):
    """torch's checks, in torch's order: index dtype, src dtype, dims, sizes, src dims."""
    if index.dtype.name not in ("int32", "int64"):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype is not input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if index.numel() and _scatter_sizes_wrong(input, dim, index, src):
        message = (f"Expected index {list(index.shape)} to be no larger than self "
                   f"{list(input.shape)} apart from dimension {dim}")
        if src is not None:
            message += f" and to be no larger size than src {list(src.shape)}"
        raise RuntimeError(message)
    if src is not None and max(src.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    _check_bounds(index._data, _size(input, dim), dim, negative=False)


def _scatter_sizes_wrong(input, dim, index, src):
    """index may not be larger than input (apart from dim) or than src."""
    if any(d != dim and n > input.shape[d] for d, n in enumerate(index.shape)):
        return True
    if src is None or src.ndim == 0:
        return False
    # NOTE: torch reads src.size(d) for every dim of the index: a src with fewer dims fails there
    return any(n > src.shape[wrap_dim(d, src.ndim)] for d, n in enumerate(index.shape))


class _Scatter(Op):
    """Base of the scatter ops: x's copy, written at the positions the index addresses."""

    promote = "keep"

    def __init__(self, dim, index, reduce=None, value=None):
        self.dim, self.index, self.reduce, self.value = dim, index, reduce, value

    def forward(self, x, src=None):
        out = _1d(x).copy()
        index = _1d(self.index)
        where_ = _along(index, self.dim, self.xp)
        values = self.xp.asarray(self.value) if src is None else _head(_1d(src), index)
        values = values.astype(out.dtype, copy=False)
        self.write(out, where_, values)
        return out.reshape(x.shape)

    def write(self, out, where_, values):
        if self.reduce == "add":
            self.xp.add.at(out, where_, values)
        elif self.reduce == "multiply":
            self.xp.multiply.at(out, where_, values)
        else:
            out[where_] = values


class ScatterBackward0(_Scatter):
    """scatter with a src tensor; src's gradient is the gradient gathered at the index."""

    def backward(self, g):
        grad_x = grad_src = None
        if self.needs_input_grad[0]:
            grad_x = ScatterBackward1(self.dim, self.index, value=0).apply(g)
        if self.needs_input_grad[1]:
            grad_src = gather(g, self.dim, _tensor_cls()._make(self.index, g.device))
        return grad_x, grad_src


class ScatterBackward1(_Scatter):
    """scatter with a number: the overwritten positions get no gradient."""

    def backward(self, g):
        return ScatterBackward1(self.dim, self.index, value=0).apply(g)


class ScatterWithReduce(_Scatter):
    """scatter with reduce=: torch records a node named NotImplemented that fails backward."""

    def backward(self, *grads):
        raise RuntimeError("derivative for aten::scatter is not implemented")


# torch's node name, without shadowing the builtin in this module
ScatterWithReduce.__name__ = ScatterWithReduce.__qualname__ = "NotImplemented"


class ScatterAddBackward0(_Scatter):
    def __init__(self, dim, index):
        super().__init__(dim, index, reduce="add")

    def backward(self, g):
        index = _tensor_cls()._make(self.index, g.device)
        return g, gather(g, self.dim, index) if self.needs_input_grad[1] else None


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """input with src's elements (or a number) written where index points along dim;
    reduce='add' | 'multiply' combines instead of overwriting (torch.scatter)."""
    Tensor = _tensor_cls()
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(input, dim, index, 1.5)
    dim = wrap_dim(dim, input.ndim)
    _check_scatter(input, dim, index, src)
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    idx = index._data.astype("int64", copy=False)
    if reduce is not None:
        op = ScatterWithReduce(dim, idx, reduce, value)
    else:
        op = ScatterBackward0(dim, idx) if src is not None else ScatterBackward1(dim, idx, None,
                                                                                value)
    return op.apply(input) if src is None else op.apply(input, src)


def scatter_(input, dim, index, src=None, value=None, *, reduce=None):
    """In-place scatter (Tensor.scatter_)."""
    return inplace_update(input, scatter(input, dim, index, src, value, reduce=reduce))


def scatter_add(input, dim, index, src):
    """input with src's elements added where index points along dim; repeats accumulate
    (torch.scatter_add)."""
    dim = wrap_dim(dim, input.ndim)
    _check_scatter(input, dim, index, src)
    return ScatterAddBackward0(dim, index._data.astype("int64", copy=False)).apply(input, src)


def scatter_add_(input, dim, index, src):
    return inplace_update(input, scatter_add(input, dim, index, src))


class ScatterReduceBackward0(Op):
    """x with src's elements reduced into the positions index points at along dim."""

    promote = "keep"

    def __init__(self, dim, index, reduce, include_self):
        self.dim, self.index, self.reduce, self.include_self = dim, index, reduce, include_self

    def forward(self, x, src):
        xp = self.xp
        out, index = _1d(x).copy(), _1d(self.index)
        at = _along(index, self.dim, xp)
        if not self.include_self:
            out[at] = _identity(self.reduce, out.dtype, xp)
        ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
                 "amin": xp.minimum}[self.reduce]
        ufunc.at(out, at, _head(_1d(src), index))
        if self.reduce == "mean":
            count = xp.full(out.shape, int(self.include_self), dtype=out.dtype)
            xp.add.at(count, at, 1)
            count = xp.maximum(count, 1)  # untouched positions keep their value
            divide = xp.true_divide if out.dtype.kind in "fc" else xp.floor_divide
            out = divide(out, count).astype(out.dtype)
            self.count = count.reshape(x.shape)
        out = out.reshape(x.shape)
        self.save(x, src, out)
        return out

    def backward(self, g):
        x, src, result = self.saved
        index = _tensor_cls()._make(self.index, g.device)
        grad_x, grad_src = _SCATTER_REDUCE_GRADS[self.reduce](self, g, x, src, result, index)
        if not self.include_self:
            grad_x = grad_x.scatter(self.dim, index, 0)
        return grad_x, grad_src


def _identity(reduce, dtype, xp):
    """The value that leaves a reduction unchanged, for include_self=False."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind in "fc":
        return -float("inf") if reduce == "amax" else float("inf")
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _sum_grads(op, g, x, src, result, index):
    return g, g.gather(op.dim, index)


def _mean_grads(op, g, x, src, result, index):
    g = g / _tensor_cls()._make(op.count, g.device)
    return g, g.gather(op.dim, index)


def _extreme_grads(op, g, x, src, result, index):
    # NOTE: the gradient is shared evenly between all elements equal to the extreme, as torch does
    dim = op.dim
    x_is, src_is = x == result, src == result.gather(dim, index)
    count = x_is.to(g.dtype).scatter_add(dim, index, src_is.to(g.dtype))
    g = g / count
    zero = g.new_zeros(())
    return where(x_is, g, zero), where(src_is, g.gather(dim, index), zero)


def _prod_grads(op, g, x, src, result, index):
    # NOTE: a product's gradient is the product of the others; computing it as result / element
    # fails at zeros, so zeros are replaced by one and the product recomputed, as torch does
    dim, include = op.dim, op.include_self
    masked_x = x.masked_fill(x == 0, 1)
    grad_x = g * masked_x.scatter_reduce(dim, index, src, "prod", include_self=include) / masked_x
    src_zero = src == 0
    zeros = src_zero.to(g.dtype).new_zeros(x.shape).scatter_add(dim, index, src_zero.to(g.dtype))
    single_zero = src_zero.logical_and(zeros.gather(dim, index) == 1)
    others = x.scatter_reduce(dim, index, src.masked_fill(single_zero, 1), "prod",
                              include_self=include)
    grad_src = where(single_zero, (g * others).gather(dim, index),
                     (g * result).gather(dim, index) / src.masked_fill(src_zero, 1))
    return grad_x, grad_src


_SCATTER_REDUCE_GRADS = {"sum": _sum_grads, "mean": _mean_grads, "amax": _extreme_grads,
                         "amin": _extreme_grads, "prod": _prod_grads}


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """input with src reduced in ('sum', 'prod', 'mean', 'amax', 'amin') where index points
    along dim; integer means round down (torch.scatter_reduce)."""
    if reduce not in _SCATTER_REDUCE_GRADS:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    dim = wrap_dim(dim, input.ndim)
    _check_scatter(input, dim, index, src)
    idx = index._data.astype("int64", copy=False)
    return ScatterReduceBackward0(dim, idx, reduce, include_self).apply(input, src)


def scatter_reduce_(input, dim, index, src, reduce, *, include_self=True):
    return inplace_update(input, scatter_reduce(input, dim, index, src, reduce,
                                                include_self=include_self))
