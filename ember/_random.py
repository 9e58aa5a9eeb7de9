"""torch's CPU random number generator, reproduced bit for bit on NumPy arrays.

torch draws everything from one Mersenne Twister (mt19937) stream. NumPy's ``MT19937`` with its
legacy integer seeding produces the same 32-bit words, so this module only has to reproduce how
torch's CPU kernels turn those words into samples:

* ``random()`` is one 32-bit word; ``random64()`` is two words, the first one the high half.
* a float32 (and float16/bfloat16) uniform keeps the low 24 bits of one word, a float64
  uniform the low 53 bits of a ``random64()``.
* every kernel draws serially in element order, so a sampler draws all its words at once and
  transforms them with array operations.

Float arithmetic follows torch's AVX2 kernels, which x86 CPUs with AVX2 or AVX-512 run: GCC
contracts ``a * b + c`` in them into one fused multiply-add, so this module does the same
(see ``_fma32``/``_fma64``). Nothing here imports the rest of ember; samplers take a shape and a
NumPy dtype and return NumPy arrays.
"""

import os

import numpy as np

DEFAULT_SEED = 67280421310721  # torch.Generator()'s seed (c10's default_rng_seed_val)
_N = 624  # words in the mt19937 state
_INT64_MIN = -(2**63)
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)

# Byte layout of torch.get_rng_state(): the legacy THGenerator struct (its mt19937 words widened
# to uint64, its Box-Muller fields kept for checkpoints) followed by the float normal cache.
_STATE_LAYOUT = np.dtype({
    "names": ["seed", "left", "seeded", "next", "state", "normal_x", "normal_y", "normal_rho",
              "normal_is_valid", "next_float_normal", "next_float_normal_is_valid"],
    "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", (_N,)), "<f8", "<f8", "<f8", "<i4", "<f4", "?"],
    "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
    "itemsize": 5056,
})


# ----------------------------------------------------------------------------- float helpers

def _is_reduced(dtype):
    """float16 and bfloat16: torch samples these in float32 ("opmath") and rounds at the end."""
    return dtype == np.float16 or dtype.name == "bfloat16"


def _opmath(dtype):
    return _F64 if dtype == _F64 else _F32


def _cast(values, dtype):
    """Round samples to `dtype` as C++'s static_cast does: float16/bfloat16 only convert from
    float, so a double goes through float first (two roundings, like torch)."""
    if _is_reduced(dtype) and values.dtype == _F64:
        values = values.astype(_F32)
    return values.astype(dtype, copy=False)


def _fma32(a, b, c):
    """float32 a*b + c with one rounding, for any inputs.

    The product is exact in float64; the sum is rounded to float64 and then to float32. That
    double rounding can only go wrong when the float64 sum lands exactly halfway between two
    floats; those (rare) elements are nudged toward the exact sum before the final rounding."""
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


def _fma32_fast(a, b, c):
    """float32 a*b + c with one rounding, without `_fma32`'s halfway check: used inside the
    AVX2 log/sincos emulation, where it was checked exhaustively to change no result."""
    return np.add(np.multiply(a, b, dtype=_F64), c, dtype=_F64).astype(_F32)


def _split(a):
    """Veltkamp split of float64 `a` into two halves whose products are exact."""
    t = a * 134217729.0  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a, b, c):
    """float64 a*b + c with (almost always) one rounding, from error-free transforms: the
    product and the sum are split into value + exact error and the errors added back last."""
    a, b, c = np.asarray(a, _F64), np.asarray(b, _F64), np.asarray(c, _F64)
    p = a * b
    (ah, al), (bh, bl) = _split(a), _split(b)
    p_err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    s_err = (p - (s - bb)) + (c - bb)
    return s + (s_err + p_err)


# ---------------------------------------------------------------- torch's AVX2 log and sincos

_LOG_POLY = np.array([7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
                      1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
                      3.3333331174e-1], _F32)
_LOG_Q1, _LOG_Q2 = np.float32(-2.12194440e-4), np.float32(0.693359375)
_SQRT_HALF = np.float32(0.707106781186547524)
_FOUR_OVER_PI = np.float32(1.27323954473516)
_MINUS_PI_4 = np.array([-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8], _F32)
_SIN_POLY = np.array([-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1], _F32)
_COS_POLY = np.array([2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2], _F32)


