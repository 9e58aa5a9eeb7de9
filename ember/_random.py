"""torch's CPU random number generator, reproduced bit for bit on NumPy arrays.

torch draws everything from one Mersenne Twister (mt19937) stream. NumPy's ``MT19937`` with its
legacy integer seeding yields the same 32-bit words, so this module only has to repeat how
torch's CPU kernels turn words into samples:

* ``random()`` is one word; ``random64()`` is two words, the first one the high half.
* a float32 (also float16/bfloat16) uniform keeps the low 24 bits of a word, a float64 uniform
  the low 53 bits of a ``random64()``.
* kernels draw serially in element order, so a sampler draws all its words at once and
  transforms them with array operations.

The arithmetic follows torch's AVX2 kernels (the ones x86 CPUs with AVX2 or AVX-512 run), which
GCC compiled with each ``a * b + c`` fused into one multiply-add; ``_fma32``/``_fma64`` redo
that. Two samplers live in modules of their own: the float32 normal kernel
(``_random_avx2``) and Poisson (``_random_poisson``). None of these import the rest of ember:
samplers take a shape and a NumPy dtype (float16/bfloat16 from ml_dtypes included) and return
NumPy arrays.
"""

import functools
import math
import os
import warnings

import numpy as np

from ember import _random_avx2 as _avx2
from ember import _random_poisson as _poisson

DEFAULT_SEED = 67280421310721  # torch.Generator()'s seed (c10's default_rng_seed_val)
_N = 624  # words in the mt19937 state
_INT64_MIN = -(2**63)
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)

# Byte layout of torch.get_rng_state(): the legacy THGenerator struct (mt19937 words widened to
# uint64, Box-Muller fields kept for old checkpoints), then the float normal cache.
_STATE_LAYOUT = np.dtype({
    "names": ["seed", "left", "seeded", "next", "state", "normal_x", "normal_y", "normal_rho",
              "normal_is_valid", "next_float_normal", "next_float_normal_is_valid"],
    "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", (_N,)), "<f8", "<f8", "<f8", "<i4", "<f4", "?"],
    "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
    "itemsize": 5056,
})


# ----------------------------------------------------------------------------- float helpers

def _opmath(dtype):
    """torch computes float16/bfloat16 samples in float32 and rounds them at the end."""
    return _F64 if dtype == _F64 else _F32


def _cast(values, dtype):
    """static_cast to dtype: float16/bfloat16 only convert from float, so other values go
    through float32 first (two roundings, as in torch)."""
    if dtype.name in ("float16", "bfloat16") and values.dtype != _F32:
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


# ------------------------------------------------------------------------------ the generator

