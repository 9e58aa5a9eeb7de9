"""Reductions beyond sums and extremes: the vector norm (torch.norm), all / any, logsumexp."""

from __future__ import annotations

import math

from ember import _dtype
from ember._dtype import FLOAT
from ember._ops._op import Op, _legacy_type_name
from ember._ops.inplace import out_exact, with_out
from ember._ops.reduce import _expand_grad, _Reduction, reduce_dims


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
