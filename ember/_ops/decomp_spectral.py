"""Linear algebra, part 3: QR, eigendecompositions and the SVD (torch.linalg.qr, eigh, svd, ...).

As in decomp.py: LAPACK forward through ``self.xp.linalg``, backward on Ember tensors with torch's
formulas (real and complex dtypes; torch's error when a loss depends on a complex phase).
Signs (phases) of eigenvectors and singular vectors are whatever LAPACK gives, as in torch; they
may differ from torch's (another LAPACK), so only sign-invariant quantities match exactly.
"""

from __future__ import annotations

import collections
import warnings

from ember._dtype import FLOAT
from ember._ops._elementwise import _legacy_scalar_name
from ember._ops.complex import conj, imag, real
from ember._ops.decomp import (
    _LinalgOp,
    check_matrix,
    diag_embed,
    eye_like,
    mH,
    real_part_for,
    solve,
    solve_triangular,
    tril,
    triu,
)
from ember._ops.inplace import out_castable, out_exact
from ember._ops.join import cat

_qr_type = collections.namedtuple("qr", ["Q", "R"])
_linalg_qr_type = collections.namedtuple("linalg_qr", ["Q", "R"])
_eigh_type = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_eig_type = collections.namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])
_svd_type = collections.namedtuple("svd", ["U", "S", "V"])
_linalg_svd_type = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])
_lstsq_type = collections.namedtuple("linalg_lstsq",
                                     ["solution", "residuals", "rank", "singular_values"])


# -- QR -----------------------------------------------------------------------------------------


class LinalgQrBackward0(_LinalgOp):
    def __init__(self, mode):
        self.mode = mode

    def forward(self, a):
        xp = self.xp
        if self.mode == "r":
            q, r = xp.empty(0, dtype=a.dtype), xp.linalg.qr(a, mode="r")
        else:
            q, r = xp.linalg.qr(a, mode=self.mode)
        self.save(q, r)
        return q, r

    def backward(self, g_q, g_r):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                               "going to differentiate through linalg.qr.")
        q, r = self.saved
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        return _qr_backward(q, r, g_q, g_r)


def _qr_backward(q, r, g_q, g_r):
    """torch's linalg_qr_backward. With M = gR R^H - Q^H gQ: for m >= n,
    gA = (gQ + Q sym(triu(M))) R^-H, sym(X) = X + X^H less Re diag(X); for m < n,
    gA = [Q skew(-M) R1^-H | 0] + Q gR, skew(X) = tril(X - X^H) with half its imaginary
    diagonal, R1 = R's leading square block."""
    m, n = q.shape[-2], r.shape[-1]
    M = 0
    if g_r is not None:
        M = g_r @ mH(r)
    if g_q is not None:
        M = M - mH(q) @ g_q
    if m >= n:
        upper = triu(M)
        g_a = q @ (upper + mH(upper) - diag_embed(real(upper.diagonal(0, -2, -1))))
        if g_q is not None:
            g_a = g_a + g_q
        return solve_triangular(mH(r), g_a, upper=False, left=False)
    skew = -M - mH(-M)
    inner = tril(skew) - 0.5 * diag_embed(skew.diagonal(0, -2, -1))
    g_a = solve_triangular(mH(r[..., :, :m]), q @ inner, upper=False, left=False)
    g_a = cat([g_a, g_a.new_zeros(tuple(g_a.shape[:-1]) + (n - m,))], -1)
    return g_a + q @ g_r if g_r is not None else g_a


