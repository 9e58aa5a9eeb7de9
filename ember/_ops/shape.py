"""Shape ops and views. Views share memory and the version counter with their base, as in torch:
view, reshape (when viewable), expand, squeeze, unsqueeze, transpose, permute, as_strided, narrow,
select, diagonal, unbind, split, chunk, ... Joining (cat, stack), flip, roll, repeat and
repeat_interleave with tensor repeats return new memory, as torch's do."""

from __future__ import annotations

import itertools
import math

import numpy as _numpy

from ember._ops._op import Op
from ember._ops.inplace import with_out

__all__ = [
    "as_strided", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes",
    "broadcast_tensors", "broadcast_to", "cat", "chunk", "column_stack", "concat", "concatenate",
    "diagonal", "dsplit", "dstack", "flatten", "flip", "fliplr", "flipud", "hsplit", "hstack",
    "moveaxis", "movedim", "narrow", "permute", "ravel", "repeat_interleave", "reshape", "roll",
    "row_stack", "select", "split", "squeeze", "stack", "swapaxes", "swapdims", "t",
    "tensor_split", "tile", "transpose", "unbind", "unflatten", "unsqueeze", "vsplit", "vstack",
]

# -- dims, shapes and strides -----------------------------------------------------------------


def wrap_dim(dim, ndim):
    """A dim in [-ndim, ndim) made non-negative; torch's IndexError otherwise (0-dim as 1-dim)."""
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-bound}, "
                         f"{bound - 1}], but got {dim})")
    return dim % bound


def parse_shape(args):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(Size) as torch does; return a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        return tuple(int(s.__index__()) for s in args)
    except (AttributeError, TypeError):
        bad = next(s for s in args if not hasattr(s, "__index__"))
        raise TypeError(f"expected a sequence of integers or a single integer, got "
                        f"'{type(bad).__name__}'") from None


def infer_shape(shape, numel):
    """Resolve one -1 in ``shape`` against ``numel`` (torch's errors for bad shapes)."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def broadcast_shape(*shapes):
    """The broadcast shape of an op's operands, with the RuntimeError torch's ops raise when sizes
    clash ("The size of tensor a (2) must match ..."); torch.broadcast_shapes words it otherwise."""
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        for i, size in enumerate(shape, ndim - len(shape)):
            if size != 1 and result[i] not in (1, size):
                raise RuntimeError(
                    f"The size of tensor a ({result[i]}) must match the size of tensor b ({size}) "
                    f"at non-singleton dimension {i}")
            if size != 1 or result[i] == 1:
                result[i] = size if result[i] == 1 else result[i]
    from ember._tensor import Size

    return Size(result)


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


def data_ptr(array):
    """The address of an array's first element (NumPy or CuPy)."""
    if hasattr(array, "ctypes"):
        return array.ctypes.data
    return array.data.ptr


def _owner(array):
    """The array that owns the memory (the storage), past views and strided_view's interfaces."""
    while True:
        base = getattr(array, "base", None)
        if isinstance(base, _Interface):
            base = base.base
        if base is None or not hasattr(base, "strides"):
            return array
        array = base


def storage_offset(t):
    """Elements between the start of the tensor's storage and its first element."""
    owner = _owner(t._data)
    return (data_ptr(t._data) - data_ptr(owner)) // t.dtype.itemsize


def is_contiguous(t):
    return t._data.flags.c_contiguous


class _Interface:
    """An array interface at a given address; NumPy keeps this object (and ``base``) alive."""

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def strided_view(array, shape, strides, byte_offset=0):
    """A view of ``array``'s memory with any shape and byte strides, starting ``byte_offset`` in."""
    if hasattr(array, "ctypes"):
        import numpy

        interface = {"data": (data_ptr(array) + byte_offset, not array.flags.writeable),
                     "shape": tuple(shape), "strides": tuple(strides),
                     "typestr": array.dtype.str, "descr": array.dtype.descr, "version": 3}
        view = numpy.asarray(_Interface(interface, array))
        return view if view.dtype == array.dtype else view.view(array.dtype)
    import cupy

    return cupy.ndarray(shape, array.dtype, memptr=array.data + byte_offset, strides=strides)


# -- view ops ---------------------------------------------------------------------------------


class _ReshapeGrad(Op):
    """A view op whose gradient is the upstream gradient reshaped to the input's shape."""

    promote = "keep"
    is_view = True

    def backward(self, g):
        return g.reshape(self._input_meta[0][0])


