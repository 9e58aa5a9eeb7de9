"""Block rearrangements: unfold (im2col) and fold (col2im), pixel_shuffle / pixel_unshuffle and
channel_shuffle, with torch's shapes, checks and node names (Im2ColBackward0, Col2ImBackward0,
PixelShuffleBackward0, PixelUnshuffleBackward0, ChannelShuffleBackward0).

unfold and fold are each other's adjoint, as are pixel_shuffle and pixel_unshuffle, so each Op's
backward is the other Op and gradients of any order follow.
"""

from __future__ import annotations

import math

from ember._ops._op import Op
from ember._ops.im2col import Geometry, spread, windows

__all__ = ["channel_shuffle", "fold", "pixel_shuffle", "pixel_unshuffle", "unfold"]


class Im2ColBackward0(Op):
    """(N, C, H, W) -> (N, C * kh * kw, L): every sliding block as a column."""

    promote = "keep"

    def __init__(self, geo):
        self.geo = geo

    def forward(self, x):
        unbatched = x.ndim == 3
        x = x[None] if unbatched else x
        n, c = x.shape[:2]
        blocks = windows(self.xp, x, self.geo).transpose(0, 1, 4, 5, 2, 3)
        out = blocks.reshape(n, c * math.prod(self.geo.kernel), math.prod(self.geo.out_size))
        return out[0] if unbatched else out

    def backward(self, g):
        return Col2ImBackward0(self.geo).apply(g)


class Col2ImBackward0(Op):
    """(N, C * kh * kw, L) -> (N, C, H, W): sum every column back onto its block."""

    promote = "keep"

    def __init__(self, geo):
        self.geo = geo

    def forward(self, cols):
        unbatched = cols.ndim == 2
        cols = cols[None] if unbatched else cols
        geo, n = self.geo, cols.shape[0]
        c = cols.shape[1] // math.prod(geo.kernel)
        blocks = cols.reshape((n, c) + geo.kernel + geo.out_size)
        out = spread(self.xp, lambda k: blocks[(slice(None), slice(None)) + k], (n, c), geo,
                     cols.dtype)
        out = self.xp.ascontiguousarray(out)
        return out[0] if unbatched else out

    def backward(self, g):
        return Im2ColBackward0(self.geo).apply(g)


def _pair(value, name):
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")
    return values


def _block_args(kernel_size, dilation, padding, stride):
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    checks = (("kernel size", "kernel", kernel, 1), ("stride", "stride", stride, 1),
              ("dilation", "dilation", dilation, 1), ("padding", "pad", padding, 0))
    for what, short, values, low in checks:
        if any(v < low for v in values):
            need = "non-negative" if low == 0 else "greater than zero"
            raise RuntimeError(f"{what} should be {need}, but got {short}_height: {values[0]} "
                               f"{short}_width: {values[1]}")
    return kernel, dilation, padding, stride


def _blocks(size, kernel, dilation, padding, stride):
    return tuple((s + 2 * p - (d * (k - 1) + 1)) // st + 1 for s, k, d, p, st in
                 zip(size, kernel, dilation, padding, stride))


def _unfold_dtype(input, kernel_name):
    if not input.dtype.is_floating_point:
        from ember._ops.resample import _scalar_name

        raise NotImplementedError(f"\"{kernel_name}\" not implemented for "
                                  f"'{_scalar_name(input.dtype)}'")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) or (C, H, W) input as columns (torch.nn.functional.unfold)."""
    kernel, dilation, padding, stride = _block_args(kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported "
                                  f"(got {input.ndim}D)")
    _unfold_dtype(input, "im2col_out_cpu")
    size = tuple(input.shape[-2:])
    out = _blocks(size, kernel, dilation, padding, stride)
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size {size}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the array "
                           f"of sliding blocks as {out}, but its components must be at least one.")
    geo = Geometry(size, out, kernel, stride, padding, dilation, 1)
    return Im2ColBackward0(geo).apply(input)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns of (N, C * prod(k), L) or (C * prod(k), L) input back into blocks of an
    (N, C, *output_size) image (torch.nn.functional.fold)."""
    size = _pair(output_size, "output_size")
    kernel, dilation, padding, stride = _block_args(kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3) or any(s == 0 for s in input.shape[-2:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    _unfold_dtype(input, "col2im_out_cpu")
    rows, columns = input.shape[-2:]
    if rows % math.prod(kernel):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={rows} and "
                           f"kernel_size={kernel}.")
    out = _blocks(size, kernel, dilation, padding, stride)
    if math.prod(out) != columns:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks "
                           f"{out[0]} * {out[1]} = {math.prod(out)}, but got "
                           f"input.size(2)={columns}.")
    geo = Geometry(size, out, kernel, stride, padding, dilation, 1)
    return Col2ImBackward0(geo).apply(input)


