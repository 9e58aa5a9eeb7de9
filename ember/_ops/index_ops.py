"""The index_* ops (index_select, index_add, index_copy, index_fill, index_put), take and
take_along_dim. gather and the scatter family live in scatter.py."""

from __future__ import annotations

from ember._backend import xp_of
from ember._ops._op import Op
from ember._ops.index import IndexPutBackward0, _index_put, _scalar_name, _tensor_cls
from ember._ops.index_parse import _check_bounds, _classify, _consumed
from ember._ops.inplace import inplace_update
from ember._ops.masked import _numel
from ember._ops.scatter import _1d, _size, gather
from ember._ops.shape import broadcast_shape, wrap_dim

__all__ = [
    "index_add", "index_copy", "index_fill", "index_put", "index_put_", "index_select", "take",
    "take_along_dim",
]


def index_put(input, indices, values, accumulate=False):
    """A copy of input with input[indices] = values (+= with accumulate) (torch.index_put)."""
    Tensor = _tensor_cls()
    for n, item in enumerate(indices):
        if not isinstance(item, Tensor):
            raise TypeError(f"expected Tensor as element {n} in argument 0, but got "
                            f"{type(item).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    xp = xp_of(input.device)
    items = [_classify(item, xp, select_ints=False) for item in indices]
    used = sum(_consumed(kind, value) or kind == "bool" for kind, value in items)
    if used > input.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got {used})")
    advanced, pos = [], 0
    for kind, value in items:
        if kind == "bool":  # a 0-dim bool index: all or nothing of its dim
            kind, value = "mask", xp.full(input.shape[pos], value)
        advanced.append((pos, kind, value))
        pos += _consumed(kind, value)
    return _index_put(input, advanced, values, accumulate, xp)


def index_put_(input, indices, values, accumulate=False):
    """In-place index_put (Tensor.index_put_)."""
    return inplace_update(input, index_put(input, indices, values, accumulate))


# -- index_select and the index_* family -----------------------------------------------------------
# These take a 1-D (or 0-dim) index along ``dim``; ``_at(dim, index)`` is the NumPy index that
# addresses those slices.


def _at(dim, index):
    return (slice(None),) * dim + (index,)


def _vector_index(index, name):
    """The index as a 1-D array; torch's error when it has more than one dimension."""
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with type: {_scalar_name(index)} and size: {list(index.shape)}")
    return index._data.reshape(-1)


def _check_index_dtype(index, allowed, message, error=RuntimeError):
    if index.dtype.name not in allowed:
        raise error(message)


class IndexSelectBackward0(Op):
    promote = "keep"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        if x.ndim == 0:
            return x.copy()
        return self.xp.take(x, self.index, axis=self.dim)

    def backward(self, g):
        shape, _ = self._input_meta[0]
        if not shape:
            return g
        return IndexAddBackward0(self.dim, self.index, 1).apply(g.new_zeros(shape), g)


def index_select(input, dim, index):
    """The slices of input at ``index`` along ``dim`` (torch.index_select)."""
    dim = wrap_dim(dim, input.ndim)
    _check_index_dtype(index, ("int32", "int64"),
                       "index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index._data.reshape(-1)
    if input.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{idx.size} value(s)")
    size = _size(input, dim)
    bad = (idx < 0) | (idx >= size)
    if idx.size and bad.any():
        if dim == 1:  # torch's CPU kernel for dim 1 raises its own error
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(idx[bad][0])} "
                               f"axis_dim={size}")
        raise IndexError("index out of range in self")
    return IndexSelectBackward0(dim, idx).apply(input)


def _check_source(name, input, dim, idx, source):
    """index_add/index_copy: source has input's shape but len(index) along dim."""
    if source.dtype is not input.dtype:
        if name == "index_copy_":
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                               f"but got (self) {_scalar_name(input)} and (source) "
                               f"{_scalar_name(source)}")
        raise RuntimeError(f"index_add_(): self ({_scalar_name(input)}) and source "
                           f"({_scalar_name(source)}) must have the same scalar type")
    count = source.shape[dim] if source.ndim else 1
    if name == "index_copy_" and source.ndim == 0:
        if idx.size != 1:
            raise IndexError(f"index_copy_(): When source is scalar, index should have one "
                             f"element (got {idx.size})")
        return  # one index may copy a 0-dim source into a slice
    if count != idx.size:
        if name == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                             f"source.size(dim) ({count})")
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({count}), for dim: {dim}")
    if source.ndim != input.ndim or any(
            a != b for d, (a, b) in enumerate(zip(source.shape, input.shape)) if d != dim):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")


class IndexAddBackward0(Op):
    """x with alpha * source added at ``index`` along ``dim`` (repeats accumulate)."""

    promote = "keep"

    def __init__(self, dim, index, alpha):
        self.dim, self.index, self.alpha = dim, index, alpha

    def forward(self, x, source):
        out = _1d(x).copy()
        if self.alpha != 1:
            source = source * self.xp.asarray(self.alpha).astype(x.dtype)
        self.xp.add.at(out, _at(self.dim, self.index), _1d(source).astype(x.dtype, copy=False))
        return out.reshape(x.shape)

    def backward(self, g):
        grad_source = None
        if self.needs_input_grad[1]:
            grad_source = IndexSelectBackward0(self.dim, self.index).apply(g)
            if self.alpha != 1:
                grad_source = grad_source * self.alpha
        return g, grad_source


