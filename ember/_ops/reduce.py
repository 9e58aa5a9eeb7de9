"""Reductions: sum, mean, prod, max/min (with indices), amax/amin, argmax/argmin, norm, var/std,
all/any, logsumexp, cumsum. Result dtypes and errors follow torch."""

from __future__ import annotations

import math

from ember import _dtype
from ember._backend import xp_of
from ember._dtype import BOOL, FLOAT, INT, can_cast
from ember._ops._op import Op, _legacy_type_name
from ember._ops.inplace import with_out
from ember._ops.pointwise import _reject, conj
from ember._ops.shape import ExpandBackward0, broadcast_view, wrap_dim
from ember.autograd.grad_mode import state as _grad_state

# NOTE: half-precision sums and means accumulate in float32, as torch does
_HALF_TYPES = (_dtype.float16.np, _dtype.bfloat16.np)


def reduce_dims(dim, ndim):
    """Normalise ``dim`` (None, int, or a sequence) to a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    wrapped = tuple(sorted(wrap_dim(d, ndim) for d in dims))
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"dim {wrapped[0]} appears multiple times in the list of dims")
    if ndim == 0:
        return ()  # torch accepts dim 0 / -1 on a 0-dim tensor: there is nothing to reduce
    return wrapped if dims else tuple(range(ndim))


def _expand_grad(g, dims, keepdim, shape):
    # the gradient of a reduction: put the reduced dims back, then broadcast to the input's shape
    if not keepdim and g.ndim:
        kept = list(shape)
        for d in dims:
            kept[d] = 1
        g = g.reshape(kept)
    if g._data.shape == shape:
        return g
    shape = tuple(shape)
    if not _grad_state.enabled:
        # a plain backward (no create_graph) needs the view, not a node: skip the Op machinery
        out = g._make(broadcast_view(g._data, shape, xp_of(g.device)), g.device)
        out._version, out._base = g._version, g if g._base is None else g._base
        return out
    # the shape is known to be valid: skip expand's argument checks (this is on every backward)
    return ExpandBackward0(shape).apply(g)


class _Reduction(Op):
    def __init__(self, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim


class SumBackward0(_Reduction):
    promote = "int64_acc"

    def forward(self, x):
        if x.dtype in _HALF_TYPES:
            return x.sum(axis=self.dims, keepdims=self.keepdim, dtype="float32").astype(x.dtype)
        return x.sum(axis=self.dims, keepdims=self.keepdim)

    def backward(self, g):
        return _expand_grad(g, self.dims, self.keepdim, self._input_meta[0][0])


class SumBackward1(SumBackward0):
    pass


class MeanBackward0(_Reduction):
    promote = "keep"

    def forward(self, x):
        count = math.prod(x.shape[d] for d in self.dims)
        self.count = count
        if x.dtype in _HALF_TYPES:
            total = x.sum(axis=self.dims, keepdims=self.keepdim, dtype="float32")
            return (total / count).astype(x.dtype)
        with _quiet(self.xp):
            return x.mean(axis=self.dims, keepdims=self.keepdim)

    def backward(self, g):
        return _expand_grad(g, self.dims, self.keepdim, self._input_meta[0][0]) / self.count


class MeanBackward1(MeanBackward0):
    pass


def _quiet(xp):
    import contextlib

    return xp.errstate(all="ignore") if hasattr(xp, "errstate") else contextlib.nullcontext()


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over ``dim`` (all by default); ints and bools sum to int64 (torch.sum). With ``out``
    (torch takes it only with ``dim``) the sum is computed in out's dtype, as in torch."""
    if out is not None:
        if dim is None:
            raise TypeError("sum() received an invalid combination of arguments - got (Tensor, "
                            "out=Tensor): out= needs dim")
        if dtype is not None and dtype is not out.dtype:
            raise RuntimeError(EXACT_OUT.format(want=c10_name(dtype), got=c10_name(out.dtype)))
        dtype = out.dtype
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        result = SumBackward0(tuple(range(input._data.ndim)), keepdim).apply(input)
    else:
        result = SumBackward1(reduce_dims(dim, input._data.ndim), keepdim).apply(input)
    if out is None:
        return result
    # NOTE: integers accumulate in int64; the result then takes out's dtype (bool: any)
    return with_out(result if result.dtype is out.dtype else result.to(out.dtype), out)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Arithmetic mean; only floating and complex inputs, as in torch (torch.mean). With a
    floating or complex ``out``, computed in out's dtype, as torch does."""
    if out is not None and input.dtype.category >= FLOAT:
        if dtype is not None and dtype is not out.dtype:
            raise RuntimeError(EXACT_OUT.format(want=c10_name(dtype), got=c10_name(out.dtype)))
        if out.dtype.category >= FLOAT and can_cast(input.dtype, out.dtype):
            dtype = out.dtype
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < FLOAT:
        name = _legacy_type_name(input).split(".")[1][:-6]
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {name}")
    op = MeanBackward0 if dim is None else MeanBackward1
    return with_out(op(reduce_dims(dim, input.ndim), keepdim).apply(input), out)