class ViewBackward0(_ReshapeGrad):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        try:
            return x.reshape(self.shape, copy=False)
        except ValueError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None


class UnsafeViewBackward0(_ReshapeGrad):
    """reshape that had to copy: the result owns new memory."""

    is_view = False

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)


def view(input, *shape):
    """A view with a new shape; torch's error when the strides don't allow it (Tensor.view)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(
            shape[0], "itemsize"):
        return _view_dtype(input, shape[0])
    shape = infer_shape(parse_shape(shape), input._data.size)
    return ViewBackward0(shape).apply(input)


def _view_dtype(input, dtype):
    from ember._tensor import Tensor

    if dtype.itemsize != input.dtype.itemsize:
        raise NotImplementedError("view(dtype) between dtypes of different sizes")
    out = Tensor._make(input._data.view(dtype.np), input.device)
    out._version, out._base = input._version, input._base or input
    return out


def reshape(input, *shape):
    """A view when the strides allow one, else a copy (torch.reshape)."""
    shape = infer_shape(parse_shape(shape), input._data.size)
    if _viewable(input._data, shape):
        return ViewBackward0(shape).apply(input)
    return UnsafeViewBackward0(shape).apply(input)


def _viewable(array, shape):
    if array.flags.c_contiguous:
        return True
    try:
        array.reshape(shape, copy=False)
        return True
    except ValueError:
        return False


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


class ExpandBackward0(Op):
    promote = "keep"
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        # NOTE: a read-only view with stride 0 in expanded dims; writing into it is an error,
        # as torch's in-place ops on expanded tensors are
        # (torch keeps the strides of dims that are not expanded; broadcast_to would zero them)
        lead = len(self.shape) - x.ndim
        strides = [0] * lead + [0 if size == 1 and target != 1 else stride for size, target,
                                stride in zip(x.shape, self.shape[lead:], x.strides)]
        if self.xp is not _numpy:
            return strided_view(x, self.shape, strides)
        if x.flags.c_contiguous:
            # the ndarray constructor over x's buffer: a view, and far cheaper than broadcast_to
            out = _numpy.ndarray(self.shape, x.dtype, buffer=x, strides=strides)
        else:
            out = strided_view(x, self.shape, strides)
        out.flags.writeable = False
        return out

    def backward(self, g):
        return g  # the engine sums the gradient back to the input's shape


def expand(input, *sizes):
    """A broadcast view with stride 0 in expanded dims (Tensor.expand); -1 keeps a size."""
    sizes = parse_shape(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({_legacy(input)}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            "provided (%d) must be greater or equal to the number of dimensions in the tensor "
            "(%d)" % (len(sizes), len(shape)))
    lead = len(sizes) - len(shape)
    target = []
    for i, size in enumerate(sizes):
        old = shape[i - lead] if i >= lead else None
        if size == -1:
            if old is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            size = old
        elif old is not None and old != 1 and old != size:
            raise RuntimeError(
                f"The expanded size of the tensor ({size}) must match the existing size ({old}) "
                f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}")
        target.append(size)
    return ExpandBackward0(tuple(target)).apply(input)


def _legacy(t):
    from ember._ops._op import _legacy_type_name

    return _legacy_type_name(t).replace("torch.", "")


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


class UnsqueezeBackward0(_ReshapeGrad):
    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        out = self.xp.expand_dims(x, self.dim)
        # NOTE: torch's stride for the new dim (NumPy picks another); only stride() shows it
        dim = self.dim
        new = x.strides[dim] * x.shape[dim] if dim < x.ndim else x.itemsize
        strides = x.strides[:dim] + (new,) + x.strides[dim:]
        return out if out.strides == strides else strided_view(x, out.shape, strides)


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim`` (a view; torch.unsqueeze)."""
    return UnsqueezeBackward0(wrap_dim(dim, input._data.ndim + 1)).apply(input)


class SqueezeBackward0(_ReshapeGrad):
    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return self.xp.squeeze(x, tuple(self.dims))  # keeps the other dims' strides, as torch


class SqueezeBackward1(SqueezeBackward0):
    """squeeze(dim)."""


class SqueezeBackward2(SqueezeBackward0):
    """squeeze(dims)."""


