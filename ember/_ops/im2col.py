"""Array kernels of convolution, pooling and fold/unfold, on backend arrays through ``xp``: the
geometry of sliding windows, im2col (``columns``) and its adjoint (``col2im``, ``spread``), and
the three bilinear maps of a convolution, each one GEMM.

NOTE: NumPy's copies and ufuncs release the GIL but run on one core, where torch's kernels use
every core. The memory-bound steps here (building and summing back the im2col matrix,
transposing between batch-major and channel-major layouts) therefore run one slice per core on a
small thread pool (``in_slices``); the GEMMs are already multi-threaded by BLAS. CuPy arrays, one
core or small arrays take a single call.
"""

from __future__ import annotations

import itertools
import math
import threading

from ember._threads import cores, pool


class Geometry:
    """Everything about one convolution but its data: spatial sizes of the conv input and output,
    kernel, stride, symmetric padding, dilation and groups (all tuples, one entry per dim)."""

    __slots__ = ("in_size", "out_size", "kernel", "stride", "padding", "dilation", "groups")

    def __init__(self, in_size, out_size, kernel, stride, padding, dilation, groups):
        self.in_size, self.out_size, self.kernel = tuple(in_size), tuple(out_size), tuple(kernel)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.groups = groups


# -- running memory-bound steps on every core ----------------------------------------------------

_PARALLEL_MIN_SIZE = 1 << 18  # elements; below this, threads cost more than they save


def in_slices(xp, shape, size, work, lead=2):
    """Call ``work(index)`` with basic indices that split ``shape`` along the longest of its
    first ``lead`` axes, one part per core, concurrently for big NumPy arrays. ``work`` must not
    call in_slices itself (a worker waiting on the pool it runs in could wait forever)."""
    axis = 0 if min(len(shape), lead) < 2 or shape[0] >= shape[1] else 1
    parts = min(cores(), shape[axis]) if xp.__name__ == "numpy" else 1
    if parts < 2 or size < _PARALLEL_MIN_SIZE:
        work((Ellipsis,))
        return
    bounds = [shape[axis] * i // parts for i in range(parts + 1)]
    futures = [pool().submit(work, (slice(None),) * axis + (slice(lo, hi),))
               for lo, hi in zip(bounds, bounds[1:])]
    for future in futures:
        future.result()


_SCRATCH_MAX_BYTES = 1 << 28
_scratch = threading.local()


def scratch(xp, slot, shape, dtype):
    """A reusable work array for a temporary that never leaves a kernel, one per slot and thread.

    NOTE: a fresh NumPy array of more than 32 MB is fresh memory from the OS, and its page faults
    and zeroing cost about as much as writing it once more; the im2col matrices are that big.
    A slot keeps the largest array it was asked for (up to 256 MB), so peak memory is unchanged
    but stays held."""
    nbytes = math.prod(shape) * dtype.itemsize
    if xp.__name__ != "numpy" or nbytes > _SCRATCH_MAX_BYTES:
        return xp.empty(shape, dtype=dtype)
    buffers = _scratch.__dict__.setdefault("buffers", {})
    if slot not in buffers or buffers[slot].nbytes < nbytes:
        buffers[slot] = xp.empty(nbytes, dtype=xp.uint8)
    return buffers[slot][:nbytes].view(dtype).reshape(shape)


def copy_of(xp, view, bias=None, out=None):
    """A C-contiguous copy of a (strided) view, plus an optional bias along axis 1 (channels),
    made on all cores (into ``out`` when given)."""
    out = xp.empty(view.shape, dtype=view.dtype) if out is None else out
    if bias is None:
        def work(index):
            out[index] = view[index]
    else:  # broadcast over the two leading axes, so that the same index slices it
        bias = xp.broadcast_to(bias.reshape((1, -1) + (1,) * (view.ndim - 2)),
                               view.shape[:2] + (1,) * (view.ndim - 2))

        def work(index):
            xp.add(view[index], bias[index], out=out[index])
    in_slices(xp, view.shape, view.size, work)
    return out


# -- windows and im2col ---------------------------------------------------------------------------


def overhang(geo):
    """Per dim, how far the last window reaches past the padded input (ceil_mode pooling lets it;
    those positions count as padding)."""
    return tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - (i + 2 * p)) for i, o, k, s, p, d in
                 zip(geo.in_size, geo.out_size, geo.kernel, geo.stride, geo.padding,
                     geo.dilation))


def pad_array(xp, x, padding, extra=None, value=0):
    """x with ``padding[i]`` values before and ``padding[i] + extra[i]`` after trailing dim i
    (x itself when there is nothing to add)."""
    extra = extra or (0,) * len(padding)
    if not any(padding) and not any(extra):
        return x
    lead = x.ndim - len(padding)
    shape = tuple(s + 2 * p + e for s, p, e in zip(x.shape[lead:], padding, extra))
    out = xp.full(x.shape[:lead] + shape, value, dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(p, p + s) for s, p in zip(x.shape[lead:], padding))] = x
    return out


def windows(xp, x, geo, value=0):
    """A strided view (N, C, *out, *kernel) of the padded input: the receptive field of every
    output position, without copying."""
    x = pad_array(xp, x, geo.padding, overhang(geo), value)
    spatial = x.strides[2:]
    strides = (x.strides[:2] + tuple(s * k for s, k in zip(spatial, geo.stride))
               + tuple(s * d for s, d in zip(spatial, geo.dilation)))
    shape = x.shape[:2] + geo.out_size + geo.kernel
    return xp.lib.stride_tricks.as_strided(x, shape, strides)


