"""Reordering and repeating, in new memory as torch's do: flip, fliplr, flipud, roll, repeat, tile,
repeat_interleave."""

from __future__ import annotations

import numpy as _numpy

from ember._ops._op import Op
from ember._ops.shape import (
    _int_arg,
    _legacy,
    _tensor_cls,
    _varargs,
    _wrap_nonscalar,
    expand,
    parse_shape,
    unsqueeze,
    wrap_dim,
)
from ember._ops.views import _along, flatten

__all__ = [
    "flip", "fliplr", "flipud", "repeat_interleave", "roll", "tile",
]


# -- reordering and repeating (new memory) ----------------------------------------------------


class FlipBackward0(Op):
    """A reversed copy along ``dims`` (torch's flip copies where NumPy's would be a view)."""

    promote = "keep"

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        if not self.dims:
            return x.copy(order="K")
        return self.xp.flip(x, self.dims).copy(order="K")  # NOTE: K keeps the input's layout

    def backward(self, g):
        return FlipBackward0(self.dims).apply(g)


def flip(input, *args, dims=None):
    """Reverse the order along ``dims`` (torch.flip); a copy, never a view."""
    ndim = input._data.ndim
    dims = [wrap_dim(d, ndim) for d in _varargs(args, dims, "flip", "dims")]
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return FlipBackward0(tuple(dims) if ndim else ()).apply(input)


def fliplr(input):
    """flip along dim 1 (torch.fliplr)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    """flip along dim 0 (torch.flipud)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class RollBackward0(Op):
    """Elements shifted cyclically along ``dims`` (over the flattened tensor without dims)."""

    promote = "keep"

    def __init__(self, shifts, dims):
        self.shifts, self.dims = shifts, dims

    def forward(self, x):
        if not self.dims:
            return self.xp.roll(x, self.shifts[0])
        return self.xp.ascontiguousarray(self.xp.roll(x, self.shifts, self.dims))

    def backward(self, g):
        return RollBackward0(tuple(-s for s in self.shifts), self.dims).apply(g)


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims``, or over the flattened tensor when no dims are
    given (torch.roll); a copy."""
    shifts = parse_shape((shifts,)) if isinstance(shifts, (tuple, list)) else (
        _int_arg(shifts, "roll", "shifts", 2),)
    dims = () if dims is None else parse_shape((dims,)) if isinstance(dims, (tuple, list)) else (
        dims,)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if dims or len(shifts) != 1:
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:{len(dims)}")
        dims = tuple(_wrap_nonscalar(d, input._data.ndim) for d in dims)
    return RollBackward0(shifts, dims).apply(input)


class RepeatBackward0(Op):
    """The input tiled ``repeats`` times along each dim (leading dims added as needed)."""

    promote = "keep"

    def __init__(self, repeats):
        self.repeats = repeats

    def forward(self, x):
        padded = x.reshape((1,) * (len(self.repeats) - x.ndim) + x.shape)
        return self.xp.ascontiguousarray(self.xp.tile(padded, self.repeats))

    def backward(self, g):
        # NOTE: view g as (r0, s0, r1, s1, ...) and sum the copies: composed of tensor ops, so
        # double backward works
        shape = self._input_meta[0][0]
        padded = (1,) * (len(self.repeats) - len(shape)) + tuple(shape)
        pairs = [n for r, s in zip(self.repeats, padded) for n in (r, s)]
        summed = g.reshape(pairs).sum(tuple(range(0, len(pairs), 2))) if pairs else g
        return summed.reshape(shape)


def repeat(input, *args, repeats=None):
    """The input tiled along each dim (Tensor.repeat); more repeats than dims add leading dims."""
    repeats = _varargs(args, repeats, "repeat", "repeats")
    shape = input._data.shape
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    padded = (1,) * (len(repeats) - len(shape)) + shape
    target = [r * s for r, s in zip(repeats, padded)]
    for size in target:
        if size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {target}")
    return RepeatBackward0(repeats).apply(input)


def tile(input, *args, dims=None):
    """repeat, with missing leading repeats taken as 1 (torch.tile)."""
    dims = _varargs(args, dims, "tile", "dims")
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


class IndexSelectBackward0(Op):
    """Slices along ``dim`` gathered at ``index`` (a copy, as torch.index_select)."""

    promote = "keep"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        return self.xp.take(x, self.index, axis=self.dim)

    def backward(self, g):
        return _IndexAddIntoZeros(self.dim, self.index, self._input_meta[0][0]).apply(g)


class _IndexAddIntoZeros(Op):
    """The adjoint of IndexSelectBackward0: slices of g summed into zeros at ``index``."""

    promote = "keep"

    def __init__(self, dim, index, shape):
        self.dim, self.index, self.shape = dim, index, shape

    def forward(self, g):
        out = self.xp.zeros(self.shape, dtype=g.dtype)
        self.xp.add.at(out, _along(self.dim, self.index)[:-1], g)  # add.at sums repeats
        return out

    def backward(self, gg):
        return IndexSelectBackward0(self.dim, self.index).apply(gg)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each slice along ``dim`` (each element of the flattened input without dim) repeated
    (torch.repeat_interleave). Int repeats give a view of an expanded copy, as in torch; tensor
    repeats an index_select. With only a repeats tensor: the indices 0, 0, 1, ... it describes."""
    if repeats is None:
        counts = _repeat_counts(input, one_d=True)
        return _host_tensor(_numpy.repeat(_numpy.arange(counts.size), counts), input)
    if dim is None:
        input, dim = flatten(input), 0
    dim = wrap_dim(dim, input._data.ndim)
    if isinstance(repeats, _tensor_cls()):
        return _repeat_by_tensor(input, repeats, dim, output_size)
    repeats = _int_arg(repeats, "repeat_interleave", "repeats", 2)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    wide = unsqueeze(input, dim + 1)
    sizes = list(wide._data.shape)
    sizes[dim + 1] = repeats
    if output_size is not None and output_size != sizes[dim] * repeats:
        raise RuntimeError("allocated size does not match required size")
    return flatten(expand(wide, sizes).clone(), dim, dim + 1)


def _repeat_by_tensor(input, repeats, dim, output_size):
    counts = _repeat_counts(repeats, one_d=False)
    size = input._data.shape[dim]
    if counts.size == 1:
        counts = _numpy.full(size, counts.item())
    elif counts.size != size:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size({dim}) = {size}")
    index = _numpy.repeat(_numpy.arange(size), counts)
    if output_size is not None and output_size != index.size:
        raise RuntimeError("allocated size does not match required size")
    return IndexSelectBackward0(dim, _host_tensor(index, input)._data).apply(input)


def _repeat_counts(repeats, one_d):
    """A repeats tensor's values on the host, with torch's checks."""
    from ember._backend import to_host

    ndim = repeats._data.ndim
    if one_d and ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if repeats.dtype.name not in ("int32", "int64"):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{_legacy(repeats)[:-6]}'")
    if ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    counts = to_host(repeats._data).reshape(-1)
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return counts


def _host_tensor(array, like):
    """An index array computed on the host, as a tensor of ``like``'s device (and int dtype)."""
    from ember._ops.creation import tensor

    dtype = like.dtype if like.dtype.name in ("int32", "int64") else None
    return tensor(array, dtype=dtype, device=like.device)
