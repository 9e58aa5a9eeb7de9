"""Antialiased interpolation (interpolate(..., antialias=True) and mode='lanczos') with torch's
separable filters, which follow PIL: triangle (bilinear), Keys cubic with a = -0.5 (bicubic) and
Lanczos-3, each with its support widened by the downsampling factor so every input pixel under
an output pixel contributes. Float input reuses resample's per-dim taps Op (so gradients and
double backward come with it); uint8 input uses torch's fixed-point arithmetic.
"""

from __future__ import annotations

import math

from ember._ops.resample import Taps, _float, _Resample, _scalar_name, _scale


class _ResampleAA(_Resample):
    """Antialiased resampling: float input as _Resample, uint8 in torch's fixed point."""

    def forward(self, x):
        if x.dtype.name != "uint8":
            return super().forward(x)
        return _fixed_point(self.xp, x, self.taps)


class UpsampleBilinear2DAaBackward0(_ResampleAA):
    pass


class UpsampleBicubic2DAaBackward0(_ResampleAA):
    pass


class UpsampleLanczos2DAaBackward0(_ResampleAA):
    pass


_AA_NODES = {"bilinear": UpsampleBilinear2DAaBackward0, "bicubic": UpsampleBicubic2DAaBackward0,
             "lanczos": UpsampleLanczos2DAaBackward0}
_AA_SIZES = {"bilinear": 2, "bicubic": 4, "lanczos": 6}  # torch's interp_size per mode


def _sinc(xp, x):
    ftype = x.dtype.type
    y = x * ftype(math.pi)
    return xp.where(y == 0, ftype(1), xp.sin(y) / xp.where(y == 0, ftype(1), y))


def _aa_filter(xp, mode, x):
    """torch's aa_filter per mode on |x|: triangle, Keys cubic with a = -0.5, or Lanczos-3."""
    ftype, x = x.dtype.type, xp.abs(x)
    if mode == "bilinear":
        return xp.where(x < 1, 1 - x, ftype(0))
    if mode == "bicubic":
        a = ftype(-0.5)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return xp.where(x < 1, near, xp.where(x < 2, far, ftype(0)))
    # NOTE: torch's sinc(x / 3.0) is deduced as double; the product is rounded back once
    wide = _sinc(xp, x.astype(xp.float64) / 3.0)
    return xp.where(x < 3, (_sinc(xp, x).astype(xp.float64) * wide).astype(ftype), ftype(0))


def aa_taps(size, out, scale, align_corners, dtype, mode):
    """torch's antialiased taps (_compute_indices_min_size_weights_aa): around the centre
    scale * (i + 0.5), a window of the filter's support times the downsampling factor, weights
    normalised to sum 1. The roundings follow torch's mix of float and double. A dim whose size
    does not change is left alone, as torch skips it."""
    def make(xp):
        if size == out:
            return xp.arange(out)[None], None
        ftype, double = _float(xp, dtype), xp.float64
        if align_corners:
            step = ftype(size - 1) / ftype(out - 1) if out > 1 else ftype(0)
        else:
            step = _scale(xp, size, out, scale, ftype)
        half = _AA_SIZES[mode] * 0.5
        support = ftype(half * float(step)) if step >= 1 else ftype(half)
        invscale = ftype(1.0 / float(step)) if step >= 1 else ftype(1.0)
        width = math.ceil(support) * 2 + 1
        center = ((xp.arange(out, dtype=double) + 0.5) * float(step)).astype(ftype)
        low = xp.trunc((center - support).astype(double) + 0.5).astype(xp.int64)
        high = xp.trunc((center + support).astype(double) + 0.5).astype(xp.int64)
        low = xp.maximum(low, 0)
        count = xp.clip(xp.minimum(high, size) - low, 0, width)
        weights, total = [], xp.zeros(out, ftype)
        for j in range(width):  # NOTE: a loop over taps; the total adds up in torch's order
            x = ((low + j).astype(ftype) - center).astype(double) + 0.5
            w = xp.where(j < count, _aa_filter(xp, mode, (x * float(invscale)).astype(ftype)),
                         ftype(0))
            weights.append(w)
            total = total + w
        weights = xp.stack(weights)
        weights = xp.where(total != 0, weights / xp.where(total != 0, total, ftype(1)), weights)
        index = xp.minimum(low[None] + xp.arange(width)[:, None], size - 1)
        return index, weights
    return Taps(size, out, make)


def _weight_bits(w_max):
    """torch's weights_precision: the most fraction bits (< 22) keeping int16 weights in range."""
    for bits in range(22):
        if int(0.5 + w_max * (1 << (bits + 1))) >= 1 << 15:
            return bits
    return 22


def _fixed_point(xp, x, taps):
    """torch's uint8 antialias: per dim (W first, then H) integer weights scaled by 2**bits and
    rounded half away from zero, integer sums rounded half up, clamped to uint8 after each pass."""
    first = x.ndim - len(taps)
    for axis in reversed(range(first, x.ndim)):
        index, weights = taps[axis - first].arrays(xp)
        if weights is None:
            continue
        bits = _weight_bits(float(weights.max()))
        scaled = weights * (1 << bits)
        ints = xp.trunc(scaled + xp.where(scaled < 0, -0.5, 0.5)).astype(xp.int64)
        along = (slice(None),) + (None,) * (x.ndim - axis - 1)
        total = 1 << (bits - 1)
        for t in range(index.shape[0]):
            total = total + xp.take(x, index[t], axis=axis).astype(xp.int64) * ints[t][along]
        x = xp.clip(total >> bits, 0, 255).astype(xp.uint8)
    return x


def interpolate_aa(input, mode, dims, align_corners):
    """torch's _upsample_{bilinear,bicubic,lanczos}2d_aa: float32 / float64, and uint8 in
    fixed point (its weights computed in double)."""
    kind = input.dtype.name
    if kind not in ("float32", "float64", "uint8"):
        raise NotImplementedError(f"\"compute_index_ranges_weights\" not implemented for "
                                  f"'{_scalar_name(input.dtype)}'")
    from ember._dtype import float64

    weights_dtype = float64 if kind == "uint8" else input.dtype
    taps = [aa_taps(s, o, f, align_corners, weights_dtype, mode) for s, o, f in dims]
    return _AA_NODES[mode](taps).apply(input)
