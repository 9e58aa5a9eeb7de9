"""Reductions: sum, mean, prod, cumsum, and what every reduction shares (``reduce_dims``, the
gradient expansion ``_expand_grad``). max / min / amax / amin / argmax / argmin live in
reduce_extremes.py, norm / all / any / logsumexp in reduce_misc.py, var / std in variance.py.
Result dtypes and errors follow torch."""

from __future__ import annotations

import math

import numpy as _numpy

from ember import _dtype
from ember._backend import xp_of
from ember._dtype import BOOL, FLOAT, INT, can_cast
from ember._ops._elementwise import conj
from ember._ops._op import Op, _legacy_type_name, _share_storage, is_half
from ember._ops.inplace import with_out
from ember._ops.shape import ExpandBackward0, broadcast_view, wrap_dim
from ember.autograd.grad_mode import state as _grad_state

# NOTE: half-precision sums and means accumulate in float32, as torch does; a set, as membership
# of a NumPy dtype in a tuple costs an equality test per entry
_HALF_TYPES = frozenset((_dtype.float16.np, _dtype.bfloat16.np))
_ALL_DIMS = [tuple(range(n)) for n in range(65)]  # dim=None of an n-dim input


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


def _kept_shape(shape, dims):
    """The input's shape with the reduced dims as 1 (a keepdim result's shape)."""
    kept = list(shape)
    for d in dims:
        kept[d] = 1
    return kept


def _expand_grad(g, dims, keepdim, shape):
    # the gradient of a reduction: put the reduced dims back, then broadcast to the input's shape
    if not keepdim and g.ndim:
        g = g.reshape(_kept_shape(shape, dims))
    if g._data.shape == shape:
        return g
    shape = tuple(shape)
    if not _grad_state.enabled:
        # a plain backward (no create_graph) needs the view, not a node: skip the Op machinery
        out = g._make(broadcast_view(g._data, shape, xp_of(g.device)), g.device)
        _share_storage(out, g)
        return out
    # the shape is known to be valid: skip expand's argument checks (this is on every backward)
    return ExpandBackward0(shape).apply(g)


def _expand_array(xp, g, dims, keepdim, shape):
    # _expand_grad on a raw array: a read-only broadcast view, or, for one value spread over a
    # small input, a filled array (cheaper to make than a view, and a leaf may keep it)
    if g.size == 1 and xp is _numpy and math.prod(shape) <= _SMALL:
        out = xp.empty(shape, g.dtype)
        out.fill(g)
        return out
    if not keepdim and g.ndim:
        g = g.reshape(_kept_shape(shape, dims))
    if g.shape == shape:
        return g
    return broadcast_view(xp.asarray(g), shape, xp)


_SMALL = 4096  # elements: below this, filling memory costs less than building a strided view


class _Reduction(Op):
    def __init__(self, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim


def sum_array(x, dims, keepdim=False):
    """x summed over ``dims`` as torch sums: half-precision types accumulate in float32."""
    # NOTE: add.reduce, not x.sum(): that wrapper is NumPy Python code, so a floating-point
    # warning (inf + -inf) would be raised from NumPy's module, past Ember's warnings filter
    total = _numpy.add.reduce if x.__class__ is _numpy.ndarray else x.__class__.sum
    if x.dtype in _HALF_TYPES:
        return total(x, axis=dims, keepdims=keepdim, dtype="float32").astype(x.dtype)
    return total(x, axis=dims, keepdims=keepdim)


class SumBackward0(_Reduction):
    promote = "int64_acc"

    def forward(self, x):
        return sum_array(x, self.dims, self.keepdim)

    def backward(self, g):
        return _expand_grad(g, self.dims, self.keepdim, self._input_meta[0][0])

    def backward_arrays(self, g):
        return _expand_array(self.xp, g, self.dims, self.keepdim, self._input_meta[0][0])


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

    def backward_arrays(self, g):
        if is_half(g):
            return NotImplemented
        # NOTE: divide before broadcasting (one element, not all), as a view of the quotient
        return _expand_array(self.xp, g / self.count, self.dims, self.keepdim,
                             self._input_meta[0][0])


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
        result = SumBackward0(_ALL_DIMS[input._data.ndim], keepdim).apply(input)
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


from ember._ops.inplace import EXACT_OUT, c10_name  # noqa: E402

# var, std (and var_mean, std_mean) are Ops of their own, in variance.py
from ember._ops.variance import std, var  # noqa: E402, F401 - re-exported


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
