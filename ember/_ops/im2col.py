"""Array kernels of convolution, pooling and fold/unfold, on backend arrays through ``xp``: the
geometry of sliding windows, im2col (``columns``) and its adjoint (``col2im``, ``spread``), and
the three bilinear maps of a convolution, each one GEMM.

NOTE: NumPy's copies and ufuncs release the GIL but run on one core, where torch's kernels use
every core. The memory-bound steps of pooling and fold therefore run one slice per core on a
small thread pool (``in_slices``). A convolution works through its batch in cache-sized chunks
(see ``_each_chunk``): a big one runs whole chunks, copies and products, on the pool, each
product on one core; a small one runs them in turn on the calling thread, each product on every
core. (Splitting the copies alone over the pool was slower: BLAS's threads keep spinning for a
while after each product, and a thread of ours only contends with them.) CuPy arrays, one core
or small arrays take a single call.
"""

from __future__ import annotations

import itertools
import math
import threading

from ember._threads import blas_single_threaded, can_set_blas_threads, cores, pool


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
    into ``out`` when given."""
    out = xp.empty(view.shape, dtype=view.dtype) if out is None else out
    if bias is None:
        out[...] = view
    else:
        xp.add(view, bias.reshape((1, -1) + (1,) * (view.ndim - 2)), out=out)
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


def columns(xp, x, geo, wide_layout=False):
    """im2col in a scratch array: a (groups, C/groups * prod(kernel), N * positions) matrix;
    positions are prod(out), or the wide grid's with ``wide_layout`` (see ``wide``).

    NOTE: channel and kernel axes come first, batch and positions last. The copy then moves
    whole rows of output positions, and the GEMM is one (O, K) x (K, N*L) product per group,
    faster than the textbook (N*L, K) layout with a transposed output."""
    nd, n = len(geo.kernel), x.shape[0]
    rows = x.shape[1] // geo.groups * math.prod(geo.kernel)
    if wide_layout:
        view, positions = _wide_windows(xp, x, geo), _wide_positions(geo)
    else:
        order = (1, *range(2 + nd, 2 + 2 * nd), 0, *range(2, 2 + nd))
        view, positions = windows(xp, x, geo).transpose(order), math.prod(geo.out_size)
    cols = copy_of(xp, view, out=scratch(xp, "columns", view.shape, x.dtype))
    return cols.reshape(geo.groups, rows, n * positions)


def spread(xp, part, lead, geo, dtype, temporary=False):
    """Add ``part(offset)`` (lead + out-shaped) onto every kernel offset's window positions of a
    zero (lead + in)-shaped array: the adjoint of gathering windows. One strided add per kernel
    offset, never a loop over pixels or channels. With ``temporary`` (a convolution's col2im)
    the result is a view of a scratch array, for a caller that copies it, made on this thread
    (see the module's note)."""
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

    if temporary:
        add((Ellipsis,))
    else:
        in_slices(xp, out.shape, out.size * len(offsets), add, lead=len(lead))
    return out[_interior(geo)]


def col2im(xp, cols, geo, n, bias=None, out=None):
    """Sum a (groups, C/groups * prod(k), N * prod(out)) matrix back onto (N, C, *in), the
    adjoint of ``columns``, plus an optional per-channel bias (into ``out`` when given)."""
    c = cols.shape[0] * cols.shape[1] // math.prod(geo.kernel)
    cols = cols.reshape((c,) + geo.kernel + (n,) + geo.out_size)
    # NOTE: accumulate channel-major, like cols, so each add walks both arrays in order
    summed = spread(xp, lambda offset: cols[(slice(None),) + offset], (c, n), geo, cols.dtype,
                    temporary=True)
    return copy_of(xp, summed.swapaxes(0, 1), bias, out)


# -- the wide layout (stride 1) -------------------------------------------------------------------
# With stride 1, output position o reads the flattened padded input at o's flat index plus a
# fixed offset per kernel position. Computing the output on a "wide" grid, out[0] x padded[1:]
# (a full padded row per output row, the extra positions discarded), makes each row of the
# im2col matrix one contiguous slice of the padded input: long memcpy-like copies instead of
# rows of out[-1] elements, for a GEMM that is padded[-1] / out[-1] times wider. The extra
# positions read real inputs or zeros and get zero upstream gradients, so they add exact zeros
# to every gradient, as long as what they read is finite: a non-finite input (for the weight
# gradient) or weight (for the input gradient) takes the exact layout instead.

_WIDE_MAX_INFLATION = 1.5  # wider GEMMs than this cost more than the copies save


def _padded(geo):
    return tuple(i + 2 * p for i, p in zip(geo.in_size, geo.padding))


def _interior(geo):
    """The index of the input inside the padded input (its trailing, spatial axes)."""
    return (Ellipsis,) + tuple(slice(p, p + s) for s, p in zip(geo.in_size, geo.padding))


def _wide_grid(geo):
    return (geo.out_size[0],) + _padded(geo)[1:]


def _wide_positions(geo):
    return math.prod(_wide_grid(geo))


def wide(geo):
    """Whether the wide layout serves this convolution: stride 1, and a GEMM at most
    _WIDE_MAX_INFLATION times wider than the exact one."""
    if any(s != 1 for s in geo.stride):
        return False
    return _wide_positions(geo) <= _WIDE_MAX_INFLATION * math.prod(geo.out_size)


def _finite(xp, array):
    # one reduction instead of an elementwise test: inf or nan anywhere makes the sum non-finite
    # (a sum that overflows takes the exact layout too, which is merely slower)
    return bool(xp.isfinite(array.sum()))


def _flat_steps(geo):
    padded = _padded(geo)
    return [math.prod(padded[j + 1:]) for j in range(len(padded))]


def _flat_offsets(geo):
    """Each kernel position's offset into the flattened padded input, in the kernel's order."""
    steps = [d * s for d, s in zip(geo.dilation, _flat_steps(geo))]
    return [sum(k * s for k, s in zip(index, steps))
            for index in itertools.product(*(range(k) for k in geo.kernel))]


def _slack(geo):
    # the last kernel position's slice runs this far past the last (image, channel) block
    return max(0, max(_flat_offsets(geo)) + _wide_positions(geo) - math.prod(_padded(geo)))


def _wide_windows(xp, x, geo):
    """A strided view (C, *kernel, N, positions) of the zero-padded input: row (c, k, n) is
    the contiguous slice of image n, channel c, at kernel position k's offset."""
    n, c = x.shape[:2]
    block = math.prod(_padded(geo))
    flat = scratch(xp, "padded", (n * c * block + _slack(geo),), x.dtype)
    flat.fill(0)
    padded = flat[:n * c * block].reshape((n, c) + _padded(geo))
    padded[_interior(geo)] = x
    shape = (c, *geo.kernel, n, _wide_positions(geo))
    strides = (block, *(d * s for d, s in zip(geo.dilation, _flat_steps(geo))), c * block, 1)
    return xp.lib.stride_tricks.as_strided(flat, shape, tuple(s * flat.itemsize for s in strides))


def _wide_col2im(xp, cols, geo, n, bias=None, out=None):
    """col2im for wide columns: each kernel position's rows added, one contiguous slice per
    (channel, image), onto the flattened padded input; then cropped to (N, C, *in)."""
    c = cols.shape[0] * cols.shape[1] // math.prod(geo.kernel)
    positions, block, offsets = _wide_positions(geo), math.prod(_padded(geo)), _flat_offsets(geo)
    cols = cols.reshape(c, len(offsets), n, positions)
    flat = scratch(xp, "spread", (c, n, block + _slack(geo)), cols.dtype)
    flat.fill(0)
    for k, offset in enumerate(offsets):
        flat[..., offset:offset + positions] += cols[:, k]
    padded = flat[..., :block].reshape((c, n) + _padded(geo))
    return copy_of(xp, padded[_interior(geo)].swapaxes(0, 1), bias, out)


# -- the three bilinear maps of a convolution ----------------------------------------------------
# Each runs over the batch in chunks of images whose im2col matrix fits in cache: it is built,
# multiplied and dropped while still there. (Built for the whole batch at once, it makes a trip
# through main memory, the largest part of the work; torch does not materialise it at all.)

_CHUNK_BYTES = 4 << 20
_PARALLEL_MIN_CHUNKS = 4  # smaller convolutions lose more to the pool than they gain


def _each_chunk(xp, n, geo, channels, itemsize, work):
    """[work(start, stop) for each chunk of the batch], each chunk with about _CHUNK_BYTES of
    im2col matrix. A big convolution with NumPy on OpenBLAS and several cores runs its chunks
    on the pool, each thread's products on one core (in a multiple of the cores' count of
    chunks, to share them evenly); otherwise they run one after another on this thread, the
    products on every core."""
    per_image = channels * math.prod(geo.kernel) * _wide_positions(geo) * itemsize
    count = -(-n * per_image // _CHUNK_BYTES)
    parallel = (xp.__name__ == "numpy" and count >= _PARALLEL_MIN_CHUNKS and cores() > 1
                and can_set_blas_threads())
    if parallel:
        count = -(-count // cores()) * cores()
    step = max(1, -(-n // max(count, 1)))
    chunks = [(lo, min(n, lo + step)) for lo in range(0, max(n, 1), step)]  # one for n = 0
    if not parallel or len(chunks) < 2:
        return [work(lo, hi) for lo, hi in chunks]
    with blas_single_threaded():
        futures = [pool().submit(work, lo, hi) for lo, hi in chunks]
        return [future.result() for future in futures]


def _grad_rows(xp, g, geo, wide_layout):
    """(N, O, *out) -> (groups, O/groups, N * positions), the layout of the GEMM's output; on
    the wide grid (``wide_layout``) with zeros at the extra positions."""
    n, o = g.shape[:2]
    grid = _wide_grid(geo) if wide_layout else geo.out_size
    rows = scratch(xp, "grad_rows", (o, n) + grid, g.dtype)
    if wide_layout:
        rows.fill(0)
    copy_of(xp, g.swapaxes(0, 1), out=rows[(Ellipsis,) + tuple(slice(s) for s in geo.out_size)])
    return rows.reshape(geo.groups, o // geo.groups, n * math.prod(grid))


def conv_forward(xp, x, w, geo, bias=None):
    """F(x, w): the convolution, (N, C, *in) x (O, C/groups, *k) -> (N, O, *out)."""
    (n, c), o = x.shape[:2], w.shape[0]
    out = xp.empty((n, o) + geo.out_size, dtype=x.dtype)  # torch's outputs are contiguous
    w_rows, wide_layout = w.reshape(geo.groups, o // geo.groups, -1), wide(geo)
    grid = _wide_grid(geo) if wide_layout else geo.out_size
    crop = (Ellipsis,) + tuple(slice(s) for s in geo.out_size)

    def work(lo, hi):
        cols = columns(xp, x[lo:hi], geo, wide_layout)
        y = scratch(xp, "gemm", w_rows.shape[:2] + cols.shape[2:], x.dtype)
        xp.matmul(w_rows, cols, out=y)
        copy_of(xp, y.reshape((o, hi - lo) + grid)[crop].swapaxes(0, 1), bias, out[lo:hi])

    _each_chunk(xp, n, geo, c, x.itemsize, work)
    return out


def conv_weight_grad(xp, x, g, geo, bias=None):
    """Gw(x, g): the weight gradient for upstream g, shaped (O, C/groups, *k)."""
    (n, c), o = x.shape[:2], g.shape[1]
    wide_layout = wide(geo) and _finite(xp, x)

    def work(lo, hi):
        cols = columns(xp, x[lo:hi], geo, wide_layout)
        return _grad_rows(xp, g[lo:hi], geo, wide_layout) @ cols.transpose(0, 2, 1)

    parts = _each_chunk(xp, n, geo, c, x.itemsize, work)
    gw = parts[0]
    for part in parts[1:]:  # in the chunks' order, whichever thread made them
        gw += part
    return gw.reshape((o, c // geo.groups) + geo.kernel)


def conv_input_grad(xp, g, w, geo, bias=None):
    """Gx(g, w): the input gradient for upstream g, shaped (N, C, *in); also conv_transpose
    (with its bias)."""
    n, o = g.shape[:2]
    c = w.shape[1] * geo.groups
    w_t = xp.ascontiguousarray(w.reshape(geo.groups, o // geo.groups, -1).transpose(0, 2, 1))
    wide_layout = wide(geo) and _finite(xp, w_t)
    to_image = _wide_col2im if wide_layout else col2im
    out = xp.empty((n, c) + geo.in_size, dtype=g.dtype)

    def work(lo, hi):
        rows = _grad_rows(xp, g[lo:hi], geo, wide_layout)
        cols = scratch(xp, "gemm", (geo.groups, w_t.shape[1], rows.shape[2]), rows.dtype)
        to_image(xp, xp.matmul(w_t, rows, out=cols), geo, hi - lo, bias, out[lo:hi])

    _each_chunk(xp, n, geo, c, g.itemsize, work)
    return out


KERNELS = {"conv": conv_forward, "input": conv_input_grad, "weight": conv_weight_grad}
