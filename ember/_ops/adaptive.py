"""Adaptive average and max pooling, power-average pooling and max unpooling, with torch's
semantics: the pools built on the window machinery of ember._ops.pool and the separable taps of
ember._ops.resample.

Adaptive windows vary in length, so each dim gets an index table (widest window x out) whose
short windows repeat their last index; a repeated candidate never wins a strict comparison, so the
max and its index are torch's.
"""

from __future__ import annotations

import itertools

from ember._ops.pool import (
    IndexScatter,
    _in_strides,
    _MaxPool,
    _one,
    _planes,
    _pool_tuple,
    _running_max,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
)
from ember._ops.resample import (
    AdaptiveAvgPool2DBackward0,
    AdaptiveAvgPool3DBackward0,
    _scalar_name,
    adaptive_taps,
)

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "lp_pool1d",
           "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _window_table(xp, size, out):
    """(widest, out) indices of adaptive window i = [floor(i*size/out), ceil((i+1)*size/out))."""
    i = xp.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    width = int((end - start).max())
    return xp.minimum(start + xp.arange(width)[:, None], end - 1)


class _AdaptiveMaxPool(_MaxPool):
    """Max over adaptive windows; flat per-plane indices as the second output."""

    def __init__(self, in_size, out_size):
        self.in_size, self.out_size = in_size, out_size

    def forward(self, x):
        xp, nd = self.xp, len(self.out_size)
        lead, planes = x.shape[:x.ndim - nd], _planes(x, nd)[:, 0]
        tables = [_window_table(xp, s, o) for s, o in zip(self.in_size, self.out_size)]
        steps = _in_strides(self.in_size)

        def at(rows, source=planes):  # one candidate per window: the rows of each dim's table
            picks = [t[r].reshape([-1 if d == dim else 1 for d in range(nd)])
                     for dim, (t, r) in enumerate(zip(tables, rows))]
            flat = sum(p * s for p, s in zip(picks, steps))
            return source[(slice(None),) + tuple(picks)], flat

        choices = list(itertools.product(*(range(len(t)) for t in tables)))
        values, winner = _running_max(xp, lambda k, index: at(choices[k], planes[index])[0],
                                      planes.shape[:1] + self.out_size, x.dtype,
                                      range(len(choices)))  # the winner's number
        flats = xp.stack([xp.broadcast_to(at(rows)[1], self.out_size).ravel()
                          for rows in choices])
        positions = xp.arange(flats.shape[1])
        index = flats[winner.reshape(winner.shape[0], -1), positions]
        index = xp.where(winner.reshape(index.shape) < 0, flats[0], index)
        self.indices = index.reshape(lead + self.out_size)
        return values.reshape(lead + self.out_size), self.indices

    def _scatter(self):
        # adaptive windows may overlap: duplicates are summed
        name = self.name().replace("Backward0", "BackwardBackward0")
        return IndexScatter(self.indices, self.in_size, name)


class AdaptiveMaxPool2DBackward0(_AdaptiveMaxPool):
    pass


class AdaptiveMaxPool3DBackward0(_AdaptiveMaxPool):
    pass


def _adaptive_max_pool(input, output_size, nd, return_indices):
    fn = f"adaptive_max_pool{nd}d"
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    out = _adaptive_size(input, output_size, nd, fn)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{fn}\" not implemented for '{_scalar_name(input.dtype)}'")
    node = AdaptiveMaxPool2DBackward0 if nd == 2 else AdaptiveMaxPool3DBackward0
    values, indices = node(tuple(input.shape[-nd:]), out).apply(input)
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over windows that split L into output_size parts
    (torch.nn.functional.adaptive_max_pool1d)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: "
                           f"{list(input.shape)}")
    size = _one(output_size, "output_size", "adaptive_max_pool1d")
    values, indices = _adaptive_max_pool(input.unsqueeze(-2), (1, size), 2, True)
    values, indices = values.squeeze(-2), indices.squeeze(-2)
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over windows that split H, W into output_size parts
    (torch.nn.functional.adaptive_max_pool2d)."""
    return _adaptive_max_pool(input, output_size, 2, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over windows that split D, H, W into output_size parts
    (torch.nn.functional.adaptive_max_pool3d)."""
    return _adaptive_max_pool(input, output_size, 3, return_indices)


# -- adaptive average pooling ---------------------------------------------------------------------


