"""The index_* ops (index_select, index_add, index_copy, index_fill, index_put), take,
take_along_dim, and the gather / scatter family (scatter, scatter_add, scatter_reduce)."""

from __future__ import annotations

from ember._backend import xp_of
from ember._ops._op import Op
from ember._ops.index import (
    IndexPutBackward0,
    _check_bounds,
    _classify,
    _consumed,
    _index_put,
    _numel,
    _scalar_name,
    _tensor_cls,
    _with_out,
    where,
)
from ember._ops.inplace import inplace_update
from ember._ops.shape import broadcast_shape, wrap_dim

__all__ = [
    "gather", "index_add", "index_copy", "index_fill", "index_put", "index_put_", "index_select",
    "scatter", "scatter_add", "scatter_reduce", "take", "take_along_dim",
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


def _size(input, dim):
    """input.size(dim), a 0-dim tensor counting as one element."""
    return input.shape[dim] if input.ndim else 1


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


# -- gather and scatter ----------------------------------------------------------------------------
# The index has the input's number of dims; element [i, j, k] of the index addresses position
# index[i, j, k] along ``dim`` and i, j, k elsewhere. 0-dim tensors act as 1-dim ones.


def _along(index, dim, xp):
    """The NumPy index for the positions an along-dim index addresses."""
    arrays = []
    for d, size in enumerate(index.shape):
        if d == dim:
            arrays.append(index)
        else:
            arrays.append(xp.arange(size).reshape((size,) + (1,) * (index.ndim - d - 1)))
    return tuple(arrays)


def _1d(array):
    return array.reshape(1) if array.ndim == 0 else array


def _head(src, index):
    """The part of src that an index smaller than it uses (its leading corner)."""
    return src[tuple(slice(0, n) for n in index.shape)]


def _check_gather(input, dim, index):
    if index.dtype.name not in ("int32", "int64"):
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(input.ndim):
        if d != dim and index.shape[d] > input.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {dim}")
    _check_bounds(index._data, _size(input, dim), dim, negative=False)


class GatherBackward0(Op):
    promote = "keep"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        index = _1d(self.index)
        return _1d(x)[_along(index, self.dim, self.xp)].reshape(self.index.shape)

    def backward(self, g):
        shape, _ = self._input_meta[0]
        return ScatterAddBackward0(self.dim, self.index).apply(g.new_zeros(shape), g)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """out[i][j] = input[index[i][j]][j] for dim 0, and so on (torch.gather)."""
    dim = wrap_dim(dim, input.ndim)
    _check_gather(input, dim, index)
    return _with_out(GatherBackward0(dim, index._data.astype("int64", copy=False)).apply(input),
                     out)


def _check_scatter(input, dim, index, src, name="scatter"):
    """torch's checks, in torch's order: index dtype, src dtype, dims, sizes, src dims."""
    if index.dtype.name not in ("int32", "int64"):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype is not input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if index.numel() and _scatter_sizes_wrong(input, dim, index, src):
        message = (f"Expected index {list(index.shape)} to be no larger than self "
                   f"{list(input.shape)} apart from dimension {dim}")
        if src is not None:
            message += f" and to be no larger size than src {list(src.shape)}"
        raise RuntimeError(message)
    if src is not None and max(src.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    _check_bounds(index._data, _size(input, dim), dim, negative=False)


def _scatter_sizes_wrong(input, dim, index, src):
    """index may not be larger than input (apart from dim) or than src."""
    if any(d != dim and n > input.shape[d] for d, n in enumerate(index.shape)):
        return True
    if src is None or src.ndim == 0:
        return False
    # NOTE: torch reads src.size(d) for every dim of the index: a src with fewer dims fails there
    return any(n > src.shape[wrap_dim(d, src.ndim)] for d, n in enumerate(index.shape))


class _Scatter(Op):
    """Base of the scatter ops: x's copy, written at the positions the index addresses."""

    promote = "keep"

    def __init__(self, dim, index, reduce=None, value=None):
        self.dim, self.index, self.reduce, self.value = dim, index, reduce, value

    def forward(self, x, src=None):
        out = _1d(x).copy()
        index = _1d(self.index)
        where_ = _along(index, self.dim, self.xp)
        values = self.xp.asarray(self.value) if src is None else _head(_1d(src), index)
        values = values.astype(out.dtype, copy=False)
        self.write(out, where_, values)
        return out.reshape(x.shape)

    def write(self, out, where_, values):
        if self.reduce == "add":
            self.xp.add.at(out, where_, values)
        elif self.reduce == "multiply":
            self.xp.multiply.at(out, where_, values)
        else:
            out[where_] = values


class ScatterBackward0(_Scatter):
    """scatter with a src tensor; src's gradient is the gradient gathered at the index."""

    def backward(self, g):
        grad_x = grad_src = None
        if self.needs_input_grad[0]:
            grad_x = ScatterBackward1(self.dim, self.index, value=0).apply(g)
        if self.needs_input_grad[1]:
            grad_src = gather(g, self.dim, _tensor_cls()._make(self.index, g.device))
        return grad_x, grad_src


class ScatterBackward1(_Scatter):
    """scatter with a number: the overwritten positions get no gradient."""

    def backward(self, g):
        return ScatterBackward1(self.dim, self.index, value=0).apply(g)


class ScatterWithReduce(_Scatter):
    """scatter with reduce=: torch records a node named NotImplemented that fails backward."""

    def backward(self, *grads):
        raise RuntimeError("derivative for aten::scatter is not implemented")


# torch's node name, without shadowing the builtin in this module
ScatterWithReduce.__name__ = ScatterWithReduce.__qualname__ = "NotImplemented"


class ScatterAddBackward0(_Scatter):
    def __init__(self, dim, index):
        super().__init__(dim, index, reduce="add")

    def backward(self, g):
        index = _tensor_cls()._make(self.index, g.device)
        return g, gather(g, self.dim, index) if self.needs_input_grad[1] else None


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """input with src's elements (or a number) written where index points along dim;
    reduce='add' | 'multiply' combines instead of overwriting (torch.scatter)."""
    Tensor = _tensor_cls()
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(input, dim, index, 1.5)
    dim = wrap_dim(dim, input.ndim)
    _check_scatter(input, dim, index, src)
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    idx = index._data.astype("int64", copy=False)
    if reduce is not None:
        op = ScatterWithReduce(dim, idx, reduce, value)
    else:
        op = ScatterBackward0(dim, idx) if src is not None else ScatterBackward1(dim, idx, None,
                                                                                value)
    return op.apply(input) if src is None else op.apply(input, src)


def scatter_(input, dim, index, src=None, value=None, *, reduce=None):
    """In-place scatter (Tensor.scatter_)."""
    return inplace_update(input, scatter(input, dim, index, src, value, reduce=reduce))


def scatter_add(input, dim, index, src):
    """input with src's elements added where index points along dim; repeats accumulate
    (torch.scatter_add)."""
    dim = wrap_dim(dim, input.ndim)
    _check_scatter(input, dim, index, src)
    return ScatterAddBackward0(dim, index._data.astype("int64", copy=False)).apply(input, src)


def scatter_add_(input, dim, index, src):
    return inplace_update(input, scatter_add(input, dim, index, src))


class ScatterReduceBackward0(Op):
    """x with src's elements reduced into the positions index points at along dim."""

    promote = "keep"

    def __init__(self, dim, index, reduce, include_self):
        self.dim, self.index, self.reduce, self.include_self = dim, index, reduce, include_self

    def forward(self, x, src):
        xp = self.xp
        out, index = _1d(x).copy(), _1d(self.index)
        at = _along(index, self.dim, xp)
        if not self.include_self:
            out[at] = _identity(self.reduce, out.dtype, xp)
        ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
                 "amin": xp.minimum}[self.reduce]
        ufunc.at(out, at, _head(_1d(src), index))
        if self.reduce == "mean":
            count = xp.full(out.shape, int(self.include_self), dtype=out.dtype)
            xp.add.at(count, at, 1)
            count = xp.maximum(count, 1)  # untouched positions keep their value
            divide = xp.true_divide if out.dtype.kind in "fc" else xp.floor_divide
            out = divide(out, count).astype(out.dtype)
            self.count = count.reshape(x.shape)
        out = out.reshape(x.shape)
        self.save(x, src, out)
        return out

    def backward(self, g):
        x, src, result = self.saved
        index = _tensor_cls()._make(self.index, g.device)
        grad_x, grad_src = _SCATTER_REDUCE_GRADS[self.reduce](self, g, x, src, result, index)
        if not self.include_self:
            grad_x = grad_x.scatter(self.dim, index, 0)
        return grad_x, grad_src


def _identity(reduce, dtype, xp):
    """The value that leaves a reduction unchanged, for include_self=False."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind in "fc":
        return -float("inf") if reduce == "amax" else float("inf")
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _sum_grads(op, g, x, src, result, index):
    return g, g.gather(op.dim, index)


def _mean_grads(op, g, x, src, result, index):
    g = g / _tensor_cls()._make(op.count, g.device)
    return g, g.gather(op.dim, index)


def _extreme_grads(op, g, x, src, result, index):
    # NOTE: the gradient is shared evenly between all elements equal to the extreme, as torch does
    dim = op.dim
    x_is, src_is = x == result, src == result.gather(dim, index)
    count = x_is.to(g.dtype).scatter_add(dim, index, src_is.to(g.dtype))
    g = g / count
    zero = g.new_zeros(())
    return where(x_is, g, zero), where(src_is, g.gather(dim, index), zero)


def _prod_grads(op, g, x, src, result, index):
    # NOTE: a product's gradient is the product of the others; computing it as result / element
    # fails at zeros, so zeros are replaced by one and the product recomputed, as torch does
    dim, include = op.dim, op.include_self
    masked_x = x.masked_fill(x == 0, 1)
    grad_x = g * masked_x.scatter_reduce(dim, index, src, "prod", include_self=include) / masked_x
    src_zero = src == 0
    zeros = src_zero.to(g.dtype).new_zeros(x.shape).scatter_add(dim, index, src_zero.to(g.dtype))
    single_zero = src_zero.logical_and(zeros.gather(dim, index) == 1)
    others = x.scatter_reduce(dim, index, src.masked_fill(single_zero, 1), "prod",
                              include_self=include)
    grad_src = where(single_zero, (g * others).gather(dim, index),
                     (g * result).gather(dim, index) / src.masked_fill(src_zero, 1))
    return grad_x, grad_src


_SCATTER_REDUCE_GRADS = {"sum": _sum_grads, "mean": _mean_grads, "amax": _extreme_grads,
                         "amin": _extreme_grads, "prod": _prod_grads}


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """input with src reduced in ('sum', 'prod', 'mean', 'amax', 'amin') where index points
    along dim; integer means round down (torch.scatter_reduce)."""
    if reduce not in _SCATTER_REDUCE_GRADS:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    dim = wrap_dim(dim, input.ndim)
    _check_scatter(input, dim, index, src)
    idx = index._data.astype("int64", copy=False)
    return ScatterReduceBackward0(dim, idx, reduce, include_self).apply(input, src)


def scatter_reduce_(input, dim, index, src, reduce, *, include_self=True):
    return inplace_update(input, scatter_reduce(input, dim, index, src, reduce,
                                                include_self=include_self))
