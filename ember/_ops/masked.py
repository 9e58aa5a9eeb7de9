"""where, nonzero and argwhere, and the masked ops (masked_fill, masked_select, masked_scatter):
input and mask broadcast together, as in torch."""

from __future__ import annotations

import math

from ember._backend import xp_of
from ember._ops._op import Op
from ember._ops.index import (
    _C_NAMES,
    IndexBackward0,
    IndexPutBackward0,
    _scalar_name,
    _tensor_cls,
)
from ember._ops.inplace import inplace_update
from ember._ops.shape import broadcast_shape

__all__ = [
    "argwhere", "masked_fill", "masked_scatter", "masked_select", "nonzero", "where",
]


# -- where, nonzero --------------------------------------------------------------------------------


class WhereBackward0(Op):
    def __init__(self, condition):
        self.condition = condition

    def forward(self, x, y):
        condition, xp = self.condition, self.xp
        if condition.dtype == bool:  # NOTE: a gradient blocked by a mask takes this way
            if _is_positive_zero(y):
                return select_bits(xp, condition, x)
            if _is_positive_zero(x):
                return select_bits(xp, ~condition, y)
        return xp.where(condition, x, y)

    def backward(self, g):
        c = _tensor_cls()._make(self.condition, g.device)
        zero = g.new_zeros(())
        return (where(c, g, zero) if self.needs_input_grad[0] else None,
                where(c, zero, g) if self.needs_input_grad[1] else None)


_UNSIGNED = {2: "uint16", 4: "uint32", 8: "uint64"}


def select_bits(xp, mask, values):
    """``where(mask, values, 0)`` for floats, bit for bit (inf, nan and -0.0 pass, blocked
    places get +0.0), by AND-ing the bit patterns with all-ones or all-zeros words.
    NOTE: NumPy's where (and any masked copy) is over ten times slower on an unpredictable mask;
    this is branch-free, as fast as a product with the mask."""
    bits = _UNSIGNED.get(values.dtype.itemsize)
    if bits is None or values.dtype.kind not in "fV":
        return xp.where(mask, values, 0).astype(values.dtype, copy=False)
    keep = xp.asarray(mask).astype(bits)  # NOTE: asarray: a 0-d condition may be a scalar
    xp.negative(keep, out=keep)  # 1 -> all ones (unsigned wrap-around), 0 -> 0
    if keep.shape == values.shape:
        keep &= values.view(bits)
        return keep.view(values.dtype)
    return xp.bitwise_and(keep, values.view(bits)).view(values.dtype)  # broadcasting


def _is_positive_zero(value):
    """A floating 0-d operand equal to +0.0 (where() may then select bits instead)."""
    return (value.ndim == 0 and value.dtype.kind in "fV" and float(value) == 0.0
            and math.copysign(1.0, float(value)) > 0)


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
