"""Linear algebra, part 2: Cholesky and LU factorizations (torch.linalg.cholesky, lu, ...).

As in decomp.py: LAPACK forward through ``self.xp.linalg`` (NumPy has no LU, so LU is a short
partial-pivoting loop over columns with LAPACK getrf's pivot choice and conventions), backward on
Ember tensors (real and complex dtypes, torch's formulas).
"""

from __future__ import annotations

import collections
import warnings

from ember._backend import xp_of
from ember._ops.creation import eye
from ember._ops.decomp import (
    _LinalgOp,
    _tensor,
    check_dtype,
    check_matrix,
    lu_factor_arrays,
    mH,
    raise_for_info,
    solve_triangular,
    tril,
    triu,
)
from ember._ops.inplace import out_castable, out_exact
from ember._ops.join import cat

_cholesky_ex_type = collections.namedtuple("linalg_cholesky_ex", ["L", "info"])
_lu_factor_type = collections.namedtuple("linalg_lu_factor", ["LU", "pivots"])
_lu_factor_ex_type = collections.namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_lu_type = collections.namedtuple("linalg_lu", ["P", "L", "U"])
_lu_unpack_type = collections.namedtuple("lu_unpack", ["P", "L", "U"])
_lu_with_info_type = collections.namedtuple("_lu_with_info", ["LU", "pivots", "info"])

# -- Cholesky ---------------------------------------------------------------------------------


def cholesky_arrays(xp, a):
    """Column-by-column Cholesky of lower triangles, as LAPACK's potf2 works: returns (L, info);
    a matrix that is not positive-definite stops at its first bad pivot, which it keeps (as
    LAPACK does), with info = that pivot's 1-based order. Used where LAPACK refused."""
    L = xp.tril(a).reshape((-1,) + a.shape[-2:]).copy()
    info = xp.zeros(L.shape[0], dtype=xp.int32)
    for j in range(a.shape[-1]):
        live = info == 0
        pivot = L[:, j, j] - (L[:, j, :j] * L[:, j, :j].conj()).sum(-1)
        bad = live & ~(pivot.real > 0)
        info[bad] = j + 1
        L[bad, j, j] = pivot[bad]
        live &= ~bad
        root = xp.sqrt(pivot[live].real).astype(L.dtype)
        L[live, j, j] = root
        done = (L[live, j + 1:, :j] * L[live, j, None, :j].conj()).sum(-1)
        column = L[live, j + 1:, j] - done
        L[live, j + 1:, j] = column / root[:, None]
    return L.reshape(a.shape), info.reshape(a.shape[:-2])


class LinalgCholeskyExBackward0(_LinalgOp):
    def __init__(self, upper):
        self.upper = upper

    def forward(self, a):
        xp = self.xp
        if self.upper:
            a = xp.swapaxes(a, -1, -2).conj()  # the upper triangle of A is the lower one of A^H
        try:
            L = xp.linalg.cholesky(a)
            info = xp.zeros(a.shape[:-2], dtype=xp.int32)
        except xp.linalg.LinAlgError:
            L, info = cholesky_arrays(xp, a)
        out = xp.swapaxes(L, -1, -2).conj() if self.upper else L
        self.save(out)
        return out, info

    def backward(self, g, g_info=None):
        L, = self.saved
        if self.upper:
            L, g = mH(L), mH(g)
        # A = L L^H: gA = L^-H Phi L^-1 with Phi = 0.5 (M + tril(M, -1)^H), M = tril(L^H gL)
        # (torch's cholesky_backward; Hermitian for a real diagonal)
        phi = tril(mH(L) @ g)
        phi = 0.5 * (phi + mH(tril(phi, -1)))
        g_a = solve_triangular(mH(L), phi, upper=True)
        return solve_triangular(L, g_a, upper=False, left=False)


_NOT_PD = ("The factorization could not be completed because the input is not positive-definite "
           "(the leading minor of order {} is not positive-definite).")


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info) without raising unless asked (torch.linalg.cholesky_ex)."""
    check_matrix(A, "linalg.cholesky", kernel="cholesky_cpu")
    L, info = LinalgCholeskyExBackward0(upper).apply(A)
    if check_errors:
        raise_for_info(info._data, "linalg.cholesky_ex", _NOT_PD)
    return _cholesky_ex_type(*out_exact((L, info), out))


def linalg_cholesky(A, *, upper=False, out=None):
    """Cholesky factor of Hermitian positive-definite matrices, lower unless ``upper``
    (torch.linalg.cholesky); LinAlgError naming the first non positive-definite minor."""
    check_matrix(A, "linalg.cholesky", kernel="cholesky_cpu")
    L, info = LinalgCholeskyExBackward0(upper).apply(A)
    raise_for_info(info._data, "linalg.cholesky", _NOT_PD)
    return out_exact(L, out)


class CholeskyBackward0(LinalgCholeskyExBackward0):
    """torch.cholesky's node: the same formula."""


