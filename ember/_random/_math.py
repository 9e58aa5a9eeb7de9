"""The arithmetic under ember._random's samplers: float32/float64 fused multiply-adds as
torch's compiled kernels round them, casts, dtype limits and torch's range checks for integer
draws, and the two shuffles behind randperm written without a Python loop. NumPy only."""

import functools
import math
import warnings

import numpy as np

_INT64_MIN = -(2**63)
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


# ----------------------------------------------------------------------------- float helpers

def _opmath(dtype):
    """torch computes float16/bfloat16 samples in float32 and rounds them at the end."""
    return _F64 if dtype == _F64 else _F32


def _cast(values, dtype):
    """static_cast to dtype: float16/bfloat16 only convert from float, so other values go
    through float32 first (two roundings, as in torch)."""
    # NOTE: itemsize and kind, not dtype.name (a slow property): the 2-byte floats are float16
    # (kind f) and ml_dtypes' bfloat16 (kind V)
    if dtype.itemsize == 2 and dtype.kind in "fV" and values.dtype != _F32:
        values = values.astype(_F32)
    return values.astype(dtype, copy=False)


def _fma32(a, b, c):
    """float32 a*b + c rounded once, for any inputs.

    The product is exact in float64 and the sum is rounded to float64, then to float32. That
    double rounding errs only when the float64 sum lands exactly halfway between two floats;
    such elements are nudged toward the exact sum first."""
    p = np.multiply(a, b, dtype=_F64)
    c = np.asarray(c, _F64)
    s = p + c
    halfway = (s.view(np.uint64) & 0x1FFFFFFF) == 0x10000000
    if halfway.any():
        bb = s - p
        err = (p - (s - bb)) + (c - bb)  # exact rounding error of p + c (TwoSum)
        nudge = halfway & (err != 0)
        s[nudge] = np.nextafter(s, np.where(err > 0, np.inf, -np.inf))[nudge]
    return s.astype(_F32)


def _fma64(a, b, c):
    """float64 a*b + c rounded once (up to ties no float64 can see), by error-free
    transforms: the product and the sum each split into value + exact error."""
    a, b, c = np.asarray(a, _F64), np.asarray(b, _F64), np.asarray(c, _F64)
    if b.ndim == c.ndim == 0 and b == 1 and c == 0:
        return a + 0.0  # nothing to round; only -0 becomes +0
    p = a * b
    (ah, al), (bh, bl) = _split(a), _split(b)
    p_err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    return s + (((p - (s - bb)) + (c - bb)) + p_err)


def _split(a):
    """Veltkamp split of float64 `a` into halves whose products are exact."""
    t = a * 134217729.0  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _box_muller_rows64(u, mean, std):
    """torch's NormalFill16 on float64 rows of 16 uniforms: entries 0-7 give radii, 8-15 angles,
    and row [a, b] becomes [r cos t, r sin t] * std + mean (fused). libm's log, sin and cos, as
    NumPy's float64 ones are on x86 without AVX-512. (float32 rows: ember._random_avx2.)"""
    out = np.empty_like(u)
    for start in range(0, len(u), 4096):  # chunks that stay in cache
        rows, done = u[start:start + 4096], out[start:start + 4096]
        radius, theta = np.sqrt(-2 * np.log(1 - rows[:, :8])), 2 * np.pi * rows[:, 8:]
        np.multiply(radius, np.cos(theta), out=done[:, :8])
        np.multiply(radius, np.sin(theta), out=done[:, 8:])
    if std == 1 and mean == 0 and not np.signbit(mean):
        out += 0  # all that fma(x, 1, 0) does: -0 becomes +0
        return out
    return _fma64(out, std, mean)


# -------------------------------------------------------------------------- dtype helpers

def _numel(shape):
    return int(math.prod((shape,) if isinstance(shape, int) else shape))


def _float_digits(dtype):
    """Mantissa bits with the implicit one (std::numeric_limits<T>::digits); None for ints."""
    return {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}.get(dtype.name)


@functools.cache
def _dtype_limits(dtype):
    """(lowest, max) of dtype as Python numbers; uint64 stops at int64's max, as in torch."""
    if dtype == np.bool_:
        return 0, 1
    if dtype.name == "bfloat16":  # np.finfo does not know bfloat16; 0x7F7F is its largest
        top = float(np.array(0x7F7F, np.uint16).view(dtype).astype(_F32))
        return -top, top
    if _float_digits(dtype):
        return float(np.finfo(dtype).min), float(np.finfo(dtype).max)
    return int(np.iinfo(dtype).min), min(int(np.iinfo(dtype).max), 2**63 - 1)


def _round_int(value, dtype):
    """int64 -> dtype -> int64 as static_cast does it on x86, where an overflow gives INT64_MIN."""
    with np.errstate(over="ignore"):
        back = float(_cast(np.array([value], np.int64), dtype).astype(_F64)[0])
    return int(back) if abs(back) < 2.0**63 else _INT64_MIN


