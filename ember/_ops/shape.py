"""Shape ops and views. Views share memory and the version counter with their base, as in torch:
view, reshape (when viewable), expand, squeeze, unsqueeze, transpose, permute, as_strided, ..."""

from __future__ import annotations

import math

from ember._ops._op import Op

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


def broadcast_shapes(*shapes):
    """The broadcast shape, with torch's RuntimeError when sizes clash (torch.broadcast_shapes)."""
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


def data_ptr(array):
    """The address of an array's first element (NumPy or CuPy)."""
    if hasattr(array, "ctypes"):
        return array.ctypes.data
    return array.data.ptr


def _owner(array):
    while getattr(array, "base", None) is not None and hasattr(array.base, "strides"):
        array = array.base
    return array


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
        strides = (0,) * (len(self.shape) - x.ndim) + tuple(
            0 if size == 1 and target != 1 else stride
            for size, target, stride in zip(x.shape, self.shape[len(self.shape) - x.ndim:],
                                            x.strides))
        return strided_view(x, self.shape, strides)

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
        return self.xp.expand_dims(x, self.dim)


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim`` (a view; torch.unsqueeze)."""
    return UnsqueezeBackward0(wrap_dim(dim, input._data.ndim + 1)).apply(input)


class SqueezeBackward0(_ReshapeGrad):
    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return x.reshape([s for i, s in enumerate(x.shape) if i not in self.dims])


def squeeze(input, dim=None):
    """Drop size-1 dims (all, or those named); a named dim of another size is kept (a view)."""
    shape, ndim = input._data.shape, input._data.ndim
    if dim is None:
        dims = {i for i, s in enumerate(shape) if s == 1}
    else:
        dims = (dim,) if isinstance(dim, int) else dim
        dims = {d for d in (wrap_dim(d, ndim) for d in dims) if ndim and shape[d] == 1}
    return SqueezeBackward0(dims).apply(input)


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
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


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

    def forward(self, g):
        from ember._ops.inplace import region

        return region(g, self.layout, self.geometry).copy()

    def backward(self, gg):
        return StridedScatter(self.geometry, self.layout).apply(gg)


class StridedScatter(StridedRegion):
    """The adjoint of StridedRegion: values summed into zeros at the region's positions."""

    def forward(self, g):
        xp = self.xp
        buf = xp.zeros_like(self.layout)
        shape, strides, offset = self.geometry
        item = buf.dtype.itemsize
        # element offsets of every region position in buf's (dense) memory; add.at sums overlaps
        index = xp.full(shape, offset // item, dtype=xp.int64)
        for dim, (size, stride) in enumerate(zip(shape, strides)):
            step = xp.arange(size, dtype=xp.int64) * (stride // item)
            index = index + step.reshape((size,) + (1,) * (len(shape) - dim - 1))
        flat = strided_view(buf, (buf.size,), (item,), 0)
        xp.add.at(flat, index.ravel(), xp.broadcast_to(g, shape).ravel())
        return buf

    def backward(self, gg):
        return StridedRegion(self.geometry, self.layout).apply(gg)


def as_strided(input, size, stride, storage_offset=None):
    """A view with explicit size, element strides and storage offset (torch.as_strided)."""
    item = input.dtype.itemsize
    if storage_offset is None:
        byte_offset = 0
    else:
        byte_offset = (storage_offset - storage_offset_of(input)) * item
    return AsStridedBackward0(tuple(size), tuple(s * item for s in stride),
                              byte_offset).apply(input)


def storage_offset_of(t):
    return storage_offset(t)


def as_strided_like(base, view):
    """``view``'s geometry taken again on ``base`` (used to refresh a view's history)."""
    from ember._ops.inplace import view_geometry

    shape, strides, offset = view_geometry(view, base)
    return AsStridedBackward0(shape, strides, offset).apply(base)