class Generator:
    """A CPU generator matching torch.Generator('cpu') word for word and sample for sample.

    Seeding and get_state/set_state (torch's 5056-byte layout) behave like torch's; each
    sampler's docstring names the torch call it reproduces."""

    def __init__(self, seed=DEFAULT_SEED):
        self._bits = np.random.MT19937()
        self.manual_seed(seed)

    # ---------------------------------------------------------------------- seed and state

    def manual_seed(self, seed):
        """Seed like torch.manual_seed: a negative seed wraps to uint64, mt19937 takes the low
        32 bits, and the cached normal samples are dropped."""
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
        state["left"] = _N + 1 - mt["pos"]  # torch counts the words left, NumPy the next index
        state["next"] = 0 if self._fresh else mt["pos"]
        if self._next_double is not None:
            state["normal_y"], state["normal_is_valid"] = self._next_double, 1
        if self._next_float is not None:
            state["next_float_normal"], state["next_float_normal_is_valid"] = self._next_float, 1
        return np.frombuffer(state.tobytes(), np.uint8).copy()

    def set_state(self, new_state):
        """Restore a state from get_state() or torch.get_rng_state().numpy()."""
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
        if left != 1 and left + nxt != _N + 1:  # torch itself never writes such a state
            raise RuntimeError("unsupported mt19937 state: expected left + next == 625")
        key = state["state"].astype(np.uint32)  # torch widens the 32-bit words to 64 bits
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N + 1 - left}}
        self._seed, self._fresh = int(state["seed"]), nxt == 0
        self._next_double = float(state["normal_y"]) if state["normal_is_valid"] else None
        valid_float = state["next_float_normal_is_valid"]
        self._next_float = np.float32(state["next_float_normal"]) if valid_float else None

    # --------------------------------------------------------------------------- raw draws

    def _raw(self, n):
        """n mt19937 outputs as NumPy's random_raw gives them: uint64 holding 32 bits each."""
        if n:
            self._fresh = False
        return self._bits.random_raw(n)

    def _words(self, n):
        """n calls of torch's random(): uint32 words."""
        return self._raw(n).astype(np.uint32)

    def _words64(self, n):
        """n calls of torch's random64(): two words each, the first the high half."""
        raw = self._raw(2 * n)
        return (raw[0::2] << np.uint64(32)) | raw[1::2]

    def _uniform(self, n, opmath):
        """n uniforms in [0, 1): float32 from 24 bits of a word, float64 from 53 bits of a
        random64() (torch's uniform_real_distribution(0, 1))."""
        if opmath == _F64:
            u = np.empty(n, _F64)
            for start in range(0, n, 1 << 16):  # no 16-byte-per-uniform temporary for all n
                raw = self._raw(2 * min(1 << 16, n - start))
                bits = np.bitwise_and(raw[0::2], 0x1FFFFF)
                bits <<= np.uint64(32)
                bits |= raw[1::2]
                np.multiply(bits.view(np.int64), 2.0**-53, out=u[start:start + len(bits)])
            return u
        words = self._words(n)
        words &= 0xFFFFFF
        u = words.view(np.int32).astype(_F32)
        u *= np.float32(2.0**-24)
        return u

    def _normal_serial(self, n):
        """n standard normals from torch's per-element normal_distribution<double>: Box-Muller
        on two float64 uniforms returns r cos t and caches r sin t for the next sample."""
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
        """torch's normal_fill (n >= 16): normals 16 at a time; if 16 does not divide n, 16
        fresh uniforms redo the last 16 places. float32/float64 draw all n uniforms before
        those 16, float16/bfloat16 only the whole rows."""
        opmath = _opmath(dtype)
        tail = n % 16
        drawn = n if dtype == opmath else n - tail
        if opmath == _F64:
            u = self._uniform(drawn + (16 if tail else 0), opmath)
            rows = u[: n - tail].reshape(-1, 16)
            if tail:
                rows = np.concatenate([rows, u[drawn:].reshape(1, 16)])
            z = _box_muller_rows64(rows, opmath.type(mean), opmath.type(std)).ravel()
            if tail:
                z = np.concatenate([z[: n - 16], z[-16:]])
            return _cast(z, dtype)
        mean, std = _F32.type(mean), _F32.type(std)
        finish = None  # fma(n, std, mean); with (1, +0) it only turns -0 into +0
        if not (std == 1 and mean == 0 and not np.signbit(mean)):
            def finish(normals):
                return _fma32(normals, std, mean)
        z = np.empty(n, _F32)
        _avx2.fill(self._words, z[: n - tail].reshape(-1, 16), finish)
        self._words(drawn - (n - tail))  # the tail's uniforms, drawn and then overwritten
        if tail:
            _avx2.normal16(self._words(16).reshape(1, 16), z[-16:].reshape(1, 16), finish)
        return _cast(z, dtype)

    # ------------------------------------------------------------------------ continuous

    def uniform(self, shape, dtype=np.float32, low=0.0, high=1.0):
        """torch.rand / Tensor.uniform_(low, high): fma(u, high - low, low) in float32 (float64
        for float64), cast to dtype; a value that rounds up to `high` becomes `low`."""
        dtype = np.dtype(dtype)
        lowest, top = _dtype_limits(dtype)
        for value, name in ((low, "from"), (high, "to")):
            if not lowest <= value <= top:
                raise RuntimeError(f"{name} is out of bounds for {dtype}")
        if low > high:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={low} > to={high}")
        if high - low > top:
            raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{dtype}>::max(),"
                               f" but found to={high} and from={low} which result in to-from to "
                               "exceed the limit")
        opmath = _opmath(dtype)
        u = self._uniform(_numel(shape), opmath)
        lo, hi = opmath.type(low), opmath.type(high)
        if (lo, hi) != (0, 1):
            u = (_fma64 if opmath == _F64 else _fma32)(u, hi - lo, lo)
        out = _cast(u, dtype)
        out[out == _cast(np.array([high]), dtype)] = _cast(np.array([low]), dtype)
        return out.reshape(shape)

    def normal(self, shape=None, dtype=np.float32, mean=0.0, std=1.0):
        """torch.randn / Tensor.normal_(mean, std): 16 or more elements take torch's block
        kernel, fewer its per-element sampler (which keeps a cached sample between calls).

        An array mean or std gives torch.normal's tensor overloads: normal_(0, std) then
        `+ mean` when only mean is an array, else normal_(0, 1) then `* std + mean`, each a
        separate op in dtype; shape defaults to the broadcast shape of mean and std."""
        dtype = np.dtype(dtype)
        if isinstance(mean, np.ndarray) or isinstance(std, np.ndarray):
            return self._normal_array_args(shape, dtype, mean, std)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape = () if shape is None else shape
        n = _numel(shape)
        if n >= 16:
            return self._normal_blocks(n, dtype, mean, std).reshape(shape)
        return _cast(_fma64(self._normal_serial(n), std, mean), dtype).reshape(shape)

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
        _check_continuous("Exponential", dtype)
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        u = self._uniform(_numel(shape), _F64)
        return _cast((-1.0 / lambd) * np.log1p(-u), dtype).reshape(shape)

    def cauchy(self, shape, dtype=np.float32, median=0.0, sigma=1.0):
        """Tensor.cauchy_(median, sigma): fma(sigma, tan(pi (u - 0.5)), median) in float64."""
        dtype = np.dtype(dtype)
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        _check_continuous("Cauchy", dtype)
        u = self._uniform(_numel(shape), _F64)
        return _cast(_fma64(sigma, np.tan(np.pi * (u - 0.5)), median), dtype).reshape(shape)

    # ------------------------------------------------------------------------------ discrete

    def geometric(self, shape, dtype, p):
        """Tensor.geometric_(p): ceil(log(u) / log1p(-p)) on float64 uniforms."""
        if np.dtype(dtype) == np.bool_ and _numel(shape):
            raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        u = self._uniform(_numel(shape), _F64)
        with np.errstate(divide="ignore"):  # u == 0 gives inf, as in torch
            return _cast(np.ceil(np.log(u) / np.log1p(-p)), np.dtype(dtype)).reshape(shape)

    def bernoulli(self, p, shape=None, dtype=None):
        """A scalar p is Tensor.bernoulli_(p): float64 uniforms (random64) compared with p.
        An array p is torch.bernoulli(p) / Tensor.bernoulli_(p): float64 p is compared with
        float64 uniforms, other float p with float32 uniforms (one word each). shape defaults
        to p's shape, dtype to p's dtype (float32 for a scalar p)."""
        if not isinstance(p, np.ndarray):
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
            u = self._uniform(_numel(shape), _F64)
            return (u < p).astype(dtype or _F32).reshape(shape)
        shape = p.shape if shape is None else tuple(shape)
        opmath = _F64 if p.dtype == _F64 else _F32
        probs = np.broadcast_to(p, shape).astype(opmath).ravel()
        if not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        u = self._uniform(probs.size, opmath)
        return (u < probs).astype(dtype or p.dtype).reshape(shape)

    def poisson(self, rates, dtype=None):
        """torch.poisson(rates): one count per rate, in C order, cast to dtype (default: the
        rates' dtype). Rates below 10 take Knuth's multiplication method, larger ones
        Hormann's transformed rejection; both on float64 uniforms (ember._random_poisson)."""
        rates = np.asarray(rates)
        counts = _poisson.sample(self, rates.astype(_F64).ravel())  # static_cast<double>
        with np.errstate(over="ignore"):  # counts past float16's range become inf, silently
            out = _cast(counts, np.dtype(dtype or rates.dtype))
        return out.reshape(rates.shape)

    def random_(self, shape, dtype=np.int64):
        """Tensor.random_() without bounds: [0, 2**mantissa] for floats, [0, max] for ints
        (bool keeps a word's lowest bit); int64 and float64 draw random64(), others a word."""
        dtype = np.dtype(dtype)
        if dtype.kind == "u" and dtype.itemsize > 1:
            raise NotImplementedError(f"\"random_kernel_cpu\" not implemented for '{dtype}'")
        n = _numel(shape)
        words = self._words64(n) if dtype in (np.int64, _F64) else self._words(n).astype(np.uint64)
        digits = _float_digits(dtype)
        modulus = 2**digits + 1 if digits else _dtype_limits(dtype)[1] + 1
        return _cast(words % np.uint64(modulus), dtype).reshape(shape)

    def random_int(self, shape, dtype, low, high=None):
        """torch.randint(low, high) / Tensor.random_(low, high): word % (high - low) + low, with
        random64() per element once the range reaches 2**28. high=None is Tensor.random_(low,
        None): up to dtype's max (2**mantissa for floats), and all 64 bits when low=-2**63."""
        dtype, n = np.dtype(dtype), _numel(shape)
        if high is None and low == _INT64_MIN:
            if n and dtype in (np.float16, np.bool_):  # torch does not even compile these
                name = "Half" if dtype == np.float16 else "Bool"
                raise NotImplementedError(
                    f"\"random_full_64_bits_range_kernel_cpu\" not implemented for '{name}'")
            if n and dtype not in (np.int64, _F64, _F32) and dtype.name != "bfloat16":
                raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                                   "double, float and bfloat16")
            return _cast(self._words64(n).view(np.int64), dtype).reshape(shape)
        low, span = _int_range(dtype, int(low), None if high is None else int(high))
        if span < 2**28:  # one word each; the sum stays in [low, high), so int64 is exact
            values = (self._words(n) % np.uint32(span)).astype(np.int64) + low
        else:  # uint64 arithmetic wraps the way torch's does
            values = (self._words64(n) % np.uint64(span) + np.uint64(low % 2**64)).view(np.int64)
        return _cast(values, dtype).reshape(shape)

    def randperm(self, n, dtype=np.int64):
        """torch.randperm(n): for n < 2**32 / 20, `swap(a[i], a[i + random() % (n - i)])` for
        i < n - 1; beyond, the inside-out shuffle with random64() % (i + 1)."""
        n, dtype = int(n), np.dtype(dtype)
        if n < 0:
            raise RuntimeError(f"n must be non-negative, got{n}")
        if dtype == np.bool_:
            raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
        _check_randperm_size(n, dtype)
        if n >= (2**32 - 1) // 20:
            picks = self._words64(n) % np.arange(1, n + 1, dtype=np.uint64)
            return _cast(_inside_out(picks.astype(np.int64)), dtype)
        if n < 2:
            return np.arange(n).astype(dtype)
        targets = self._words(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)  # % (n - i)
        return _cast(_forward_shuffle(targets.astype(np.int64) + np.arange(n - 1)), dtype)

    def multinomial(self, probs, num_samples, replacement=False):
        """torch.multinomial on 1-D or 2-D weights; returns int64 indices. Without replacement
        torch divides the weights by Exp(1) samples (exponential_ on an array like probs) and
        takes the top num_samples; with replacement it binary-searches float64 uniforms in each
        row's normalised running sum."""
        probs = np.asarray(probs)
        if probs.ndim not in (1, 2):
            raise RuntimeError("prob_dist must be 1 or 2 dim")
        if not _float_digits(probs.dtype):
            raise RuntimeError("multinomial only supports floating-point dtypes for input, "
                               f"got: {probs.dtype}")
        if num_samples <= 0:
            raise RuntimeError("cannot sample n_sample <= 0 samples")
        if not replacement and num_samples > probs.shape[-1]:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        if not replacement:
            return self._multinomial_topk(probs, num_samples)
        rows = probs.reshape(-1, probs.shape[-1])
        out = np.stack([self._multinomial_row(row, num_samples) for row in rows])
        return out.reshape(probs.shape[:-1] + (num_samples,))

    def _multinomial_topk(self, probs, num_samples):
        if not (np.isfinite(probs).all() and (probs >= 0).all()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (probs.sum(axis=-1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        scores = probs / self.exponential(probs.shape, probs.dtype)
        if num_samples == 1:
            return np.argmax(scores, axis=-1, keepdims=True).astype(np.int64)
        order = np.argsort(-scores.astype(_F64), axis=-1, kind="stable")
        return order[..., :num_samples].astype(np.int64)

    def _multinomial_row(self, row, num_samples):
        acc = _opmath(row.dtype)  # float16/bfloat16 rows are summed in float32
        if not np.isfinite(row.astype(acc)).all() or (row < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry"
                               " < 0, infinity or NaN)")
        running = np.cumsum(row.astype(acc), dtype=acc)  # one element after another, like torch
        if not running[-1] > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        running /= running[-1]
        running[-1] = 1
        return np.searchsorted(running.astype(_F64), self._uniform(num_samples, _F64))



def _check_continuous(name, dtype):
    if not _float_digits(dtype):
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {dtype}")


default_generator = Generator()
default_generator.seed()  # torch seeds its default CPU generator from the OS at start-up
