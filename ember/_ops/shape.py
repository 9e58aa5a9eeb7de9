"""Shape ops and the core views. Views share memory and the version counter with their base, as in
torch: view, reshape (when viewable), expand, squeeze, unsqueeze, transpose, permute; and the dim,
shape and argument helpers the other shape files use. as_strided and raw strided memory live in
strided.py; narrow, select, diagonal, flatten, movedim, the *_as forms and broadcast_tensors in
views.py; splitting and joining in join.py; flip, roll, repeat, tile and repeat_interleave in
repeat.py."""
from __future__ import annotations

import math

import numpy as _numpy

from ember._ops._op import Op
from ember._ops.strided import strided_view

__all__ = [
    "permute", "reshape", "squeeze", "swapaxes", "swapdims", "t", "transpose", "unsqueeze",
]


# -- dims and shapes --------------------------------------------------------------------------


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
    shape = []
    for s in args:
        try:  # NOTE: a float tensor has __index__, which raises
            shape.append(int(s.__index__()))
        except (AttributeError, TypeError):
            raise TypeError(f"expected a sequence of integers or a single integer, got "
                            f"'{type(s).__name__}'") from None
    return tuple(shape)


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


# -- view ops ---------------------------------------------------------------------------------


class _ReshapeGrad(Op):
    """A view op whose gradient is the upstream gradient reshaped to the input's shape."""

    promote = "keep"
    is_view = True

    def backward(self, g):
        return g.reshape(self._input_meta[0][0])

    backward_arrays = backward  # the same reshape, on an array


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


class ExpandBackward0(Op):
    promote = "keep"
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return broadcast_view(x, self.shape, self.xp)

    def backward(self, g):
        return g  # the engine sums the gradient back to the input's shape

    backward_arrays = backward


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
        return g.permute(self._inverse())

    def backward_arrays(self, g):
        return g.transpose(self._inverse())

    def _inverse(self):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return inverse


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
