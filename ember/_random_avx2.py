"""torch's float32 normal kernel (normal_fill_16_AVX2), bit for bit, on NumPy arrays.

torch turns each row of 16 float32 uniforms into 16 normals: entries 0-7 give radii
sqrt(-2 log(1 - u)), entries 8-15 angles 2 pi u, and the row becomes [r cos t, r sin t]. log and
sincos are avx_mathfun's log256_ps and sincos256_ps (Cephes' logf, sinf and cosf in AVX2), which
GCC compiled with each ``a * b + c`` fused into one multiply-add. This module repeats every
rounding step on whole chunks of rows, one half of each row at a time:

* A fused multiply-add of float32 values is computed in float64, where the product is exact, then
  rounded to float32. Rounding twice (to float64, then float32) could differ from one rounding
  only on a float64 sum exactly halfway between two floats; an exhaustive run over all 2**24
  inputs of each half found none.
* Rounding to float32 costs two casts (to float32 and back). Where a step's results all lie in
  one binade, adding and subtracting ``1.5 * 2**52`` times that binade's float32 spacing rounds
  in place, in float64: both Horner steps of sincos' polynomials, not log's, whose steps each
  straddle a power of two.
* Products that float32 rounds exactly as torch does stay plain float32: by short constants
  (-2, ln 2's head, the pieces of pi/2 below), and the unfused ``y * z`` of sincos.
* log's input 2**24 (1 - u) comes from the word with its high 8 bits set: as int32 that is
  k - 2**24, minus the input, whose float bits differ from the input's only in the sign bit,
  which the subtraction that splits off the exponent drops (mod 2**32).
* The radius is carried as -2 times torch's log: scaling by a power of two commutes with every
  rounding, and it saves two passes.
* The quarter turn is integer arithmetic on k: torch's j = (int(t 4/pi) + 1) & ~1 equals 2 q
  with q = (k + 2**21) >> 22 for every k (t is within a few ulps of k 2**-21 eighth turns; checked
  on all 2**24). The reduction x = t - j pi/4, three fused steps in torch of which the first two
  are exact, is t - q pi/2 rounded once; it stays in float32 with pi/2 (twice pi/4's three
  pieces) regrouped as 1.5703125 + (2 (pi/4)_2 + 2**-24) + (2 (pi/4)_3 - 2**-24): q times each
  piece is exact for q <= 4, and so are the first two subtractions.
* sin's polynomial is odd, so negating x in odd quarter turns negates sin, rounding included;
  what is left of the quarter-turn signs (turns 2 and 3 negate both values) goes into the mask
  that swaps cos and sin, one XOR for both rows.
* fma(p z, z, -z / 2) and fma(p z, x, x) are (p z - 1/2) z and (p z + 1) x in float64: one add
  and one multiply for both rows instead of a multiply and an add of a third array. Both are
  rounded twice (the float64 sum is not always exact); all 2**24 angles give torch's values.
* Every ufunc call works on arrays of one dtype (casts are separate assignments): a call that
  casts inside costs several times a plain one. Constants are 0-d arrays and ``out`` is passed
  by position, which halves what each call costs beyond its work.
* Halves of rows move as single 32-byte items (a void dtype), so splitting the words into halves
  and interleaving the results are plain strided copies.

``fill`` draws the words chunk by chunk on the calling thread (one call that releases the GIL per
chunk) while a pool thread transforms the chunks already drawn; once all are drawn the calling
thread transforms chunks too. NumPy's ufuncs release the GIL, but each call takes it back, so
two threads both calling ufuncs slow each other down: the fewer and longer the calls, the better
(with both threads transforming, 1024-row chunks run 3 times slower than alone, 8192-row ones
15% slower).
"""

from __future__ import annotations

import math
import queue
import threading

import numpy as np

from ember._threads import cores, pool

_F32, _F64, _I32 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32)
_HALF = np.dtype((np.void, 32))  # eight float32 or int32: half of a row, copied as one item
ROWS = 8192  # rows of 16 per chunk: long enough to amortise each call, short enough for cache
_ALIGN, _STAGGER = 64, 256  # bytes; see _aligned_arrays