def linalg_qr(A, mode="reduced", *, out=None):
    """QR of a (batch of) matrices, mode 'reduced', 'complete' or 'r' (torch.linalg.qr). Signs
    are LAPACK's Householder ones, as torch's."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    check_matrix(A, "linalg.qr", square=False, kernel="geqrf_cpu")
    return _linalg_qr_type(*out_exact(LinalgQrBackward0(mode).apply(A), out))


def qr(input, some=True, *, out=None):
    """The deprecated torch.qr: ``some`` picks reduced (True) or complete mode (warns, as torch)."""
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
                  "future PyTorch release.", UserWarning, stacklevel=2)
    return _qr_type(*linalg_qr(input, "reduced" if some else "complete", out=out))


# -- eigendecompositions --------------------------------------------------------------------------


class LinalgEighBackward0(_LinalgOp):
    def __init__(self, uplo):
        self.uplo = uplo

    def forward(self, a):
        w, v = self.xp.linalg.eigh(a, UPLO=self.uplo)
        self.save(w, v)
        return w, v

    def backward(self, g_w, g_v):
        w, v = self.saved
        return eig_backward(g_w, g_v, w, v, hermitian=True)


def eig_backward(g_l, g_v, L, V, hermitian):
    """torch's linalg_eig_backward, for A = V diag(L) V^-1 with unit-norm eigenvectors:
    gA = V^-H (diag(gL) + (V^H gV - V^H V Re diag(V^H gV)) / conj(E)) V^H, E_ij = L_j - L_i
    (1 on the diagonal); Hermitian A takes the skew-Hermitian part of V^H gV and V^-1 = V^H.
    A loss that depends on the eigenvectors' phases raises, as in torch."""
    if g_v is None:
        if hermitian:
            return (V * g_l.unsqueeze(-2)) @ mH(V)
        return solve(mH(V), g_l.unsqueeze(-1) * mH(V))
    vg = mH(V) @ g_v
    diag = vg.diagonal(0, -2, -1)
    # NOTE: torch's lax allclose(Im diag(V^H gV), 0, rtol=1e-2, atol=1e-2): no false positives
    if V.dtype.is_complex and not bool((imag(diag).abs() <= 1e-2).all()):
        name = "linalg_eigh_backward" if hermitian else "linalg_eig_backward"
        raise RuntimeError(f"{name}: The eigenvectors in the complex case are specified up to "
                           "multiplication by e^{i phi}. The specified loss function depends on "
                           "this quantity, so it is ill-defined.")
    if hermitian:
        inner = 0.5 * (vg - mH(vg))  # the tangent space of U(n) at the identity
    else:
        inner = vg - mH(V) @ (V * real(diag).unsqueeze(-2))  # columns of norm one
    lc = conj(L)
    gaps = lc.unsqueeze(-2) - lc.unsqueeze(-1) + eye_like(vg)
    inner = inner / gaps
    if g_l is not None:
        inner = inner - diag_embed(inner.diagonal(0, -2, -1)) + diag_embed(g_l.to(inner.dtype))
    if hermitian:
        return V @ inner @ mH(V)
    return solve(mH(V), inner @ mH(V))


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric / Hermitian matrices,
    reading the ``UPLO`` triangle (torch.linalg.eigh)."""
    check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu", int_kernel=True)
    _check_uplo(UPLO)
    return _eigh_type(*out_exact(LinalgEighBackward0(UPLO).apply(A), out))


def eigvalsh(A, UPLO="L", *, out=None):
    """Eigenvalues of symmetric / Hermitian matrices (torch.linalg.eigvalsh)."""
    check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu", int_kernel=True)
    _check_uplo(UPLO)
    return out_exact(LinalgEighBackward0(UPLO).apply(A)[0], out)


class LinalgEigBackward0(_LinalgOp):
    """Complex eigenvalues and unit-norm eigenvectors of general matrices (LAPACK geev)."""

    def forward(self, a):
        w, v = self.xp.linalg.eig(a)
        complex_type = "complex128" if a.dtype in ("float64", "complex128") else "complex64"
        w, v = w.astype(complex_type), v.astype(complex_type)
        self.save(w, v)
        return w, v

    def backward(self, g_w, g_v):
        w, v = self.saved
        return real_part_for(eig_backward(g_w, g_v, w, v, hermitian=False), self._input_meta[0])


def _check_eig(A, fn):
    if A.dtype.category < FLOAT:  # torch fails looking for the complex counterpart of an int type
        raise RuntimeError(f"Unknown Complex ScalarType for {_legacy_scalar_name(A.dtype)}")
    check_matrix(A, fn, kernel="linalg_eig_out_cpu")


def eig(A, *, out=None):
    """Eigenvalues and unit-norm eigenvectors, always complex (torch.linalg.eig)."""
    _check_eig(A, "linalg.eig")
    return _eig_type(*out_castable(LinalgEigBackward0().apply(A), out, "torch.linalg.eig",
                                   ("eigenvalues", "eigenvectors")))


def eigvals(A, *, out=None):
    """Eigenvalues, complex (torch.linalg.eigvals)."""
    _check_eig(A, "linalg.eigvals")
    return out_castable(LinalgEigBackward0().apply(A)[0], out, "torch.linalg.eigvals",
                        ("eigenvalues",))


# -- SVD ----------------------------------------------------------------------------------------


class LinalgSvdBackward0(_LinalgOp):
    def __init__(self, full_matrices):
        self.full_matrices = full_matrices

    def forward(self, a):
        u, s, vh = self.xp.linalg.svd(a, full_matrices=self.full_matrices)
        self.save(u, s, vh)
        return u, s, vh

    def backward(self, g_u, g_s, g_vh):
        u, s, vh = self.saved
        k = s.shape[-1]
        if self.full_matrices:  # the extra columns of U and rows of Vh get no gradient (torch)
            u, vh = u[..., :, :k], vh[..., :k, :]
            g_u = None if g_u is None else g_u[..., :, :k]
            g_vh = None if g_vh is None else g_vh[..., :k, :]
        return _svd_backward(u, s, vh, g_u, g_s, g_vh)


def _svd_backward(u, s, vh, g_u, g_s, g_vh):
    """torch's svd_backward: gA = U [skew(U^H gU)/E S + S skew(V^H gV)/E + diag(gS)
    (+ i Im diag(U^H gU)/S, complex)] V^H plus the parts of gU, gV outside the spans of U, V;
    E_jk = s_k^2 - s_j^2 (1 on the diagonal), skew(X) = X - X^H. A loss that depends on the
    singular vectors' phases raises, as in torch."""
    m, n = u.shape[-2], vh.shape[-1]
    if g_u is None and g_vh is None:
        if g_s is None:
            return None
        return u @ (g_s.unsqueeze(-1) * vh) if m >= n else (u * g_s.unsqueeze(-2)) @ vh
    ug = u_skew = v_skew = None
    if g_u is not None:
        ug = mH(u) @ g_u
        u_skew = ug - mH(ug)
    if g_vh is not None:
        vg = vh @ mH(g_vh)
        v_skew = vg - mH(vg)
    if u.dtype.is_complex:
        _check_svd_phase(s, u_skew, v_skew)
    s2 = s * s
    gaps = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye_like(s2)
    if u_skew is not None and v_skew is not None:
        inner = (u_skew * s.unsqueeze(-2) + s.unsqueeze(-1) * v_skew) / gaps
    elif u_skew is not None:
        inner = u_skew / gaps * s.unsqueeze(-2)
    else:
        inner = s.unsqueeze(-1) * (v_skew / gaps)
    if g_s is not None:
        inner = inner + diag_embed(g_s)
    if u.dtype.is_complex and u_skew is not None and v_skew is not None:
        inner = inner + diag_embed(u_skew.diagonal(0, -2, -1) / (2 * s))
    if m > n and g_u is not None:
        g_a = u @ inner
        g_u_s = g_u / s.unsqueeze(-2)
        return (g_a + g_u_s - u @ (mH(u) @ g_u_s)) @ vh
    if m < n and g_vh is not None:
        g_a = inner @ vh
        s_g_vh = g_vh / s.unsqueeze(-1)
        return u @ (g_a + s_g_vh - (s_g_vh @ mH(vh)) @ vh)
    return u @ inner @ vh


