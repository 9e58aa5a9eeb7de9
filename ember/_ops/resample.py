"""Separable resampling: interpolate / upsample (nearest, nearest-exact, linear, bilinear,
bicubic, trilinear, area) and adaptive average pooling, with torch's index and weight formulas.

Each output element along a dim is a weighted sum of a few input elements ("taps"): 1 for
nearest, 2 for linear, 4 for cubic, up to the widest window for adaptive averages. Every one of
these maps is separable, so the Op applies one dim at a time: T gathers per dim, never a dense
matrix and never a loop over pixels. The gradient scatters through the same taps.
antialias=True and mode='lanczos' build their (wider) taps in resample_aa.py.
"""

from __future__ import annotations

import math
import warnings

from ember._ops._op import Op


class Taps:
    """Indices (T, out) and weights (T, out, or None for a plain gather) along one dim, built by
    ``make(xp)`` on the op's device when first needed."""

    def __init__(self, size, out, make):
        self.size, self.out, self._make, self._cache = size, out, make, None

    def arrays(self, xp):
        if self._cache is None:
            self._cache = self._make(xp)
        return self._cache


class _Resample(Op):
    """Apply per-dim taps to the trailing dims; subclasses only carry torch's node names."""

    promote = "keep"

    def __init__(self, taps):
        self.taps = taps  # one Taps per trailing dim

    def forward(self, x):
        xp, dtype = self.xp, x.dtype
        if dtype.name in ("float16", "bfloat16"):
            x = x.astype("float32")  # NOTE: torch interpolates half precision in float32
        first = x.ndim - len(self.taps)
        for axis, taps in enumerate(self.taps, first):
            x = _gather(xp, x, axis, *taps.arrays(xp))
        return xp.ascontiguousarray(x).astype(dtype, copy=False)

    def backward(self, g):
        return _ResampleBackward(self).apply(g)


def _gather(xp, x, axis, index, weights):
    along = (slice(None),) + (None,) * (x.ndim - axis - 1)  # weights broadcast along ``axis``
    out = None
    for t in range(index.shape[0]):
        part = xp.take(x, index[t], axis=axis)
        if weights is not None:
            part = part * weights[t].astype(x.dtype)[along]
        out = part if out is None else out + part
    return out


class _ResampleBackward(Op):
    """Scatter-add through the taps: the adjoint of _Resample (and its gradient is _Resample)."""

    promote = "keep"

    def __init__(self, forward_op):
        self.forward_op = forward_op

    def name(self):
        return self.forward_op.name().replace("Backward0", "BackwardBackward0")

    def forward(self, g):
        xp, dtype, taps = self.xp, g.dtype, self.forward_op.taps
        if dtype.name in ("float16", "bfloat16"):
            g = g.astype("float32")
        first = g.ndim - len(taps)
        for axis in reversed(range(first, g.ndim)):
            g = _scatter(xp, g, axis, taps[axis - first].size, *taps[axis - first].arrays(xp))
        return xp.ascontiguousarray(g).astype(dtype, copy=False)

    def backward(self, g):
        return type(self.forward_op)(self.forward_op.taps).apply(g)


def _scatter(xp, g, axis, size, index, weights):
    along = (slice(None),) + (None,) * (g.ndim - axis - 1)
    out = xp.zeros(g.shape[:axis] + (size,) + g.shape[axis + 1:], dtype=g.dtype)
    lead = (slice(None),) * axis
    for t in range(index.shape[0]):
        part = g if weights is None else g * weights[t].astype(g.dtype)[along]
        # NOTE: every tap's index is non-decreasing, so equal indices are runs: sum each run
        # with reduceat and add once per distinct index (much faster than add.at)
        uniq, starts = xp.unique(index[t], return_index=True)
        out[lead + (uniq,)] += xp.add.reduceat(part, starts, axis=axis)
    return out


class UpsampleNearest1DBackward0(_Resample):
    pass


class UpsampleNearest2DBackward0(_Resample):
    pass


class UpsampleNearest3DBackward0(_Resample):
    pass


class UpsampleNearestExact1DBackward0(_Resample):
    pass


class UpsampleNearestExact2DBackward0(_Resample):
    pass


class UpsampleNearestExact3DBackward0(_Resample):
    pass


class UpsampleLinear1DBackward0(_Resample):
    pass


class UpsampleBilinear2DBackward0(_Resample):
    pass


class UpsampleBicubic2DBackward0(_Resample):
    pass


class UpsampleTrilinear3DBackward0(_Resample):
    pass