def _adaptive_size(input, output_size, nd, fn):
    """output_size as an nd-tuple (None keeps the input's size), with torch's checks."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(input.shape)}")
    sizes = (output_size,) * nd if output_size is None or isinstance(output_size, int) else (
        tuple(output_size))
    if len(sizes) != nd:
        raise RuntimeError(f"{fn}: output_size must be {nd}")
    for dim in range(input.ndim - nd, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {dim} being empty")
    return tuple(s if o is None else int(o) for s, o in zip(input.shape[-nd:], sizes))


_ADAPTIVE_AVG = {2: AdaptiveAvgPool2DBackward0, 3: AdaptiveAvgPool3DBackward0}


def adaptive_avg_pool(input, output_size, nd, fn):
    """Adaptive average pooling over the last nd dims; all-ones outputs take torch's shortcut,
    a mean (MeanBackward1)."""
    out = _adaptive_size(input, output_size, nd, fn)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{fn}\" not implemented for "
                                  f"'{_scalar_name(input.dtype)}'")
    if all(o == 1 for o in out):
        return input.mean(tuple(range(-nd, 0)), keepdim=True)
    taps = [adaptive_taps(s, o, input.dtype) for s, o in zip(input.shape[-nd:], out)]
    return _ADAPTIVE_AVG[nd](taps).apply(input)


def adaptive_avg_pool1d(input, output_size):
    """Average over windows that split L into output_size parts
    (torch.nn.functional.adaptive_avg_pool1d)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got "
                           f"{list(input.shape)}")
    size = output_size if isinstance(output_size, int) else tuple(output_size)
    if not isinstance(size, int) and len(size) != 1:
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'output_size' should contain one int "
                           f"(got {len(size)})")
    size = size if isinstance(size, int) else size[0]
    return adaptive_avg_pool(input.unsqueeze(-2), (1, size), 2, "adaptive_avg_pool2d").squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    """Average over windows that split H, W into output_size parts
    (torch.nn.functional.adaptive_avg_pool2d)."""
    return adaptive_avg_pool(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size):
    """Average over windows that split D, H, W into output_size parts
    (torch.nn.functional.adaptive_avg_pool3d)."""
    return adaptive_avg_pool(input, output_size, 3, "adaptive_avg_pool3d")


# -- power-average pooling ----------------------------------------------------------------------


def _lp(pooled, norm_type, window):
    # torch's formula, kept term for term so gradients at 0 agree: sign(x) * relu(|x|) is x
    # with a zero derivative at 0
    return (pooled.sign() * pooled.abs().clamp(min=0)).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x^p over each window)^(1/p) (torch.nn.functional.lp_pool1d)."""
    pooled = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x^p over each window)^(1/p) (torch.nn.functional.lp_pool2d)."""
    kh, kw = _pool_tuple(kernel_size, 2, "lp_pool2d", "kernel_size")
    pooled = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kh * kw)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x^p over each window)^(1/p) (torch.nn.functional.lp_pool3d)."""
    kd, kh, kw = _pool_tuple(kernel_size, 3, "lp_pool3d", "kernel_size")
    pooled = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kd * kh * kw)


# -- max unpooling -------------------------------------------------------------------------------


def _unpool_size(input, nd, kernel, stride, padding, output_size):
    """torch's default size (in - 1) * stride - 2 * padding + kernel, or a checked output_size."""
    default = [(i - 1) * s - 2 * p + k for i, k, s, p in
               zip(input.shape[-nd:], kernel, stride, padding)]
    if output_size is None:
        return tuple(default)
    size = list(output_size)
    if len(size) == nd + 2:
        size = size[2:]
    if len(size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(size)}'")
    for dim, (s, d, st) in enumerate(zip(size, default, stride)):
        if not d - st < s < d + st:
            raise ValueError(f"invalid output_size \"{size}\" (dim {dim} must be between "
                             f"{d - st} and {d + st})")
    return tuple(size)


class MaxUnpool2DBackward0(IndexScatter):
    pass


class MaxUnpool3DBackward0(IndexScatter):
    pass


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size):
    fn = f"max_unpool{nd}d"
    kernel = _pool_tuple(kernel_size, nd, fn, "kernel_size")
    stride = _pool_tuple(stride, nd, fn, "stride", default=kernel)
    padding = _pool_tuple(padding, nd, fn, "padding")
    size = _unpool_size(input, nd, kernel, stride, padding, output_size)
    if indices.shape != input.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    area = 1
    for s in size:
        area *= s
    if indices.numel() and (int(indices.max()) >= area or int(indices.min()) < 0):
        bad = int(indices.max()) if int(indices.max()) >= area else int(indices.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, size))})")
    node = MaxUnpool2DBackward0 if nd == 2 else MaxUnpool3DBackward0
    return node(indices._data, size, node.__name__, accumulate=False).apply(input)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back at its max_pool1d index, zeros elsewhere
    (torch.nn.functional.max_unpool1d)."""
    k = _one(kernel_size, "kernel_size", "max_unpool1d")
    s = _one(stride, "stride", "max_unpool1d") if stride is not None else k
    p = _one(padding, "padding", "max_unpool1d")
    size = None if output_size is None else (*list(output_size)[-1:], 1)
    out = _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), 2, (k, 1), (s, 1), (p, 0),
                      size)
    return out.squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back at its max_pool2d index, zeros elsewhere
    (torch.nn.functional.max_unpool2d)."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back at its max_pool3d index, zeros elsewhere
    (torch.nn.functional.max_unpool3d)."""
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size)