def columns(xp, x, geo, temporary=False):
    """im2col: a (groups, C/groups * prod(kernel), N * prod(out)) matrix (in a scratch array
    when ``temporary``).

    NOTE: channel and kernel axes come first, batch and positions last. The copy then moves
    whole rows of output positions, and the GEMM is one (O, K) x (K, N*L) product per group,
    faster than the textbook (N*L, K) layout with a transposed output."""
    nd, n = len(geo.kernel), x.shape[0]
    order = (1, *range(2 + nd, 2 + 2 * nd), 0, *range(2, 2 + nd))
    rows = x.shape[1] // geo.groups * math.prod(geo.kernel)
    view = windows(xp, x, geo).transpose(order)
    out = scratch(xp, "columns", view.shape, x.dtype) if temporary else None
    cols = copy_of(xp, view, out=out)
    return cols.reshape(geo.groups, rows, n * math.prod(geo.out_size))


def spread(xp, part, lead, geo, dtype, temporary=False):
    """Add ``part(offset)`` (lead + out-shaped) onto every kernel offset's window positions of a
    zero (lead + in)-shaped array: the adjoint of gathering windows. One strided add per kernel
    offset, never a loop over pixels or channels. With ``temporary`` the result is a view of a
    scratch array, for a caller that copies it."""
    padded = tuple(s + 2 * p + e for s, p, e in zip(geo.in_size, geo.padding, overhang(geo)))
    shape = lead + padded
    out = scratch(xp, "spread", shape, dtype) if temporary else xp.zeros(shape, dtype=dtype)
    offsets = list(itertools.product(*(range(k) for k in geo.kernel)))

    def add(index):
        target = out[index]
        if temporary:
            target.fill(0)
        for offset in offsets:
            region = tuple(slice(i * d, i * d + s * (o - 1) + 1, s) for i, d, s, o in
                           zip(offset, geo.dilation, geo.stride, geo.out_size))
            target[(Ellipsis,) + region] += part(offset)[index]

    in_slices(xp, out.shape, out.size * len(offsets), add, lead=len(lead))
    crop = tuple(slice(p, p + s) for s, p in zip(geo.in_size, geo.padding))
    return out[(Ellipsis,) + crop]


def col2im(xp, cols, geo, n, bias=None):
    """Sum a (groups, C/groups * prod(k), N * prod(out)) matrix back onto (N, C, *in), the
    adjoint of ``columns``, plus an optional per-channel bias."""
    c = cols.shape[0] * cols.shape[1] // math.prod(geo.kernel)
    cols = cols.reshape((c,) + geo.kernel + (n,) + geo.out_size)
    # NOTE: accumulate channel-major, like cols, so each add walks both arrays in order
    out = spread(xp, lambda offset: cols[(slice(None),) + offset], (c, n), geo, cols.dtype,
                 temporary=True)
    return copy_of(xp, out.swapaxes(0, 1), bias)


# -- the three bilinear maps of a convolution ----------------------------------------------------


def _grad_rows(xp, g, geo):
    """(N, O, *out) -> (groups, O/groups, N * prod(out)), the layout of the GEMM's output."""
    n, o = g.shape[:2]
    rows = copy_of(xp, g.swapaxes(0, 1))
    return rows.reshape(geo.groups, o // geo.groups, n * math.prod(geo.out_size))


def conv_forward(xp, x, w, geo, cols=None, bias=None):
    """F(x, w): the convolution, (N, C, *in) x (O, C/groups, *k) -> (N, O, *out)."""
    n, o = x.shape[0], w.shape[0]
    cols = columns(xp, x, geo, temporary=True) if cols is None else cols
    y = (w.reshape(geo.groups, o // geo.groups, -1) @ cols).reshape((o, n) + geo.out_size)
    return copy_of(xp, y.swapaxes(0, 1), bias)  # torch's outputs are contiguous


def conv_weight_grad(xp, x, g, geo, cols=None, bias=None):
    """Gw(x, g): the weight gradient for upstream g, shaped (O, C/groups, *k)."""
    cols = columns(xp, x, geo, temporary=True) if cols is None else cols
    gw = _grad_rows(xp, g, geo) @ cols.transpose(0, 2, 1)
    return gw.reshape((g.shape[1], x.shape[1] // geo.groups) + geo.kernel)


def conv_input_grad(xp, g, w, geo, cols=None, bias=None):
    """Gx(g, w): the input gradient for upstream g, shaped (N, C, *in); also conv_transpose
    (with its bias)."""
    o = w.shape[0]
    w_t = xp.ascontiguousarray(w.reshape(geo.groups, o // geo.groups, -1).transpose(0, 2, 1))
    rows = _grad_rows(xp, g, geo)
    cols = scratch(xp, "gemm", (geo.groups, w_t.shape[1], rows.shape[2]), rows.dtype)
    return col2im(xp, xp.matmul(w_t, rows, out=cols), geo, g.shape[0], bias)


KERNELS = {"conv": conv_forward, "input": conv_input_grad, "weight": conv_weight_grad}
