"""Views built on the core ones in shape.py: a part of a tensor (narrow, select, diagonal), dims
merged, split or moved (flatten, ravel, unflatten, movedim), the *_as forms (view_as, reshape_as,
expand_as) and broadcasting (broadcast_to, broadcast_shapes, broadcast_tensors)."""
from __future__ import annotations

import math

from ember._ops._op import Op
from ember._ops.shape import (
    _int_arg,
    _tensor_cls,
    broadcast_shape,
    expand,
    infer_shape,
    parse_shape,
    permute,
    reshape,
    view,
    wrap_dim,
)
from ember._ops.strided import strided_view

__all__ = [
    "broadcast_shapes", "broadcast_tensors", "broadcast_to", "diagonal", "flatten", "moveaxis",
    "movedim", "narrow", "ravel", "select", "unflatten",
]


# -- views that select part of a tensor -------------------------------------------------------


def _along(dim, item):
    """A basic index applying ``item`` to dim ``dim``; the trailing ... keeps 0-dim results views
    (NumPy returns a scalar copy for a full integer index)."""
    return (slice(None),) * dim + (item, Ellipsis)


def _slice(x, dim, start, stop):
    """x[start:stop] along ``dim``, a view. NumPy gives an empty slice the base's address and no
    base; torch keeps its storage offset, so an empty slice is made at the right address."""
    out = x[_along(dim, slice(start, stop))]
    if out.size == 0 and x.size:
        out = strided_view(x, out.shape, out.strides, min(start, x.shape[dim]) * x.strides[dim])
    return out


class _TakeView(Op):
    """A view op given by ``take(array)``. Its gradient puts g into zeros where the view lies, by
    logical position, so it holds for any input layout; ``args`` rebuild the op."""

    promote = "keep"
    is_view = True

    def __init__(self, *args):
        self.args = args

    def renew(self):
        return type(self)(*self.args)

    def forward(self, x):
        return self.take(x)

    def backward(self, g):
        return _ScatterIntoZeros(self.renew(), self._input_meta[0][0]).apply(g)


class _ScatterIntoZeros(Op):
    """The adjoint of a _TakeView: zeros of the input's shape holding g where the view lies
    (torch's slice_backward, select_backward, diagonal_backward)."""

    promote = "keep"

    def __init__(self, view_op, shape):
        self.view_op, self.shape = view_op, shape

    def forward(self, g):
        out = self.xp.zeros(self.shape, dtype=g.dtype)
        self.view_op.take(out)[...] = g
        return out

    def backward(self, gg):
        return self.view_op.renew().apply(gg)


class SliceBackward0(_TakeView):
    """x[start:stop] along one dim (narrow, tensor_split)."""

    def take(self, x):
        return _slice(x, *self.args)


class SelectBackward0(_TakeView):
    """x[index] along one dim, which disappears."""

    def take(self, x):
        dim, index = self.args
        return x[_along(dim, index)]


class DiagonalBackward0(_TakeView):
    """The diagonal of dims dim1, dim2 as a last dim (NumPy's own diagonal view is read-only)."""

    def take(self, x):
        offset, dim1, dim2 = self.args
        rest = [d for d in range(x.ndim) if d not in (dim1, dim2)]
        n1, n2 = x.shape[dim1], x.shape[dim2]
        s1, s2 = x.strides[dim1], x.strides[dim2]
        length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
        start = 0 if length == 0 else offset * s2 if offset >= 0 else -offset * s1
        shape = tuple(x.shape[d] for d in rest) + (length,)
        strides = tuple(x.strides[d] for d in rest) + (s1 + s2,)
        return strided_view(x, shape, strides, start)


def narrow(input, dim, start, length):
    """input[start:start + length] along ``dim`` (torch.narrow): a view; ``start`` may be negative
    or a 0-dim integer tensor."""
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if isinstance(start, _tensor_cls()) and (start._data.ndim or start.dtype.category > 1):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    start = _int_arg(start, "narrow", "start", 2)
    length = _int_arg(length, "narrow", "length", 3)
    dim = wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    start = start + size if start < 0 else start
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return SliceBackward0(dim, start, start + length).apply(input)


