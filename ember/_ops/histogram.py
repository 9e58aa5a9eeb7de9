"""Counting and histograms: bincount, histc, histogram. None of them has a derivative; torch
records a node that fails at backward (histc's result has no grad_fn at all)."""

from __future__ import annotations

import math

from ember import _dtype
from ember._ops._elementwise import _reject
from ember._ops._op import Op
from ember._ops._return_types import pair_out, return_type
from ember._ops.inplace import with_out
from ember._ops.search import _c_name, _tensor_cls, bisect
from ember._ops.sort import aminmax

__all__ = ["bincount", "histc", "histogram"]


# -- counting and histograms ------------------------------------------------------------------


class _NoDerivative(Op):
    """torch's node for an op without a derivative: recorded, failing at backward."""

    promote = "keep"
    aten = ""

    def name(self):
        return "torch::autograd::NotImplemented"

    def __repr__(self):
        return f"<NotImplemented object at {id(self):#x}>"

    def backward(self, *grads):
        raise RuntimeError(f"derivative for aten::{self.aten} is not implemented")


class _Bincount(_NoDerivative):
    aten = "bincount"

    def __init__(self, minlength):
        self.minlength = minlength

    def forward(self, input, weights=None):
        xp = self.xp
        if weights is None:
            return xp.bincount(input, minlength=self.minlength).astype(xp.int64)
        # NOTE: float32 weights sum to float32 (NumPy sums in float64 first); others to float64
        dtype = xp.float32 if weights.dtype == xp.float32 else xp.float64
        counts = xp.bincount(input, weights.astype(xp.float64), minlength=self.minlength)
        return counts.astype(dtype)


def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in a 1-D tensor, or the sum of its weights
    (torch.bincount): int64 counts; float32 weights give float32, other weights float64."""
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    _reject(input._data, "bcfV", "bincount_cpu")
    if input.ndim != 1 or (input.numel() and bool((input < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or len(weights) != len(input)):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if input.numel() == 0:  # torch gives int64 zeros here, weights or not
        from ember._ops.creation import zeros

        return zeros(minlength, dtype=_dtype.int64, device=input.device)
    op = _Bincount(minlength)
    return op.apply(input) if weights is None else op.apply(input, weights)


class _Histogram(_NoDerivative):
    """Counts (or summed weights) of the values in each bin given by edges: bins include their
    left edge, the last also its right one; values outside the edges (and NaN) are left out.
    histc maps a value to its bin by interpolation in the input's dtype, as torch's kernel does;
    histogram by searching the edges (torch runs std::upper_bound: the same bins for increasing
    edges; for edges out of order the two searches may differ)."""

    aten = "histogram"

    def __init__(self, interpolate=False, density=False):
        self.interpolate, self.density = interpolate, density

    def forward(self, x, edges, weight=None):
        xp, bins = self.xp, len(edges) - 1
        x, low, high = x.reshape(-1), edges[0], edges[-1]
        inside = (x >= low) & (x <= high)
        if self.interpolate:
            where = ((x - low) * bins / (high - low)).astype(xp.int64)  # truncates, as C++ does
        else:
            where = bisect(xp, edges[None], x[None], right=True)[0] - 1
        where = xp.minimum(where[inside], bins - 1)  # the last bin holds its right edge
        weight = None if weight is None else weight.reshape(-1)[inside].astype(xp.float64)
        hist = xp.bincount(where, weight, minlength=bins)[:bins].astype(x.dtype)
        if self.density:
            hist = hist / hist.sum() / xp.diff(edges)
        return (hist, edges.copy()) if not self.interpolate else hist


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram of equal-width bins between min and max (the data's range when both are equal);
    values outside are ignored (torch.histc). Same dtype as input; no gradient."""
    from ember._ops.creation import linspace

    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if input.dtype.category != _dtype.FLOAT:
        kernel = "linspace_cpu" if input.dtype.name == "bool" else "histogram_cpu"
        _reject(input._data, "biuc", kernel)
    low, high = float(min), float(max)
    if low == high and input.numel():
        low, high = (float(v) for v in aminmax(input.detach()))
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low:g}, {high:g}] is not finite")
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    edges = linspace(low, high, bins + 1, dtype=input.dtype, device=input.device)
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError("torch.histogram: input tensor and hist tensor should have the same "
                           f"dtype, but got input {_c_name(input)} and hist {_c_name(out)}")
    # NOTE: detached: torch's histc result has no grad_fn
    return with_out(_Histogram(interpolate=True).apply(input.detach(), edges), out)


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """Histogram with ``bins`` equal-width bins over ``range`` (the data's range by default), or
    with the given bin edges; weights sum per bin, density normalises to unit area. Returns
    (hist, bin_edges) (torch.histogram; float32 and float64 only)."""
    if isinstance(bins, _tensor_cls()):
        edges = _given_edges(input, bins)
    else:
        edges = _equal_edges(input, bins, range)
    if weight is not None:
        _check_weight(input, weight)
    args = (input, edges) if weight is None else (input, edges, weight)
    hist, edges = _Histogram(density=density).apply(*args)
    fields = ("hist", "bin_edges")
    return pair_out(return_type("histogram", fields)(hist, edges), out, "histogram", fields)


def _equal_edges(input, bins, range):
    from ember._ops.creation import linspace

    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if range is not None and len(range) != 2:
        raise RuntimeError("torch.histogramdd: for a 1-dimensional histogram range should have 2 "
                           f"elements, but got {len(range)}")
    if input.dtype.name not in ("float32", "float64") and (range is None or input.dtype.category
                                                           != _dtype.FLOAT):
        _reject(input._data, "biucfV", "histogramdd")
    if range is not None:
        low, high = float(range[0]), float(range[1])
    else:
        low, high = (float(v) for v in aminmax(input.detach())) if input.numel() else (0.0, 1.0)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histogramdd: dimension 0's range [{low:g}, {high:g}] is not "
                           "finite")
    if low > high:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {low:g} "
                           f"max {high:g} for dimension 0")
    if low == high:  # as NumPy: widen an empty range
        low, high = low - 0.5, high + 0.5
    return linspace(low, high, bins + 1, dtype=input.dtype, device=input.device)


def _given_edges(input, bins):
    if bins.dtype is not input.dtype:
        raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same "
                           f"dtype, but got input with dtype {_c_name(input)} and bins for "
                           f"dimension 0 with dtype {_c_name(bins)}")
    if bins.ndim != 1:
        raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                           f"{bins.ndim} dimensions in the bins tensor for dimension 0")
    if bins.numel() == 0:
        raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, but "
                           "got 0 elements in the bins tensor for dimension 0")
    if bins.numel() == 1:
        raise RuntimeError("torch.histogram(): bins must be > 0, but got 0 for dimension 0")
    _reject(input._data, "biuc", "histogram_cpu")
    return bins.detach()


def _check_weight(input, weight):
    if weight.dtype is not input.dtype:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and "
                           f"weight tensor should have the same dtype, but got "
                           f"input({_c_name(input)}), and weight({_c_name(weight)})")
    if weight.numel() != input.numel():  # torch compares them flattened
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, but "
                           f"got input with shape [{input.numel()}, 1] and weight with shape "
                           f"[{weight.numel()}]")
