"""grid_sample with torch.nn.functional's semantics (affine_grid, which makes its grids, is in
affine_grid.py).

Each output point of grid_sample reads a few input points ("taps") around the location its grid
value names: 1 for nearest, 2 per spatial dim for bilinear, 4 per dim for bicubic. Per dim the
location gives integer positions and 1-D factors (1 - t and t, or cubic coefficients of the
fraction t); a tap's weight is the product of its dims' factors. The forward gathers at flat
indices, with torch's coordinate rules (unnormalize, then clip or reflect) written as its CPU
kernels compute them, so roundings to the nearest pixel and border decisions agree.

The gradients are written on tensors: the input gradient scatter-adds (bincount) through the same
taps, the grid gradient differentiates the factors. They use a gather / scatter pair of Ops that are
each other's adjoint, and fractions whose derivative w.r.t. the grid is the forward's, so double
backward works, as in torch.
"""

from __future__ import annotations

import math
import warnings

from ember._ops._op import Op
from ember._ops.creation import ones_like, zeros, zeros_like
from ember._ops.join import stack
from ember._ops.resample import _scalar_name
from ember.autograd.grad_mode import state as _grad_state

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_A = -0.75  # torch's cubic convolution constant for grid_sample (OpenCV's)


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


# -- where each output point reads: torch's coordinate rules -------------------------------------


def _unnormalize(coord, size, align_corners, fused):
    """Grid value -> input coordinate, and d coordinate / d grid value. ``fused``: the formula
    of torch's vectorised 2-D kernel; its 3-D kernel rounds differently."""
    ftype = coord.dtype.type
    if align_corners:
        scale = ftype(size - 1) / ftype(2)
        src = (coord + 1) * scale if fused else (coord + 1) / 2 * ftype(size - 1)
    else:
        scale = ftype(size) / ftype(2)
        src = (coord + 1) * scale - ftype(0.5) if fused else ((coord + 1) * ftype(size) - 1) / 2
    return src, scale


def _clip(xp, src, size):
    """Clamp to [0, size - 1] (NaN becomes 0, as in torch's kernel); the derivative is 1 strictly
    inside and 0 on the borders and beyond."""
    ftype = src.dtype.type
    clipped = xp.minimum(xp.where(src > 0, src, ftype(0)), ftype(size - 1))
    return clipped, ((src > 0) & (src < size - 1)).astype(src.dtype)


def _reflect(xp, src, size, align_corners):
    """Reflect off the borders (pixel centres with align_corners, else pixel edges) until inside;
    the derivative is +-1 by the parity of the reflections."""
    ftype = src.dtype.type
    if align_corners and size <= 1:
        return xp.zeros_like(src), xp.zeros_like(src)
    low = ftype(0) if align_corners else ftype(-0.5)
    twice_span = ftype(2 * (size - 1)) if align_corners else ftype(2 * size)
    shifted = src - low
    dist = xp.abs(shifted)
    extra = dist - xp.trunc(dist / twice_span) * twice_span
    flipped = twice_span - extra
    more = extra > flipped
    sign = xp.where(more != (shifted < 0), ftype(-1), ftype(1))
    return xp.where(more, flipped, extra) + low, sign


def _pad_positions(xp, pos, size, padding_mode, align_corners):
    """Bicubic taps are padded one by one (torch's compute_coordinates): clip or reflect each."""
    if padding_mode == "reflection":
        pos = _reflect(xp, pos, size, align_corners)[0]
    if padding_mode != "zeros":
        pos = _clip(xp, pos, size)[0]
    return pos


class _Dim:
    """One spatial dim of the taps: positions (K, N, P) as int64 (0 where invalid), validity,
    the fraction t (N, P) (None for nearest) and d source coordinate / d grid value."""

    def __init__(self, index, valid, frac, mult):
        self.index, self.valid, self.frac, self.mult = index, valid, frac, mult


def _locate(xp, coord, size, mode, padding_mode, align_corners, fused):
    src, scale = _unnormalize(coord, size, align_corners, fused)
    mult = float(scale)  # an array below where padding makes it vary
    if mode != "bicubic" and padding_mode != "zeros":
        if padding_mode == "reflection":
            src, sign = _reflect(xp, src, size, align_corners)
            mult = mult * sign
        src, inside = _clip(xp, src, size)
        mult = mult * inside
    if mode == "nearest":
        pos, frac = xp.rint(src)[None], None  # NOTE: round half to even, as torch's kernels
    else:
        low = xp.floor(src)
        frac = src - low
        offsets = (0, 1) if mode == "bilinear" else (-1, 0, 1, 2)
        pos = xp.stack([low + k for k in offsets])
        if mode == "bicubic":
            pos = _pad_positions(xp, pos, size, padding_mode, align_corners)
    valid = (pos >= 0) & (pos < size)  # NaN and huge coordinates are outside too
    return _Dim(xp.where(valid, pos, 0).astype(xp.int64), valid, frac, mult)


