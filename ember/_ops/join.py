"""Splitting and joining: unbind, split, chunk, tensor_split, hsplit / vsplit / dsplit (views), and
cat, stack, hstack / vstack / dstack / column_stack, atleast_Nd (new memory, as torch's do)."""

from __future__ import annotations

import itertools

from ember._ops._op import Op
from ember._ops.inplace import with_out
from ember._ops.shape import (
    _int_arg,
    _legacy,
    _tensor_cls,
    _tensor_list,
    _wrap_nonscalar,
    parse_shape,
    reshape,
    unsqueeze,
    wrap_dim,
)
from ember._ops.views import _along, _slice, narrow

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "cat", "chunk", "column_stack", "concat",
    "concatenate", "dsplit", "dstack", "hsplit", "hstack", "row_stack", "split", "stack",
    "tensor_split", "unbind", "vsplit", "vstack",
]


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