def _horner(x, coeffs):
    """coeffs[0]*x**k + ... by Horner's rule, each step one fused multiply-add."""
    y = np.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        y = _fma32_fast(y, x, c)
    return y


def _log_avx2(x):
    """log of float32 x in (0, 1], as torch's log256_ps (Cephes' logf in AVX2) computes it."""
    bits = x.view(np.int32)
    e = ((bits >> 23) - 126).astype(_F32)  # unbiased exponent + 1
    m = ((bits & 0x007FFFFF) | 0x3F000000).view(_F32)  # mantissa scaled into [0.5, 1)
    small = m < _SQRT_HALF  # keep m in [sqrt(1/2), sqrt(2)) by borrowing one from e
    e -= small
    m = (m - np.float32(1)) + np.where(small, m, np.float32(0))
    z = m * m
    y = _horner(m, _LOG_POLY) * m
    y = _fma32_fast(y, z, e * _LOG_Q1)
    y -= z * np.float32(0.5)
    return (m + y) + e * _LOG_Q2


def _sincos_avx2(x):
    """(sin x, cos x) of float32 x >= 0, as torch's sincos256_ps (Cephes' sinf/cosf) computes it."""
    j = (x * _FOUR_OVER_PI).astype(np.int32)
    j = (j + 1) & ~1  # octant, rounded up to even
    jf = j.astype(_F32)
    for part in _MINUS_PI_4:  # x - j*pi/4 in three pieces, each one fused step
        x = _fma32_fast(jf, part, x)
    z = x * x
    cos_p = _horner(z, _COS_POLY) * z
    cos_p = _fma32_fast(cos_p, z, -(z * np.float32(0.5))) + np.float32(1)
    sin_p = _fma32_fast(_horner(z, _SIN_POLY) * z, x, x)
    swap = (j & 2) != 0
    sin = np.where(swap, cos_p, sin_p)
    cos = np.where(swap, sin_p, cos_p)
    np.negative(sin, out=sin, where=(j & 4) != 0)
    np.negative(cos, out=cos, where=((j - 2) & 4) == 0)
    return sin, cos


def _box_muller_16(u, mean, std):
    """torch's NormalFill16 on rows of 16 uniforms: entries 0-7 give radii, 8-15 angles, and
    row [a, b] becomes [r cos t, r sin t]. float32 rows use the AVX2 kernel; float64 rows libm."""
    u1, u2 = 1 - u[:, :8], u[:, 8:]  # 1 - u lies in (0, 1], safe for log
    out = np.empty_like(u)
    if u.dtype == _F32:
        radius = np.sqrt(np.float32(-2) * _log_avx2(np.ascontiguousarray(u1)))
        sin, cos = _sincos_avx2(np.float32(2 * np.pi) * u2)
        fma = _fma32
    else:
        radius, theta = np.sqrt(-2 * np.log(u1)), 2 * np.pi * u2
        sin, cos, fma = np.sin(theta), np.cos(theta), _fma64
    out[:, :8], out[:, 8:] = radius * cos, radius * sin
    if std == 1 and mean == 0:
        return out + out.dtype.type(0)  # what fma(x, 1, 0) does: -0 becomes +0
    return fma(out, std, mean)



# -------------------------------------------------------------------------- dtype helpers

def _numel(shape):
    return int(np.prod(shape, dtype=np.int64))


def _float_digits(dtype):
    """Mantissa bits counting the implicit one (std::numeric_limits<T>::digits); None for ints."""
    return {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}.get(dtype.name)


def _dtype_limits(dtype):
    """(lowest, max) of a dtype as Python numbers."""
    if dtype == np.bool_:
        return 0, 1
    if dtype.name == "bfloat16":  # np.finfo does not know ml_dtypes' bfloat16; 0x7F7F is its max
        top = float(np.array(0x7F7F, np.uint16).view(dtype).astype(_F32))
        return -top, top
    if _float_digits(dtype):
        return float(np.finfo(dtype).min), float(np.finfo(dtype).max)
    return int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)


