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
that (``_math``, with the dtype checks and shuffles). This module is the generator's
core: seeding, state and raw draws; its sampling methods are in ``_samplers``, and two
samplers live in modules of their own: the float32 normal kernel (``_random_avx2``) and Poisson
(``_random_poisson``). None of these import the rest of ember:
samplers take a shape and a NumPy dtype (float16/bfloat16 from ml_dtypes included) and return
NumPy arrays.
"""

import os

import numpy as np

from ember._random._math import _F32, _F64, _box_muller_rows64, _cast, _fma32, _opmath
from ember._random._samplers import Samplers

DEFAULT_SEED = 67280421310721  # torch.Generator()'s seed (c10's default_rng_seed_val)
_N = 624  # words in the mt19937 state

# Byte layout of torch.get_rng_state(): the legacy THGenerator struct (mt19937 words widened to
# uint64, Box-Muller fields kept for old checkpoints), then the float normal cache.
_STATE_LAYOUT = np.dtype({
    "names": ["seed", "left", "seeded", "next", "state", "normal_x", "normal_y", "normal_rho",
              "normal_is_valid", "next_float_normal", "next_float_normal_is_valid"],
    "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", (_N,)), "<f8", "<f8", "<f8", "<i4", "<f4", "?"],
    "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
    "itemsize": 5056,
})


# ------------------------------------------------------------------------------ the generator

class Generator(Samplers):
    """A CPU generator matching torch.Generator('cpu') word for word and sample for sample.

    Seeding and get_state/set_state (torch's 5056-byte layout) behave like torch's; each
    sampler's docstring names the torch call it reproduces."""

    def __init__(self, seed=DEFAULT_SEED):
        self._mt = None  # NumPy's MT19937, made at the first draw (see _bits)
        self._uint32s = None  # a numpy.random.Generator on the same stream (see _words)
        self.manual_seed(seed)

    @property
    def _bits(self):
        """The mt19937 stream. Made on first use, seeded then: importing numpy.random costs
        ``import ember`` ~10 ms, and a process that never draws never needs it."""
        if self._mt is None:
            from numpy.random import MT19937

            self._mt = MT19937()
            self._mt._legacy_seeding(self._seed & 0xFFFFFFFF)
        return self._mt

    # ---------------------------------------------------------------------- seed and state

    def manual_seed(self, seed):
        """Seed like torch.manual_seed: a negative seed wraps to uint64, mt19937 takes the low
        32 bits, and the cached normal samples are dropped."""
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed % 2**64
        if self._mt is not None:  # else _bits seeds the stream when it makes it
            self._mt._legacy_seeding(self._seed & 0xFFFFFFFF)
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
        """n calls of torch's random(): uint32 words. Full-range integers() returns the stream's
        next 32-bit outputs as they are, the words random_raw gives, without the uint64 array."""
        if n:
            self._fresh = False
        if self._uint32s is None:
            from numpy.random import Generator

            self._uint32s = Generator(self._bits)
        return self._uint32s.integers(0, 2**32, size=n, dtype=np.uint32)

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
        from ember import _random_avx2 as _avx2  # here, not above: needed only once randn runs

        _avx2.fill(self._words, z[: n - tail].reshape(-1, 16), finish)
        if tail:
            if drawn == n:  # float32 draws the tail's uniforms too, then overwrites them
                self._words(tail)
            _avx2.normal16(self._words(16).reshape(1, 16), z[-16:].reshape(1, 16), finish)
        return _cast(z, dtype)


default_generator = Generator()
default_generator.seed()  # torch seeds its default CPU generator from the OS at start-up