def squeeze(input, dim=None):
    """Drop size-1 dims (all, or those named); a named dim of another size is kept (a view;
    torch.squeeze). The node is SqueezeBackward0, 1 or 2 for no dim, one dim or a tuple."""
    shape, ndim = input._data.shape, input._data.ndim
    if dim is None:
        return SqueezeBackward0({i for i, s in enumerate(shape) if s == 1}).apply(input)
    if isinstance(dim, (tuple, list)):
        op, named = SqueezeBackward2, [wrap_dim(d, ndim) for d in dim]
        for d in named:
            if named.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    else:
        op, named = SqueezeBackward1, [wrap_dim(_int_arg(dim, "squeeze", "dim", 1), ndim)]
    return op({d for d in named if ndim and shape[d] == 1}).apply(input)


class PermuteBackward0(Op):
    promote = "keep"
    is_view = True

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return g.permute(inverse)


class TransposeBackward0(PermuteBackward0):
    pass


class TBackward0(PermuteBackward0):
    pass


def permute(input, *dims):
    """Reorder dims (a view; torch.permute)."""
    dims = parse_shape(dims)
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. input."
                           f"dim() = {ndim} is not equal to len(dims) = {len(dims)}"
                           .replace("(sparse_coo)", ""))
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return PermuteBackward0(dims).apply(input)


def transpose(input, dim0, dim1):
    """Swap two dims (a view; torch.transpose)."""
    ndim = input._data.ndim
    dims = list(range(ndim))
    if ndim == 0:
        wrap_dim(dim0, 0), wrap_dim(dim1, 0)
        return TransposeBackward0(()).apply(input)
    a, b = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return TransposeBackward0(tuple(dims)).apply(input)


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dims (torch.t)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return TBackward0(tuple(range(input._data.ndim))[::-1]).apply(input)


def T(input):
    """All dims reversed (Tensor.T)."""
    return permute(input, tuple(range(input._data.ndim - 1, -1, -1)))


def mT(input):
    """The last two dims swapped (Tensor.mT)."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


class AsStridedBackward0(Op):
    promote = "keep"
    is_view = True

    def __init__(self, shape, strides, byte_offset):
        self.geometry = (shape, strides, byte_offset)

    def forward(self, x):
        self._layout = x
        return strided_view(x, *self.geometry)

    def backward(self, g):
        return StridedScatter(self.geometry, self._layout).apply(g)


class StridedRegion(Op):
    """The values inside a region (a strided geometry) of a tensor laid out as ``layout``."""

    promote = "keep"

    def __init__(self, geometry, layout):
        self.geometry, self.layout = geometry, layout

    def _direct(self):
        """Whether the layout is C-contiguous and holds the region: then the region can be taken
        directly on a buffer shaped like the layout (the common case, and the fast one)."""
        shape, strides, offset = self.geometry
        end = offset + sum((n - 1) * s for n, s in zip(shape, strides)) + self.layout.itemsize
        return self.layout.flags.c_contiguous and (
            0 in shape or (offset >= 0 and end <= self.layout.nbytes))

    def _positions(self):
        """Element offsets of the region's and the layout's positions in a zero-based buffer of
        ``size`` elements covering both; the layout may be any strided view."""
        xp, layout, item = self.xp, self.layout, self.layout.dtype.itemsize
        region = _element_offsets(xp, *self.geometry, item)
        places = _element_offsets(xp, layout.shape, layout.strides, 0, item)
        low = min(int(region.min(initial=0)), 0)
        size = max(int(region.max(initial=-1)), int(places.max(initial=-1))) + 1 - low
        return region - low, places - low, size

    def forward(self, g):
        if self._direct():
            return strided_view(self.xp.ascontiguousarray(g), *self.geometry).copy()
        region, places, size = self._positions()
        buf = self.xp.zeros(size, dtype=g.dtype)
        buf[places] = g
        return buf[region]

    def backward(self, gg):
        return StridedScatter(self.geometry, self.layout).apply(gg)


class StridedScatter(StridedRegion):
    """The adjoint of StridedRegion: values summed into zeros at the region's positions."""

    def forward(self, g):
        shape, strides, _ = self.geometry
        if self._direct() and not _overlapping(shape, strides, self.layout.itemsize):
            buf = self.xp.zeros(self.layout.shape, dtype=g.dtype)
            strided_view(buf, *self.geometry)[...] = g
            return buf
        region, places, size = self._positions()
        buf = self.xp.zeros(size, dtype=g.dtype)
        self.xp.add.at(buf, region, self.xp.broadcast_to(g, region.shape))  # sums overlaps
        return buf[places]

    def backward(self, gg):
        return StridedRegion(self.geometry, self.layout).apply(gg)