class ProdBackward0(_Reduction):
    promote = "int64_acc"

    def forward(self, x):
        out = x.prod(axis=self.dims, keepdims=self.keepdim)
        self.save(x, out)
        return out

    def backward(self, g):
        x, out = self.saved
        shape = self._input_meta[0][0]
        g = _expand_grad(g, self.dims, self.keepdim, shape)
        # NOTE: complex input takes the conjugate derivative, torch's convention
        if not bool((x == 0).any()):
            return g * conj(_expand_grad(out, self.dims, self.keepdim, shape) / x)
        return g * conj(_prod_others(x, self.dims))


class ProdBackward1(ProdBackward0):
    """prod along one dim."""


def _prod_others(x, dims):
    # product of all other elements of each reduced group, exact when some elements are zero
    from ember._tensor import Tensor

    xp, data = x.__class__ and _xp(x), x.detach()._data
    moved = xp.moveaxis(data, dims, tuple(range(-len(dims), 0)))
    flat = moved.reshape(moved.shape[: moved.ndim - len(dims)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], -1), -1)
    right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([flat[..., 1:], ones], -1), -1), -1), -1)
    others = (left * right).reshape(moved.shape)
    return Tensor._make(xp.moveaxis(others, tuple(range(-len(dims), 0)), dims), x.device)