def _check_svd_phase(s, u_skew, v_skew):
    zero = s.new_zeros(s.shape)
    u_im = zero if u_skew is None else imag(u_skew.diagonal(0, -2, -1))
    v_im = zero if v_skew is None else imag(v_skew.diagonal(0, -2, -1))
    # NOTE: torch's lax allclose(u_im, -v_im, rtol=1e-2, atol=1e-2): no false positives
    if not bool(((u_im + v_im).abs() <= 1e-2 + 1e-2 * v_im.abs()).all()):
        raise RuntimeError("svd_backward: The singular vectors in the complex case are specified "
                           "up to multiplication by e^{i phi}. The specified loss function "
                           "depends on this phase term, making it ill-defined.")


def _check_svd(A, fn="linalg.svd"):
    check_matrix(A, fn, square=False, kernel="linalg_svd_cpu")


def _check_driver(driver):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh, singular values descending (torch.linalg.svd)."""
    _check_svd(A)
    _check_driver(driver)
    return _linalg_svd_type(*out_exact(LinalgSvdBackward0(full_matrices).apply(A), out))


def svdvals(A, *, driver=None, out=None):
    """Singular values, descending (torch.linalg.svdvals)."""
    _check_svd(A)
    _check_driver(driver)
    return out_exact(LinalgSvdBackward0(False).apply(A)[1], out)


def svd(input, some=True, compute_uv=True, *, out=None):
    """torch.svd: returns V, not Vh; ``some`` gives the reduced factors; without ``compute_uv``,
    U and V are zero-filled (m x m and n x n), as torch's."""
    if input.ndim < 2:
        raise RuntimeError("linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input.ndim} dimensions instead")
    _check_svd(input)
    if not compute_uv:
        m, n = input.shape[-2:]
        s = svdvals(input)
        batch = tuple(input.shape[:-2])
        u = input.new_zeros(batch + (m, m), dtype=s.dtype)
        v = input.new_zeros(batch + (n, n), dtype=s.dtype)
        return _svd_type(*out_exact((u, s, v), out))
    u, s, vh = LinalgSvdBackward0(not some).apply(input)
    return _svd_type(*out_exact((u, s, vh.mT), out))
