"""Reductions to the extreme values: max and min (of all elements, along a dim with indices, or
of two tensors), amax, amin, argmax, argmin. The gradient of a full max / min is shared evenly
among tied elements; along a dim it goes to the index chosen."""

from __future__ import annotations

from ember._dtype import can_cast
from ember._ops._elementwise import _reject
from ember._ops._op import Op
from ember._ops.inplace import _scalar_type_name, out_exact, with_out
from ember._ops.reduce import _expand_grad, _xp, reduce_dims
from ember._ops.shape import wrap_dim


class MaxBackward1(Op):
    """Full max/min: the gradient is shared evenly among tied maxima (amax/amin too)."""

    promote = "keep"
    reducer = "max"
    kernel = "max_all"  # torch's kernel name, in its error for complex input

    def __init__(self, dims=None, keepdim=False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        _reject(x, "c", self.kernel)
        if x.size == 0 and self.dims is None:
            raise RuntimeError(f"{self.reducer}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        out = getattr(x, self.reducer)(axis=self.dims, keepdims=self.keepdim)
        self.save(x, out)
        return out

    def backward(self, g):
        x, out = self.saved
        dims = self.dims if self.dims is not None else tuple(range(x.ndim))
        shape = self._input_meta[0][0]
        hits = (x == _expand_grad(out, dims, self.keepdim, shape)).to(g.dtype)
        count = _expand_grad(hits.sum(dims, keepdim=True), dims, True, shape)
        return _expand_grad(g, dims, self.keepdim, shape) * hits / count


class MinBackward1(MaxBackward1):
    reducer = "min"
    kernel = "min_all"


class AmaxBackward0(MaxBackward1):
    kernel = "max_values_cpu"


class AminBackward0(MinBackward1):
    kernel = "min_values_cpu"


def _check_real(name, x, bool_ok=True):
    """torch's max(dim) / argmax refuse complex (and argmax bool) input with a RuntimeError."""
    if x.dtype.kind == "c" or (x.dtype.kind == "b" and not bool_ok):
        kind = "complex" if x.dtype.kind == "c" else "bool"
        raise RuntimeError(f"{name}(): does not support {kind} input")


class MaxBackward0(Op):
    """max/min along a dim: values and indices; the gradient goes to the index chosen."""

    promote = "keep"
    reducer = "max"

    def __init__(self, dim, keepdim):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        _check_real(self.reducer, x)
        if x.shape and x.shape[self.dim] == 0 if x.ndim else False:
            raise IndexError(f"{self.reducer}(): Expected reduction dim {self.dim} to have "
                             "non-zero size.")
        xp, axis = self.xp, self.dim if x.ndim else None
        arg = getattr(xp, "arg" + self.reducer)(x, axis=axis, keepdims=True)
        values = xp.take_along_axis(x, arg, axis) if x.ndim else x.copy()
        if x.ndim and x.dtype.kind in "fc":
            # NOTE: torch propagates NaN: a slice holding NaN has NaN as its max, index of the NaN
            nan_arg = xp.argmax(xp.isnan(x), axis=axis, keepdims=True)
            has_nan = xp.take_along_axis(xp.isnan(x), nan_arg, axis)
            arg = xp.where(has_nan, nan_arg, arg)
            values = xp.take_along_axis(x, arg, axis)
        if not self.keepdim and x.ndim:
            arg, values = arg.squeeze(axis), values.squeeze(axis)
        self.arg = arg if self.keepdim or not x.ndim else xp.expand_dims(arg, axis)
        return values, arg.astype(xp.int64).reshape(values.shape)

    def backward(self, g, _g_indices=None):
        from ember._tensor import Tensor

        shape = self._input_meta[0][0]
        if not shape:
            return g
        xp = _xp(g)
        mask = xp.zeros(shape, dtype=bool)
        xp.put_along_axis(mask, self.arg, True, self.dim)
        g = _expand_grad(g, (self.dim,), self.keepdim, shape)
        return g * Tensor._make(mask, g.device)


class MinBackward0(MaxBackward0):
    reducer = "min"


def _extreme(input, dim_or_other, keepdim, out, full_op, dim_op, pair_fn, name):
    """max / min: of all elements, along a dim (values and indices), or of two tensors. With
    ``out``: a castable tensor (all elements), an exact (values, long indices) pair (a dim), or
    castable (two tensors), as torch checks them."""
    from ember._ops._return_types import pair_out, return_type
    from ember._tensor import Tensor

    if dim_or_other is None:
        result = full_op().apply(input)
        if out is not None and not can_cast(input.dtype, out.dtype):
            raise RuntimeError(
                "Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType("
                "out.dtype())) to be true, but got false.  (Could this error message be "
                "improved?  If so, please report an enhancement request to PyTorch.)")
        return with_out(result, out)
    if isinstance(dim_or_other, Tensor):
        return pair_fn(input, dim_or_other, out=out)
    dim = wrap_dim(dim_or_other, input.ndim)
    values, indices = dim_op(dim, keepdim).apply(input)
    return pair_out(return_type(name)(values, indices), out, name)


def max(input, dim=None, keepdim=False, *, out=None):
    """max(t), max(t, dim, keepdim) -> (values, indices), or max(t, other) (torch.max)."""
    from ember._ops.minmax import maximum

    return _extreme(input, dim, keepdim, out, MaxBackward1, MaxBackward0, maximum, "max")


def min(input, dim=None, keepdim=False, *, out=None):
    """min(t), min(t, dim, keepdim) -> (values, indices), or min(t, other) (torch.min)."""
    from ember._ops.minmax import minimum

    return _extreme(input, dim, keepdim, out, MinBackward1, MinBackward0, minimum, "min")


def _same_dtype_out(result, input, out):
    # amax / amin: torch wants out of exactly the input's dtype
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError(f"Expected the dtype for input and out to match, but got "
                           f"{_scalar_type_name(input.dtype)} for input's dtype and "
                           f"{_scalar_type_name(out.dtype)} for out's dtype.")
    return with_out(result, out)


def amax(input, dim=(), keepdim=False, *, out=None):
    """Max over dims (all when empty), gradient shared among ties (torch.amax)."""
    result = AmaxBackward0(reduce_dims(dim if dim != () else None, input.ndim),
                           keepdim).apply(input)
    return _same_dtype_out(result, input, out)


def amin(input, dim=(), keepdim=False, *, out=None):
    """Min over dims (all when empty), gradient shared among ties (torch.amin)."""
    result = AminBackward0(reduce_dims(dim if dim != () else None, input.ndim),
                           keepdim).apply(input)
    return _same_dtype_out(result, input, out)


class _ArgReduce(Op):
    promote = "keep"
    differentiable = False

    def __init__(self, name, dim, keepdim):
        self.np_name, self.dim, self.keepdim = name, dim, keepdim

    def forward(self, x):
        _check_real(self.np_name, x, bool_ok=False)
        if x.size == 0:
            if self.dim is None:
                raise IndexError(f"{self.np_name}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            if x.shape[self.dim] == 0:
                raise IndexError(f"{self.np_name}(): Expected reduction dim {self.dim} to have "
                                 "non-zero size.")
            shape = list(x.shape)
            if self.keepdim:
                shape[self.dim] = 1
            else:
                del shape[self.dim]
            return self.xp.zeros(shape, self.xp.int64)  # empty along another dim: no values
        fn = getattr(self.xp, self.np_name)
        if self.dim is None:
            out = fn(x.reshape(-1))
            return self.xp.asarray(out).reshape((1,) * x.ndim if self.keepdim else ())
        return fn(x, axis=self.dim, keepdims=self.keepdim)


def argmax(input, dim=None, keepdim=False, *, out=None):
    """Index of the max, flat when dim is None (torch.argmax); out must be int64."""
    dim = None if dim is None else wrap_dim(dim, input.ndim)
    result = _ArgReduce("argmax", dim if input.ndim else None, keepdim).apply(input).long()
    return out_exact(result, out)


def argmin(input, dim=None, keepdim=False, *, out=None):
    """Index of the min, flat when dim is None (torch.argmin); out must be int64."""
    dim = None if dim is None else wrap_dim(dim, input.ndim)
    result = _ArgReduce("argmin", dim if input.ndim else None, keepdim).apply(input).long()
    return out_exact(result, out)
