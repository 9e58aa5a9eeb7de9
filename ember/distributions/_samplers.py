"""Samplers torch runs element by element on its CPU generator: _standard_gamma,
_sample_dirichlet and binomial, reproduced draw for draw on ember's generator.

Each element takes as many float64 uniforms (``at::uniform_real_distribution<double>``) and
normals (``at::normal_distribution<double>``: Box-Muller, the second value cached in the
generator) as its rejection loop needs, so elements are sampled one after another. The stream
is read in blocks (``_Draws``) and, when sampling ends, rewound and advanced by exactly the
words used, which leaves the generator where torch's would be.

NOTE: scalar arithmetic follows torch's templates: ``scalar_t`` operations round to float32
for float32 tensors (``_f32``), the accumulating type is double; the kernels are compiled
without fused multiply-adds, and Python's math module calls the same libm as torch.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember._backend import to_host

_F32 = np.float32
_THIRD_F = float(_F32(1) / _F32(3))  # the float constant 1.0f / 3.0f
_C_0331 = float(_F32(0.0331))  # the float constant 0.0331f
_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _f32(x):
    return float(_F32(x))


# NOTE: Python's float arithmetic raises where C's returns inf or nan (x / 0, log(0), ceil(inf),
# pow overflow); these give C's results, and the exceptions only cost on those rare inputs

def _div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        with np.errstate(all="ignore"):
            return float(np.float64(a) / np.float64(b))


def _log(x):
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


def _sqrt(x):
    return math.sqrt(x) if x >= 0 else math.nan


def _pow(x, y):
    try:
        return math.pow(x, y)
    except (OverflowError, ValueError):
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(x), np.float64(y)))


def _floor(x):
    return float(math.floor(x)) if math.isfinite(x) else x


def _ceil(x):
    return float(math.ceil(x)) if math.isfinite(x) else x


def _same(x):
    return x


class _Draws:
    """Serial float64 uniforms and normals from a generator, read ahead in blocks; close()
    leaves the generator just past the words used (and its normal cache as torch's)."""

    def __init__(self, gen, expected):
        self._gen = gen
        self._start = gen._bits.state
        self._fresh = gen._fresh
        self._block = max(64, 2 * int(expected))
        self._words = []
        self._pos = 0
        self._used = 0

    def _word_pair(self):
        if self._pos + 2 > len(self._words):
            self._used += self._pos
            self._words = self._gen._raw(self._block).tolist()
            self._block *= 2
            self._pos = 0
        hi, lo = self._words[self._pos], self._words[self._pos + 1]
        self._pos += 2
        return hi, lo

    def uniform(self):
        """torch's uniform_real_distribution<double>(0, 1): 53 bits of a random64()."""
        hi, lo = self._word_pair()
        return (((hi & 0x1FFFFF) << 32) | lo) * 2.0**-53

    def normal(self):
        """torch's normal_distribution<double>: the cached value if any, else Box-Muller on
        two uniforms, returning r cos(theta) and caching r sin(theta)."""
        cached = self._gen._next_double
        if cached is not None:
            self._gen._next_double = None
            return cached
        u1, u2 = self.uniform(), self.uniform()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        self._gen._next_double = r * math.sin(theta)
        return r * math.cos(theta)

    def close(self):
        used = self._used + self._pos
        self._gen._bits.state = self._start
        self._gen._fresh = self._fresh
        if used:
            self._gen._raw(used)


def _generator():
    return ember.default_generator


def _gamma_one(alpha, draws, rnd):
    """sample_gamma<scalar_t, double>: Marsaglia and Tsang's method, alpha < 1 boosted by one;
    rnd rounds a scalar_t operation (float32 or not at all)."""
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        scale *= _pow(1 - draws.uniform(), rnd(_div(1.0, alpha)))
        alpha = rnd(alpha + 1.0)
    d = rnd(alpha - _THIRD_F)
    c = _div(1.0, _sqrt(9.0 * d))
    while True:
        while True:
            x = draws.normal()
            y = 1.0 + c * x
            if not y <= 0:
                break
        v = y * y * y
        u = 1 - draws.uniform()
        xx = x * x
        if u < 1.0 - _C_0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + _log(v)):
            return scale * d * v


def standard_gamma(alpha):
    """torch._standard_gamma on a host array of concentrations (float32 or float64): one
    Gamma(alpha, 1) sample per element, at least the dtype's smallest normal number."""
    flat = alpha.ravel()
    f32 = flat.dtype == _F32
    rnd = _f32 if f32 else _same
    tiny = float(np.finfo(flat.dtype).tiny)
    out = np.empty(flat.shape, flat.dtype)
    draws = _Draws(_generator(), 2 * flat.size)
    try:
        for i, a in enumerate(flat.tolist()):
            out[i] = max(tiny, rnd(_gamma_one(a, draws, rnd)))
    finally:
        draws.close()
    return out.reshape(alpha.shape)


