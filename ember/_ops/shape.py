"""Shape ops and views. Views share memory and the version counter with their base, as in torch:
view, reshape (when viewable), expand, squeeze, unsqueeze, transpose, permute, as_strided, narrow,
select, diagonal, flatten, movedim, ... Splitting and joining (unbind, split, chunk, cat, stack)
live in join.py; flip, roll, repeat, tile and repeat_interleave in repeat.py."""
from __future__ import annotations

import math

import numpy as _numpy

from ember._ops._op import Op

__all__ = [
    "as_strided", "broadcast_shapes", "broadcast_tensors", "broadcast_to", "diagonal", "flatten",
    "moveaxis", "movedim", "narrow", "permute", "ravel", "reshape", "select", "squeeze",
    "swapaxes", "swapdims", "t", "transpose", "unflatten", "unsqueeze",
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
        return broadcast_view(x, self.shape, self.xp)

    def backward(self, g):
        return g  # the engine sums the gradient back to the input's shape


def broadcast_view(x, shape, xp):
    """``x`` seen with ``shape``: a read-only view with stride 0 in expanded dims (writing into
    it is an error, as torch's in-place ops on expanded tensors are)."""
    # NOTE: torch keeps the strides of dims that are not expanded; broadcast_to would zero them
    lead = len(shape) - x.ndim
    strides = [0] * lead + [0 if size == 1 and target != 1 else stride for size, target,
                            stride in zip(x.shape, shape[lead:], x.strides)]
    if xp is not _numpy:
        return strided_view(x, shape, strides)
    if x.flags.c_contiguous:
        # the ndarray constructor over x's buffer: a view, and far cheaper than broadcast_to
        out = _numpy.ndarray(shape, x.dtype, buffer=x, strides=strides)
    else:
        out = strided_view(x, shape, strides)
    out.flags.writeable = False
    return out


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
