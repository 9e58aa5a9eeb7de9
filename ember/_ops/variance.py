"""Variance and standard deviation: var, std, var_mean, std_mean, each one Op named as torch's
node (VarBackward0, StdBackward0, VarMeanBackward0, StdMeanBackward0).

Forward makes two passes over the array (the mean, then |x - mean|^2), in float32 for half
precision; complex input gives a real variance and a complex mean. Backward is torch's
var_backward / std_backward on tensors, so second derivatives work. Degrees of freedom <= 0
warn as torch does and give inf or nan.
"""

from __future__ import annotations

import math
import warnings

from ember._dtype import FLOAT
from ember._ops._op import Op
from ember._ops.inplace import with_out
from ember._ops.pointwise import where
from ember._ops.reduce import _HALF_TYPES, _expand_grad, _quiet, reduce_dims
from ember._ops.shape import wrap_dim

__all__ = ["var", "std", "var_mean", "std_mean"]


class _Moments(Op):
    """Shared by the four nodes: the reduced dims, the correction, and the count torch's
    backward divides by (None for its whole-tensor formula)."""

    promote = "keep"
    materialize_grads = False

    def __init__(self, dims, keepdim, correction, grad_count):
        self.dims, self.keepdim, self.correction = dims, keepdim, correction
        self.grad_count = grad_count

    def moments(self, x):
        """(var, mean) arrays: var of x's real dtype, mean of x's dtype."""
        work = x.astype("float32") if x.dtype in _HALF_TYPES else x
        count = math.prod(x.shape[d] for d in self.dims)
        with _quiet(self.xp):
            mean = work.mean(axis=self.dims, keepdims=True)
            centered = work - mean
            if centered.dtype.kind == "c":
                squares = centered.real * centered.real + centered.imag * centered.imag
            else:
                squares = centered * centered
            var = squares.sum(axis=self.dims, keepdims=self.keepdim) / max(
                count - self.correction, 0)
        if not self.keepdim:
            mean = mean.reshape(var.shape)
        real_dtype = x.real.dtype if x.dtype.kind == "c" else x.dtype
        return self.xp.asarray(var).astype(real_dtype), mean.astype(x.dtype)

    def std(self, var):
        with _quiet(self.xp):
            if var.dtype in _HALF_TYPES:
                return self.xp.sqrt(var.astype("float32")).astype(var.dtype)
            return self.xp.sqrt(var)

    def var_grad(self, g, x):
        """torch's var_backward: 2 (x - mean) g / (n - correction)."""
        if self.grad_count is None:  # torch: no dim given, or a 0-dim input
            dof = x.numel() - self.correction
            centered = x - x.mean()
            if dof <= 0:
                return g * where(centered == 0, math.nan, math.inf)
            return (2.0 / dof) * g * centered
        if not self.keepdim and x.ndim > 1:
            g = g.reshape([1 if d in self.dims else s for d, s in enumerate(x.shape)])
        denominator = self.grad_count - self.correction
        # NOTE: as torch's 2.0 / (n - correction) in C++: infinite, not an error, at zero
        scale = math.copysign(math.inf, denominator) if denominator == 0 else 2.0 / denominator
        return scale * g * (x - x.mean(self.dims, keepdim=True))

    def std_grad(self, g, x, std):
        """torch's std_backward: var's gradient for g / (2 std), zero where std is zero."""
        return self.var_grad(where(std == 0, 0.0, g / (2 * std)), x)

    def mean_grad(self, g, x):
        count = math.prod(x.shape[d] for d in self.dims)
        return _expand_grad(g, self.dims, self.keepdim, tuple(x.shape)) / count


class VarBackward0(_Moments):
    def forward(self, x):
        self.save(x)
        return self.moments(x)[0]

    def backward(self, g):
        x, = self.saved
        return self.var_grad(g, x)


class StdBackward0(_Moments):
    def forward(self, x):
        out = self.std(self.moments(x)[0])
        self.save(x, out)
        return out

    def backward(self, g):
        x, std = self.saved
        return self.std_grad(g, x, std)


class VarMeanBackward0(_Moments):
    def forward(self, x):
        self.save(x)
        return self.moments(x)

    def backward(self, g_var, g_mean):
        x, = self.saved
        g = None if g_var is None else self.var_grad(g_var, x)
        if g_mean is not None:
            g_mean = self.mean_grad(g_mean, x)
            g = g_mean if g is None else g + g_mean
        return g


class StdMeanBackward0(_Moments):
    def forward(self, x):
        var, mean = self.moments(x)
        std = self.std(var)
        self.save(x, std)
        return std, mean

    def backward(self, g_std, g_mean):
        x, std = self.saved
        g = None if g_std is None else self.std_grad(g_std, x, std)
        if g_mean is not None:
            g_mean = self.mean_grad(g_mean, x)
            g = g_mean if g is None else g + g_mean
        return g


def _apply(node, name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # the older positional form name(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                        "'unbiased' and 'correction'; pass one of them")
    if input.dtype.category < FLOAT:
        what = "std and var" if name in ("var", "std") else name
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = reduce_dims(dim, input.ndim)
    if math.prod(input.shape[d] for d in dims) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    grad_count = None
    if dim is not None and input.ndim:
        # NOTE: torch's backward divides by the product of the dims as given, so an empty dim
        # list (a full reduction forward) counts 1 there
        given = (dim,) if isinstance(dim, int) else tuple(dim)
        grad_count = math.prod(input.shape[wrap_dim(d, input.ndim)] for d in given)
    return node(dims, keepdim, correction, grad_count).apply(input)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance over ``dim`` (all by default) with Bessel's correction unless ``unbiased=False``
    or another ``correction`` (torch.var); real for complex input."""
    return with_out(_apply(VarBackward0, "var", input, dim, unbiased, keepdim, correction), out)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation, the square root of var (torch.std)."""
    return with_out(_apply(StdBackward0, "std", input, dim, unbiased, keepdim, correction), out)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) from one node, as a plain tuple (torch.var_mean)."""
    return _apply(VarMeanBackward0, "var_mean", input, dim, unbiased, keepdim, correction)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) from one node, as a plain tuple (torch.std_mean)."""
    return _apply(StdMeanBackward0, "std_mean", input, dim, unbiased, keepdim, correction)