class Taps:
    """Every (output point, tap) of a grid: per-dim data, and over all combinations of the dims'
    taps (first dim slowest, so 2-D bilinear is torch's nw, ne, sw, se) flat indices into the
    input's spatial dims (T, N, P) and validity (T, N, P)."""

    def __init__(self, xp, grid, sizes, mode, padding_mode, align_corners):
        nd, n = len(sizes), grid.shape[0]
        coords = grid.reshape(n, math.prod(grid.shape[1:-1]), nd)
        self.mode, self.sizes, self.points = mode, tuple(sizes), coords.shape[1]
        self.dims = [_locate(xp, coords[..., nd - 1 - d], size, mode, padding_mode,
                             align_corners, nd == 2) for d, size in enumerate(sizes)]
        strides = [math.prod(sizes[d + 1:]) for d in range(nd)]
        self.index = combine([dim.index * s for dim, s in zip(self.dims, strides)], "add")
        self.valid = combine([dim.valid for dim in self.dims], "and")


def combine(parts, how="mul"):
    """Per-dim (K, N, P) parts -> (K**nd, N, P) over every combination of taps, first dim slowest.
    Works on arrays and tensors alike (tensors keep their graph)."""
    out = parts[0]
    for part in parts[1:]:
        a, b = out[:, None], part[None]
        both = a * b if how == "mul" else (a + b if how == "add" else a & b)
        out = both.reshape((out.shape[0] * part.shape[0],) + tuple(part.shape[1:]))
    return out


def factors(mode, t):
    """The 1-D weights of a dim's taps as functions of the fraction t (arrays or tensors)."""
    if mode == "bilinear":
        return [1 - t, t]
    near = [((_A + 2) * u - (_A + 3)) * u * u + 1 for u in (t, 1 - t)]
    far = [((_A * u - 5 * _A) * u + 8 * _A) * u - 4 * _A for u in (t + 1, 2 - t)]
    return [far[0], near[0], near[1], far[1]]


def factor_grads(mode, t):
    """d factors / d t."""
    if mode == "bilinear":
        one = ones_like(t)
        return [-one, one]
    near = [(3 * (_A + 2) * u - 2 * (_A + 3)) * u for u in (t, 1 - t)]
    far = [(3 * _A * u - 10 * _A) * u + 8 * _A for u in (t + 1, 2 - t)]
    return [far[0], near[0], -near[1], -far[1]]


# -- the Ops ------------------------------------------------------------------------------------


def _work_dtype(xp, dtype):
    # NOTE: half precision is computed in float32 (torch rounds every step to half: results
    # differ in the last bits)
    return xp.float32 if dtype.itemsize == 2 else dtype


def _gather(xp, x, index, valid):
    """x (N, C, L) at index (N, P) per batch, 0 where not valid -> (N, C, P)."""
    n, c, p = x.shape[0], x.shape[1], index.shape[1]
    values = xp.take_along_axis(x, xp.broadcast_to(index[:, None, :], (n, c, p)), axis=2)
    return xp.where(valid[:, None, :], values, 0)


class GridSampler2DBackward0(Op):
    """input (N, C, *in) sampled at grid (N, *out, nd) -> (N, C, *out)."""

    promote = "keep"

    def __init__(self, mode, padding_mode, align_corners):
        self.mode, self.padding_mode, self.align_corners = mode, padding_mode, align_corners

    def forward(self, input, grid):
        xp, dtype = self.xp, input.dtype
        work = _work_dtype(xp, dtype)
        n, c, sizes = input.shape[0], input.shape[1], input.shape[2:]
        coords = grid.astype(work, copy=False)
        self.taps = taps = Taps(xp, coords, sizes, self.mode, self.padding_mode,
                                self.align_corners)
        x = input.astype(work, copy=False).reshape(n, c, math.prod(sizes))
        if self.mode == "nearest":
            out = _gather(xp, x, taps.index[0], taps.valid[0])
        else:
            weights = combine([xp.stack(factors(self.mode, d.frac)) for d in taps.dims])
            out = xp.zeros((n, c, taps.points), work)
            for t in range(weights.shape[0]):
                out += weights[t][:, None] * _gather(xp, x, taps.index[t], taps.valid[t])
        self.save(input, grid)
        return out.reshape((n, c) + grid.shape[1:-1]).astype(dtype)

    def backward(self, g):
        input, grid = self.saved
        return _grads(self.taps, g, input, grid, self.needs_input_grad)


class GridSampler3DBackward0(GridSampler2DBackward0):
    pass


class TapGather(Op):
    """(N, C, *sizes) -> (T, N, C, P): the input value at every tap, 0 outside the input."""

    promote = "keep"

    def __init__(self, taps):
        self.taps = taps

    def forward(self, x):
        taps, n, c = self.taps, x.shape[0], x.shape[1]
        flat = x.reshape(n, c, math.prod(taps.sizes))
        return self.xp.stack([_gather(self.xp, flat, i, v) for i, v in
                              zip(taps.index, taps.valid)])

    def backward(self, g):
        return TapScatter(self.taps).apply(g)