def _overlapping(shape, strides, item):
    """Whether a geometry may address one element twice (its gradients must then be summed);
    conservative: True for some exotic interleavings that do not overlap."""
    reach = 0
    for stride, size in sorted((s, n) for n, s in zip(shape, strides) if n > 1):
        if stride < reach + item:
            return True
        reach += (size - 1) * stride
    return False


def _element_offsets(xp, shape, strides, byte_offset, item):
    """The element offset (from the layout's first element) of every position of a geometry."""
    index = xp.full(shape, byte_offset // item, dtype=xp.int64)
    for dim, (size, stride) in enumerate(zip(shape, strides)):
        step = xp.arange(size, dtype=xp.int64) * (stride // item)
        index = index + step.reshape((size,) + (1,) * (len(shape) - dim - 1))
    return index


def as_strided(input, size, stride, storage_offset=None):
    """A view with explicit size, element strides and storage offset (torch.as_strided); the
    input's own offset when none is given; torch's errors for geometry outside the storage."""
    size, stride = parse_shape((size,)), parse_shape((stride,))
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if min(stride, default=0) < 0:
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if min(size, default=0) < 0:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    own = storage_offset_of(input)
    offset = own if storage_offset is None else storage_offset
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    item = input.dtype.itemsize
    storage = _owner(input._data).nbytes
    needed = 0 if 0 in size else item * (offset + 1 + sum((n - 1) * s for n, s in
                                                          zip(size, stride)))
    if needed > storage:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{needed} are out of bounds for storage of size {storage}")
    return AsStridedBackward0(size, tuple(s * item for s in stride),
                              (offset - own) * item).apply(input)


def storage_offset_of(t):
    return storage_offset(t)


def as_strided_like(base, view):
    """``view``'s geometry taken again on ``base`` (used to refresh a view's history)."""
    from ember._ops.inplace import real_pairs_base, view_geometry

    base = real_pairs_base(base, view)  # a real view of a complex tensor: on its real pairs
    shape, strides, offset = view_geometry(view, base)
    return AsStridedBackward0(shape, strides, offset).apply(base)


# -- argument helpers -------------------------------------------------------------------------


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def _int_arg(value, fn, name, position):
    """``value`` as an int; torch's TypeError for floats and other non-integers."""
    if isinstance(value, float) or not hasattr(value, "__index__"):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not "
                        f"{type(value).__name__}")
    return value.__index__()


def _varargs(args, keyword, fn, name):
    """Sizes or dims given as f(0, 1), f((0, 1)), f([0, 1]) or f(name=...) (torch's methods)."""
    if keyword is not None:
        args = (keyword,)
    if not args:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "{name}"')
    return parse_shape(args)


def _wrap_nonscalar(dim, ndim):
    """wrap_dim for ops that give a 0-dim tensor no dim 0 (unbind, roll over dims)."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, ndim)


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


def _tensor_list(tensors, fn):
    """The tensors of a sequence argument, with torch's TypeErrors for anything else."""
    Tensor = _tensor_cls()
    if not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


# -- views that select part of a tensor -------------------------------------------------------


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


# -- views that cut a tensor into pieces ------------------------------------------------------


class UnbindBackward0(Op):
    """A view of each index along ``dim``; the gradient stacks the pieces' gradients."""

    promote = "keep"
    is_view = True
    multi_output = True  # torch forbids in-place writes into these views (see inplace.py)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        return tuple(x[_along(self.dim, i)] for i in range(x.shape[self.dim]))

    def backward(self, *grads):
        return stack(grads, self.dim)  # the engine gives zeros for pieces that got no gradient


class SplitBackward0(Op):
    """Views of consecutive pieces of ``sizes`` along ``dim``; the gradient concatenates the
    pieces' gradients."""

    promote = "keep"
    is_view = True
    multi_output = True

    def __init__(self, dim, sizes):
        self.dim, self.sizes = dim, sizes

    def forward(self, x):
        starts = itertools.accumulate(self.sizes, initial=0)
        return tuple(_slice(x, self.dim, start, start + n) for start, n in zip(starts, self.sizes))

    def backward(self, *grads):
        return cat(grads, self.dim)


class SplitWithSizesBackward0(SplitBackward0):
    pass


def unbind(input, dim=0):
    """The slices along ``dim``, each a view (torch.unbind)."""
    dim = _wrap_nonscalar(dim, input._data.ndim)
    if input._data.shape[dim] == 0:
        return ()
    return UnbindBackward0(dim).apply(input)


def split(tensor, split_size_or_sections, dim=0):
    """Views of pieces of ``split_size`` (the last may be shorter) or of the listed sizes along
    ``dim`` (torch.split)."""
    ndim = tensor._data.ndim
    if ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, ndim)
    size = tensor._data.shape[dim]
    if isinstance(split_size_or_sections, (tuple, list)):
        return _split_with_sizes(tensor, parse_shape((split_size_or_sections,)), dim, size)
    step = _int_arg(split_size_or_sections, "split", "split_size", 2)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    sizes = [min(step, size - start) for start in range(0, size, step)] if size else [0]
    return SplitBackward0(dim, sizes).apply(tensor)


