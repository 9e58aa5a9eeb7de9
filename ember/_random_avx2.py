"""torch's float32 normal kernel (normal_fill_16_AVX2), bit for bit, on NumPy arrays.

torch turns each row of 16 float32 uniforms into 16 normals: entries 0-7 give radii
sqrt(-2 log(1 - u)), entries 8-15 angles 2 pi u, and the row becomes [r cos t, r sin t]. log and
sincos are avx_mathfun's log256_ps and sincos256_ps (Cephes' logf, sinf and cosf in AVX2), which
GCC compiled with each ``a * b + c`` fused into one multiply-add. This module repeats every
rounding step on whole chunks of rows:

* A fused multiply-add of float32 values is computed in float64, where the product is exact, then
  rounded to float32. Rounding twice (to float64, then float32) could differ from one rounding
  only on a float64 sum exactly halfway between two floats; an exhaustive run over all 2**24
  inputs of each half found none. Where a step's results all lie in one binade, adding and
  subtracting ``1.5 * 2**52`` times that binade's float32 spacing rounds once, in float64.
* Products of float32 values with short constants (pi/4 in pieces, 0.5, -2, ln 2's head) are
  exact, so those steps stay plain float32.
* The radius is carried as -2 times torch's log: scaling by a power of two commutes with every
  rounding, and it saves two passes.

``fill`` draws the words chunk by chunk and transforms each chunk on a small thread pool while
the next chunk is drawn (NumPy's ufuncs release the GIL): torch's kernel is one fused AVX2 loop,
an array program needs about a hundred passes over each chunk.
"""

from __future__ import annotations

import threading

import numpy as np

from ember._threads import cores, pool

_F32, _F64, _I32 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32)
ROWS = 4096  # rows of 16 per chunk: long enough to amortise each call, short enough for cache

# log256_ps: log x = m + m^3 P(m) - m^2 / 2 + e ln 2, with x = 2^e (1 + m), 1 + m in
# [sqrt(1/2), sqrt(2)), and ln 2 in two pieces; P by Horner's rule, every step fused
_LOG_P = np.array([7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
                   1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
                   3.3333331174e-1], _F32).astype(_F64).tolist()
_MINUS_2_LN2_LO = np.float32(-2 * np.float32(-2.12194440e-4))
_MINUS_2_LN2_HI = np.float32(-2 * np.float32(0.693359375))
# the scaled input x = 2**24 (1 - u) shifts the exponent by 24; subtracting sqrt(1/2)'s bits
# splits x into e and 1 + m in one step (as musl's logf does)
_SPLIT = 0x3F3504F3
_SPLIT_SCALED = _SPLIT + (24 << 23)

# sincos256_ps: j = the octant of t rounded up to even, x = t - j pi/4 (pi/4 in three pieces)
_THETA_STEP = np.float32(np.float32(2 * np.pi) * np.float32(2.0**-24))  # 2 pi u = k * this
_FOUR_OVER_PI = np.float32(1.27323954473516)
_PI4_A, _PI4_B = np.float32(0.78515625), np.float32(2.4187564849853515625e-4)
_MINUS_PI4_C = np.float64(-np.float32(3.77489497744594108e-8))
# cos and sin polynomials in z = x^2 as the two rows of one array; both Horner steps of each
# land in a single binade (2**-10 and 2**-7, then 2**-5 and 2**-3), hence the rounding constants
_COEF0 = np.array([[2.443315711809948e-5], [-1.9515295891e-4]], _F32).astype(_F64)
_COEF1 = np.array([[-1.388731625493765e-3], [8.3321608736e-3]], _F32).astype(_F64)
_COEF2 = np.array([[4.166664568298827e-2], [-1.6666654611e-1]], _F32).astype(_F64)
_ROUND1 = np.array([[1.5 * 2.0**(-10 + 29)], [1.5 * 2.0**(-7 + 29)]])
_ROUND2 = np.array([[1.5 * 2.0**(-5 + 29)], [1.5 * 2.0**(-3 + 29)]])
_COEF1_ROUND1, _COEF2_ROUND2 = _COEF1 + _ROUND1, _COEF2 + _ROUND2  # exact sums
# bit 2 of j + 2 (cos) and of j (sin) flips the sign: octants 2-4 for cos, 4-6 for sin
_SIGN_OFFSET = np.array([[2], [0]], _I32)


