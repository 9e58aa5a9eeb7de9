"""torch.poisson on the CPU generator (ATen's sample_poisson), bit for bit.

Each rate draws float64 uniforms from the shared stream until its method stops: below 10,
Knuth's multiplication (multiply uniforms until the product falls to exp(-rate)); from 10,
Hormann's transformed rejection (PTRS), two uniforms per try. Element i reads the stream where
element i - 1 stopped.

NOTE: why rates that change from element to element still take a loop. Element i + 1 starts
at p(i + 1) = p(i) + n_i(p(i)), n_i being how many uniforms rate i uses from there, so every
start depends on every count before it, and array code can only guess starts and check them.
Guesses do not heal: the uncertainty in p(i) grows like sqrt(i); two guesses for the same
element d uniforms apart are still d apart on average after Knuth's step (a critical branching
process: they meet only after about d elements), and PTRS keeps an even gap whenever both tries
are accepted (most of the time). Each round of guess-and-check settles a bounded stretch, so
the rounds grow with the size. With one rate the element index drops out: where an element
that starts at position p ends is one function of p, computed for every p at once, and the
chain of starts from 0 follows by pointer doubling (Knuth), or element i simply takes the i-th
accepted try (PTRS). Runs of one rate (torch.full, expand, repeated rates) take those array
paths; the other elements take the loop.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy as np

_F64 = np.dtype(np.float64)
_INT64_MIN = -(2**63)
_TWO_63 = 2.0**63
_MIN_RUN = 64  # shorter runs of one rate are cheaper in the loop
_PTRS_MAX_RATE = 2.0**52  # beyond, float64 counts are no longer whole numbers
_STRIDE = 64  # pointer doubling: starts are followed 64 at a time


def sample(gen, lams):
    """int64 counts for float64 rates ``lams`` (1-D), drawn from ``gen`` as torch draws them.
    At the first invalid rate it raises, after the elements before it have drawn."""
    valid = lams >= 0  # NaN is not
    stop = len(lams) if valid.all() else int(np.argmin(valid))
    counts = np.zeros(len(lams), np.int64)
    lams, done = lams[:stop], 0
    if stop:
        edges = np.flatnonzero(lams[1:] != lams[:-1]) + 1
        starts, ends = np.append(0, edges), np.append(edges, stop)
        rate = lams[starts]
        runs = ((ends - starts >= _MIN_RUN) | (rate == 0)) & (rate < _PTRS_MAX_RATE)
        for start, end in zip(starts[runs].tolist(), ends[runs].tolist()):  # runs, not elements
            _loop(gen, lams[done:start], counts[done:start])
            counts[start:end] = _run(gen, float(lams[start]), end - start)
            done = end
    _loop(gen, lams[done:], counts[done:stop])
    if stop < len(counts):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return counts


# -------------------------------------------------------------------- one element at a time

def _loop(gen, lams, out):
    """The reference loop, on Python floats from a list only ever extended by uniforms certain
    to be used, so the generator never runs ahead."""
    # least[i]: the fewest uniforms elements i, i+1, ... use (a rate of 10 or more tries at
    # least once, with two; any other positive rate draws at least one)
    least = np.append(np.cumsum(np.where(lams >= 10, 2, lams > 0)[::-1])[::-1], 0).tolist()
    values, counts, pos = [], [], 0
    for i, lam in enumerate(lams.tolist()):
        while True:
            try:
                count, pos = (_ptrs if lam >= 10 else _knuth)(lam, values, pos)
                break
            except IndexError:  # out of uniforms: this element needs one more at least
                values += gen._uniform(1 + least[i + 1], _F64).tolist()
        counts.append(count)
    out[:] = counts


def _knuth(lam, u, pos):
    """torch's sample_poisson below rate 10: multiply uniforms until the product falls to
    exp(-rate); the count is how many products stayed above. Returns (count, next pos)."""
    if lam == 0:
        return 0, pos
    limit, product, count = math.exp(-lam), u[pos], 0
    pos += 1
    while product > limit:
        product *= u[pos]
        pos += 1
        count += 1
    return count, pos


def _c_lgamma():
    """The C library's lgamma, which torch calls. CPython's math.lgamma is its own and differs
    by a few ulps (at rates near 1e11 the test below has ulps of 1e-3), so near ties use this."""
    try:
        lgamma = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6").lgamma
    except (OSError, AttributeError):
        return math.lgamma
    lgamma.restype, lgamma.argtypes = ctypes.c_double, [ctypes.c_double]
    return lgamma


_lgamma = _c_lgamma()


def _ptrs_constants(lam):
    """PTRS's constants for one rate, in torch's order (that file is built without FMA):
    (log rate, b, a, log(1 / alpha), v_r)."""
    b = 0.931 + 2.53 * math.sqrt(lam)
    return math.log(lam), b, -0.059 + 0.02483 * b, math.log(1.1239 + 1.1328 / (b - 3.4)), \
        0.9277 - 3.6224 / (b - 2)


def _ptrs_slow_test(lam, constants, k, us, v):
    """PTRS's last acceptance test of a try (after the quick accept and the quick reject).
    math.lgamma decides unless the two sides are within its few ulps of each other; then the
    C library's lgamma, as torch's (a ctypes call costs ten times more)."""
    loglam, b, a, log_invalpha, _ = constants
    log_v = math.log(v) if v else -math.inf
    lhs = log_v + log_invalpha - math.log(a / (us * us) + b)
    rhs = -lam + k * loglam - math.lgamma(k + 1.0)
    if abs(lhs - rhs) <= 1e-12 * (lam + abs(k * loglam) + 64):
        rhs = -lam + k * loglam - _lgamma(k + 1.0)
    return lhs <= rhs


def _ptrs(lam, u, pos):
    """torch's sample_poisson from rate 10: Hormann's transformed rejection (PTRS), two
    uniforms per try. Returns (count, next pos)."""
    constants = _ptrs_constants(lam)
    _, b, a, _, vr = constants
    while True:
        U, V = u[pos] - 0.5, u[pos + 1]
        pos += 2
        us = 0.5 - abs(U)
        x = (2 * a / us + b) * U + lam + 0.43 if us else -math.inf  # C: 2a/0 is inf
        # (int64_t)floor(x): x86 gives INT64_MIN for NaN and out-of-range values (inf rates)
        k = math.floor(x) if -_TWO_63 <= x < _TWO_63 else _INT64_MIN
        if us >= 0.07 and V <= vr:
            return k, pos
        if k < 0 or (us < 0.013 and V > us):
            continue
        if _ptrs_slow_test(lam, constants, k, us, V):
            return k, pos


# ---------------------------------------------------------------------- runs of one rate

class _Lookahead:
    """Uniforms drawn ahead of need and given back: ``finish(used)`` restores the generator's
    state saved before the last draw that ``used`` reaches into, and redraws up to ``used``."""

    def __init__(self, gen, likely, extra):
        self.gen, self.saved, self.parts = gen, [], []
        self.more(likely)  # almost surely all used
        self.more(extra)

    def more(self, n):
        self.saved.append((len(self.u), self.gen._bits.state, self.gen._fresh))
        self.parts.append(self.gen._uniform(n, _F64))

    @property
    def u(self):
        if len(self.parts) > 1:
            self.parts = [np.concatenate(self.parts)]
        return self.parts[0] if self.parts else np.empty(0)

    def finish(self, used):
        drawn, state, fresh = [s for s in self.saved if s[0] <= used][-1]
        self.gen._bits.state, self.gen._fresh = state, fresh
        if used > drawn:
            self.gen._bits.random_raw(2 * (used - drawn), output=False)  # random64() each
            self.gen._fresh = False


def _run(gen, lam, m):
    """Counts of m elements of one rate."""
    if lam == 0:
        return np.zeros(m, np.int64)
    return _ptrs_run(gen, lam, m) if lam >= 10 else _knuth_run(gen, lam, m)


def _ptrs_run(gen, lam, m):
    """PTRS for m elements of one rate: whether a try is accepted depends only on its two
    uniforms, so element i takes the i-th accepted pair."""
    look = _Lookahead(gen, 2 * m, 2 * (m // 4 + 64))  # most tries are accepted
    while True:
        pairs = look.u[: len(look.u) // 2 * 2].reshape(-1, 2)
        k, accepted = _ptrs_tries(lam, pairs[:, 0] - 0.5, pairs[:, 1])
        accepted = np.flatnonzero(accepted)
        if len(accepted) >= m:
            break
        look.more(4 * (m - len(accepted)) + 128)
    look.finish(2 * (int(accepted[m - 1]) + 1))
    return k[accepted[:m]]


def _ptrs_tries(lam, U, V):
    """(k, accepted) for PTRS tries with uniforms U + 0.5 and V, as arrays."""
    constants = _ptrs_constants(lam)
    _, b, a, _, vr = constants
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        us = 0.5 - np.abs(U)
        x = (2 * a / us + b) * U + lam + 0.43
        kf = np.floor(x)
        inside = (kf >= -_TWO_63) & (kf < _TWO_63)
        k = np.where(inside, kf, 0).astype(np.int64)
    k[~inside] = _INT64_MIN
    accepted = (us >= 0.07) & (V <= vr)
    slow = np.flatnonzero(~accepted & (k >= 0) & ~((us < 0.013) & (V > us)))
    if slow.size:
        accepted[slow] = _slow_tests(lam, constants, k[slow], us[slow], V[slow])
    return k, accepted


def _slow_tests(lam, constants, k, us, v):
    """``_ptrs_slow_test`` on arrays: NumPy's log and a Stirling lgamma decide where the two
    sides differ by more than their rounding can explain; the few near ties take the scalar
    test."""
    loglam, b, a, log_invalpha, _ = constants
    with np.errstate(divide="ignore", invalid="ignore"):
        log_v = np.log(v)
        log_hat = np.log(a / (us * us) + b)
        kf = k.astype(_F64)
        lg = _lgamma_int(kf + 1.0)
        lhs = log_v + log_invalpha - log_hat
        rhs = -lam + kf * loglam - lg
        scale = (np.abs(log_v) + abs(log_invalpha) + np.abs(log_hat) + lam
                 + np.abs(kf * loglam) + np.abs(lg))
        sure = np.abs(lhs - rhs) > 64 * np.finfo(_F64).eps * scale + 1e-300
    result = lhs <= rhs
    for i in np.flatnonzero(~sure).tolist():
        result[i] = _ptrs_slow_test(lam, constants, int(k[i]), float(us[i]), float(v[i]))
    return result


_LGAMMA_SMALL = np.array([_lgamma(i + 1.0) for i in range(1024)])


def _lgamma_int(x):
    """lgamma of whole numbers x >= 1: a table below 1025, Stirling's series above (its
    truncation error there is below 1e-24; rounding stays within a few ulps)."""
    out = np.empty_like(x)
    small = x <= 1024
    out[small] = _LGAMMA_SMALL[x[small].astype(np.int64) - 1]
    big = x[~small]
    inv = 1 / big
    inv2 = inv * inv
    series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260))
    out[~small] = (big - 0.5) * np.log(big) - big + 0.5 * math.log(2 * math.pi) + series
    return out


def _knuth_run(gen, lam, m):
    """Knuth's method for m elements of one rate: the end of an element starting at each
    position is computed for all positions at once; the chain of starts from 0 follows."""
    limit = math.exp(-lam)
    spread = 8 * math.sqrt(m * lam) + 16
    look = _Lookahead(gen, max(m, int(m * (1 + lam) - spread)), int(2 * spread) + 64)
    while True:
        ends = _knuth_ends(look.u, lam, limit)
        starts = _chain(ends, m)
        if starts is not None:
            break
        look.more(int(spread) + 64)
    look.finish(int(ends[starts[-1]]))
    return ends[starts] - starts - 1


def _knuth_ends(u, lam, limit):
    """For every position p, one past the last uniform an element starting at p uses (or
    len(u) + 1 if it needs more than u holds).

    Small rates multiply, as torch does. Larger ones search the running sum t of -log u: an
    element from p stops at the first q with t[q] - t[p - 1] >= rate. That agrees with the
    products wherever the sums are further from the rate than their rounding (NumPy's log,
    the running sum, the products, exp(-rate)); the near ties multiply too."""
    w = len(u)
    if lam < 2:
        return _knuth_ends_exact(u, limit, np.arange(w))
    sums = np.empty(w + 1)  # sums[i] = -log of u[0] ... u[i - 1]
    with np.errstate(divide="ignore"):
        np.log(u, out=sums[1:])
    np.negative(sums[1:], out=sums[1:])
    np.minimum(sums[1:], 1e3, out=sums[1:])  # u = 0: the product is 0, below every limit
    sums[0] = 0.0
    np.cumsum(sums[1:], out=sums[1:])
    target = sums[:w] + lam
    q = np.searchsorted(sums[1:], target)  # the first q whose sum reaches the rate
    q = q.astype(np.int32 if w < 2**31 - 2 else np.int64)
    known = int(np.searchsorted(q, w))  # q never decreases: the starts that end inside u
    q = q[:known]
    # the sums from p to q and to q - 1 must clear the rate by more than their rounding
    longest = int(np.subtract(q, np.arange(known, dtype=q.dtype)).max(initial=0))
    tol = (longest + 6) * (np.spacing(sums[w]) + 4e-14)
    near = sums[1:][q] - target[:known]
    np.minimum(near, target[:known] - sums[q], out=near)
    near = np.flatnonzero(near < tol)
    ends = np.full(w, w + 1, q.dtype)
    np.add(q, 1, out=ends[:known])
    if near.size:
        ends[near] = _knuth_ends_exact(u, limit, near)
    return ends


def _knuth_ends_exact(u, limit, starts):
    """``_knuth_ends`` at the given starts, by multiplying in lockstep."""
    w = len(u)
    ends = np.full(len(starts), w + 1)
    lane, at, product = np.arange(len(starts)), starts.copy(), u[starts]
    while lane.size:
        stop = product <= limit
        ends[lane[stop]] = at[stop] + 1
        go = ~stop & (at + 1 < w)  # lanes that run out of u stay at w + 1
        lane, at, product = lane[go], at[go] + 1, product[go]
        product *= u[at]
    return ends


def _chain(ends, m):
    """The first m starts of the chain 0, ends[0], ends[ends[0]], ..., or None if they run
    past the known ends. Every 64th start comes from ends composed 64 times (six squarings);
    the starts between follow in 64 steps of all stretches at once."""
    w = len(ends)
    step = np.append(ends, [w + 1, w + 1])  # positions w and w + 1 lead nowhere known
    jump = step
    for _ in range(6):
        jump = jump[jump]
    anchors = np.empty(-(-m // _STRIDE), np.int64)
    at = 0
    for j in range(len(anchors)):  # one Python step per 64 elements
        anchors[j] = at
        at = int(jump[at])
    starts = np.empty((len(anchors), _STRIDE), np.int64)
    for t in range(_STRIDE):
        starts[:, t] = anchors
        anchors = step[anchors]
    starts = starts.ravel()[:m]
    if starts[-1] >= w or step[starts[-1]] > w:
        return None
    return starts