# Constants are 0-d arrays of the dtype they combine with: a ufunc converts a Python or NumPy
# scalar on every call, which costs about as much as the work of a short call.
_ONE, _ZERO, _MINUS_TWO = (np.array(v, _F32) for v in (1, 0, -2))
_LOW_24, _HIGH_8 = np.array(0xFFFFFF, _I32), np.array(-(2**24), _I32)
_SIGN_BIT, _SIGN = np.array(31, _I32), np.array(-(2**31), _I32)

# log256_ps: log x = m + m^3 P(m) - m^2 / 2 + e ln 2, with x = 2^e (1 + m), 1 + m in
# [sqrt(1/2), sqrt(2)), and ln 2 in two pieces; P by Horner's rule, every step fused
_LOG_P = [np.array(c) for c in np.array([
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1], _F32).astype(_F64)]
_MINUS_2_LN2_LO = np.array(-2 * np.float32(-2.12194440e-4), _F32)
_MINUS_2_LN2_HI = np.array(-2 * np.float32(0.693359375), _F32)
# the scaled input x = 2**24 (1 - u) shifts the exponent by 24; subtracting sqrt(1/2)'s bits
# splits x into e and 1 + m in one step (as musl's logf does), here from -x's bits
_SPLIT = np.array(0x3F3504F3, _I32)
_SPLIT_SCALED = np.array(0x3F3504F3 + (24 << 23) - 2**31, _I32)  # 2**31 more, mod 2**32
_MANTISSA_BITS, _MANTISSA = np.array(23, _I32), np.array(0x7FFFFF, _I32)

# sincos256_ps: j = the octant of t rounded up to even, x = t - j pi/4 (pi/4 in three pieces
# whose float64 sum is exact); q = j / 2 counts quarter turns
_HALF_QUARTER, _QUARTER_BITS = np.array(2**21, _I32), np.array(22, _I32)
_THETA_STEP = np.array(np.float32(2 * np.pi) * np.float32(2.0**-24), _F32)  # 2 pi u = k * this
_PI_4 = np.array([0.78515625, 2.4187564849853515625e-4, 3.77489497744594108e-8], _F32)
_PI_2 = 2 * _PI_4.astype(_F64) + [0, 2.0**-24, -(2.0**-24)]  # the same sum, regrouped
_MINUS_PI_2 = [np.array(-piece, _F32) for piece in _PI_2]  # each exact in float32
# cos and sin polynomials in z = x^2 as the two rows of one array; both Horner steps of each
# land in a single binade (2**-10 and 2**-7, then 2**-5 and 2**-3), hence the rounding constants
_COEF0 = np.array([[2.443315711809948e-5], [-1.9515295891e-4]], _F32).astype(_F64)
_COEF1 = np.array([[-1.388731625493765e-3], [8.3321608736e-3]], _F32).astype(_F64)
_COEF2 = np.array([[4.166664568298827e-2], [-1.6666654611e-1]], _F32).astype(_F64)
_ROUND1 = np.array([[1.5 * 2.0**(-10 + 29)], [1.5 * 2.0**(-7 + 29)]])
_ROUND2 = np.array([[1.5 * 2.0**(-5 + 29)], [1.5 * 2.0**(-3 + 29)]])
_COEF1_ROUND1, _COEF2_ROUND2 = _COEF1 + _ROUND1, _COEF2 + _ROUND2  # exact sums
_OFFSET = np.array([[-0.5], [1]])  # p z - 1/2 for cos, p z + 1 for sin