def _multi_row_sum(groups):
    """ATen's multi_row_sum: sums over axis 1 of (rows, size, ...) in a four-level cascade of
    blocks of 16, each level adding into the next."""
    size = groups.shape[1]
    acc = [np.zeros(groups.shape[:1] + groups.shape[2:]) for _ in range(4)]
    i = 0
    while i + 16 <= size:
        for _ in range(16):
            acc[0] = acc[0] + groups[:, i]
            i += 1
        for j in range(1, 4):
            acc[j], acc[j - 1] = acc[j] + acc[j - 1], acc[j - 1] * 0
            if i & (15 << (4 * j)):
                break
    for k in range(i, size):
        acc[0] = acc[0] + groups[:, k]
    for j in range(1, 4):
        acc[0] = acc[0] + acc[j]
    return acc[0]


def _row_sum(items):
    """ATen's row_sum: items of (rows, size, ...) taken four at a time into four partial sums,
    the leftovers added to the first, then the partials added in order."""
    size_ilp = items.shape[1] // 4
    groups = items[:, : size_ilp * 4].reshape(items.shape[:1] + (size_ilp, 4) + items.shape[2:])
    partial = _multi_row_sum(groups)
    first = partial[:, 0]
    for i in range(size_ilp * 4, items.shape[1]):
        first = first + items[:, i]
    for k in range(1, 4):
        first = first + partial[:, k]
    return first


def _torch_sum_last(x):
    """x.sum(-1) for float64 rows in the order torch's CPU sum kernel adds them (AVX2: four
    doubles a vector): whole vectors summed lane by lane, then the leftover elements, then the
    lanes; rows shorter than a vector are summed one element after another."""
    rows = x.reshape(-1, x.shape[-1])
    k = rows.shape[1]
    if k < 4:
        return _row_sum(rows).reshape(x.shape[:-1])
    n_vec = k // 4
    lanes = _row_sum(rows[:, : n_vec * 4].reshape(-1, n_vec, 4))
    total = np.zeros(rows.shape[0])
    for i in range(n_vec * 4, k):
        total = total + rows[:, i]
    for lane in range(4):
        total = total + lanes[:, lane]
    return total.reshape(x.shape[:-1])


def sample_dirichlet(alpha):
    """torch._sample_dirichlet on a host array: float64 gamma samples normalised over the last
    dim (summed in torch's order), cast back and clamped into [tiny, the float below 1]."""
    gammas = standard_gamma(alpha.astype(np.float64))
    ratios = (gammas / _torch_sum_last(gammas)[..., None]).astype(alpha.dtype)
    info = np.finfo(alpha.dtype)
    return np.clip(ratios, info.tiny, np.nextafter(alpha.dtype.type(1), alpha.dtype.type(0)))


def _stirling_tail(k):
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_inversion(count, prob, draws, rnd):
    geom_sum, num_geom = 0.0, 0.0
    logprob = float(np.log1p(-np.array(prob, np.float32 if rnd is _f32 else np.float64)))
    while True:
        geom = _ceil(_div(_log(draws.uniform()), logprob))
        geom_sum += geom
        if geom_sum > count:
            return num_geom
        num_geom = rnd(num_geom + 1)


def _btrs(count, prob, draws, rnd):
    """Hormann's transformed rejection with squeeze, as torch (after TensorFlow) writes it."""
    stddev = rnd(_sqrt(rnd(rnd(count * prob) * rnd(1 - prob))))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = rnd(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = rnd(prob / rnd(1 - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = _floor(rnd((count + 1) * prob))
    while True:
        u = draws.uniform() - 0.5
        v = draws.uniform()
        us = 0.5 - abs(u)
        k = rnd(_floor((_div(2 * a, us) + b) * u + c))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = _log(v * alpha / (_div(a, us * us) + b))
        upperbound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                      + rnd(count + 1) * math.log((count - m + 1) / rnd(rnd(count - k) + 1))
                      + (k + 0.5) * math.log(r * rnd(rnd(count - k) + 1) / rnd(k + 1))
                      + _stirling_tail(m) + _stirling_tail(count - m)
                      - _stirling_tail(k) - _stirling_tail(rnd(count - k)))
        if v <= upperbound:
            return k


def _binomial_one(count, prob, draws, rnd):
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        if rnd(count * prob) >= 10.0:
            return _btrs(count, prob, draws, rnd)
        return _binomial_inversion(count, prob, draws, rnd)
    if prob > 0.5:
        qprob = rnd(1.0 - prob)
        if rnd(count * qprob) >= 10.0:
            return rnd(count - _btrs(count, qprob, draws, rnd))
        return rnd(count - _binomial_inversion(count, qprob, draws, rnd))
    return math.nan


def binomial(count, prob):
    """torch.binomial(count, prob) on host arrays of one shape and float dtype."""
    rnd = _f32 if count.dtype == _F32 else _same
    out = np.empty(count.size, count.dtype)
    draws = _Draws(_generator(), 4 * count.size)
    try:
        for i, (n, p) in enumerate(zip(count.ravel().tolist(), prob.ravel().tolist())):
            out[i] = _binomial_one(n, p, draws, rnd)
    finally:
        draws.close()
    return out.reshape(count.shape)


def host(t):
    """A tensor's values as a NumPy array."""
    return to_host(t._data)
