"""Pooling: max and average pooling with torch's arguments, output sizes, flat indices, errors
and node names (adaptive max, power-average pooling and unpooling: ember._ops.adaptive).

Windows come from a strided view of the padded input (as for convolution); a pool reduces them
with one vectorised pass per kernel offset, never a loop over pixels or channels. Gradients
scatter back through the argmax indices or spread over the windows, each an Op of its own so
double backward works. 1-D pools run as 2-D pools on an unsqueezed input, as torch's do.
"""

from __future__ import annotations

import itertools
import math

from ember._ops._op import Op, run_forward
from ember._ops.im2col import Geometry, in_slices, spread, windows

__all__ = ["avg_pool1d", "avg_pool2d", "avg_pool3d", "max_pool1d", "max_pool2d", "max_pool3d"]


def _planes(x, nd):
    """(N*C, 1, *spatial): pooling treats every channel of every sample alike."""
    return x.reshape((-1, 1) + x.shape[x.ndim - nd:])


def _in_strides(size):
    """Row-major element strides of a spatial size: flat index = sum(pos * stride)."""
    return tuple(math.prod(size[i + 1:]) for i in range(len(size)))


def _lowest(xp, dtype):
    return -xp.inf if dtype.kind in "fV" else xp.iinfo(dtype).min


def _running_max(xp, take, shape, dtype, shifts):
    """The max over the candidates, ``take(k, index)`` giving part ``index`` of candidate k, and
    the winner's entry of ``shifts`` (-1: none beat the lowest value). A later candidate wins only
    when strictly greater or NaN, as in torch's kernels, so ties keep the first and NaN the last.
    Slices of planes run on all cores."""
    best = xp.empty(shape, dtype=dtype)
    winner = xp.empty(shape, dtype=xp.int64)

    def work(index):
        top, won = best[index], winner[index]
        top.fill(_lowest(xp, dtype))
        won.fill(-1)
        for k, shift in enumerate(shifts):
            # NOTE: one copy of a strided window slice, then fast ufuncs on contiguous memory
            values = xp.ascontiguousarray(take(k, index))
            better = values > top
            if dtype.kind in "fV":
                better |= values != values  # NaN
            # NOTE: a branch-free blend; NumPy's masked copy is many times slower on a mask
            # that is as unpredictable as this one
            step = xp.subtract(shift, won)
            step *= better
            won += step
            xp.maximum(top, values, out=top)  # NOTE: maximum propagates NaN, as torch's max

    in_slices(xp, shape, best.size * len(shifts), work, lead=1)
    return best, winner


# -- scatter and gather through flat indices (max pool gradients, max_unpool) --------------------


class IndexScatter(Op):
    """Put each value of (rows, *out) at its flat index into (rows, *size): summing duplicates
    (gradients) or keeping one (max_unpool). The gradient gathers through the same indices."""

    promote = "keep"

    def __init__(self, indices, size, node_name, accumulate=True, unique=False):
        self.indices, self.size, self.node_name = indices, tuple(size), node_name
        self.accumulate, self.unique = accumulate, unique

    def name(self):
        return self.node_name

    def forward(self, g):
        xp, lead = self.xp, g.shape[:g.ndim - len(self.size)]
        rows, area = math.prod(lead), math.prod(self.size)
        flat = self.indices.reshape(rows, -1) + (xp.arange(rows) * area)[:, None]
        if self.accumulate and not self.unique:  # windows overlap: sum the duplicates
            out = xp.bincount(flat.ravel(), weights=g.reshape(-1), minlength=rows * area)
            out = out.astype(g.dtype)
        else:
            out = xp.zeros(rows * area, dtype=g.dtype)
            out[flat.ravel()] = g.reshape(-1)
        return out.reshape(lead + self.size)

    def backward(self, g):
        name = self.node_name.replace("BackwardBackward0", "Backward0")
        return IndexGather(self.indices, self.size, name, self.accumulate).apply(g)


