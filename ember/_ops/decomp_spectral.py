"""Linear algebra, part 3: QR, eigendecompositions and the SVD (torch.linalg.qr, eigh, svd, ...).

As in decomp.py: LAPACK forward through ``self.xp.linalg``, backward on Ember tensors (real dtypes).
Signs (phases) of eigenvectors and singular vectors are whatever LAPACK gives, as in torch; they
may differ from torch's (another LAPACK), so only sign-invariant quantities match exactly.
"""

from __future__ import annotations

import collections
import warnings

from ember._dtype import FLOAT
from ember._ops.decomp import (
    _LinalgOp,
    check_matrix,
    diag_embed,
    eye_like,
    solve_triangular,
    tril,
)
from ember._ops.inplace import with_out
from ember._ops.join import cat
from ember._ops.pointwise import _legacy_scalar_name

_qr_type = collections.namedtuple("qr", ["Q", "R"])
_linalg_qr_type = collections.namedtuple("linalg_qr", ["Q", "R"])
_eigh_type = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_eig_type = collections.namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])
_svd_type = collections.namedtuple("svd", ["U", "S", "V"])
_linalg_svd_type = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])
_lstsq_type = collections.namedtuple("linalg_lstsq",
                                     ["solution", "residuals", "rank", "singular_values"])


def _outs(result, out):
    return result if out is None else tuple(with_out(r, o) for r, o in zip(result, out))


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
        if m >= n:
            return _qr_backward_tall(q, r, g_q, g_r)
        # A = [X | Y] with X = Q R1 square: Y = Q R2 adds Y gR2^T to gQ and gives gY = Q gR2
        g_r1 = None if g_r is None else g_r[..., :, :m]
        g_r2 = None if g_r is None else g_r[..., :, m:]
        y = q @ r[..., :, m:]
        if g_r2 is not None:
            g_q = y @ g_r2.mT if g_q is None else g_q + y @ g_r2.mT
        g_x = _qr_backward_tall(q, r[..., :, :m], g_q, g_r1)
        g_y = q @ g_r2 if g_r2 is not None else g_x.new_zeros(y.shape)
        return cat([g_x, g_y], -1)


def _qr_backward_tall(q, r, g_q, g_r):
    """m >= n: gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q, copyltu mirroring the lower
    triangle of M onto the upper one."""
    m = 0
    if g_r is not None:
        m = r @ g_r.mT
    if g_q is not None:
        m = m - g_q.mT @ q
    lower = tril(m, -1)
    b = q @ (lower + lower.mT + diag_embed(m.diagonal(0, -2, -1)))
    if g_q is not None:
        b = b + g_q
    return solve_triangular(r.mT, b, upper=False, left=False)


def linalg_qr(A, mode="reduced", *, out=None):
    """QR of a (batch of) matrices, mode 'reduced', 'complete' or 'r' (torch.linalg.qr). Signs
    are LAPACK's Householder ones, as torch's."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    check_matrix(A, "linalg.qr", square=False, kernel="geqrf_cpu")
    return _linalg_qr_type(*_outs(LinalgQrBackward0(mode).apply(A), out))


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
        if g_v is None:
            inner = diag_embed(g_w)
        else:
            # the skew part of V^T gV over the eigenvalue gaps (1 on the diagonal), gL there
            vg = v.mT @ g_v
            gaps = w.unsqueeze(-2) - w.unsqueeze(-1) + eye_like(v)
            inner = 0.5 * (vg - vg.mT) / gaps
            if g_w is not None:
                inner = inner + diag_embed(g_w)
        return v @ inner @ v.mT


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric / Hermitian matrices,
    reading the ``UPLO`` triangle (torch.linalg.eigh)."""
    check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu", int_kernel=True)
    _check_uplo(UPLO)
    return _eigh_type(*_outs(LinalgEighBackward0(UPLO).apply(A), out))


def eigvalsh(A, UPLO="L", *, out=None):
    """Eigenvalues of symmetric / Hermitian matrices (torch.linalg.eigvalsh)."""
    check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu", int_kernel=True)
    _check_uplo(UPLO)
    return with_out(LinalgEighBackward0(UPLO).apply(A)[0], out)


class LinalgEigBackward0(_LinalgOp):
    """Complex eigenvalues and eigenvectors of general matrices. Deviation: no gradient yet."""

    def forward(self, a):
        w, v = self.xp.linalg.eig(a)
        complex_type = "complex128" if a.dtype in ("float64", "complex128") else "complex64"
        return w.astype(complex_type), v.astype(complex_type)

    def backward(self, g_w, g_v):
        raise RuntimeError("ember: the derivative of linalg.eig is not implemented")


def _check_eig(A, fn):
    if A.dtype.category < FLOAT:  # torch fails looking for the complex counterpart of an int type
        raise RuntimeError(f"Unknown Complex ScalarType for {_legacy_scalar_name(A.dtype)}")
    check_matrix(A, fn, kernel="linalg_eig_out_cpu")


def eig(A, *, out=None):
    """Eigenvalues and unit-norm eigenvectors, always complex (torch.linalg.eig)."""
    _check_eig(A, "linalg.eig")
    return _eig_type(*_outs(LinalgEigBackward0().apply(A), out))


def eigvals(A, *, out=None):
    """Eigenvalues, complex (torch.linalg.eigvals)."""
    _check_eig(A, "linalg.eigvals")
    return with_out(LinalgEigBackward0().apply(A)[0], out)


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
    """gA = U [skew(U^T gU)/E S + S skew(V^T gV)/E + diag(gS)] V^T plus the parts of gU, gV
    outside the spans of U, V; E_jk = s_k^2 - s_j^2 (1 on the diagonal), skew(X) = X - X^T."""
    inner = diag_embed(g_s) if g_s is not None else 0
    if g_u is None and g_vh is None:
        return u @ inner @ vh if g_s is not None else None
    s2 = s * s
    gaps = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye_like(vh, s.shape[-1])
    v = vh.mT
    g_a = 0
    if g_u is not None:
        ug = u.mT @ g_u
        inner = inner + (ug - ug.mT) / gaps * s.unsqueeze(-2)
        if u.shape[-2] > s.shape[-1]:
            g_a = ((g_u - u @ ug) / s.unsqueeze(-2)) @ vh
    if g_vh is not None:
        g_v = g_vh.mT
        vg = v.mT @ g_v
        inner = inner + s.unsqueeze(-1) * ((vg - vg.mT) / gaps)
        if v.shape[-2] > s.shape[-1]:
            g_a = g_a + u @ ((g_v - v @ vg) / s.unsqueeze(-2)).mT
    return u @ inner @ vh + g_a


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
    return _linalg_svd_type(*_outs(LinalgSvdBackward0(full_matrices).apply(A), out))


def svdvals(A, *, driver=None, out=None):
    """Singular values, descending (torch.linalg.svdvals)."""
    _check_svd(A)
    _check_driver(driver)
    return with_out(LinalgSvdBackward0(False).apply(A)[1], out)


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
        return _svd_type(*_outs((u, s, v), out))
    u, s, vh = LinalgSvdBackward0(not some).apply(input)
    return _svd_type(*_outs((u, s, vh.mT), out))