def cholesky(input, upper=False, *, out=None):
    """The deprecated torch.cholesky (warns, as torch does); use torch.linalg.cholesky."""
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    check_matrix(input, "cholesky", kernel="cholesky_cpu", int_kernel=True)
    L, info = CholeskyBackward0(upper).apply(input)
    raise_for_info(info._data, "cholesky", _NOT_PD)
    return out_castable(L, out, "cholesky")


# -- LU -----------------------------------------------------------------------------------------


def permutation_arrays(xp, pivots, m, dtype):
    """P with A = P L U, from LAPACK's sequence of row swaps."""
    flat = pivots.reshape(-1, pivots.shape[-1]) - 1
    perm = xp.broadcast_to(xp.arange(m), (flat.shape[0], m)).copy()
    rows = xp.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        swap = perm[rows, flat[:, j]].copy()
        perm[rows, flat[:, j]] = perm[:, j]
        perm[:, j] = swap
    # row i of P^T A is row perm[i] of A, so P[perm[i], i] = 1
    P = xp.zeros((flat.shape[0], m, m), dtype=dtype)
    P[rows[:, None], perm, xp.arange(m)] = 1
    return P.reshape(pivots.shape[:-1] + (m, m))


def _unpack_lu(LU):
    """(L, U) tensors from the packed factor, for backward: unit lower and upper triangles."""
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = tril(LU[..., :, :k], -1) + eye(m, k, dtype=LU.dtype, device=LU.device)
    return L, triu(LU[..., :k, :])


def _lu_square_backward(L, U, g_L, g_U):
    """A = L U, square: gA = L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H."""
    inner = tril(mH(L) @ g_L, -1) + triu(g_U @ mH(U))
    g_a = solve_triangular(mH(L), inner, upper=True, unitriangular=True)
    return solve_triangular(mH(U), g_a, upper=False, left=False)


def _lu_backward(P, L, U, g_L, g_U):
    """A = P L U. A tall A's extra rows are L2 U, a wide A's extra columns L U2: their part of
    the gradient is solved for first, and the square part takes what they add to gU or gL."""
    g_L = L.new_zeros(L.shape) if g_L is None else g_L
    g_U = U.new_zeros(U.shape) if g_U is None else g_U
    m, n = L.shape[-2], U.shape[-1]
    if m == n:
        return P @ _lu_square_backward(L, U, g_L, g_U)
    if m > n:
        L1, L2 = L[..., :n, :], L[..., n:, :]
        g_a2 = solve_triangular(mH(U), g_L[..., n:, :], upper=False, left=False)
        g_a1 = _lu_square_backward(L1, U, g_L[..., :n, :], g_U - mH(L2) @ g_a2)
        return P @ cat([g_a1, g_a2], -2)
    U1, U2 = U[..., :, :m], U[..., :, m:]
    g_a2 = solve_triangular(mH(L), g_U[..., :, m:], upper=True, unitriangular=True)
    g_a1 = _lu_square_backward(L, U1, g_L - g_a2 @ mH(U2), g_U[..., :, :m])
    return P @ cat([g_a1, g_a2], -1)


class LinalgLuFactorExBackward0(_LinalgOp):
    def forward(self, a):
        lu, pivots, info = lu_factor_arrays(self.xp, a)
        self.P = permutation_arrays(self.xp, pivots, a.shape[-2], a.dtype) if self._recording \
            else None
        self.save(lu)
        return lu, pivots, info

    def backward(self, g, g_pivots=None, g_info=None):
        LU, = self.saved
        L, U = _unpack_lu(LU)
        k = min(LU.shape[-2:])
        return _lu_backward(_tensor(self.P, LU), L, U, tril(g[..., :, :k], -1),
                            triu(g[..., :k, :]))


class LinalgLuBackward0(_LinalgOp):
    """(L, U) of A = P L U; P, piecewise constant, is kept aside as a plain tensor."""

    def forward(self, a):
        lu, pivots, _ = lu_factor_arrays(self.xp, a)
        m, n = a.shape[-2:]
        k = min(m, n)
        self.P = permutation_arrays(self.xp, pivots, m, a.dtype)
        L = self.xp.tril(lu[..., :, :k], -1) + self.xp.eye(m, k, dtype=a.dtype)
        U = self.xp.triu(lu[..., :k, :])
        self.save(L, U)
        return L, U

    def backward(self, g_L, g_U):
        L, U = self.saved
        return _lu_backward(_tensor(self.P, L), L, U, g_L, g_U)


def _check_lu(A, fn, pivot):
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    check_dtype(A, fn, "lu_cpu", int_kernel=True)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


