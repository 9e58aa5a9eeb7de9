"""Indexing with torch's semantics: ``t[...]`` reads and writes. The index is parsed in
index_parse.py; where, nonzero and the masked ops live in masked.py; index_select, the index_* ops,
index_put and take in index_ops.py; gather and the scatter family in scatter.py.

Basic indexing (ints, slices, None, ...) gives a view; advanced indexing (integer and bool tensors,
lists, Python bools) gives a copy, and advanced writes are index_put. As in torch, an index is
applied in two passes: first the basic items (ints select, so they never take part in advanced
indexing's placement of dimensions), then the advanced ones on the resulting view, with NumPy's
placement rule (adjacent advanced indices stay in place, separated ones move to the front).
"""

from __future__ import annotations

import numpy  # host side only: the number types a value may be written as

from ember._ops._op import Op, _legacy_type_name
from ember._ops.index_parse import _advanced, _parse
from ember._ops.inplace import inplace_update, view_geometry


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
        from ember._ops.strided import StridedScatter

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
    from ember._ops.conversion import copy_

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