def _float_range(low, high, dtype):
    """torch's update_from/update_to: in a float dtype, pull low up and high down until low + 1
    and high - 1 do not round past them, so every drawn integer survives the cast."""
    digits = _float_digits(dtype)
    rounded = _round_int(low + 1, dtype)
    if rounded < low:
        low = rounded + (1 << (abs(low + 1).bit_length() - digits))
    if high is not None and (rounded := _round_int(high - 1, dtype)) >= high:
        high = rounded - (1 << (abs(high - 1).bit_length() - digits))
    return low, high


def _check_bounds(low, high_inclusive, dtype):
    """torch's check_from_to_in_range: both ends must fit the dtype."""
    lowest, top = _dtype_limits(dtype)
    digits = _float_digits(dtype)
    for value, name in ((low, "from"), (high_inclusive, "to - 1")):
        if not lowest <= value <= top:
            raise RuntimeError(f"{name} is out of bounds for {dtype}")
        if digits and abs(value) > 2**digits:
            warnings.warn(f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                          f"limitations {dtype} can support discrete uniform distribution only "
                          "within this range.", stacklevel=4)


def _int_range(dtype, low, high):
    """torch's random_from_to checks and bounds: returns (low, number of values)."""
    if high is not None and not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    digits = _float_digits(dtype)
    if digits:
        low, high = _float_range(low, high, dtype)
        if high is not None and not low < high:
            raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' "
                               f"casted to dtype, but got from={low} >= to={high}")
    if high is not None:
        top = high - 1
    elif digits:
        top = min(2**digits, 2**63 - 1)
        if not low < top:
            raise RuntimeError("random_ expects 'from' casted to dtype to be less than or equal "
                               f"to 'to_inc' casted to dtype, but got from={low} > to_inc={top}")
    else:  # uint64's max is -1 as an int64, which the bounds check then rejects
        top = -1 if dtype == np.uint64 else _dtype_limits(dtype)[1]
    _check_bounds(low, top, dtype)
    return low, top - low + 1


def _check_randperm_size(n, dtype):
    """torch's check_supported_max_int_with_precision: every index must be exact in dtype."""
    limit = {"float16": (2**11 + 1, "2049 for Half"), "float32": (2**24 + 1, "2^24+1 for Float"),
             "float64": (2**53 + 1, "2^53+1 for Double")}.get(dtype.name)
    if limit and n > limit[0]:
        raise RuntimeError(f"n cannot be greater than {limit[1]} type.")
    if dtype.kind in "iu" and n - 1 > np.iinfo(dtype).max:
        raise RuntimeError(f"value cannot be converted to type {dtype}_t without overflow")


# ------------------------------------------------------------------ shuffles without a loop

def _previous_and_last(values, size):
    """For each i, the largest k < i with values[k] == values[i] (or -1); and for each v in
    range(size), the largest k with values[k] == v (or -1). One sort."""
    n = len(values)
    order = np.argsort(values * n + np.arange(n))  # by value, then index (keys are distinct)
    same = values[order[1:]] == values[order[:-1]]
    previous = np.full(n, -1)
    previous[order[1:][same]] = order[:-1][same]
    last = np.full(size, -1)
    ends = order[np.append(~same, True)]
    last[values[ends]] = ends
    return previous, last


def _follow(pointer):
    """Resolve chains i -> pointer[i] -> ... to their ends (pointer[r] == r) by pointer jumping."""
    while not np.array_equal(nxt := pointer[pointer], pointer):
        pointer = nxt
    return pointer


def _forward_shuffle(targets):
    """The permutation left by `for i < n - 1: swap(a[i], a[targets[i]])` (targets[i] >= i) on
    a = arange(n). After step i, a[i] is final: what a[targets[i]] held just before. Before step
    i, a position p >= i holds what the last earlier step aiming at p carried there (that step's
    own a[k]), or p if none did; `_follow` resolves those chains."""
    n = len(targets) + 1
    steps = np.arange(n)
    previous, last = _previous_and_last(targets, n)
    own = last[:-1] == steps[:-1]  # a step aiming at itself swaps nothing
    held = last.copy()  # held[p]: the last step k < p that left its a[k] at p
    held[:-1][own] = previous[last[:-1][own]]
    start = _follow(np.where(held < 0, steps, held))  # a[p] just before step p is start[p]
    return np.append(np.where(previous >= 0, start[previous], targets), start[-1])


def _inside_out(picks):
    """The permutation left by `for i: a[i] = a[picks[i]]; a[picks[i]] = i` (picks[i] <= i).
    a[p] ends as the last i > p with picks[i] == p; failing that, as what step p copied in:
    p itself, the last earlier i put at picks[p], or (a chain) what step picks[p] copied."""
    steps = np.arange(len(picks))
    previous, last = _previous_and_last(picks, len(picks))
    terminal = (picks == steps) | (previous > picks)
    copied = np.where(picks == steps, steps, previous)
    start = _follow(np.where(terminal, steps, picks))
    return np.where(last > steps, last, copied[start])


def _check_continuous(name, dtype):
    if not _float_digits(dtype):
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {dtype}")
