"""The values of arange, range, linspace and logspace, rounded exactly as torch's CPU kernels round
them (host-side NumPy; the caller moves the result to the device).

Three details of those kernels decide the last bit of a float result, and are reproduced here:
- arange and linspace are compiled with fused multiply-add: ``start + step * i`` is rounded once
  (``fma``); range and logspace are not (two roundings);
- arange fills whole SIMD registers from a base value, ``base + j * step`` for the lanes j, and the
  rest one by one; the register width (AVX2 or AVX-512) therefore matters (``_simd_bytes``);
- 16-bit floats accumulate in float32, other floats in float64; linspace steps in the output dtype.
"""

from __future__ import annotations

import functools

import numpy

_f32, _f64 = numpy.float32, numpy.float64


def fma(a, b, c):
    """a * b + c with a single rounding, in float64 (Dekker's exact product, Knuth's exact sum)."""
    a, b, c = (numpy.asarray(x, dtype=_f64) for x in (a, b, c))
    product = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    product_error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    total = product + c
    back = total - product
    sum_error = (product - (total - back)) + (c - back)
    return total + (sum_error + product_error)


def _split(x):
    # Veltkamp's split of a double into two halves of 26 bits each: their products are exact
    scaled = 134217729.0 * x  # 2**27 + 1
    high = scaled - (scaled - x)
    return high, x - high


@functools.cache
def _simd_bytes():
    """Width of the vector registers torch's CPU kernels use: AVX-512 where the CPU has it."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # pragma: no cover - older NumPy
        return 32
    avx512 = ("AVX512F", "AVX512BW", "AVX512DQ", "AVX512VL")
    return 64 if all(features.get(name, False) for name in avx512) else 32


def arange_values(start, step, count, np_dtype):
    """start + i * step for i < count, as torch's arange computes them."""
    index = numpy.arange(count)
    if np_dtype.kind in "iub":
        return (start + index * step).astype(np_dtype)  # exact, in int64
    half = np_dtype.itemsize == 2
    one_by_one = _accumulate(fma(step, index, start), half)
    lanes = _simd_bytes() // np_dtype.itemsize
    lane = index % lanes
    base = _accumulate(fma(step, index - lane, start), half).astype(np_dtype)
    # NOTE: the register's lanes are base + j * step, from the base already rounded to the dtype
    in_registers = _accumulate(fma(lane, _accumulate(step, half), base.astype(_f64)), half)
    vectorized = index < count // (2 * lanes) * (2 * lanes)  # two registers per loop turn
    return numpy.where(vectorized, in_registers, one_by_one).astype(np_dtype)


def _accumulate(values, half):
    # 16-bit floats accumulate in float32 (an fma in float32 rounds once, like this)
    return numpy.asarray(values, dtype=_f64).astype(_f32) if half else values


def range_values(start, step, count, np_dtype):
    """torch.range's start + i * step, in int64 or float64, one by one."""
    index = numpy.arange(count)
    if np_dtype.kind in "iub":
        return (start + index * step).astype(np_dtype)
    return (start + index * _f64(step)).astype(np_dtype)


def linspace_values(start, end, steps, np_dtype):
    """torch's linspace: the first half counts up from start, the second half down from end."""
    if steps == 1:
        return numpy.array([start]).astype(np_dtype)
    index = numpy.arange(steps)
    from_end = steps - 1 - index
    if np_dtype.kind in "iub":  # start and end truncated to the dtype, the step in float64
        start, end = int(start), int(end)
        step = (end - start) / (steps - 1)
        values = numpy.where(index < steps // 2, fma(step, index, start),
                             fma(-step, from_end, end))
        return numpy.trunc(values).astype(np_dtype)
    if np_dtype.itemsize == 2 or np_dtype.kind == "c":
        # 16-bit floats: every operation rounds to the dtype (no fused multiply-add)
        start, end = np_dtype.type(start), np_dtype.type(end)
        step = (end - start) / np_dtype.type(steps - 1)
        up = start + step * index.astype(np_dtype)
        return numpy.where(index < steps // 2, up, end - step * from_end.astype(np_dtype))
    start, end = np_dtype.type(start), np_dtype.type(end)
    step = (end - start) / np_dtype.type(steps - 1)  # NOTE: in the output dtype
    values = numpy.where(index < steps // 2, fma(step, index, start), fma(-step, from_end, end))
    return values.astype(np_dtype)


def logspace_values(start, end, steps, base, np_dtype):
    """torch's logspace: base ** (exponents stepped in float64 from start and end rounded to the
    dtype), like linspace's halves."""
    if steps == 1:
        return numpy.array([float(base) ** float(start)]).astype(np_dtype)
    index = numpy.arange(steps)
    if np_dtype.kind in "iub":
        start, end = int(start), int(end)
        span = end - start
    else:
        start, end = float(np_dtype.type(start)), float(np_dtype.type(end))
        span = float(np_dtype.type(end - start))  # NOTE: the difference rounds to the dtype
    step = span / (steps - 1)
    exponents = numpy.where(index < steps // 2, start + step * index,
                            end - step * (steps - 1 - index))
    return (float(base) ** exponents).astype(np_dtype)
