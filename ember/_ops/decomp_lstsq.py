"""Linear algebra, part 4: pseudo-inverse, least squares and rank (torch.linalg.pinv, lstsq,
matrix_rank), all through the SVD (eigh for Hermitian input), with torch's tolerances.
"""

from __future__ import annotations

import collections

from ember._backend import xp_of
from ember._ops._elementwise import _legacy_scalar_name
from ember._ops.decomp import _LinalgOp, _tensor, mH
from ember._ops.inplace import out_castable

_lstsq_type = collections.namedtuple("linalg_lstsq",
                                     ["solution", "residuals", "rank", "singular_values"])


def _tolerance(xp, s, atol, rtol, m, n):
    """torch's cut-off for small singular values: max(atol, rtol * largest); rtol defaults to
    eps * max(m, n) unless only a positive atol was given."""
    if rtol is None:
        given = atol is not None and (not isinstance(atol, (int, float)) or atol > 0)
        rtol = 0.0 if given else xp.finfo(s.dtype).eps * max(m, n)
    atol = 0.0 if atol is None else atol
    atol, rtol = (getattr(t, "_data", t) for t in (atol, rtol))
    top = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
    return xp.maximum(xp.asarray(atol)[..., None] if xp.ndim(atol) else atol,
                      (xp.asarray(rtol)[..., None] if xp.ndim(rtol) else rtol) * top)


def _pinv_arrays(xp, a, atol, rtol, hermitian):
    m, n = a.shape[-2:]
    if hermitian:
        w, v = xp.linalg.eigh(a)
        keep = xp.abs(w) > _tolerance(xp, xp.abs(w), atol, rtol, m, n)
        inv_w = xp.where(keep, 1 / xp.where(keep, w, 1), 0).astype(a.dtype)
        return (v * inv_w[..., None, :]) @ xp.swapaxes(v, -1, -2).conj()
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    keep = s > _tolerance(xp, s, atol, rtol, m, n)
    inv_s = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
    return (xp.swapaxes(vh, -1, -2).conj() * inv_s[..., None, :]) @ xp.swapaxes(u, -1, -2).conj()


def _pinv_backward(a, p, g):
    """torch's pinv_backward, the adjoint of dP = -P dA P + (I - P A) dA^H P^H P
    + P P^H dA^H (I - A P), arranged to multiply the smallest matrices."""
    m, n = a.shape[-2:]
    p_h, g_h = mH(p), mH(g)
    if m <= n:
        k = g_h @ p
        k_p_h = k @ p_h
        return -mH(p @ k) + k_p_h - (a @ p) @ k_p_h + (p_h @ p) @ (g_h - k @ a)
    k = p @ g_h
    p_h_k = p_h @ k
    return -mH(k @ p) + (g_h - a @ k) @ p @ p_h + p_h_k - p_h_k @ p @ a


class LinalgPinvBackward0(_LinalgOp):
    def __init__(self, atol, rtol, hermitian):
        self.atol, self.rtol, self.hermitian = atol, rtol, hermitian

    def forward(self, a):
        p = _pinv_arrays(self.xp, a, self.atol, self.rtol, self.hermitian)
        self.save(a, p)
        return p

    def backward(self, g):
        a, p = self.saved
        return _pinv_backward(a, p, g)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Moore-Penrose pseudo-inverse through the SVD (eigh when ``hermitian``), dropping singular
    values at or below max(atol, rtol * largest) (torch.linalg.pinv); ``rcond`` is the old
    name of rtol."""
    if A.ndim < 2 or A.dtype.name not in ("float32", "float64", "complex64", "complex128"):
        raise RuntimeError(f"linalg.pinv({_legacy_scalar_name(A.dtype)}{{{list(A.shape)}}}): "
                           "expected a tensor with 2 or more dimensions of float, double, cfloat "
                           "or cdouble types")
    if rcond is not None:
        rtol = rcond
    return out_castable(LinalgPinvBackward0(atol, rtol, hermitian).apply(A), out, "linalg.pinv")


def pinverse(input, rcond=1e-15):
    """torch.pinverse: pinv with ``rcond`` as the relative tolerance."""
    return pinv(input, rtol=rcond)


def _check_float_double(A):
    if A.dtype.name not in ("float32", "float64", "complex64", "complex128"):
        raise RuntimeError("This function doesn't handle types other than float and double")


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Number of singular values (|eigenvalues| when ``hermitian``) above max(atol, rtol *
    largest), as int64 (torch.linalg.matrix_rank); ``tol`` is the old name of atol."""
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least "
                           "2 dimensions.")
    _check_float_double(A)
    if tol is not None:
        atol, rtol = tol, 0.0
    xp, m, n = xp_of(A.device), A.shape[-2], A.shape[-1]
    a = A._data
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    rank = (s > _tolerance(xp, s, atol, rtol, m, n)).sum(-1).astype(xp.int64)
    return out_castable(_tensor(xp.asarray(rank), A), out, "torch.linalg.matrix_rank")