def _to_int64(value, dtype):
    """int64 -> dtype -> int64, as static_cast does it (float16/bfloat16 via float)."""
    return int(_cast(np.array([value], np.int64), dtype).astype(np.float64)[0])


def _adjust_from(low, digits, dtype):
    """torch's update_from: if low + 1 rounds below low in a float dtype, move low up to the
    next representable value so that the range holds only values the dtype can return."""
    rounded = _to_int64(low + 1, dtype)
    if rounded < low:
        low = rounded + (1 << (abs(low + 1).bit_length() - 1 - digits + 1))
    return low


def _adjust_to(high, digits, dtype):
    """torch's update_to, the mirror image of `_adjust_from` for the exclusive upper bound."""
    rounded = _to_int64(high - 1, dtype)
    if rounded >= high:
        high = rounded - (1 << (abs(high - 1).bit_length() - 1 - digits + 1))
    return high


def _check_bounds(low, high_inclusive, dtype):
    """torch's check_from_to_in_range: both ends must fit the dtype."""
    if dtype.kind == "u" and dtype.itemsize > 1:
        raise RuntimeError(f"random_ is not implemented for {dtype}")
    lowest, top = _dtype_limits(dtype)
    for value, name in ((low, "from"), (high_inclusive, "to - 1")):
        if not lowest <= value <= top:
            raise RuntimeError(f"{name} is out of bounds for {dtype}")