# -- pixel and channel shuffles -------------------------------------------------------------------


class PixelShuffleBackward0(Op):
    """(..., C * r * r, H, W) -> (..., C, H * r, W * r); the gradient is the unshuffle."""

    promote = "keep"

    def __init__(self, factor):
        self.factor = factor

    def forward(self, x):
        r, lead = self.factor, x.shape[:-3]
        c, h, w = x.shape[-3:]
        blocks = x.reshape(lead + (c // (r * r), r, r, h, w))
        k = len(lead)
        blocks = blocks.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)
        return self.xp.ascontiguousarray(blocks).reshape(lead + (c // (r * r), h * r, w * r))

    def backward(self, g):
        return PixelUnshuffleBackward0(self.factor).apply(g)


class PixelUnshuffleBackward0(Op):
    """(..., C, H * r, W * r) -> (..., C * r * r, H, W); the gradient is the shuffle."""

    promote = "keep"

    def __init__(self, factor):
        self.factor = factor

    def forward(self, x):
        r, lead = self.factor, x.shape[:-3]
        c, h, w = x.shape[-3:]
        blocks = x.reshape(lead + (c, h // r, r, w // r, r))
        k = len(lead)
        blocks = blocks.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3)
        return self.xp.ascontiguousarray(blocks).reshape(lead + (c * r * r, h // r, w // r))

    def backward(self, g):
        return PixelShuffleBackward0(self.factor).apply(g)


def _check_shuffle(input, factor, name, word):
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {word}, but got {factor}")


def pixel_shuffle(input, upscale_factor):
    """Move channel blocks into space (torch.nn.functional.pixel_shuffle)."""
    _check_shuffle(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    if input.shape[-3] % (upscale_factor * upscale_factor):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{input.shape[-3]} is not divisible by {upscale_factor ** 2}")
    return PixelShuffleBackward0(upscale_factor).apply(input)


def pixel_unshuffle(input, downscale_factor):
    """Move spatial blocks into channels (torch.nn.functional.pixel_unshuffle)."""
    _check_shuffle(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    for dim, word in ((-2, "height"), (-1, "width")):
        if input.shape[dim] % downscale_factor:
            raise RuntimeError(f"pixel_unshuffle expects {word} to be divisible by "
                               f"downscale_factor, but input.size({dim})={input.shape[dim]} is "
                               f"not divisible by {downscale_factor}")
    return PixelUnshuffleBackward0(downscale_factor).apply(input)


class ChannelShuffleBackward0(Op):
    """(N, g * k, ...) -> (N, k * g, ...): channel i * k + j moves to j * g + i."""

    promote = "keep"

    def __init__(self, groups):
        self.groups = groups

    def forward(self, x):
        n, c = x.shape[:2]
        blocks = x.reshape((n, self.groups, c // self.groups) + x.shape[2:]).swapaxes(1, 2)
        return self.xp.ascontiguousarray(blocks).reshape(x.shape)

    def backward(self, g):
        return ChannelShuffleBackward0(g.shape[1] // self.groups).apply(g)


def channel_shuffle(input, groups):
    """Interleave channels across groups (torch.nn.functional.channel_shuffle)."""
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got "
                           f"{input.shape[1]} channels and {groups} groups.")
    return ChannelShuffleBackward0(groups).apply(input)