def _xp(t):
    from ember._backend import xp_of

    return xp_of(t.device)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one dim or all (torch.prod); ints and bools multiply in int64."""
    if dtype is not None:
        input = input.to(dtype)
    op = ProdBackward0 if dim is None else ProdBackward1
    return op(reduce_dims(dim, input.ndim), keepdim).apply(input)


# -- max / min ---------------------------------------------------------------------------------



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
    from ember._ops.select import pair_out, return_type
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
            raise IndexError(f"{self.np_name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0.")
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


# -- norms and statistics ----------------------------------------------------------------------


class LinalgVectorNormBackward0(_Reduction):
    promote = "keep"

    def __init__(self, ord, dims, keepdim):
        super().__init__(dims, keepdim)
        self.ord = ord

    def forward(self, x):
        xp, a = self.xp, self.xp.abs(x)
        p = self.ord
        if p == math.inf:
            out = a.max(axis=self.dims, keepdims=self.keepdim) if a.size else a.sum(self.dims)
        elif p == -math.inf:
            out = a.min(axis=self.dims, keepdims=self.keepdim)
        elif p == 0:
            out = (a != 0).sum(axis=self.dims, keepdims=self.keepdim).astype(a.dtype)
        elif p == 2:
            out = xp.sqrt((a * a).sum(axis=self.dims, keepdims=self.keepdim))
        else:
            out = (a ** p).sum(axis=self.dims, keepdims=self.keepdim) ** (1.0 / p)
        out = out.astype(a.dtype, copy=False)
        self.save(x, out)
        return out

    def backward(self, g):
        from ember._ops.pointwise import where

        x, norm = self.saved
        shape, p = self._input_meta[0][0], self.ord
        g = _expand_grad(g, self.dims, self.keepdim, shape)
        norm = _expand_grad(norm, self.dims, self.keepdim, shape)
        if p == 0:
            return g * 0
        if p in (math.inf, -math.inf):
            hits = (x.abs() == norm).to(g.dtype)
            count = _expand_grad(hits.sum(self.dims, keepdim=True), self.dims, True, shape)
            return g * x.sgn() * hits / count
        if p == 2:
            return where(norm == 0, 0.0, g * x / norm)
        return where(norm == 0, 0.0, g * x.sgn() * x.abs() ** (p - 1) / norm ** (p - 1))


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Vector p-norm over ``dim`` (all by default); 'fro' is the 2-norm (torch.norm). out must
    have the result's (real) dtype."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < FLOAT:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_legacy_type_name(input).split('.')[1][:-6]}")
    if p == "nuc":
        raise NotImplementedError("norm(p='nuc') is not supported yet")
    if p == "fro" and dim is not None and not isinstance(dim, int) and len(dim) > 2:
        # torch takes 'fro' over two dims as a matrix norm, and refuses more
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dim))
    ord = 2 if p in ("fro", None) else p
    result = LinalgVectorNormBackward0(ord, reduce_dims(dim, input.ndim), keepdim).apply(input)
    return out_exact(result, out)


from ember._ops.inplace import EXACT_OUT, _scalar_type_name, c10_name, out_exact  # noqa: E402

# var, std (and var_mean, std_mean) are Ops of their own, in variance.py
from ember._ops.variance import std, var  # noqa: E402, F401 - re-exported


class _Logical(Op):
    promote = "keep"
    differentiable = False

    def __init__(self, name, dims, keepdim):
        self.np_name, self.dims, self.keepdim = name, dims, keepdim

    def forward(self, x):
        out = getattr(self.xp, self.np_name)(x, axis=self.dims, keepdims=self.keepdim)
        return out if x.dtype != self.xp.uint8 else out.astype(self.xp.uint8)


def all(input, dim=None, keepdim=False, *, out=None):
    """True where every element is nonzero; bool (uint8 for uint8 input) as in torch.all."""
    return _logical_out("all", _Logical("all", reduce_dims(dim, input.ndim), keepdim).apply(input),
                        out)


def any(input, dim=None, keepdim=False, *, out=None):
    """True where some element is nonzero (torch.any)."""
    return _logical_out("any", _Logical("any", reduce_dims(dim, input.ndim), keepdim).apply(input),
                        out)


def _logical_out(name, result, out):
    # torch writes all / any only into bool or uint8 tensors
    if out is not None and out.dtype not in (_dtype.bool, _dtype.uint8):
        raise RuntimeError(f"{name} only supports bool tensor for result, got: "
                           f"{_legacy_type_name(out).split('.')[1][:-6]}")
    return with_out(result if out is None else result.to(out.dtype), out)


class LogsumexpBackward0(_Reduction):
    promote = "float"

    def forward(self, x):
        xp = self.xp
        peak = x.max(axis=self.dims, keepdims=True) if x.size else xp.zeros((1,) * x.ndim,
                                                                              x.dtype)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        out = xp.log(xp.exp(x - peak).sum(axis=self.dims, keepdims=True)) + peak
        out = out.astype(x.dtype, copy=False)
        if not self.keepdim:
            out = out.reshape([s for i, s in enumerate(out.shape) if i not in self.dims])
        self.save(x, out)
        return out

    def backward(self, g):
        x, out = self.saved
        shape = self._input_meta[0][0]
        weights = (x - _expand_grad(out, self.dims, self.keepdim, shape)).exp()
        if weights.dtype.is_complex:  # torch's convention: g times the conjugate derivative
            from ember._ops.complex import conj

            weights = conj(weights)
        return _expand_grad(g, self.dims, self.keepdim, shape) * weights


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(input))) over dim, computed stably (torch.logsumexp); with ``out``, in out's
    dtype, which must be floating, as torch."""
    if out is not None:
        if out.dtype.category != FLOAT:
            raise RuntimeError("logsumexp(): Expected floating point type for result tensor, but "
                               f"got: {_legacy_type_name(out).split('.')[1][:-6]}")
        input = input.to(out.dtype)
    return with_out(LogsumexpBackward0(reduce_dims(dim, input.ndim), keepdim).apply(input), out)


class CumsumBackward0(Op):
    promote = "int64_acc"

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        return self.xp.cumsum(x, axis=self.dim) if x.ndim else x.copy()

    def backward(self, g):
        if not g.ndim:
            return g
        return g.sum(self.dim, keepdim=True) - g.cumsum(self.dim) + g


def cumulative_dtype(kernel, dtype, out):
    """The dtype a cumulative op computes in: ``dtype``, else out's (torch computes in the out
    tensor's dtype); bool is refused, as torch's kernels refuse it."""
    if out is not None:
        if dtype is not None and dtype is not out.dtype:
            raise RuntimeError(EXACT_OUT.format(want=c10_name(dtype), got=c10_name(out.dtype)))
        dtype = out.dtype
    if dtype is _dtype.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    return dtype


def cumsum(input, dim, *, dtype=None, out=None):
    """Running sum along dim; ints and bools accumulate in int64 (torch.cumsum); with ``out``,
    in out's dtype."""
    dtype = cumulative_dtype("cumsum_out_cpu", dtype, out)
    if dtype is not None:
        input = input.to(dtype)
    return with_out(CumsumBackward0(wrap_dim(dim, input.ndim)).apply(input), out)


_ = (BOOL, INT, _dtype)