class IndexGather(Op):
    """Read (rows, *size) at the flat indices (rows, *out); the gradient scatters back."""

    promote = "keep"

    def __init__(self, indices, size, node_name, accumulate=True):
        self.indices, self.size, self.node_name = indices, tuple(size), node_name
        self.accumulate = accumulate

    def name(self):
        return self.node_name

    def forward(self, x):
        lead = x.shape[:x.ndim - len(self.size)]
        rows = math.prod(lead)
        out = self.xp.take_along_axis(x.reshape(rows, -1), self.indices.reshape(rows, -1), 1)
        return out.reshape(self.indices.shape)

    def backward(self, g):
        name = self.node_name.replace("Backward0", "BackwardBackward0")
        return IndexScatter(self.indices, self.size, name, self.accumulate).apply(g)


class _MaxPool(Op):
    """Max over each window, with torch's flat (per-plane) indices as a second output."""

    promote = "keep"

    def __init__(self, geo):
        self.geo = geo

    def forward(self, x):
        xp, geo = self.xp, self.geo
        nd, lead = len(geo.kernel), x.shape[:x.ndim - len(geo.kernel)]
        win = windows(xp, _planes(x, nd), geo, _lowest(xp, x.dtype))[:, 0]
        offsets = list(itertools.product(*(range(k) for k in geo.kernel)))
        steps = _in_strides(geo.in_size)
        shifts = [sum(i * d * s for i, d, s in zip(k, geo.dilation, steps)) for k in offsets]
        values, shift = _running_max(xp, lambda k, index: win[index][(Ellipsis,) + offsets[k]],
                                     win.shape[:1 + nd], x.dtype, shifts)
        base, first = _window_starts(xp, geo)
        index = base + shift
        none = shift < 0  # windows of padding only (or all -inf): torch points at their start
        if none.any():
            index = xp.where(none, first, index)
        self.indices = index.reshape(lead + geo.out_size)
        return values.reshape(lead + geo.out_size), self.indices

    def backward(self, g, g_indices):
        return self._scatter().apply(g)

    def backward_arrays(self, g, g_indices):
        return run_forward(self._scatter(), self.xp, g)

    def _scatter(self):
        # each upstream value goes back to its window's maximum
        geo = self.geo
        name = self.name().replace("Backward0", "BackwardBackward0")
        disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(geo.stride, geo.dilation,
                                                                geo.kernel))
        return IndexScatter(self.indices, geo.in_size, name, unique=disjoint)