class _Work:
    """One thread's work arrays for a chunk of ``rows`` rows (k = 8 * rows per half). The
    arrays for a full chunk are kept between calls (about 4 MB per thread)."""

    def __init__(self, rows):
        k = rows * 8
        self.rows = rows
        self.k16 = np.empty((rows, 16), _I32)
        self.f32 = [np.empty(k, _F32) for _ in range(5)]
        self.i32 = [np.empty(k, _I32) for _ in range(3)]
        self.f64 = [np.empty(k, _F64) for _ in range(3)]
        self.f64x2 = [np.empty((2, k), _F64) for _ in range(3)]
        self.f32x2 = np.empty((2, k), _F32)
        self.i32x2 = np.empty((2, k), _I32)
        # out's rows are [cos half of row 0, sin half of row 0, cos half of row 1, ...]
        self.order = np.arange(2 * rows).reshape(2, rows).T.ravel()


_local = threading.local()


def _work(rows):
    if rows != ROWS:  # the last chunk of a call, or a single row
        return _Work(rows)
    work = getattr(_local, "work", None)
    if work is None:
        work = _local.work = _Work(rows)
    return work


def _minus_two_log(k, s):
    """-2 log(1 - k / 2**24) as log256_ps computes log, for int32 k in [0, 2**24); k is
    overwritten. Returns a scratch array."""
    (x, e, m, z, y), (_, ei, _), (m64, y64, z64) = s.f32, s.i32, s.f64
    np.subtract(0x1000000, k, out=k)  # 2**24 (1 - u), exact
    np.copyto(x, k, casting="unsafe")
    ix = x.view(_I32)
    np.subtract(ix, _SPLIT_SCALED, out=ix)
    np.right_shift(ix, 23, out=ei)
    np.copyto(e, ei, casting="unsafe")
    np.bitwise_and(ix, 0x7FFFFF, out=ix)
    np.add(ix, _SPLIT, out=ix)
    np.subtract(x, np.float32(1), out=m)
    np.multiply(m, m, out=z)
    np.copyto(m64, m)
    np.multiply(m64, _LOG_P[0], out=y64)
    for c in _LOG_P[1:-1]:  # y = fma(y, m, c), rounded to float32 and back
        np.add(y64, c, out=y64)
        np.copyto(y, y64, casting="same_kind")
        np.copyto(y64, y)
        np.multiply(y64, m64, out=y64)
    np.add(y64, _LOG_P[-1], out=y64)
    np.copyto(y, y64, casting="same_kind")
    np.multiply(m, np.float32(-2), out=m)  # from here on -2 times torch's values
    np.multiply(y, m, out=y)
    np.copyto(z64, z)
    np.multiply(y, z64, out=y64)
    np.multiply(e, _MINUS_2_LN2_LO, out=x)
    np.add(y64, x, out=y, casting="same_kind")  # fma(y, z, e * ln2_lo)
    np.add(y, z, out=y)  # - z / 2
    np.add(y, m, out=y)  # + m
    np.multiply(e, _MINUS_2_LN2_HI, out=e)
    np.add(y, e, out=y)  # + e * ln2_hi
    return y