def _split_with_sizes(tensor, sizes, dim, size):
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={list(sizes)}")
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                           f"tensor's size at dimension {dim}), but got split_sizes={list(sizes)}")
    return SplitWithSizesBackward0(dim, list(sizes)).apply(tensor)


def chunk(input, chunks, dim=0):
    """At most ``chunks`` views of equal size (the last may be shorter) along ``dim``
    (torch.chunk); an empty dim gives ``chunks`` empty pieces."""
    chunks = _int_arg(chunks, "chunk", "chunks", 2)
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    if size == 0:
        return SplitWithSizesBackward0(dim, [0] * chunks).apply(input)
    return split(input, -(-size // chunks), dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Narrow views along ``dim`` (torch.tensor_split): ``sections`` pieces whose sizes differ by
    at most one (longer ones first), or the pieces between the given indices (clamped to the
    dim, possibly empty). A tensor argument must be int64, 0-dim (sections) or 1-D (indices)."""
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    dim = wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    arg = indices_or_sections
    if isinstance(arg, _tensor_cls()):
        arg = _split_tensor_arg(arg)
    if isinstance(arg, (tuple, list)):
        cuts = [_clamp_index(_int_arg(i, "tensor_split", "indices", 2), size) for i in arg]
        bounds = [0] + cuts + [size]
        return tuple(narrow(input, dim, start, max(stop - start, 0))
                     for start, stop in zip(bounds, bounds[1:]))
    sections = _int_arg(arg, "tensor_split", "sections", 2)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    base, extra = divmod(size, sections)
    sizes = [base + 1] * extra + [base] * (sections - extra)
    starts = itertools.accumulate(sizes, initial=0)
    return tuple(narrow(input, dim, start, n) for start, n in zip(starts, sizes))


def _split_tensor_arg(arg):
    if arg.dtype.name != "int64":
        raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of "
                           f"long, but got {_legacy(arg)[:-6]}")
    if arg._data.ndim > 1:
        raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                           "zero-dimensional or one-dimensional tensor, but got a tensor with "
                           f"{arg._data.ndim} dims")
    return arg.tolist()


def _clamp_index(index, size):
    index = index + size if index < 0 else index
    return min(max(index, 0), size)


def _split_along(input, indices_or_sections, dim, fn, min_dims):
    """hsplit, vsplit, dsplit: tensor_split along ``dim``, but sections must divide the dim."""
    ndim = input._data.ndim
    if ndim < min_dims:
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {min_dims} dimension, but "
                           f"got a tensor with {ndim} dimensions!")
    if not isinstance(indices_or_sections, (tuple, list)):
        sections = _int_arg(indices_or_sections, fn, "sections", 2)
        size = input._data.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{fn} attempted to split along dimension {dim}, but the size "
                               f"of the dimension {size} is not divisible by the split_size "
                               f"{sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for 1-D tensors), sections dividing it (torch.hsplit)."""
    dim = 1 if input._data.ndim > 1 else 0
    return _split_along(input, indices_or_sections, dim, "hsplit", 1)


def vsplit(input, indices_or_sections):
    """tensor_split along dim 0 of a tensor of at least 2 dims (torch.vsplit)."""
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    """tensor_split along dim 2 of a tensor of at least 3 dims (torch.dsplit)."""
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


# -- joining (new memory) ---------------------------------------------------------------------


class CatBackward0(Op):
    """Inputs promoted to one dtype and joined along ``dim``; ``skipped`` marks 1-D empty inputs,
    which torch's legacy rule leaves out (they still take part in the promotion)."""

    promote = "binary"

    def __init__(self, dim, skipped):
        self.dim, self.skipped = dim, skipped

    def forward(self, *arrays):
        parts = [a for a, skip in zip(arrays, self.skipped) if not skip]
        if not parts:
            return arrays[0].copy()
        return self.xp.ascontiguousarray(self.xp.concatenate(parts, axis=self.dim))

    def backward(self, g):
        grads, start = [], 0
        for (shape, _), skip in zip(self._input_meta, self.skipped):
            if skip:
                grads.append(g.new_zeros(shape))
            else:
                grads.append(narrow(g, self.dim, start, shape[self.dim]))
                start += shape[self.dim]
        return tuple(grads)


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim (torch.cat): the result dtype is promoted across the
    inputs, 1-D empty tensors are skipped (torch's legacy rule), 0-dim tensors are an error."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    skipped = [t._data.shape == (0,) for t in tensors]
    kept = [(i, t._data.shape) for i, (t, skip) in enumerate(zip(tensors, skipped)) if not skip]
    dim = wrap_dim(dim, len(kept[0][1])) if kept else 0
    for number, shape in kept:
        ref = kept[0][1]
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and "
                               f"{len(shape)}")
        for d, (expected, got) in enumerate(zip(ref, shape)):
            if d != dim and expected != got:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size "
                    f"{expected} but got size {got} for tensor number {number} in the list.")
    return with_out(CatBackward0(dim, skipped).apply(*tensors), out)


concat = cat


def concatenate(tensors, axis=0, out=None):
    """torch.concatenate: torch.cat with NumPy's argument name."""
    return cat(tensors, axis, out=out)


class StackBackward0(Op):
    """Inputs promoted to one dtype and joined along a new dim; the gradient unbinds it."""

    promote = "binary"

    def __init__(self, dim):
        self.dim = dim

    def forward(self, *arrays):
        return self.xp.ascontiguousarray(self.xp.stack(arrays, axis=self.dim))

    def backward(self, g):
        return unbind(g, self.dim)


def stack(tensors, dim=0, *, out=None):
    """Join tensors of one shape along a new dim (torch.stack), dtype promoted across them."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} "
                               f"at entry 0 and {list(t._data.shape)} at entry {i}")
    dim = wrap_dim(dim, len(shape) + 1)
    return with_out(StackBackward0(dim).apply(*tensors), out)


def _atleast(tensors, fix):
    """One tensor in, one out; several (or one sequence) in, a tuple out (torch.atleast_*d)."""
    if len(tensors) == 1 and isinstance(tensors[0], _tensor_cls()):
        return fix(tensors[0])
    if len(tensors) == 1:
        tensors = tensors[0]
    return tuple(fix(t) for t in tensors)


def _fix_1d(t):
    return reshape(t, 1) if t._data.ndim == 0 else t


def _fix_2d(t):
    ndim = t._data.ndim
    return reshape(t, 1, 1) if ndim == 0 else unsqueeze(t, 0) if ndim == 1 else t


def _fix_3d(t):
    ndim = t._data.ndim
    if ndim == 0:
        return reshape(t, 1, 1, 1)
    if ndim == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if ndim == 2 else t


def atleast_1d(*tensors):
    """0-dim tensors as 1-D views; others unchanged (torch.atleast_1d)."""
    return _atleast(tensors, _fix_1d)


def atleast_2d(*tensors):
    """Tensors with fewer than 2 dims as (1, n) views (torch.atleast_2d)."""
    return _atleast(tensors, _fix_2d)


def atleast_3d(*tensors):
    """Tensors with fewer than 3 dims as (1, n, 1) or (m, n, 1) views (torch.atleast_3d)."""
    return _atleast(tensors, _fix_3d)


def _nonempty(tensors, fn):
    tensors = _tensor_list(tensors, fn)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out=None):
    """cat along dim 1, or dim 0 for 1-D tensors, after atleast_1d (torch.hstack)."""
    tensors = atleast_1d(_nonempty(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """cat along dim 0 after atleast_2d (torch.vstack)."""
    return cat(atleast_2d(_nonempty(tensors, "vstack")), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """cat along dim 2 after atleast_3d (torch.dstack)."""
    return cat(atleast_3d(_nonempty(tensors, "dstack")), 2, out=out)


def column_stack(tensors, *, out=None):
    """hstack after turning 0-dim and 1-D tensors into columns (torch.column_stack)."""
    tensors = _nonempty(tensors, "column_stack")
    columns = [reshape(t, t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors]
    return hstack(columns, out=out)


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


# -- dims: flatten, unflatten, movedim ------------------------------------------------------


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


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (torch.broadcast_tensors); a tensor already of
    that shape is returned as it is."""
    shape = broadcast_shape(*(t._data.shape for t in tensors))
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)
