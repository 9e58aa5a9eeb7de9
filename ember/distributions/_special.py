"""The regularized lower incomplete gamma function torch.special.gammainc, which Gamma.cdf
needs: Cephes' power series below max(1, a), its continued fraction for the complement above,
vectorised on the host; differentiable in x as in torch (not in a).

NOTE: torch (after SciPy) switches to Temme's asymptotic expansion for large a near x; the
series here is within ~2e-9 relative of it there (float64), and closer elsewhere."""

from __future__ import annotations

import math

import numpy as np

import ember
from ember.autograd import Function
from ember.distributions._samplers import host

_MACHEP = 1.11022302462515654042e-16
_BIG = 4.503599627370496e15
_MAX_STEPS = 2000


def _log_prefactor(a, x):
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    return a * np.log(x) - x - lgamma(a)


def _series(a, x):
    """P(a, x) by its power series (for x <= max(1, a))."""
    r, c, ans = a.copy(), np.ones_like(a), np.ones_like(a)
    active = np.ones(a.shape, bool)
    for _ in range(_MAX_STEPS):
        r = r + 1
        c = np.where(active, c * x / r, c)
        ans = np.where(active, ans + c, ans)
        active &= c / ans > _MACHEP
        if not active.any():
            break
    return ans * np.exp(_log_prefactor(a, x)) / a


def _continued_fraction(a, x):
    """Q(a, x) = 1 - P(a, x) by its continued fraction (for x > max(1, a))."""
    y, z, c = 1 - a, x + (1 - a) + 1, np.zeros_like(a)
    pkm2, qkm2, pkm1, qkm1 = np.ones_like(a), x.copy(), x + 1, z * x
    ans = pkm1 / qkm1
    active = np.ones(a.shape, bool)
    for _ in range(_MAX_STEPS):
        c, y, z = c + 1, y + 1, z + 2
        yc = y * c
        pk, qk = pkm1 * z - pkm2 * yc, qkm1 * z - qkm2 * yc
        nonzero = qk != 0
        r = np.where(nonzero, pk / np.where(nonzero, qk, 1), ans)
        t = np.where(nonzero, np.abs((ans - r) / r), 1.0)
        ans = np.where(active, r, ans)
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        big = np.abs(pk) > _BIG
        pkm2, pkm1 = np.where(big, pkm2 / _BIG, pkm2), np.where(big, pkm1 / _BIG, pkm1)
        qkm2, qkm1 = np.where(big, qkm2 / _BIG, qkm2), np.where(big, qkm1 / _BIG, qkm1)
        active &= t > _MACHEP
        if not active.any():
            break
    return ans * np.exp(_log_prefactor(a, x))


def _gammainc_array(a, x):
    a, x = np.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    out = np.full(a.shape, np.nan)
    with np.errstate(all="ignore"):
        upper = (x > 1) & (x > a)
        inner = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        if (inner & ~upper).any():
            out[inner & ~upper] = _series(a[inner & ~upper], x[inner & ~upper])
        if (inner & upper).any():
            out[inner & upper] = 1 - _continued_fraction(a[inner & upper], x[inner & upper])
    out[(x == 0) & (a > 0)] = 0.0
    out[(a == 0) & (x > 0)] = 1.0
    out[np.isposinf(x) & (a >= 0)] = 1.0
    return out


class _GammaInc(Function):
    @staticmethod
    def forward(ctx, a, x):
        value = _gammainc_array(host(a), host(x)).astype(host(x).dtype)
        ctx.save_for_backward(a, x)
        return ember.tensor(value, device=x.device)

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        return None, grad * ember.exp((a - 1) * ember.log(x) - x - ember.lgamma(a))


def gammainc(input, other):
    """P(input, other) = the lower incomplete gamma function over Gamma(input)
    (torch.special.gammainc)."""
    input, other = ember.broadcast_tensors(input, other)
    dtype = ember.promote_types(input.dtype, other.dtype)
    return _GammaInc.apply(input.to(dtype), other.to(dtype))