def _cos_sin(k, s):
    """(cos t, sin t) of t = 2 pi k / 2**24 as sincos256_ps computes them, for int32 k: a
    scratch array of two rows, cos then sin."""
    (t, jf, x, z, _), (sw, j, flip), (t64, _, _) = s.f32, s.i32, s.f64
    zx, offset, h = s.f64x2  # [z, x], [-z / 2, x] and the polynomials, in float64
    np.copyto(t, k, casting="unsafe")
    np.multiply(t, _THETA_STEP, out=t)
    np.multiply(t, _FOUR_OVER_PI, out=jf)
    np.copyto(j, jf, casting="unsafe")
    np.add(j, 1, out=j)
    np.bitwise_and(j, ~1, out=j)
    np.copyto(jf, j, casting="unsafe")
    np.multiply(jf, _PI4_A, out=x)
    np.subtract(t, x, out=t)
    np.multiply(jf, _PI4_B, out=x)
    np.subtract(t, x, out=t)
    np.multiply(jf, _MINUS_PI4_C, out=t64)
    np.add(t64, t, out=x, casting="same_kind")  # fma(j, -pi4_c, t)
    np.copyto(zx[1], x)
    np.copyto(offset[1], zx[1])
    np.multiply(x, x, out=z)
    z64 = zx[0]
    np.copyto(z64, z)
    np.multiply(z64, -0.5, out=offset[0])
    np.multiply(z64, _COEF0, out=h)  # two Horner steps, each rounded once
    np.add(h, _COEF1_ROUND1, out=h)
    np.subtract(h, _ROUND1, out=h)
    np.multiply(h, z64, out=h)
    np.add(h, _COEF2_ROUND2, out=h)
    np.subtract(h, _ROUND2, out=h)
    np.multiply(h, z64, out=h)
    both = s.f32x2
    np.copyto(both, h, casting="same_kind")
    np.copyto(h, both)
    np.multiply(h, zx, out=h)
    np.add(h, offset, out=h)  # fma(p z, z, -z / 2) and fma(p z, x, x)
    np.copyto(both, h, casting="same_kind")
    np.add(both[0], np.float32(1), out=both[0])
    # choose and sign with bit operations, as the AVX2 code does: octants 2 and 6 swap
    bits = both.view(_I32)
    np.left_shift(j, 30, out=sw)
    np.right_shift(sw, 31, out=sw)  # all ones where bit 1 of j is set
    np.bitwise_xor(bits[0], bits[1], out=flip)
    np.bitwise_and(flip, sw, out=flip)
    np.bitwise_xor(bits, flip, out=bits)
    sign = s.i32x2
    np.add(j, _SIGN_OFFSET, out=sign)
    np.left_shift(sign, 29, out=sign)
    np.bitwise_and(sign, -(2**31), out=sign)
    np.bitwise_xor(bits, sign, out=bits)
    return both


def normal16(words, out, finish=None):
    """Fill float32 ``out`` (rows, 16) with torch's normals for uint32 ``words`` (rows, 16), one
    word per uniform. ``finish(out)``, if given, returns the final values (mean and std);
    otherwise zeros become +0, as torch's fma(n, 1, 0) leaves them."""
    rows = len(words)
    s = _work(rows)
    k = s.i32[0]
    np.bitwise_and(words.view(_I32), 0xFFFFFF, out=s.k16)  # u = k / 2**24
    halves = s.k16.reshape(rows, 2, 8)
    np.take(halves, 0, axis=1, out=k.reshape(rows, 8))
    radius = _minus_two_log(k, s)
    np.sqrt(radius, out=radius)
    np.take(halves, 1, axis=1, out=k.reshape(rows, 8))
    normals = _cos_sin(k, s)
    np.multiply(normals, radius, out=normals)
    if finish is None:
        np.add(normals, np.float32(0), out=normals)
    np.take(normals.reshape(2 * rows, 8), s.order, axis=0, out=out.reshape(2 * rows, 8))
    if finish is not None:
        out[...] = finish(out)


# ---------------------------------------------------------------------------- on every core


def fill(draw, out, finish=None):
    """Fill float32 ``out`` (rows, 16) chunk by chunk; ``draw(n)`` returns the next n words.
    Words are drawn in order on this thread; transforms run on the pool meanwhile."""
    rows = len(out)
    if rows <= ROWS or cores() < 2:
        for start in range(0, rows, ROWS):
            chunk = out[start:start + ROWS]
            normal16(draw(16 * len(chunk)).reshape(-1, 16), chunk, finish)
        return
    pending = []
    for start in range(0, rows, ROWS):
        chunk = out[start:start + ROWS]
        words = draw(16 * len(chunk)).reshape(-1, 16)
        pending.append(pool().submit(normal16, words, chunk, finish))
    for job in pending:
        job.result()