class TapScatter(Op):
    """(T, N, C, P) -> (N, C, *sizes): each tap's value added into its input point (the adjoint
    of TapGather)."""

    promote = "keep"

    def __init__(self, taps):
        self.taps = taps

    def forward(self, v):
        xp, taps = self.xp, self.taps
        _, n, c, p = v.shape
        area = math.prod(taps.sizes)
        rows = (xp.arange(n)[:, None] * c + xp.arange(c)[None, :]) * area  # (N, C)
        flat = taps.index[:, :, None, :] + rows[None, :, :, None]
        values = xp.where(taps.valid[:, :, None, :], v, 0)
        out = xp.bincount(flat.ravel(), weights=values.ravel(), minlength=n * c * area)
        return out.astype(v.dtype).reshape((n, c) + taps.sizes)

    def backward(self, g):
        return TapGather(self.taps).apply(g)


def _fraction(dim, coord, device):
    """The forward's fraction t as a tensor whose derivative w.r.t. the grid value is the
    forward's (so second derivatives see the weights move with the grid)."""
    t = _tensor_cls()._make(dim.frac, device)
    if coord.requires_grad and _grad_state.enabled:
        t = t + (coord - coord.detach()).to(t.dtype) * _multiplier(dim, device)
    return t


def _multiplier(dim, device):
    """d source coordinate / d grid value: a Python number, or a tensor where padding varies it."""
    return dim.mult if isinstance(dim.mult, float) else _tensor_cls()._make(dim.mult, device)


def _grads(taps, g, input, grid, needs):
    n, c, nd, mode = input.shape[0], input.shape[1], len(taps.sizes), taps.mode
    work = g.float() if g.dtype.itemsize == 2 else g
    gflat = work.reshape(n, c, taps.points)
    coords = grid.reshape(n, taps.points, nd)
    ts = [None if mode == "nearest" else _fraction(dim, coords[..., nd - 1 - d], g.device)
          for d, dim in enumerate(taps.dims)]
    grad_input = grad_grid = None
    if needs[0]:
        spread = gflat[None]
        if mode != "nearest":
            weights = combine([stack(factors(mode, t)) for t in ts])
            spread = spread * weights[:, :, None]
        grad_input = TapScatter(taps).apply(spread).to(input.dtype)
    if needs[1] and mode == "nearest":
        grad_grid = zeros_like(grid)  # torch: the grid gradient of nearest is zero, not None
    elif needs[1]:
        values = TapGather(taps).apply(input.to(work.dtype))
        per_tap = (values * gflat[None]).sum(2)  # (T, N, P)
        parts = []
        for d, dim in enumerate(taps.dims):
            mixed = [stack(factor_grads(mode, t) if e == d else factors(mode, t))
                     for e, t in enumerate(ts)]
            parts.append((per_tap * combine(mixed)).sum(0) * _multiplier(dim, g.device))
        grad_grid = stack(parts[::-1], -1).reshape(grid.shape).to(grid.dtype)
    return grad_input, grad_grid


# -- the functions ------------------------------------------------------------------------------

CORNERS_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details.")


def _check_grid_sampler(input, grid, mode):
    """torch's check_grid_sampler_common / _2d / _3d, in its order."""
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but "
                           f"input is on {input.device} and grid is on {grid.device}")
    if input.ndim == 0 or grid.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    pair = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {pair}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last "
                           f"dimension, but got grid with sizes {list(grid.shape)}")
    for i in range(2, input.ndim):
        if input.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")
    nd = 4 if input.ndim == 4 else 5
    if input.ndim != nd or grid.ndim != nd:
        raise RuntimeError(f"grid_sampler(): expected {nd}D input and grid with same number of "
                           f"dimensions, but got {pair}")
    if nd == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _check_dtypes(input, grid):
    if not input.dtype.is_floating_point:
        kernel = "grid_sampler_2d_cpu_kernel_impl" if input.ndim == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_scalar_name(input.dtype)}'")
    if grid.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found "
                           f"{_scalar_name(grid.dtype)}")


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None):
    """Sample input (N, C, H, W) or (N, C, D, H, W) at the normalised locations of grid, with
    torch.nn.functional.grid_sample's modes, padding modes, checks, warning and gradients (w.r.t.
    input and grid, double backward included). float16 / bfloat16 compute in float32."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(CORNERS_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not isinstance(align_corners, bool):
        raise TypeError(f"grid_sampler(): argument 'align_corners' (position 5) must be bool, "
                        f"not {type(align_corners).__name__}")
    _check_grid_sampler(input, grid, mode)
    out_shape = tuple(input.shape[:2]) + tuple(grid.shape[1:-1])
    if math.prod(out_shape) == 0 and (grid.dtype is not input.dtype or
                                      not input.dtype.is_floating_point):
        # torch's kernels return an empty output before they look at dtypes
        return zeros(out_shape, dtype=input.dtype, device=input.device)
    _check_dtypes(input, grid)
    op = GridSampler2DBackward0 if input.ndim == 4 else GridSampler3DBackward0
    return op(mode, padding_mode, align_corners).apply(input, grid)