def _window_starts(xp, geo):
    """Per output position: the flat index of the window's origin (possibly in the padding) and
    of its first element inside the input (torch's default argmax)."""
    steps = _in_strides(geo.in_size)
    base = first = 0
    for dim, (o, s, p, d, step) in enumerate(zip(geo.out_size, geo.stride, geo.padding,
                                                 geo.dilation, steps)):
        shape = [1] * len(steps)
        shape[dim] = o
        origin = (xp.arange(o) * s - p).reshape(shape)
        inside = origin + (-(origin // d)).clip(0) * d  # step in by whole dilations
        base, first = base + origin * step, first + inside * step
    return base, first


class MaxPool2DWithIndicesBackward0(_MaxPool):
    pass


class MaxPool3DWithIndicesBackward0(_MaxPool):
    pass


class _AvgPool(Op):
    """Sum over each window, divided per output position (torch's divisor rules)."""

    promote = "keep"

    def __init__(self, geo, divisor):
        self.geo, self.divisor = geo, divisor

    def forward(self, x):
        xp, geo = self.xp, self.geo
        nd, lead, dtype = len(geo.kernel), x.shape[:x.ndim - len(geo.kernel)], x.dtype
        if dtype.name in ("float16", "bfloat16"):
            x = x.astype("float32")  # NOTE: torch sums half-precision windows in float32
        win = windows(xp, _planes(x, nd), geo)[:, 0]
        total = None
        for k in itertools.product(*(range(k) for k in geo.kernel)):
            part = win[(Ellipsis,) + k]
            if total is None:
                total = part.copy()  # a copy: the window may be the input itself
            else:  # NOTE: copying the strided slice first is faster than a strided add
                xp.add(total, xp.ascontiguousarray(part), out=total)
        out = _divide(xp, total, self.divisor(xp), dtype)
        return out.reshape(lead + geo.out_size)

    def backward(self, g):
        return _AvgPoolBackward(self.geo, self.divisor, self.name()).apply(g)

    def backward_arrays(self, g):
        return run_forward(_AvgPoolBackward(self.geo, self.divisor, self.name()), self.xp, g)


def _divide(xp, total, divisor, dtype):
    if dtype.kind in "iu":  # torch divides integers truncating toward zero
        return (xp.sign(total) * (xp.abs(total) // divisor)).astype(dtype)
    return (total / divisor).astype(dtype)


class _AvgPoolBackward(Op):
    """Spread each upstream value / divisor over its window (the adjoint of average pooling)."""

    promote = "keep"

    def __init__(self, geo, divisor, forward_name):
        self.geo, self.divisor, self.forward_name = geo, divisor, forward_name

    def name(self):
        return self.forward_name.replace("Backward0", "BackwardBackward0")

    def forward(self, g):
        xp, geo = self.xp, self.geo
        lead = g.shape[:g.ndim - len(geo.kernel)]
        share = (g.reshape((-1,) + geo.out_size) / self.divisor(xp)).astype(g.dtype)
        out = spread(xp, lambda k: share, (share.shape[0],), geo, g.dtype)
        return xp.ascontiguousarray(out).reshape(lead + geo.in_size)

    def backward(self, g):
        return _NODES["avg", len(self.geo.kernel)](self.geo, self.divisor).apply(g)


class AvgPool2DBackward0(_AvgPool):
    pass


class AvgPool3DBackward0(_AvgPool):
    pass


class _Divisor:
    """torch's average-pool divisor per output position: the override, or the product over dims
    of the window length clipped to the padded input (count_include_pad) or to the input."""

    def __init__(self, geo, count_include_pad, divisor_override):
        self.geo, self.include, self.override = geo, count_include_pad, divisor_override

    def __call__(self, xp):
        if self.override is not None:
            return self.override
        geo, total = self.geo, 1
        for dim, (i, o, k, s, p) in enumerate(zip(geo.in_size, geo.out_size, geo.kernel,
                                                  geo.stride, geo.padding)):
            start = xp.arange(o) * s - p
            end = xp.minimum(start + k, i + p)
            if not self.include:
                start, end = xp.maximum(start, 0), xp.minimum(end, i)
            shape = [1] * len(geo.kernel)
            shape[dim] = o
            total = total * (end - start).reshape(shape)
        return total


_NODES = {("max", 2): MaxPool2DWithIndicesBackward0, ("max", 3): MaxPool3DWithIndicesBackward0,
          ("avg", 2): AvgPool2DBackward0, ("avg", 3): AvgPool3DBackward0}


# -- argument checks and output sizes -------------------------------------------------------------

_COUNT = {1: "one int", 2: "two ints", 3: "three ints"}


def _pool_tuple(value, nd, fn, what, default=None):
    """kernel_size / stride / padding / dilation as an nd-tuple, with torch's errors."""
    if value is None or (default is not None and not isinstance(value, int) and not value):
        value = default
    values = (value,) if isinstance(value, int) else tuple(value)
    if len(values) == 1:
        values = values * nd
    if len(values) != nd:
        lead = "stride must either be omitted, a single int," if what == "stride" else (
            f"{what} must either be a single int,")
        raise RuntimeError(f"{fn}: {lead} or a tuple of {_COUNT[nd]}")
    return tuple(int(v) for v in values)


def _out_size(size, k, s, p, d, ceil_mode):
    """torch's pooling output length: floor or ceil, and a last window must start inside the
    input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool(input, nd, kernel, stride, padding, dilation):
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        sizes = " ".join(f"k{c}: {k}" for c, k in zip("DHW"[3 - nd:], kernel))
        raise RuntimeError(f"kernel size should be greater than zero, but got {sizes}")
    if any(d <= 0 for d in dilation):
        sizes = " ".join(f"dilation{c}: {d}" for c, d in zip("DHW"[3 - nd:], dilation))
        raise RuntimeError(f"dilation should be greater than zero, but got {sizes}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    if input.ndim not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[-nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")


def _pool_geometry(input, nd, kernel, stride, padding, dilation, ceil_mode):
    """Checks, then the Geometry of a pooling (one group per plane)."""
    _check_pool(input, nd, kernel, stride, padding, dilation)
    in_size = tuple(input.shape[-nd:])
    out_size = tuple(_out_size(*args, ceil_mode) for args in
                     zip(in_size, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out_size):
        planes = input.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (planes,) + in_size))}). "
                           f"Calculated output size: "
                           f"({'x'.join(map(str, (planes,) + out_size))}). "
                           "Output size is too small")
    return Geometry(in_size, out_size, kernel, stride, padding, dilation, 1)


# -- max and average pooling ----------------------------------------------------------------------


def _max_pool(fn, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    kernel = _pool_tuple(kernel_size, nd, fn, "kernel_size")
    stride = _pool_tuple(stride, nd, fn, "stride", default=kernel)
    padding = _pool_tuple(padding, nd, fn, "padding")
    dilation = _pool_tuple(dilation, nd, fn, "dilation")
    if input.dtype.name == "bool":
        raise NotImplementedError(f"\"{fn}\" not implemented for 'Bool'")
    geo = _pool_geometry(input, nd, kernel, stride, padding, dilation, ceil_mode)
    values, indices = _NODES["max", nd](geo).apply(input)
    return (values, indices) if return_indices else values


def _as_2d(input, nd_name, fn):
    """A 1-D pool runs as a 2-D pool over (..., 1, L), as torch's does."""
    if input.ndim not in (2, 3) or input.shape[-1] == 0:
        raise RuntimeError(f"{nd_name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(input.shape)}")
    return input.unsqueeze(-2)


def _one(value, name, fn):
    if value is None:
        return None
    values = (value,) if isinstance(value, int) else tuple(value)
    if len(values) != 1:
        raise RuntimeError(f"{fn}() {name} must be an int, list of ints or tuple of ints of size 1")
    return values[0]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of (N, C, L) or (C, L) input (torch.nn.functional.max_pool1d)."""
    x = _as_2d(input, "max_pool1d", "max_pool1d")
    k = _one(kernel_size, "kernel_size", "max_pool1d")
    s = _one(stride, "stride", "max_pool1d") if stride is not None and stride != () else k
    p, d = _one(padding, "padding", "max_pool1d"), _one(dilation, "dilation", "max_pool1d")
    out = _max_pool("max_pool2d", 2, x, (1, k), (1, s), (0, p), (1, d), ceil_mode, True)
    values, indices = out[0].squeeze(-2), out[1].squeeze(-2)
    return (values, indices) if return_indices else values


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of (N, C, H, W) or (C, H, W) input; indices are flat over H*W
    (torch.nn.functional.max_pool2d)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of (N, C, D, H, W) or (C, D, H, W) input
    (torch.nn.functional.max_pool3d)."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _avg_pool(fn, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    kernel = _pool_tuple(kernel_size, nd, fn, "kernel_size")
    stride = _pool_tuple(stride, nd, fn, "stride", default=kernel)
    padding = _pool_tuple(padding, nd, fn, "padding")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dtype.name == "bool":
        raise NotImplementedError(f"\"{fn}\" not implemented for 'Bool'")
    geo = _pool_geometry(input, nd, kernel, stride, padding, (1,) * nd, ceil_mode)
    divisor = _Divisor(geo, count_include_pad, divisor_override)
    return _NODES["avg", nd](geo, divisor).apply(input)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of (N, C, L) or (C, L) input (torch.nn.functional.avg_pool1d)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor "
                           "for argument #1 'self' (while checking arguments for avg_pool1d)")
    k = _one(kernel_size, "kernel_size", "avg_pool1d")
    s = _one(stride, "stride", "avg_pool1d") if stride is not None and stride != () else k
    p = _one(padding, "padding", "avg_pool1d")
    out = _avg_pool("avg_pool2d", 2, input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                    count_include_pad, None)
    return out.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over windows of (N, C, H, W) or (C, H, W) input (torch.nn.functional.avg_pool2d)."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W) input
    (torch.nn.functional.avg_pool3d)."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)