def _forward_shuffle(targets):
    """The permutation left by torch's Fisher-Yates loop `for i: swap(a[i], a[targets[i]])`
    (targets[i] >= i) on a = arange(n), computed without a loop over the swaps.

    Position i is final after step i and then holds what position targets[i] held just before
    it. A position p >= i holds, before step i, the value that the last earlier step aiming at p
    left there (that step's own a[k]), or p itself if no step aimed at it. Those "last writer"
    lookups are one sort and binary search; the chains "value a step carried in was carried in
    by an earlier step" are resolved by pointer jumping."""
    n = len(targets) + 1
    steps = np.arange(n - 1)
    order = np.lexsort((steps, targets))
    keys = targets[order] * n + steps[order]

    def last_writer(pos, before):  # last step k < before with targets[k] == pos, else -1
        idx = np.searchsorted(keys, pos * n + before) - 1
        hit = (idx >= 0) & (keys[np.maximum(idx, 0)] // n == pos)
        return np.where(hit, order[np.maximum(idx, 0)], -1)

    everything = np.arange(n)
    held = last_writer(everything, everything)  # a[i] just before step i came from step held[i]
    carried = np.where(held < 0, everything, held)
    while True:  # follow the chains back to positions nobody wrote: their value is their index
        nxt = carried[carried]
        if np.array_equal(nxt, carried):
            break
        carried = nxt
    writer = last_writer(np.append(targets, n - 1), everything)
    return np.where(writer < 0, np.append(targets, n - 1), carried[np.maximum(writer, 0)])


# ------------------------------------------------------------------------------- the generator

class Generator:
    """A CPU generator that matches torch.Generator('cpu') word for word and sample for sample.

    Seeding, get_state/set_state (in torch's 5056-byte layout) and every sampler behave like
    their torch counterparts; each sampler's docstring names the torch call it reproduces."""

    def __init__(self, seed=DEFAULT_SEED):
        self._bits = np.random.MT19937()
        self._words_source = np.random.Generator(self._bits)  # hands out uint32 words as they are
        self.manual_seed(seed)

    # ---------------------------------------------------------------------- seed and state

    def manual_seed(self, seed):
        """Seed like torch.manual_seed: negative seeds wrap to uint64, mt19937 uses the low 32
        bits, and the cached normal samples are dropped."""
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed % 2**64
        self._bits._legacy_seeding(self._seed & 0xFFFFFFFF)
        self._fresh = True  # torch reports next=0 until the first draw
        self._next_double = self._next_float = None
        return self

    def seed(self):
        """Seed from the OS's entropy, like torch.seed(); returns the seed."""
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The state as torch.get_rng_state() lays it out: a uint8 array of 5056 bytes."""
        mt = self._bits.state["state"]
        state = np.zeros((), _STATE_LAYOUT)
        state["seed"], state["seeded"], state["state"] = self._seed, 1, mt["key"]
        state["left"] = _N + 1 - mt["pos"]  # torch counts words left, NumPy the next index
        state["next"] = 0 if self._fresh else mt["pos"]
        if self._next_double is not None:
            state["normal_y"], state["normal_is_valid"] = self._next_double, 1
        if self._next_float is not None:
            state["next_float_normal"], state["next_float_normal_is_valid"] = self._next_float, 1
        return np.frombuffer(state.tobytes(), np.uint8).copy()

    def set_state(self, new_state):
        """Restore a state from get_state() or from torch.get_rng_state().numpy()."""
        new_state = np.asarray(new_state)
        if new_state.dtype != np.uint8:
            raise TypeError(f"expected a uint8 (torch.ByteTensor) state, but got {new_state.dtype}")
        if new_state.size != _STATE_LAYOUT.itemsize:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_LAYOUT.itemsize}"
                               f" but found the input RNG state size to be {new_state.size}")
        state = np.frombuffer(new_state.tobytes(), _STATE_LAYOUT)[0]
        left, nxt = int(state["left"]), int(state["next"])
        if not (state["seeded"] and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        if left != 1 and left + nxt != _N + 1:  # torch never writes such a state itself
            raise RuntimeError("unsupported mt19937 state: expected left + next == 625")
        key = state["state"].astype(np.uint32)  # torch stores the 32-bit words widened to 64
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N + 1 - left}}
        self._seed, self._fresh = int(state["seed"]), nxt == 0
        self._next_double = float(state["normal_y"]) if state["normal_is_valid"] else None
        valid_float = state["next_float_normal_is_valid"]
        self._next_float = np.float32(state["next_float_normal"]) if valid_float else None

    # --------------------------------------------------------------------------- raw draws

    def _words(self, n):
        """n calls of torch's random(): 32-bit words."""
        if n:
            self._fresh = False
        return self._words_source.integers(0, 2**32, size=n, dtype=np.uint32)

    def _words64(self, n):
        """n calls of torch's random64(): two words each, the first one the high half."""
        w = self._words(2 * n).astype(np.uint64)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def _uniform(self, n, opmath):
        """n uniforms in [0, 1) in float32 (24 bits of a word) or float64 (53 bits of a
        random64), as torch's uniform_real_distribution(0, 1)."""
        if opmath == _F64:
            w = self._words(2 * n).reshape(n, 2)
            return (w[:, 0] & 0x1FFFFF).astype(_F64) * 2.0**-21 + w[:, 1].astype(_F64) * 2.0**-53
        return (self._words(n) & 0xFFFFFF).view(np.int32).astype(_F32) * np.float32(2.0**-24)

    def _normal_serial(self, n):
        """n standard normals from torch's per-element normal_distribution<double>: Box-Muller
        on two float64 uniforms gives r cos t now and caches r sin t for the next call."""
        out = np.empty(n)
        start = 0
        if n and self._next_double is not None:
            out[0], start, self._next_double = self._next_double, 1, None
        pairs = (n - start + 1) // 2
        u = self._uniform(2 * pairs, _F64).reshape(pairs, 2)
        radius, theta = np.sqrt(-2 * np.log1p(-u[:, 1])), 2 * np.pi * u[:, 0]
        both = np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1).ravel()
        out[start:] = both[: n - start]
        if (n - start) % 2:
            self._next_double = float(both[-1])
        return out

    def _normal_blocks(self, n, dtype, mean, std):
        """torch's normal_fill (n >= 16): n uniforms turned into normals 16 at a time; when n is
        not a multiple of 16, 16 fresh uniforms redo the last 16 positions."""
        opmath = _opmath(dtype)
        tail = n % 16
        u = self._uniform(n + (16 if tail else 0), opmath)
        rows = u[: n - tail].reshape(-1, 16)
        if tail:
            rows = np.concatenate([rows, u[n:].reshape(1, 16)])
        z = _box_muller_16(rows, opmath.type(mean), opmath.type(std)).ravel()
        if tail:  # the extra row's results overwrite the last 16 positions
            z = np.concatenate([z[: n - 16], z[-16:]])
        return _cast(z, dtype)

    # ------------------------------------------------------------------------ floating point

    def uniform(self, shape, dtype=np.float32, low=0.0, high=1.0):
        """torch.rand / Tensor.uniform_(low, high): fma(u, high - low, low) in float32 (float64
        for float64), rounded to dtype; a value that rounds up to `high` becomes `low`."""
        dtype = np.dtype(dtype)
        lowest, top = _dtype_limits(dtype)
        for value, name in ((low, "from"), (high, "to")):
            if not lowest <= value <= top:
                raise RuntimeError(f"{name} is out of bounds for {dtype}")
        if low > high:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={low} > to={high}")
        if high - low > top:
            raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{dtype}>::max(), "
                               f"but found to={high} and from={low} which result in to-from to "
                               f"exceed the limit")
        opmath = _opmath(dtype)
        u = self._uniform(_numel(shape), opmath)
        lo, hi = opmath.type(low), opmath.type(high)
        if (lo, hi) != (0, 1):
            u = (_fma64 if opmath == _F64 else _fma32)(u, hi - lo, lo)
        out = _cast(u, dtype)
        out[out == _cast(np.array([high]), dtype)[0]] = _cast(np.array([low]), dtype)[0]
        return out.reshape(shape)

    def normal(self, shape=None, dtype=np.float32, mean=0.0, std=1.0):
        """torch.randn / Tensor.normal_(mean, std) for scalar mean and std: 16 or more elements
        take torch's block kernel, fewer its per-element sampler (which caches a sample).

        An array mean or std gives torch.normal's tensor overloads: normal_(0, std) then
        `+ mean` when only mean is an array, else normal_(0, 1) then `* std + mean`, each a
        separate op in dtype. `shape` then defaults to the broadcast shape of mean and std."""
        dtype = np.dtype(dtype)
        if isinstance(mean, np.ndarray) or isinstance(std, np.ndarray):
            return self._normal_array_args(shape, dtype, mean, std)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        n = _numel(shape)
        if n >= 16:
            return self._normal_blocks(n, dtype, mean, std).reshape(shape)
        z = _fma64(self._normal_serial(n), std, mean) + 0.0
        return _cast(z, dtype).reshape(shape)

    def _normal_array_args(self, shape, dtype, mean, std):
        mean_a, std_a = np.asarray(mean), np.asarray(std)
        if std_a.size and not (std_a >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if shape is None:
            shape = np.broadcast_shapes(mean_a.shape, std_a.shape)
        if not isinstance(std, np.ndarray):
            return self.normal(shape, dtype, 0.0, std) + mean_a.astype(dtype)
        return self.normal(shape, dtype) * std_a.astype(dtype) + mean_a.astype(dtype)

    def log_normal(self, shape, dtype=np.float32, mean=1.0, std=2.0):
        """Tensor.log_normal_(mean, std): exp of the per-element normal sampler, in float64."""
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        z = self._normal_serial(_numel(shape))
        return _cast(np.exp(_fma64(z, std, mean)), np.dtype(dtype)).reshape(shape)

    def exponential(self, shape, dtype=np.float32, lambd=1.0):
        """Tensor.exponential_(lambd): -1/lambd * log1p(-u) on float64 uniforms."""
        dtype = np.dtype(dtype)
        if not _float_digits(dtype):
            raise RuntimeError("Exponential distribution is a continuous probability distribution."
                               f" dtype must be a floating point but you specified {dtype}")
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        u = self._uniform(_numel(shape), _F64)
        return _cast((-1.0 / lambd) * np.log1p(-u), dtype).reshape(shape)

    def geometric(self, shape, dtype, p):
        """Tensor.geometric_(p): ceil(log(u) / log1p(-p)) on float64 uniforms."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        u = self._uniform(_numel(shape), _F64)
        with np.errstate(divide="ignore"):  # u == 0 gives inf, as in torch
            return _cast(np.ceil(np.log(u) / np.log1p(-p)), np.dtype(dtype)).reshape(shape)

    def cauchy(self, shape, dtype=np.float32, median=0.0, sigma=1.0):
        """Tensor.cauchy_(median, sigma): fma(sigma, tan(pi (u - 0.5)), median) in float64."""
        dtype = np.dtype(dtype)
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        if not _float_digits(dtype):
            raise RuntimeError("Cauchy distribution is a continuous probability distribution. "
                               f"dtype must be a floating point but you specified {dtype}")
        u = self._uniform(_numel(shape), _F64)
        return _cast(_fma64(sigma, np.tan(np.pi * (u - 0.5)), median), dtype).reshape(shape)

    # ------------------------------------------------------------------------------ integers

    def random_(self, shape, dtype=np.int64):
        """Tensor.random_() with no bounds: [0, 2**mantissa] for floats, [0, max] for ints;
        int64 and float64 draw random64(), the rest one word (bool keeps its lowest bit)."""
        dtype = np.dtype(dtype)
        if dtype.kind == "u" and dtype.itemsize > 1:
            raise RuntimeError(f"random_ is not implemented for {dtype}")
        n = _numel(shape)
        digits = _float_digits(dtype)
        wide = dtype in (np.int64, _F64)
        words = self._words64(n) if wide else self._words(n).astype(np.uint64)
        if dtype == np.bool_:
            modulus = 2
        else:
            modulus = 2**digits + 1 if digits else _dtype_limits(dtype)[1] + 1
        return _cast(words % np.uint64(modulus), dtype).reshape(shape)

    def random_int(self, shape, dtype, low, high=None):
        """torch.randint(low, high) / Tensor.random_(low, high): (word % range) + low, with a
        random64() per element once the range reaches 2**28. high=None means Tensor.random_(low):
        up to the dtype's max (2**mantissa for floats); low=-2**63 then covers all 64 bits."""
        dtype = np.dtype(dtype)
        n = _numel(shape)
        if high is None and low == _INT64_MIN:
            if dtype not in (np.int64, _F64, _F32) and dtype.name != "bfloat16":
                raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                                   "double, float and bfloat16")
            return _cast(self._words64(n).view(np.int64), dtype).reshape(shape)
        low, span = self._int_range(dtype, int(low), high)
        words = self._words64(n) if span >= 2**28 else self._words(n).astype(np.uint64)
        values = words % np.uint64(span) + np.uint64(low % 2**64)  # wraps like torch's uint64
        return _cast(values.view(np.int64), dtype).reshape(shape)

    @staticmethod
    def _int_range(dtype, low, high):
        """torch's random_from_to checks: returns (low, number of values)."""
        digits = _float_digits(dtype)
        if high is not None:
            high = int(high)
            if not low < high:
                raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                                   f"from={low} >= to={high}")
            if digits:
                low, high = _adjust_from(low, digits, dtype), _adjust_to(high, digits, dtype)
                if not low < high:
                    raise RuntimeError("random_ expects 'from' casted to dtype to be less than "
                                       f"'to' casted to dtype, but got from={low} >= to={high}")
            _check_bounds(low, high - 1, dtype)
            return low, high - low
        if digits:
            high_inclusive = min(2**digits, 2**63 - 1)
            low = _adjust_from(low, digits, dtype)
            if not low < high_inclusive:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or "
                                   f"equal to 'to_inc' casted to dtype, but got from={low} > "
                                   f"to_inc={high_inclusive}")
        else:
            high_inclusive = _dtype_limits(dtype)[1]
        _check_bounds(low, high_inclusive, dtype)
        return low, high_inclusive - low + 1

    def randperm(self, n, dtype=np.int64):
        """torch.randperm(n): below 2**32 / 20, the loop `swap(a[i], a[i + random() % (n - i)])`
        for i < n - 1; from there on, the inside-out shuffle with random64()."""
        n = int(n)
        if n < 0:
            raise RuntimeError(f"n must be non-negative, got{n}")
        dtype = np.dtype(dtype)
        digits = _float_digits(dtype)
        if (digits and n > 2**digits + 1) or (not digits and n - 1 > _dtype_limits(dtype)[1]):
            raise RuntimeError(f"n cannot be greater than the maximum value of {dtype}")
        if n >= (2**32 - 1) // 20:
            return _cast(self._inside_out_shuffle(n), dtype)
        if n < 2:
            return np.arange(n).astype(dtype)
        span = np.arange(n, 1, -1, dtype=np.uint64)  # n - i for i < n - 1
        targets = (self._words(n - 1) % span).astype(np.int64) + np.arange(n - 1)
        return _cast(_forward_shuffle(targets), dtype)
