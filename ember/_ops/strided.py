"""Raw strided memory and as_strided. strided_view lays any shape and byte strides over an array's
memory (NumPy through the array interface, CuPy through a memory pointer); data_ptr and
storage_offset give a tensor's place in its storage. as_strided's gradient scatters back into the
input's layout (StridedScatter); basic indexing and in-place writes into views use the same pair
of ops (StridedRegion, StridedScatter)."""
from __future__ import annotations

from ember._ops._op import Op

__all__ = ["as_strided"]


# -- storage and strided memory ---------------------------------------------------------------


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


# -- as_strided -------------------------------------------------------------------------------


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
    from ember._ops.shape import parse_shape  # shape.py builds on this file

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