def index_add(input, dim, index, source, *, alpha=1):
    """input with alpha * source added at index along dim (torch.index_add)."""
    dim = wrap_dim(dim, input.ndim)
    _check_index_dtype(index, ("int32", "int64"), "index_add_(): Expected dtype int32/int64 for "
                                                  f"index but got: {_scalar_name(index)}")
    idx = _vector_index(index, "index_add_")
    if input.ndim == 0 and idx.size != 1:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    _check_source("index_add_", input, dim, idx, source)
    if input.ndim <= 1 or 0 < dim < input.ndim - 1:
        # NOTE: torch's CPU kernels differ by dim; these raise IndexError, the others (dim 0 and
        # the last dim, mostly) the RuntimeError of _check_bounds
        if idx.size and ((idx < 0) | (idx >= _size(input, dim))).any():
            raise IndexError("index out of range in self")
    _check_bounds(idx, _size(input, dim), dim, negative=False)
    return IndexAddBackward0(dim, idx, alpha).apply(input, source)


def index_add_(input, dim, index, source, *, alpha=1):
    return inplace_update(input, index_add(input, dim, index, source, alpha=alpha))


class IndexCopyBackward0(Op):
    """x with source's slices copied to ``index`` along ``dim``."""

    promote = "keep"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, source):
        out = _1d(x).copy()
        out[_at(self.dim, self.index)] = source
        return out.reshape(x.shape)

    def backward(self, g):
        grad_x = grad_source = None
        if self.needs_input_grad[0]:
            grad_x = IndexFillBackward0(self.dim, self.index, 0).apply(g)
        if self.needs_input_grad[1]:
            grad_source = IndexSelectBackward0(self.dim, self.index).apply(g)
        return grad_x, grad_source


def index_copy(input, dim, index, source):
    """input with source's slices copied in at index along dim (torch.index_copy)."""
    dim = wrap_dim(dim, input.ndim)
    _check_index_dtype(index, ("int64",), "index_copy_(): Expected a long tensor for index, but "
                                          f"got {_scalar_name(index)}")
    idx = _vector_index(index, "index_copy_")
    _check_source("index_copy_", input, dim, idx, source)
    _check_bounds(idx, _size(input, dim), dim, IndexError, "index_copy_(): ", negative=False)
    return IndexCopyBackward0(dim, idx).apply(input, source)


def index_copy_(input, dim, index, source):
    return inplace_update(input, index_copy(input, dim, index, source))


class IndexFillBackward0(Op):
    """x with the slices at ``index`` along ``dim`` set to a number."""

    promote = "keep"

    def __init__(self, dim, index, value=None):
        self.dim, self.index, self.value = dim, index, value

    def forward(self, x, value=None):
        out = _1d(x).copy()
        fill = self.value if value is None else value
        out[_at(self.dim, self.index)] = self.xp.asarray(fill).astype(x.dtype)
        return out.reshape(x.shape)

    def backward(self, g):
        return IndexFillBackward0(self.dim, self.index, 0).apply(g)


class IndexFillBackward1(IndexFillBackward0):
    """index_fill with a 0-dim tensor value, which gets the sum of the filled gradient (each
    position once, however often the index repeats it)."""

    def backward(self, g):
        grad_value = None
        if self.needs_input_grad[1]:
            unique = self.xp.unique(self.index % _size(g, self.dim))
            grad_value = IndexSelectBackward0(self.dim, unique).apply(g).sum()
        return IndexFillBackward0(self.dim, self.index, 0).apply(g), grad_value


def index_fill(input, dim, index, value):
    """input with the slices at index along dim set to value (torch.index_fill)."""
    Tensor = _tensor_cls()
    dim = wrap_dim(dim, input.ndim)
    _check_index_dtype(index, ("int64",), "index_fill_(): Expected dtype int64 for index.",
                       IndexError)
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = index._data.reshape(-1)
    _check_bounds(idx, _size(input, dim), dim, IndexError)
    if not isinstance(value, Tensor):
        return IndexFillBackward0(dim, idx, value).apply(input)
    if value.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    return IndexFillBackward1(dim, idx).apply(input, value)


def index_fill_(input, dim, index, value):
    return inplace_update(input, index_fill(input, dim, index, value))


class TakeBackward0(Op):
    """input read as 1-D at ``index``; the result has the index's shape."""

    promote = "keep"

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x.reshape(-1)[self.index]

    def backward(self, g):
        shape, _ = self._input_meta[0]
        flat = g.new_zeros(_numel(shape))
        return IndexPutBackward0((self.index,), accumulate=True).apply(flat, g).reshape(shape)


def take(input, index):
    """input treated as 1-D, read at index (negatives wrap) (torch.take)."""
    _check_index_dtype(index, ("int64",), "take(): Expected a long tensor for index, but got "
                                          f"{_scalar_name(index)}")
    idx, n = index._data, input.numel()
    bad = (idx >= n) | (idx < -n)
    if idx.size and bad.any():
        raise IndexError(f"out of range: tried to access index {int(idx[bad].ravel()[0])} on a "
                         f"tensor of {n} elements.")
    return TakeBackward0(idx).apply(input)


def take_along_dim(input, indices, dim=None):
    """gather with input and indices broadcast apart from ``dim``; with no dim, on the
    flattened input (torch.take_along_dim)."""
    if indices.dtype.name != "int64":
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_scalar_name(indices)}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {input.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, input.ndim)
    shape = list(broadcast_shape(_drop(input.shape, dim), _drop(indices.shape, dim)))
    input = input.expand(*shape[:dim], input.shape[dim], *shape[dim + 1:])
    indices = indices.expand(*shape[:dim], indices.shape[dim], *shape[dim + 1:])
    return gather(input, dim, indices)


def _drop(shape, dim):
    return tuple(shape[:dim]) + (1,) + tuple(shape[dim + 1:])