def _xp(t):

    return xp_of(t.device)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class LinalgLstsqBackward0(_LinalgOp):
    """(solution, residuals) of min |AX - B|; rank and singular values are kept aside."""

    def __init__(self, rcond, driver, vector):
        self.rcond, self.driver, self.vector = rcond, driver, vector

    def forward(self, a, b):
        xp = self.xp
        m, n = a.shape[-2:]
        rhs = b[..., None] if self.vector else b
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        rcond = self.rcond if self.rcond is not None else xp.finfo(s.dtype).eps * max(m, n)
        keep = s > _tolerance(xp, s, None, rcond, m, n)
        inv_s = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
        x = xp.swapaxes(vh, -1, -2).conj() @ (inv_s[..., None] * (xp.swapaxes(u, -1, -2).conj()
                                                                    @ rhs))
        self.rank = keep.sum(-1).astype(xp.int64)
        self.singular_values = s
        residuals = xp.empty(0, dtype=s.dtype)
        full_rank = bool((self.rank == n).all())
        if m > n and (self.driver == "gels" or (self.driver != "gelsy" and full_rank)):
            residuals = (xp.abs(rhs - a @ x) ** 2).sum(-2).astype(s.dtype)
        x = x[..., 0] if self.vector else x
        self.save(a, b, x)
        return x, residuals

    def backward(self, g, g_residuals=None):
        # torch's linalg_lstsq_backward: the solution through X = pinv(A) B; the residuals
        # |AX - B|^2 as if X were fixed (X is stationary at the minimum)
        a, b, x = self.saved
        if self.vector:
            b, x = b.unsqueeze(-1), x.unsqueeze(-1)
            g = None if g is None else g.unsqueeze(-1)
        g_a = g_b = None
        if g is not None:
            p = pinv(a)
            g_a, g_b = _pinv_backward(a, p, g @ mH(b)), mH(p) @ g
        if g_residuals is not None and g_residuals.numel():
            scaled = g_residuals.unsqueeze(-2) * (a @ x - b)
            g_a = 2 * scaled @ mH(x) + (0 if g_a is None else g_a)
            g_b = -2 * scaled + (0 if g_b is None else g_b)
        if self.vector and g_b is not None:
            g_b = g_b.squeeze(-1)
        return g_a, g_b


def lstsq(A, B, rcond=None, *, driver=None, out=None):
    """Least-squares solution of AX = B (torch.linalg.lstsq), with the fields torch's CPU driver
    fills: 'gelsy' (default) gives solution and rank; 'gels' solution and residuals; 'gelsd' /
    'gelss' all four. Residuals are only given for m > n with full-rank A (always for 'gels').
    Deviation: the solution always comes from the SVD (minimum norm), the rank from its
    singular values, where torch's gelsy uses a pivoted QR."""
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    _check_float_double(A)
    _check_float_double(B)
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rows = B.shape[-1] if vector else B.shape[-2]
    if rows != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size("
                           f"{-1 if vector else -2})")
    op = LinalgLstsqBackward0(rcond, driver, vector)
    solution, residuals = op.apply(A, B)
    xp = xp_of(A.device)
    rank = op.rank if driver != "gels" else xp.empty(0, dtype="int64")
    sv = op.singular_values if driver in ("gelsd", "gelss") else xp.empty(
        0, dtype=op.singular_values.dtype)
    rank, sv = _tensor(xp.asarray(rank), A), _tensor(sv, A)
    # NOTE: torch names the residuals "solution" in this message too
    return _lstsq_type(*out_castable((solution, residuals, rank, sv), out, "torch.linalg.lstsq",
                                     ("solution", "solution", "rank", "singular_values")))