class AdaptiveAvgPool2DBackward0(_Resample):
    pass


class AdaptiveAvgPool3DBackward0(_Resample):
    pass


# -- taps: torch's index and weight formulas --------------------------------------------------


def _float(xp, dtype):
    """torch computes source coordinates in float for float32/half inputs, double for double."""
    return xp.float64 if dtype.name == "float64" else xp.float32


def _scale(xp, size, out, scale, ftype):
    """torch's compute_scales_value: 1/scale_factor when given and positive, else size/out."""
    if scale is not None and scale > 0:
        return ftype(1.0 / scale)
    return ftype(size) / ftype(out)


def nearest_taps(size, out, scale, exact, dtype):
    """src = floor((dst [+ 0.5]) * scale), clamped; torch shortcuts equal and doubled sizes."""
    def make(xp):
        ftype = xp.float32  # NOTE: torch's nearest index math is float32 whatever the dtype
        if not exact and out in (size, 2 * size):
            return (xp.arange(out) // (out // size))[None], None
        dst = xp.arange(out, dtype=ftype) + (ftype(0.5) if exact else ftype(0))
        index = xp.floor(dst * _scale(xp, size, out, scale, ftype)).astype(xp.int64)
        return xp.minimum(index, size - 1)[None], None
    return Taps(size, out, make)


def _source(xp, size, out, scale, align_corners, cubic, ftype):
    """torch's area_pixel_compute_source_index over all output positions."""
    if align_corners:
        step = ftype(size - 1) / ftype(out - 1) if out > 1 else ftype(0)
        return xp.arange(out, dtype=ftype) * step
    step = _scale(xp, size, out, scale, ftype)
    src = step * (xp.arange(out, dtype=ftype) + ftype(0.5)) - ftype(0.5)
    return src if cubic else xp.maximum(src, ftype(0))


def _index_and_fraction(xp, src, size):
    """torch's guard_index_and_lambda: floor clamped to the last index, fraction in [0, 1]."""
    low = xp.minimum(xp.floor(src).astype(xp.int64), size - 1)
    return low, xp.clip(src - low, 0, 1).astype(src.dtype)


def linear_taps(size, out, scale, align_corners, dtype):
    """Two taps at floor(src) and the next index (clamped), weighted 1 - frac and frac."""
    def make(xp):
        src = _source(xp, size, out, scale, align_corners, False, _float(xp, dtype))
        low, frac = _index_and_fraction(xp, src, size)
        high = low + (low < size - 1)
        return xp.stack([low, high]), xp.stack([1 - frac, frac])
    return Taps(size, out, make)


def cubic_taps(size, out, scale, align_corners, dtype, a=-0.75):
    """Four taps at floor(src) - 1 ... + 2 (clamped), with Keys' cubic weights (A = -0.75)."""
    def make(xp):
        src = _source(xp, size, out, scale, align_corners, True, _float(xp, dtype))
        low, t = _index_and_fraction(xp, src, size)
        index = xp.stack([xp.clip(low + k, 0, size - 1) for k in (-1, 0, 1, 2)])
        near = [((a + 2) * u - (a + 3)) * u * u + 1 for u in (t, 1 - t)]
        far = [((a * u - 5 * a) * u + 8 * a) * u - 4 * a for u in (t + 1, 2 - t)]
        return index, xp.stack([far[0], near[0], near[1], far[1]])
    return Taps(size, out, make)


def adaptive_taps(size, out, dtype):
    """Window i covers [floor(i*size/out), ceil((i+1)*size/out)); each element weighs 1/len.
    Windows shorter than the widest repeat their last index with weight 0."""
    def make(xp):
        i = xp.arange(out)
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        width = int((end - start).max())
        offsets = xp.arange(width)[:, None]
        index = xp.minimum(start + offsets, end - 1)
        inside = (start + offsets < end).astype(_float(xp, dtype))
        return index, inside / (end - start).astype(_float(xp, dtype))
    return Taps(size, out, make)


def _scalar_name(dtype):
    from ember._ops._elementwise import _legacy_scalar_name

    return _legacy_scalar_name(dtype)


# -- interpolate ----------------------------------------------------------------------------------

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
_NEAREST_NODES = {
    ("nearest", 1): UpsampleNearest1DBackward0, ("nearest", 2): UpsampleNearest2DBackward0,
    ("nearest", 3): UpsampleNearest3DBackward0,
    ("nearest-exact", 1): UpsampleNearestExact1DBackward0,
    ("nearest-exact", 2): UpsampleNearestExact2DBackward0,
    ("nearest-exact", 3): UpsampleNearestExact3DBackward0}
_LINEAR_NODES = {"linear": UpsampleLinear1DBackward0, "bilinear": UpsampleBilinear2DBackward0,
                 "trilinear": UpsampleTrilinear3DBackward0,
                 "bicubic": UpsampleBicubic2DBackward0}
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _per_dim(value, nd, input, what):
    """size / scale_factor as a list of nd values; torch's ValueError for a wrong length."""
    if not isinstance(value, (list, tuple)):
        return [value] * nd
    if len(value) != nd:
        spatial = list(input.shape[2:])
        if what == "size":
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and output size of {value}. Please "
                "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, "
                "o2, ...,oK) format.")
        raise ValueError(
            f"Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {spatial} and scale_factor of shape {value}. "
            "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
            "(s1, s2, ...,sK) format.")
    return list(value)