_LU_SINGULAR = ("U[{0},{0}] is zero and using it on lu_solve would result in a division by zero. "
                "If you still want to perform the factorization, consider calling "
                "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """(LU, pivots, info): packed LU with 1-based int32 pivots (torch.linalg.lu_factor_ex)."""
    _check_lu(A, "torch.lu_factor", pivot)
    LU, pivots, info = LinalgLuFactorExBackward0().apply(A)
    if check_errors:
        raise_for_info(info._data, "torch.linalg.lu_factor_ex", _LU_SINGULAR, RuntimeError)
    return _lu_factor_ex_type(*out_exact((LU, pivots, info), out))


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots) (torch.linalg.lu_factor); RuntimeError for an exactly singular U."""
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    raise_for_info(info._data, "torch.linalg.lu_factor", _LU_SINGULAR, RuntimeError)
    return _lu_factor_type(*out_exact((LU, pivots), out))


def linalg_lu(A, *, pivot=True, out=None):
    """(P, L, U) with A = P L U (torch.linalg.lu)."""
    _check_lu(A, "linalg.lu", pivot)
    op = LinalgLuBackward0()
    L, U = op.apply(A)
    return _lu_type(*out_exact((_tensor(op.P, A), L, U), out))


def lu(A, pivot=True, get_infos=False, out=None):
    """The deprecated torch.lu: (LU, pivots), with info when ``get_infos``; never raises for a
    singular matrix (as torch)."""
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=2)
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    result = _lu_with_info_type(LU, pivots, info) if get_infos else (LU, pivots)
    if out is None:
        return result
    if len(out) - int(get_infos) != 2:
        raise TypeError(f"expected tuple of {2 + int(get_infos)} elements but got {len(out)}")
    for target, value in zip(out, result):
        # torch.lu resizes and copies into ``out`` (resize_as_ + copy_): no warning, any dtype
        if target.shape == value.shape:
            target._data[...] = value._data
        else:
            target._data = value._data.astype(target.dtype.np)
        target._version.value += 1
    return out


class LuUnpackBackward0(_LinalgOp):
    """(L, U) unpacked from the packed factor; each gradient goes back to its own triangle."""

    def forward(self, lu):
        m, n = lu.shape[-2:]
        k = min(m, n)
        L = self.xp.tril(lu[..., :, :k], -1) + self.xp.eye(m, k, dtype=lu.dtype)
        return L, self.xp.triu(lu[..., :k, :])

    def backward(self, g_L, g_U):
        m, n = self._input_meta[0][0][-2:]
        g = 0
        if g_L is not None:
            g_L = tril(g_L, -1)
            g = cat([g_L, g_L.new_zeros(g_L.shape[:-1] + (n - m,))], -1) if n > m else g_L
        if g_U is not None:
            g_U = triu(g_U)
            g = g + (cat([g_U, g_U.new_zeros(g_U.shape[:-2] + (m - n, n))], -2) if m > n
                     else g_U)
        return g


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) from lu_factor's result (torch.lu_unpack); empty tensors for parts not asked."""
    m = LU_data.shape[-2]
    L = U = P = LU_data.new_empty(0)
    if unpack_data:
        L, U = LuUnpackBackward0().apply(LU_data)
    if unpack_pivots:
        xp = xp_of(LU_data.device)
        P = _tensor(permutation_arrays(xp, LU_pivots._data, m, LU_data.dtype.np), LU_data)
    return _lu_unpack_type(*out_exact((P, L, U), out))


def _transposed(x, kind):
    """x^T (kind "T") or x^H (kind "H")."""
    from ember._ops.decomp_matfn import _ConjBackward0

    x = x.mT
    return _ConjBackward0().apply(x) if kind == "H" and x.dtype.is_complex else x


def _lu_solve_left(P, L, U, B, kind):
    """A X = B from A = P L U (kind None), or A^T X = B / A^H X = B (kind "T" / "H")."""
    if kind is None:
        y = solve_triangular(L, P.mT @ B, upper=False, unitriangular=True)
        return solve_triangular(U, y, upper=True)
    y = solve_triangular(_transposed(U, kind), B, upper=False)
    return P @ solve_triangular(_transposed(L, kind), y, upper=True, unitriangular=True)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """Solve AX = B (XA = B when not ``left``; with A^H when ``adjoint``) from lu_factor's
    result (torch.linalg.lu_solve)."""
    P, L, U = lu_unpack(LU, pivots)
    if left:
        result = _lu_solve_left(P, L, U, B, "H" if adjoint else None)
    elif adjoint:  # X A^H = B  <=>  A X^H = B^H
        result = _transposed(_lu_solve_left(P, L, U, _transposed(B, "H"), None), "H")
    else:  # X A = B  <=>  A^T X^T = B^T
        result = _lu_solve_left(P, L, U, B.mT, "T").mT
    return out_exact(result, out)