def select(input, dim, index):
    """input[index] along ``dim``, which is removed (torch.select): a view."""
    ndim = input._data.ndim
    if ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    index = _int_arg(index, "select", "index", 2)
    dim = wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input._data.shape)} at dimension {dim}")
    return SelectBackward0(dim, index % size).apply(input)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims dim1 and dim2, appended as the last dim (torch.diagonal): a view; an
    offset past the edge gives an empty diagonal."""
    offset = _int_arg(offset, "diagonal", "offset", 2)
    ndim = input._data.ndim
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagonalBackward0(offset, d1, d2).apply(input)


# -- dims: flatten, unflatten, movedim --------------------------------------------------------


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (torch.flatten): a view when the strides allow, else
    a copy; the input itself when there is nothing to merge; a 0-dim tensor becomes 1-D."""
    start_dim = _int_arg(start_dim, "flatten", "start_dim", 1)
    end_dim = _int_arg(end_dim, "flatten", "end_dim", 2)
    ndim = input._data.ndim
    start, end = wrap_dim(start_dim, ndim), wrap_dim(end_dim, ndim)
    if ndim == 0:
        return reshape(input, 1)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    shape = input._data.shape
    return reshape(input, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def ravel(input):
    """A contiguous 1-D tensor: a view when the input is contiguous, else a copy (torch.ravel)."""
    return view(input.contiguous(), -1)


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one may be -1) (torch.unflatten): a view."""
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError(f"Dimension specified as {dim} but tensor has no dimensions")
    dim = wrap_dim(dim, ndim)
    sizes = parse_shape((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = input._data.shape[dim]
    known = math.prod(s for s in sizes if s != -1)
    inferable = sizes.count(-1) == 1 and known and size % known == 0
    if (-1 in sizes and not inferable and sizes.count(-1) == 1) or (
            -1 not in sizes and known != size and min(sizes) >= 0):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({size}) in the input tensor")
    shape = input._data.shape
    return view(input, shape[:dim] + infer_shape(sizes, size) + shape[dim + 1:])


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination``; the other dims keep their order
    (torch.movedim): a permute view."""
    ndim = input._data.ndim
    src = list(source) if isinstance(source, (tuple, list)) else [source]
    dst = list(destination) if isinstance(destination, (tuple, list)) else [destination]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    moves = {}
    for name, given in (("source", src), ("destination", dst)):
        wrapped = [wrap_dim(d, ndim) for d in given]
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({given})")
        moves[name] = wrapped
    if ndim == 0:
        return permute(input, ())
    order = [None] * ndim
    for s, d in zip(moves["source"], moves["destination"]):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in moves["source"])
    return permute(input, [d if d is not None else next(rest) for d in order])


moveaxis = movedim


# -- the *_as forms and broadcasting ----------------------------------------------------------


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


def broadcast_shapes(*shapes):
    """The shape tensors of these shapes broadcast to (torch.broadcast_shapes): ints count as 1-D
    shapes; torch's errors name the argument that does not fit."""
    shapes = [_shape_arg(s) for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for index, shape in enumerate(shapes):
        for i in range(-1, -len(shape) - 1, -1):
            size = shape[i]
            if size < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if size == 1 or size == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {size} at {i}! Mismatching "
                    f"argument at index {index} had {shape}; but expected shape should be "
                    f"broadcastable to {result}")
            result[i] = size
    from ember._tensor import Size

    return Size(result)


def _shape_arg(shape):
    if isinstance(shape, int):
        return (shape,)
    if not isinstance(shape, (tuple, list)):
        raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a list of "
                           f"ints, got {shape}")
    for i, size in enumerate(shape):
        if isinstance(size, float) or not hasattr(size, "__index__"):
            raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                            f"'{type(size).__name__}')")
    return tuple(size.__index__() for size in shape)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (torch.broadcast_tensors); a tensor already of
    that shape is returned as it is."""
    shape = broadcast_shape(*(t._data.shape for t in tensors))
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)
