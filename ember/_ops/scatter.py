"""gather and the scatter family (scatter, scatter_add, scatter_reduce). The index_* ops, take
and take_along_dim live in index_ops.py."""

from __future__ import annotations

from ember._ops._op import Op
from ember._ops.index import _tensor_cls
from ember._ops.index_parse import _check_bounds
from ember._ops.inplace import inplace_update
from ember._ops.masked import _with_out, where
from ember._ops.shape import wrap_dim

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce"]


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


def _size(input, dim):
    """input.size(dim), a 0-dim tensor counting as one element."""
    return input.shape[dim] if input.ndim else 1


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