def _aligned_arrays(specs):
    """Empty arrays of the given (shape, dtype)s, carved from one buffer.

    Each starts on a 64-byte boundary: a large NumPy array comes from an mmap'd malloc block,
    16 bytes past one, so half of AVX2's 32-byte loads on it straddle two cache lines (the
    kernel runs about 6% faster on aligned arrays). Each also starts 256 bytes further into its
    4 KB page than the one before, so that a store to one array and a load from another at the
    same index do not look alike to the CPU's check of loads against pending stores (addresses
    equal in their low 12 bits)."""
    sizes = [math.prod(shape) * dtype.itemsize for shape, dtype in specs]
    offsets, end = [], 0
    for size in sizes:
        offsets.append(end)
        end += -(-size // _ALIGN) * _ALIGN + _STAGGER
    buffer = np.empty(end + _ALIGN, np.uint8)
    base = -buffer.__array_interface__["data"][0] % _ALIGN
    return [buffer[base + offset:base + offset + size].view(dtype).reshape(shape)
            for offset, size, (shape, dtype) in zip(offsets, sizes, specs)]


class _Work:
    """A set of work arrays for a chunk of ``rows`` rows (k = 8 * rows per half). The
    arrays for a full chunk are kept between calls (about 5.5 MB a set); a shorter chunk
    works in their first k entries, since fresh arrays cost page faults on every call."""

    def __init__(self, rows, full=None):
        k = rows * 8
        self.rows = rows
        if full is None:
            arrays = _aligned_arrays([((k,), _F32)] * 4 + [((k,), _I32)] * 3 + [((k,), _F64)] * 2
                                     + [((2, k), _F64)] * 2 + [((2, k), _F32)])
            self.f32, self.i32, self.f64 = arrays[:4], arrays[4:7], arrays[7:9]
            self.f64x2, self.f32x2 = arrays[9:11], arrays[11]
        else:
            self.f32, self.i32, self.f64 = ([a[:k] for a in arrays]
                                            for arrays in (full.f32, full.i32, full.f64))
            self.f64x2 = [a[:, :k] for a in full.f64x2]
            self.f32x2 = full.f32x2[:, :k]


_local = threading.local()


def _full_work(slot=0):
    """The calling thread's work arrays number ``slot`` for a full chunk, made on first use.
    ``fill`` hands slot i to its i-th helper, so a helper works in the same (cache-warm) arrays
    whichever pool thread runs it: an idle pool takes turns between its threads."""
    works = _local.__dict__.setdefault("works", {})
    work = works.get(slot)
    if work is None or work.rows != ROWS:
        work = works[slot] = _Work(ROWS)
    return work


def _work(rows, full=None):
    """Work arrays for a chunk of ``rows`` rows: ``full`` (default: the calling thread's first
    set), or its first part for a shorter chunk."""
    if rows > ROWS:
        return _Work(rows)
    full = _full_work() if full is None else full
    return full if rows == full.rows else _Work(rows, full)


def _minus_two_log(k, s):
    """-2 log(1 - u) as log256_ps computes log, for int32 k holding u * 2**24 in its low 24 bits
    (the high 8 are ignored); k is overwritten. Returns a scratch array."""
    (x, e, m, z), (_, ei, _), (m64, y64) = s.f32, s.i32, s.f64
    y = x  # x is spent once m and e are split off
    np.bitwise_or(k, _HIGH_8, k)  # u * 2**24 - 2**24
    x[...] = k  # -2**24 (1 - u), exact
    ix = x.view(_I32)
    np.subtract(ix, _SPLIT_SCALED, ix)
    np.right_shift(ix, _MANTISSA_BITS, ei)
    e[...] = ei
    np.bitwise_and(ix, _MANTISSA, ix)
    np.add(ix, _SPLIT, ix)
    np.subtract(x, _ONE, m)
    np.multiply(m, m, z)
    m64[...] = m
    np.multiply(m64, _LOG_P[0], y64)
    for c in _LOG_P[1:-1]:  # y = fma(y, m, c), rounded to float32 and back
        np.add(y64, c, y64)
        y[...] = y64
        y64[...] = y
        np.multiply(y64, m64, y64)
    np.add(y64, _LOG_P[-1], y64)
    y[...] = y64
    np.multiply(m, _MINUS_TWO, m)  # from here on -2 times torch's values
    np.multiply(y, m, y)
    z64, lo64 = m64, y64  # m64 is spent
    z64[...] = z
    lo64[...] = y
    np.multiply(lo64, z64, z64)
    np.multiply(e, _MINUS_2_LN2_LO, y)
    lo64[...] = y
    np.add(z64, lo64, z64)  # fma(y, z, e * ln2_lo)
    y[...] = z64
    np.add(y, z, y)  # - z / 2
    np.add(y, m, y)  # + m
    np.multiply(e, _MINUS_2_LN2_HI, e)
    np.add(y, e, y)  # + e * ln2_hi
    return y


def _cos_sin(k, s):
    """(cos t, sin t) of t = 2 pi u as sincos256_ps computes them, for int32 k holding u * 2**24
    in its low 24 bits (the high 8 are ignored); k is overwritten. Returns a scratch array of two
    rows, cos then sin."""
    (_, t, x, z), (q, sw, flip) = s.f32, s.i32  # the first float32 array holds the radii
    zx, h = s.f64x2  # [z, x] and the polynomials, in float64
    x64 = zx[1]
    np.bitwise_and(k, _LOW_24, k)
    t[...] = k
    np.multiply(t, _THETA_STEP, t)
    np.add(k, _HALF_QUARTER, q)
    np.right_shift(q, _QUARTER_BITS, q)  # j = 2 q
    z[...] = q
    np.multiply(z, _MINUS_PI_2[0], x)
    np.add(x, t, x)  # exact
    np.multiply(z, _MINUS_PI_2[1], t)
    np.add(x, t, x)  # exact
    np.multiply(z, _MINUS_PI_2[2], t)
    np.add(x, t, x)  # t - j pi/4, rounded once
    np.multiply(x, x, z)
    xbits = x.view(_I32)
    np.left_shift(q, _SIGN_BIT, sw)
    np.bitwise_xor(xbits, sw, xbits)  # -x, so -sin, in odd quarter turns
    np.right_shift(sw, _SIGN_BIT, sw)  # all ones where q is odd
    x64[...] = x
    z64 = zx[0]
    z64[...] = z
    np.multiply(z64, _COEF0, h)  # two Horner steps, each rounded once
    np.add(h, _COEF1_ROUND1, h)
    np.subtract(h, _ROUND1, h)
    np.multiply(h, z64, h)
    np.add(h, _COEF2_ROUND2, h)
    np.subtract(h, _ROUND2, h)
    both = s.f32x2
    both[...] = h
    np.multiply(both, z, both)  # p z, unfused
    h[...] = both
    np.add(h, _OFFSET, h)
    np.multiply(h, zx, h)  # fma(p z, z, -z / 2) as (p z - 1/2) z, fma(p z, x, x) as (p z + 1) x
    both[...] = h
    np.add(both[0], _ONE, both[0])
    # odd quarter turns swap cos and sin, turns 2 and 3 negate both: one mask for both rows
    bits = both.view(_I32)
    np.bitwise_xor(bits[0], bits[1], flip)
    np.bitwise_and(flip, sw, flip)
    np.left_shift(q, _SIGN_BIT - 1, q)
    np.bitwise_and(q, _SIGN, q)  # bit 1 of q
    np.bitwise_xor(flip, q, flip)
    np.bitwise_xor(bits, flip, bits)
    return both


def normal16(words, out, finish=None, work=None):
    """Fill float32 ``out`` (rows, 16) with torch's normals for uint32 ``words`` (rows, 16), one
    word per uniform. ``finish(out)``, if given, returns the final values (mean and std);
    otherwise zeros become +0, as torch's fma(n, 1, 0) leaves them. ``work``: the full-chunk
    work arrays to use (default: this thread's)."""
    rows = len(words)
    s = _work(rows, work)
    k = s.i32[0]
    halves = words.view(_HALF)  # (rows, 2): the radius half and the angle half of each row
    k.view(_HALF)[...] = halves[:, 0]
    radius = _minus_two_log(k, s)
    np.sqrt(radius, radius)
    k.view(_HALF)[...] = halves[:, 1]
    normals = _cos_sin(k, s)
    np.multiply(normals, radius, normals)
    normals = normals.view(_HALF)  # (2, rows)
    out_halves = out.view(_HALF)
    out_halves[:, 0] = normals[0]
    out_halves[:, 1] = normals[1]
    if finish is None:
        np.add(out, _ZERO, out)
    else:
        out[...] = finish(out)


# ---------------------------------------------------------------------------- on every core


def fill(draw, out, finish=None):
    """Fill float32 ``out`` (rows, 16) chunk by chunk; ``draw(n)`` returns the next n words.
    Words are drawn in order on this thread while pool threads transform the chunks drawn so
    far; then this thread transforms what is left alongside them."""
    rows = len(out)
    helpers = min(cores(), -(-rows // ROWS)) - 1
    todo = queue.SimpleQueue()

    def transform(work):
        while (job := todo.get()) is not None:
            normal16(*job, finish, work)

    running = [pool().submit(transform, _full_work(slot)) for slot in range(1, helpers + 1)]
    try:
        for start in range(0, rows, ROWS):
            chunk = out[start:start + ROWS]
            todo.put((draw(16 * len(chunk)).reshape(-1, 16), chunk))
    finally:  # even if a draw fails, no helper is left waiting
        for _ in range(helpers + 1):
            todo.put(None)
        transform(_full_work())
        for job in running:
            job.result()