def _target(input, size, scale_factor, recompute_scale_factor, mode):
    """Output sizes and the scales torch's kernels receive (None: use in/out)."""
    nd = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if size is not None:
        return [int(s) for s in _per_dim(size, nd, input, "size")], [None] * nd
    scales = [float(s) for s in _per_dim(scale_factor, nd, input, "scale_factor")]
    sizes = [math.floor(s * f) for s, f in zip(input.shape[2:], scales)]
    if recompute_scale_factor or mode == "area":
        scales = [None] * nd
    return sizes, scales


def _check_sizes(input, sizes):
    nd = len(sizes)
    if any(s <= 0 for s in input.shape[2:]) or any(o <= 0 for o in sizes):
        names = "DHW"[3 - nd:]
        given = ", ".join(f"{c}: {s}" for c, s in zip(names, input.shape[2:]))
        wanted = ", ".join(f"{c}: {s}" for c, s in zip(names, sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({given}) output ({wanted})")


def _check_mode(input, mode, align_corners, antialias):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if mode == "lanczos" and input.ndim == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        return
    if input.ndim not in (3, 4, 5) or (mode not in _LINEAR and mode not in (
            "nearest", "area", "nearest-exact")):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: {_MODES} (got {mode})")
    if mode in _LINEAR and input.ndim - 2 != _LINEAR[mode]:
        if mode == "bicubic":
            raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                      f"(got {input.ndim}D) for the modes: {_MODES} (got {mode})")
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode] + 2}D input")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, ...) input by size or scale_factor with torch's index
    and weight rules per mode (torch.nn.functional.interpolate), antialias and lanczos
    included."""
    _check_mode(input, mode, align_corners, antialias)
    nd = input.ndim - 2
    sizes, scales = _target(input, size, scale_factor, recompute_scale_factor, mode)
    _check_sizes(input, sizes)
    if mode == "area":  # adaptive average pooling (imported here: that module imports this)
        from ember._ops.adaptive import adaptive_avg_pool, adaptive_avg_pool1d

        return adaptive_avg_pool(input, sizes, nd, f"adaptive_avg_pool{nd}d") if nd > 1 else (
            adaptive_avg_pool1d(input, sizes))
    dims = list(zip(input.shape[2:], sizes, scales))
    if antialias or mode == "lanczos":  # imported here: that module imports this one
        from ember._ops.resample_aa import interpolate_aa

        return interpolate_aa(input, mode, dims, bool(align_corners))
    if mode in ("nearest", "nearest-exact"):
        if not input.dtype.is_floating_point and input.dtype.name != "uint8":
            raise NotImplementedError(f"\"upsample_{mode.replace('-', '_')}{nd}d\" not "
                                      f"implemented for '{_scalar_name(input.dtype)}'")
        taps = [nearest_taps(s, o, f, mode == "nearest-exact", input.dtype) for s, o, f in dims]
        return _NEAREST_NODES[mode, nd](taps).apply(input)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"upsample_{mode}{nd}d_channels_last\" not implemented for "
                                  f"'{_scalar_name(input.dtype)}'")
    corners = bool(align_corners)
    make = cubic_taps if mode == "bicubic" else linear_taps
    taps = [make(s, o, f, corners, input.dtype) for s, o, f in dims]
    return _LINEAR_NODES[mode](taps).apply(input)


def _deprecated(name):
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", UserWarning, stacklevel=3)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate, with torch's warning (torch.nn.functional.upsample)."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """interpolate(..., mode='nearest'), deprecated (torch.nn.functional.upsample_nearest)."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """interpolate(..., mode='bilinear', align_corners=True), deprecated
    (torch.nn.functional.upsample_bilinear)."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
