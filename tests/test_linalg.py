"""torch.linalg and the top-level decompositions against torch, driven by a table of op specs.

Each spec is a lambda over (lib, *tensors). Decompositions whose signs LAPACK leaves free
(eigenvectors, singular vectors) are compared through sign-invariant quantities (U @ Vh, U * U,
reconstructions); QR and LU, whose signs and pivots are fixed by LAPACK's algorithm, exactly.
Gradients are compared with torch for a random upstream gradient, then gradcheck and
gradgradcheck run in float64. Errors, including LinAlgError, are compared class and message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import ember
from tests.helpers import check_op, pair, torch

pytestmark = pytest.mark.filterwarnings("ignore:torch.(cholesky|qr|lu) is deprecated")


class Spec(NamedTuple):
    name: str
    fn: Callable
    shapes: tuple
    dtype: str = "float64"
    grad: bool = True
    gradgrad: bool = True
    rtol: float | None = None
    atol: float | None = None


def spd(lib, a):
    """A symmetric positive-definite matrix (batch) from any square one."""
    return a @ a.mT + lib.eye(a.shape[-1], dtype=a.dtype)


def sym(a):
    return a + a.mT


def hermitian(lib, a, b):
    """(a + ib)(a + ib)^H + I, built from real parts."""
    return a @ a.mT + b @ b.mT + lib.eye(a.shape[-1], dtype=a.dtype) + 1j * (b @ a.mT - a @ b.mT)


def svd_invariants(U, S, Vh):
    k = S.shape[-1]
    return S, U[..., :k] @ Vh[..., :k, :], U * U, Vh * Vh


S = Spec
M3, B3 = ((3, 3),), ((2, 3, 3),)
SPECS = [
    # -- determinants
    S("det", lambda lib, a: lib.linalg.det(a), M3),
    S("det_batch", lambda lib, a: lib.linalg.det(a), B3),
    S("det_top_and_method", lambda lib, a: (lib.det(a), a.det()), M3),
    S("det_float32", lambda lib, a: lib.linalg.det(a), B3, "float32", gradgrad=False,
      rtol=1e-4),
    S("det_singular", lambda lib, a: lib.linalg.det(a * a.new_tensor([1.0, 1.0, 0.0])), M3,
      gradgrad=False),
    S("slogdet", lambda lib, a: lib.linalg.slogdet(a), B3),
    S("slogdet_top", lambda lib, a: tuple(lib.slogdet(a)) + tuple(a.slogdet()), M3),
    S("logdet", lambda lib, a: lib.logdet(spd(lib, a)), B3),
    S("logdet_negative", lambda lib, a: a.logdet(), B3, grad=False),
    # -- inverse and solvers
    S("inv", lambda lib, a: lib.linalg.inv(a), B3),
    S("inverse", lambda lib, a: (lib.inverse(a), a.inverse()), M3),
    S("inv_ex", lambda lib, a: lib.linalg.inv_ex(a), B3, gradgrad=False),
    S("inv_float32", lambda lib, a: lib.linalg.inv(a), B3, "float32", gradgrad=False,
      rtol=1e-4, atol=1e-4),
    S("solve", lambda lib, a, b: lib.linalg.solve(a, b), ((3, 3), (3, 2))),
    S("solve_vector", lambda lib, a, b: lib.linalg.solve(a, b), ((3, 3), (3,))),
    S("solve_batch_vector", lambda lib, a, b: lib.linalg.solve(a, b), ((2, 3, 3), (2, 3))),
    S("solve_broadcast", lambda lib, a, b: lib.linalg.solve(a, b), ((2, 3, 3), (4, 1, 3, 2))),
    S("solve_vector_broadcast", lambda lib, a, b: lib.linalg.solve(a, b), ((2, 3, 3), (3,))),
    S("solve_right", lambda lib, a, b: lib.linalg.solve(a, b, left=False), ((3, 3), (2, 3))),
    S("solve_ex", lambda lib, a, b: lib.linalg.solve_ex(a, b), ((2, 3, 3), (3, 1)),
      gradgrad=False),
    S("solve_triangular_upper",
      lambda lib, a, b: lib.linalg.solve_triangular(a + 4 * lib.eye(3, dtype=a.dtype), b,
                                                    upper=True), ((2, 3, 3), (3, 2))),
    S("solve_triangular_lower_right",
      lambda lib, a, b: lib.linalg.solve_triangular(a + 4 * lib.eye(3, dtype=a.dtype), b,
                                                    upper=False, left=False), ((3, 3), (2, 3))),
    S("solve_triangular_unit",
      lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
      ((3, 3), (3, 4))),
    S("lstsq_solution", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, ((5, 3), (5, 2))),
    S("lstsq_wide", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, ((2, 4), (2, 3))),
    S("lstsq_batch_vector", lambda lib, a, b: lib.linalg.lstsq(a, b).solution,
      ((2, 4, 2), (2, 4))),
    S("lstsq_residuals", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gelsd")[:2],
      ((2, 5, 3), (2, 5, 2))),
    S("lstsq_residuals_vector", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gels")[:2],
      ((4, 2), (4,))),
    S("lstsq_fields", lambda lib, a, b: tuple(lib.linalg.lstsq(a, b)), ((2, 5, 3), (2, 5, 2)),
      grad=False),
    S("lstsq_gelsd", lambda lib, a, b: tuple(lib.linalg.lstsq(a, b, driver="gelsd")),
      ((5, 3), (5, 2)), grad=False),
    S("lstsq_gels", lambda lib, a, b: tuple(lib.linalg.lstsq(a, b, driver="gels")),
      ((2, 5, 3), (2, 5, 1)), grad=False),
    S("lstsq_gelss_vector", lambda lib, a, b: tuple(lib.linalg.lstsq(a, b, driver="gelss")),
      ((4, 2), (4,)), grad=False),
    S("lstsq_gelsd_square", lambda lib, a, b: tuple(lib.linalg.lstsq(a, b, driver="gelsd")),
      ((3, 3), (3, 1)), grad=False),
    # -- Cholesky and LU
    S("cholesky", lambda lib, a: lib.linalg.cholesky(spd(lib, a)), B3),
    S("cholesky_upper", lambda lib, a: lib.linalg.cholesky(spd(lib, a), upper=True), M3),
    S("cholesky_ex", lambda lib, a: lib.linalg.cholesky_ex(spd(lib, a)), M3, gradgrad=False),
    S("cholesky_top", lambda lib, a: (lib.cholesky(spd(lib, a)), spd(lib, a).cholesky(True)),
      M3),
    S("lu_factor", lambda lib, a: lib.linalg.lu_factor(a), B3),
    S("lu_factor_ex", lambda lib, a: lib.linalg.lu_factor_ex(a), M3, gradgrad=False),
    S("lu", lambda lib, a: lib.linalg.lu(a), B3),
    S("lu_tall_wide", lambda lib, a, b: (lib.linalg.lu(a), lib.linalg.lu_factor(b)),
      ((2, 4, 3), (3, 5))),
    S("lu_top", lambda lib, a: (lib.lu(a), a.lu(get_infos=True)), B3, gradgrad=False),
    S("lu_unpack", lambda lib, a, b: (lib.lu_unpack(*lib.linalg.lu_factor(a)),
                                      lib.lu_unpack(*lib.linalg.lu_factor(b))),
      ((2, 4, 3), (3, 5))),
    S("lu_unpack_parts", lambda lib, a: (lib.lu_unpack(*lib.linalg.lu_factor(a), False),
                                         lib.lu_unpack(*lib.linalg.lu_factor(a), True, False)),
      ((3, 3),), grad=False),
    S("lu_solve", lambda lib, a, b, c: (
        lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b),
        lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b, adjoint=True),
        lib.linalg.lu_solve(*lib.linalg.lu_factor(a), c, left=False),
        lib.linalg.lu_solve(*lib.linalg.lu_factor(a), c, left=False, adjoint=True)),
      ((3, 3), (3, 2), (2, 3))),
    S("lu_solve_complex", lambda lib, a, b, c: (lambda lu, piv, z: (
        lib.linalg.lu_solve(lu, piv, z, adjoint=True) * 1,  # (* 1: torch's result is lazily
        lib.linalg.lu_solve(lu, piv, z.mT, left=False, adjoint=True) * 1))(  # conjugated)
        *lib.linalg.lu_factor(a + 1j * b), c + 1j), ((3, 3), (3, 3), (3, 2)), grad=False),
    # -- QR: Householder signs are LAPACK's, the same in both
    S("qr", lambda lib, a: lib.linalg.qr(a), B3),
    S("qr_tall", lambda lib, a: lib.linalg.qr(a), ((5, 3),)),
    S("qr_wide", lambda lib, a: lib.linalg.qr(a), ((2, 3, 5),)),
    S("qr_complete", lambda lib, a: lib.linalg.qr(a, mode="complete"), ((5, 3),), grad=False),
    S("qr_r", lambda lib, a: lib.linalg.qr(a, mode="r"), ((5, 3),), grad=False),
    S("qr_top", lambda lib, a: (lib.qr(a), a.qr(some=False)), ((2, 3),), gradgrad=False),
    S("qr_float32", lambda lib, a: lib.linalg.qr(a), B3, "float32", gradgrad=False,
      rtol=1e-4, atol=1e-4),
    # -- eigendecompositions, through sign-invariant quantities
    S("eigh", lambda lib, a: (lambda r: (r.eigenvalues, r.eigenvectors ** 2))(
        lib.linalg.eigh(sym(a))), B3),
    S("eigh_upper", lambda lib, a: (lambda w, v: (w, (v * w.unsqueeze(-2)) @ v.mT))(
        *lib.linalg.eigh(a, UPLO="U")), M3, grad=False),
    S("eigvalsh", lambda lib, a: lib.linalg.eigvalsh(sym(a)), B3),
    S("eigvalsh_upper", lambda lib, a: lib.linalg.eigvalsh(sym(a), "U"), M3),
    S("eigvals", lambda lib, a: lib.linalg.eigvals(a), B3, grad=False),
    S("eig", lambda lib, a: (lambda w, v: (w, v.abs()))(*lib.linalg.eig(a)), B3, "float32",
      grad=False, rtol=1e-4, atol=1e-5),
    # -- SVD, through sign-invariant quantities
    S("svd", lambda lib, a: svd_invariants(*lib.linalg.svd(a, full_matrices=False)), B3),
    S("svd_tall", lambda lib, a: svd_invariants(*lib.linalg.svd(a, full_matrices=False)),
      ((4, 3),)),
    S("svd_wide", lambda lib, a: svd_invariants(*lib.linalg.svd(a, full_matrices=False)),
      ((2, 3, 5),)),
    S("svd_full", lambda lib, a: svd_invariants(*lib.linalg.svd(a)), ((4, 3),),
      gradgrad=False),
    S("svd_full_shapes", lambda lib, a: [t.shape for t in lib.linalg.svd(a)], ((2, 4, 3),),
      grad=False),
    S("svdvals", lambda lib, a: lib.linalg.svdvals(a), ((2, 4, 3),)),
    S("svd_top", lambda lib, a: (lambda u, s, v: (s, u @ v.mT, v.shape))(*lib.svd(a)),
      ((4, 3),)),
    S("svd_top_full", lambda lib, a: (lambda u, s, v: (s, u.shape, v.shape))(
        *a.svd(some=False)), ((2, 4, 3),)),
    S("svd_top_no_uv", lambda lib, a: tuple(lib.svd(a, compute_uv=False)), ((4, 3),),
      gradgrad=False),
    # -- pseudo-inverse and rank
    S("pinv", lambda lib, a: lib.linalg.pinv(a), ((2, 4, 3),)),
    S("pinv_wide", lambda lib, a: lib.linalg.pinv(a), ((3, 5),)),
    S("pinv_hermitian", lambda lib, a: lib.linalg.pinv(spd(lib, a), hermitian=True), M3),
    S("pinv_rank_deficient", lambda lib, a: lib.linalg.pinv(a[..., :1] @ a[..., :1, :]), M3,
      grad=False),
    S("pinv_tolerances", lambda lib, a: (lib.linalg.pinv(a, atol=2.0), lib.linalg.pinv(a, 0.5),
                                         lib.linalg.pinv(a, rtol=0.3, atol=0.1)), M3,
      grad=False),
    # (a cut-off singular value makes pinv discontinuous: torch's formula, no gradcheck)
    S("pinverse", lambda lib, a: (lib.pinverse(a), a.pinverse(rcond=0.5)), ((4, 3),),
      gradgrad=False),
    S("matrix_rank", lambda lib, a: (lib.linalg.matrix_rank(a), lib.linalg.matrix_rank(
        a[..., :2] @ a[..., :2, :]), lib.linalg.matrix_rank(a, atol=2.0),
        lib.linalg.matrix_rank(a, 1.5), lib.linalg.matrix_rank(sym(a), hermitian=True)), B3,
      grad=False),
    # -- norms
    S("vector_norm", lambda lib, a: (lib.linalg.vector_norm(a), lib.linalg.vector_norm(
        a, 1, -1), lib.linalg.vector_norm(a, math.inf, (0, 2), True)), ((2, 3, 4),)),
    S("vector_norm_orders", lambda lib, a: [lib.linalg.vector_norm(a, p, 1) for p in
                                            (3, 0.5, -math.inf)], ((3, 4),), gradgrad=False),
    S("vector_norm_dtype", lambda lib, a: lib.linalg.vector_norm(a, dtype=lib.float64),
      ((3, 4),), "float32", grad=False),
    S("matrix_norm_fro", lambda lib, a: lib.linalg.matrix_norm(a), B3),
    S("matrix_norm_nuc", lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), ((2, 4, 3),)),
    S("matrix_norm_2", lambda lib, a: (lib.linalg.matrix_norm(a, 2), lib.linalg.matrix_norm(
        a, -2)), ((2, 4, 3),)),
    S("matrix_norm_1_inf", lambda lib, a: [lib.linalg.matrix_norm(a, p) for p in
                                           (1, -1, math.inf, -math.inf)], B3),
    S("matrix_norm_dims", lambda lib, a: [lib.linalg.matrix_norm(a, p, (2, 0), True) for p in
                                          ("fro", "nuc", 2, 1, -math.inf)], ((3, 2, 4),)),
    S("matrix_norm_half", lambda lib, a: lib.linalg.matrix_norm(a.half()), M3, grad=False,
      rtol=1e-3),
    S("norm", lambda lib, a: (lib.linalg.norm(a), lib.linalg.norm(a, dim=1),
                              lib.linalg.norm(a, 3, dim=(2,)), lib.linalg.norm(a, dim=(0, 1)),
                              lib.linalg.norm(a, "nuc", (1, 2))), ((2, 3, 4),)),
    S("norm_ord_2d", lambda lib, a: [lib.linalg.norm(a, p) for p in ("fro", 1, 2, -math.inf)],
      M3),
    S("norm_ord_1d", lambda lib, a: lib.linalg.norm(a, 1, keepdim=True), ((4,),)),
    S("cond", lambda lib, a: [lib.linalg.cond(a, p) for p in (None, 2, -2)], B3),
    # (torch inverts in place here, so it has no gradient)
    S("cond_inverse", lambda lib, a: [lib.linalg.cond(a, p) for p in
                                      ("fro", "nuc", 1, -1, math.inf, -math.inf)], B3,
      grad=False),
    S("cond_nonsquare", lambda lib, a: lib.linalg.cond(a), ((4, 3),)),
    S("cond_singular", lambda lib, a: lib.linalg.cond(a * 0, 1), M3, grad=False),
    # -- matrix functions and products
    S("matrix_power", lambda lib, a: [lib.linalg.matrix_power(a, n) for n in (0, 1, 2, 3, 6)],
      B3),
    S("matrix_power_negative", lambda lib, a: (lib.linalg.matrix_power(a, -3),
                                               lib.matrix_power(a, -1)), M3),
    S("matrix_power_int", lambda lib, a: a.long().matrix_power(3), M3, grad=False),
    S("matrix_exp", lambda lib, a: lib.linalg.matrix_exp(a), B3),
    S("matrix_exp_large", lambda lib, a: (lib.matrix_exp(4 * a), (a * 0.01).matrix_exp()), M3,
      gradgrad=False),
    S("matrix_exp_float32", lambda lib, a: lib.linalg.matrix_exp(a), B3, "float32",
      gradgrad=False, rtol=1e-4, atol=1e-5),
    S("linalg_matmul", lambda lib, a, b: lib.linalg.matmul(a, b), ((2, 3), (3, 4))),
    S("multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
      ((2, 3), (3, 4), (4, 2))),
    S("multi_dot_vectors", lambda lib, a, b, c, d: lib.linalg.multi_dot([a, b, c, d]),
      ((3,), (3, 4), (4, 2), (2,))),
    S("cross", lambda lib, a, b: lib.linalg.cross(a, b), ((4, 3), (1, 3))),
    S("cross_dim", lambda lib, a, b: lib.linalg.cross(a, b, dim=0), ((3, 2), (3, 2))),
    S("cross_int", lambda lib, a, b: lib.linalg.cross(a.long(), b.long()), ((3,), (3,)),
      grad=False),
    S("vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b), ((2, 3), (3,))),
    S("vecdot_dim", lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0), ((3, 2), (3, 2))),
    S("vecdot_complex", lambda lib, a, b: lib.linalg.vecdot(a * 1j + b, b - 2j * a),
      ((3,), (3,)), grad=False),
    S("vander", lambda lib, a: (lib.linalg.vander(a), lib.linalg.vander(a, N=5)), ((2, 3),)),
    S("vander_int", lambda lib, a: lib.linalg.vander(a.long()), ((4,),), grad=False),
    S("tensorinv", lambda lib, a: lib.linalg.tensorinv(a.reshape(2, 3, 6), ind=2), ((6, 6),)),
    S("tensorsolve", lambda lib, a, b: (lib.linalg.tensorsolve(a.reshape(2, 3, 6), b),
                                        lib.linalg.tensorsolve(a.reshape(6, 2, 3), b, dims=(0,))),
      ((6, 6), (2, 3))),
    S("diagonal", lambda lib, a: (lib.linalg.diagonal(a), lib.linalg.diagonal(
        a, offset=1, dim1=0, dim2=2)), ((2, 3, 3),)),
    # -- complex inputs (values only: ember's linalg gradients are for real dtypes)
    S("complex_det_inv_solve", lambda lib, a, b: (lambda c: (
        lib.linalg.det(c), lib.linalg.slogdet(c), lib.logdet(c), lib.linalg.inv(c),
        lib.linalg.solve(c, b.to(c.dtype))))(a + 1j * b), ((3, 3), (3, 3)), grad=False),
    S("complex_cholesky_qr", lambda lib, a, b: (lambda c, h: (
        lib.linalg.cholesky(h), lib.linalg.qr(c), lib.linalg.svdvals(c), lib.linalg.eigvalsh(h)))(
        a + 1j * b, hermitian(lib, a, b)), ((3, 3), (3, 3)), grad=False),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_op(spec):
    check_op(spec.fn, *spec.shapes, dtype=spec.dtype, grad=spec.grad,
             gradgrad=spec.grad and spec.gradgrad, rtol=spec.rtol, atol=spec.atol)


# -- errors: torch's class (LinAlgError for ember.linalg.LinAlgError) and message ---------------

SING = np.array([[1.0, 2.0], [2.0, 4.0]], dtype="float32")
NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]], dtype="float32")
RECT = np.arange(6, dtype="float32").reshape(2, 3)
VEC = np.ones(3, dtype="float32")
I64 = np.ones((2, 2), dtype="int64")
HALF = np.ones((2, 2), dtype="float16")
EYE = np.eye(2, dtype="float32")
BATCH_SING = np.stack([EYE, SING])

ERRORS = {
    "inv_singular": (lambda lib, a: lib.linalg.inv(a), SING),
    "inv_singular_ones": (lambda lib, a: lib.linalg.inv(a), np.ones((3, 3), "float32")),
    "inv_batch_singular": (lambda lib, a: lib.linalg.inv(a), BATCH_SING),
    "inverse_singular": (lambda lib, a: lib.inverse(a), SING),
    "inv_ex_check_errors": (lambda lib, a: lib.linalg.inv_ex(a, check_errors=True), SING),
    "matrix_power_singular": (lambda lib, a: lib.linalg.matrix_power(a, -1), SING),
    "inv_rect": (lambda lib, a: lib.linalg.inv(a), RECT),
    "inv_1d": (lambda lib, a: lib.linalg.inv(a), VEC),
    "inv_int": (lambda lib, a: lib.linalg.inv(a), I64),
    "inv_half": (lambda lib, a: lib.linalg.inv(a), HALF),
    "solve_singular": (lambda lib, a: lib.linalg.solve(a, a[0]), SING),
    "solve_batch_singular": (lambda lib, a: lib.linalg.solve(a, a[:, :, :1]), BATCH_SING),
    "solve_ex_check_errors": (lambda lib, a: lib.linalg.solve_ex(a, a, check_errors=True), SING),
    "solve_rect": (lambda lib, a: lib.linalg.solve(a, a), RECT),
    "solve_shapes": (lambda lib, a: lib.linalg.solve(a, a.new_ones(3)), EYE),
    "solve_shapes_right": (lambda lib, a: lib.linalg.solve(a, a.new_ones(2), left=False), EYE),
    "solve_dtypes": (lambda lib, a: lib.linalg.solve(a, a.double()), EYE),
    "solve_half": (lambda lib, a: lib.linalg.solve(a, a), HALF),
    "solve_triangular_1d": (lambda lib, a: lib.linalg.solve_triangular(a, a[0], upper=True),
                            EYE),
    "solve_triangular_int": (lambda lib, a: lib.linalg.solve_triangular(a, a, upper=True), I64),
    "det_rect": (lambda lib, a: lib.linalg.det(a), RECT),
    "det_top_rect": (lambda lib, a: lib.det(a), RECT),
    "det_1d": (lambda lib, a: lib.linalg.det(a), VEC),
    "det_int": (lambda lib, a: lib.linalg.det(a), I64),
    "det_half": (lambda lib, a: lib.linalg.det(a), HALF),
    "slogdet_half": (lambda lib, a: lib.linalg.slogdet(a), HALF),
    "logdet_rect": (lambda lib, a: lib.logdet(a), RECT),
    "cholesky_not_pd": (lambda lib, a: lib.linalg.cholesky(a), NOT_PD),
    "cholesky_batch_not_pd": (lambda lib, a: lib.linalg.cholesky(a), np.stack([EYE, NOT_PD])),
    "cholesky_ex_check_errors": (lambda lib, a: lib.linalg.cholesky_ex(-a, check_errors=True),
                                 EYE),
    "cholesky_top_not_pd": (lambda lib, a: lib.cholesky(a), NOT_PD),
    "cholesky_top_int": (lambda lib, a: lib.cholesky(a), I64),
    "cholesky_rect": (lambda lib, a: lib.linalg.cholesky(a), RECT),
    "cholesky_half": (lambda lib, a: lib.linalg.cholesky(a), HALF),
    "lu_factor_singular": (lambda lib, a: lib.linalg.lu_factor(a), np.ones((2, 3, 3), "float32")),
    "lu_factor_1d": (lambda lib, a: lib.linalg.lu_factor(a), VEC),
    "lu_1d": (lambda lib, a: lib.linalg.lu(a), VEC),
    "lu_int": (lambda lib, a: lib.linalg.lu(a), I64),
    "lu_no_pivot": (lambda lib, a: lib.linalg.lu(a, pivot=False), EYE),
    "qr_mode": (lambda lib, a: lib.linalg.qr(a, mode="economic"), RECT),
    "qr_1d": (lambda lib, a: lib.linalg.qr(a), VEC),
    "qr_half": (lambda lib, a: lib.linalg.qr(a), HALF),
    "qr_complete_grad": (lambda lib, a: lib.linalg.qr(a.T.requires_grad_(), mode="complete")[1]
                         .sum().backward(), RECT),
    "qr_r_grad": (lambda lib, a: lib.linalg.qr(a.requires_grad_(), mode="r")[1].sum()
                  .backward(), RECT),
    "eigh_rect": (lambda lib, a: lib.linalg.eigh(a), RECT),
    "eigh_int": (lambda lib, a: lib.linalg.eigh(a), I64),
    "eigh_uplo": (lambda lib, a: lib.linalg.eigh(a, UPLO="X"), EYE),
    "eig_rect": (lambda lib, a: lib.linalg.eig(a), RECT),
    "eigvals_int": (lambda lib, a: lib.linalg.eigvals(a), I64),
    "svd_1d": (lambda lib, a: lib.linalg.svd(a), VEC),
    "svd_int": (lambda lib, a: lib.linalg.svdvals(a), I64),
    "svd_top_1d": (lambda lib, a: lib.svd(a), VEC),
    "svd_driver": (lambda lib, a: lib.linalg.svd(a, driver="gesvd"), EYE),
    "pinv_1d": (lambda lib, a: lib.linalg.pinv(a), VEC),
    "pinv_int": (lambda lib, a: lib.linalg.pinv(a), I64),
    "lstsq_1d": (lambda lib, a: lib.linalg.lstsq(a, a), VEC),
    "lstsq_rows": (lambda lib, a: lib.linalg.lstsq(a, a.new_ones(3, 1)), EYE),
    "lstsq_driver": (lambda lib, a: lib.linalg.lstsq(a, a, driver="gelsx"), EYE),
    "lstsq_int": (lambda lib, a: lib.linalg.lstsq(a, a), I64),
    "matrix_rank_1d": (lambda lib, a: lib.linalg.matrix_rank(a), VEC),
    "matrix_rank_int": (lambda lib, a: lib.linalg.matrix_rank(a), I64),
    "matrix_power_rect": (lambda lib, a: lib.linalg.matrix_power(a, 2), RECT),
    "matrix_power_float_n": (lambda lib, a: lib.linalg.matrix_power(a, 2.0), EYE),
    "matrix_power_int_negative": (lambda lib, a: lib.linalg.matrix_power(a, -1), I64),
    "matrix_exp_rect": (lambda lib, a: lib.linalg.matrix_exp(a), RECT),
    "matrix_exp_int": (lambda lib, a: lib.linalg.matrix_exp(a), I64),
    "vector_norm_int": (lambda lib, a: lib.linalg.vector_norm(a), I64),
    "vector_norm_str": (lambda lib, a: lib.linalg.vector_norm(a, "fro"), EYE),
    "matrix_norm_1d": (lambda lib, a: lib.linalg.matrix_norm(a), VEC),
    "matrix_norm_order": (lambda lib, a: lib.linalg.matrix_norm(a, 3), EYE),
    "matrix_norm_dims": (lambda lib, a: lib.linalg.matrix_norm(a, dim=(0, 0)), EYE),
    "matrix_norm_dim": (lambda lib, a: lib.linalg.matrix_norm(a, dim=(0,)), EYE),
    "matrix_norm_nuc_half": (lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), HALF),
    "norm_ord_3d": (lambda lib, a: lib.linalg.norm(a.new_ones(2, 2, 2), 2), EYE),
    "norm_dims": (lambda lib, a: lib.linalg.norm(a.new_ones(2, 2, 2), dim=(0, 1, 2)), EYE),
    "norm_str_1d": (lambda lib, a: lib.linalg.norm(a, "fro"), VEC),
    "cond_1d": (lambda lib, a: lib.linalg.cond(a), VEC),
    "cond_order": (lambda lib, a: lib.linalg.cond(a, 3), EYE),
    "cond_rect": (lambda lib, a: lib.linalg.cond(a, 1), RECT),
    "multi_dot_one": (lambda lib, a: lib.linalg.multi_dot([a]), RECT),
    "multi_dot_shapes": (lambda lib, a: lib.linalg.multi_dot([a, a]), RECT),
    "multi_dot_3d": (lambda lib, a: lib.linalg.multi_dot([a.new_ones(2, 2, 2), a]), EYE),
    "multi_dot_middle": (lambda lib, a: lib.linalg.multi_dot([a, a[0], a]), EYE),
    "cross_length": (lambda lib, a: lib.linalg.cross(a, a), np.ones((2, 4), "float32")),
    "cross_ndim": (lambda lib, a: lib.linalg.cross(a, a[0]), np.ones((2, 3), "float32")),
    "vander_n": (lambda lib, a: lib.linalg.vander(a, N=1), VEC),
    "tensorinv_shape": (lambda lib, a: lib.linalg.tensorinv(a.new_ones(4, 6, 8, 2)), VEC),
    "tensorinv_ind": (lambda lib, a: lib.linalg.tensorinv(a, ind=0), EYE),
    "tensorsolve_shape": (lambda lib, a: lib.linalg.tensorsolve(a.new_ones(2, 3, 5),
                                                                a.new_ones(2, 3)), EYE),
    "vecdot_int": (lambda lib, a: lib.linalg.vecdot(a, a), I64),
    "vecdot_dtypes": (lambda lib, a: lib.linalg.vecdot(a, a.double()), EYE),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error(name):
    fn, array = ERRORS[name]
    t_in, e_in = pair(array)
    with pytest.raises(Exception) as t_info:
        fn(torch, t_in)
    with pytest.raises(Exception) as e_info:
        fn(ember, e_in)
    expected = ember.linalg.LinAlgError if t_info.type is torch.linalg.LinAlgError else t_info.type
    assert e_info.type is expected, f"{e_info.type.__name__}: {e_info.value}"
    assert str(e_info.value) == str(t_info.value).split("\n")[0]


def test_linalg_error_is_a_runtime_error():
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError, match="input matrix is singular"):
        ember.linalg.inv(ember.zeros(2, 2))


# -- result structure: named tuples, grad_fn names, info outputs, out= ---------------------------

STRUCTURE = {
    "det": lambda lib, a: lib.linalg.det(a),
    "slogdet": lambda lib, a: lib.linalg.slogdet(a),
    "slogdet_top": lambda lib, a: lib.slogdet(a),
    "inv_ex": lambda lib, a: lib.linalg.inv_ex(a),
    "solve_ex": lambda lib, a: lib.linalg.solve_ex(a, a[0]),
    "solve_triangular": lambda lib, a: lib.linalg.solve_triangular(a, a, upper=True),
    "cholesky_ex": lambda lib, a: lib.linalg.cholesky_ex(spd(lib, a).detach().requires_grad_()),
    "qr": lambda lib, a: lib.linalg.qr(a),
    "qr_top": lambda lib, a: lib.qr(a),
    "eigh": lambda lib, a: lib.linalg.eigh(a),
    "eig": lambda lib, a: lib.linalg.eig(a),
    "svd": lambda lib, a: lib.linalg.svd(a),
    "svd_top": lambda lib, a: lib.svd(a),
    "lstsq": lambda lib, a: lib.linalg.lstsq(a, a),
    "lu_factor": lambda lib, a: lib.linalg.lu_factor(a),
    "lu_factor_ex": lambda lib, a: lib.linalg.lu_factor_ex(a),
    "lu": lambda lib, a: lib.linalg.lu(a),
    "lu_with_info": lambda lib, a: lib.lu(a, get_infos=True),
    "lu_unpack": lambda lib, a: lib.lu_unpack(*lib.linalg.lu_factor(a)),
    "pinv": lambda lib, a: lib.linalg.pinv(a),
    "matrix_exp": lambda lib, a: lib.linalg.matrix_exp(a),
    "cross": lambda lib, a: lib.linalg.cross(a, a.flip(0)),
    "vector_norm": lambda lib, a: lib.linalg.vector_norm(a),
    "matrix_norm_fro": lambda lib, a: lib.linalg.matrix_norm(a),
    "eigvalsh": lambda lib, a: lib.linalg.eigvalsh(a),
    "svdvals": lambda lib, a: lib.linalg.svdvals(a),
    "logdet": lambda lib, a: lib.logdet(a),
}


@pytest.mark.parametrize("name", list(STRUCTURE))
def test_structure(name):
    """The same named tuple fields, and grad_fn names torch gives each output."""
    rng = np.random.default_rng(1)
    t_in, e_in = pair(rng.standard_normal((3, 3)), requires_grad=True)
    t_out, e_out = STRUCTURE[name](torch, t_in), STRUCTURE[name](ember, e_in)
    if hasattr(t_out, "_fields") or hasattr(t_out, "n_fields"):
        fields = [f for f in dir(t_out) if not f.startswith("_") and f not in
                  ("count", "index", "n_fields", "n_sequence_fields", "n_unnamed_fields")]
        assert type(e_out).__name__ == type(t_out).__name__
        assert sorted(e_out._fields) == sorted(fields)
    t_outs = t_out if isinstance(t_out, tuple) else (t_out,)
    e_outs = e_out if isinstance(e_out, tuple) else (e_out,)
    names = [[type(o.grad_fn).__name__ for o in outs] for outs in (e_outs, t_outs)]
    assert names[0] == names[1]


def test_info_outputs():
    """info of the _ex functions, and cholesky_ex's partial factor of a non-PD matrix."""
    for lib in (torch, ember):
        sing = lib.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]])
        not_pd = lib.tensor([[1.0, 2.0], [2.0, 1.0]])
        results = (lib.linalg.inv_ex(sing).info, lib.linalg.solve_ex(sing, sing).info,
                   lib.linalg.lu_factor_ex(lib.ones(3, 3)), lib.linalg.cholesky_ex(not_pd),
                   lib.linalg.cholesky_ex(-not_pd, upper=True).info)
        if lib is torch:
            expected = results
    for e, t in zip(results, expected):
        for e_part, t_part in zip(e if isinstance(e, tuple) else (e,),
                                  t if isinstance(t, tuple) else (t,)):
            assert str(e_part.dtype)[6:] == str(t_part.dtype)[6:]
            np.testing.assert_array_equal(e_part.numpy(), t_part.numpy())


def test_out_arguments():
    a_np = np.random.default_rng(2).standard_normal((3, 3))
    for lib in (torch, ember):
        a = lib.tensor(a_np)
        det_out, inv_out = lib.empty(()), lib.empty(0, dtype=lib.float64)
        lib.linalg.det(a.float(), out=det_out)
        lib.linalg.inv(a, out=inv_out)
        q, r = lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.float64)
        lib.linalg.qr(a, out=(q, r))
        values = [det_out.numpy(), inv_out.numpy(), q.numpy(), r.numpy()]
        if lib is torch:
            expected = values
    for e, t in zip(values, expected):
        np.testing.assert_allclose(e, t, rtol=1e-6)


@pytest.mark.parametrize("call", [lambda lib, a: lib.cholesky(a), lambda lib, a: lib.qr(a),
                                  lambda lib, a: lib.lu(a)])
def test_deprecation_warnings(call):
    with pytest.warns(UserWarning, match="is deprecated in favor of torch.linalg"):
        call(ember, ember.eye(2))


def test_rank_deficient_lstsq_and_rank():
    """Minimum-norm solutions and ranks of a rank-2 4x3 matrix, as torch's drivers give."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 3))
    a[:, 2] = a[:, 0] + a[:, 1]
    b = rng.standard_normal((4, 2))
    for driver in ("gelsy", "gelsd"):
        t = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
        e = ember.linalg.lstsq(ember.tensor(a), ember.tensor(b), driver=driver)
        np.testing.assert_allclose(e.solution.numpy(), t.solution.numpy(), rtol=1e-7, atol=1e-9)
        assert e.rank.item() == t.rank.item() == 2
        assert e.residuals.shape == t.residuals.shape


def test_saved_outputs_keep_their_output_number():
    """Regression: an Op saving several of its outputs (svd saves U, S, Vh) must hand them back
    as outputs 0, 1, 2, so double backward routes each one's gradient to the right output."""
    a = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    s = ember.linalg.svdvals(a)
    assert [t._output_nr for t in s.grad_fn.saved] == [0, 1, 2]
    g, = ember.autograd.grad(s.sum(), a, create_graph=True)
    assert ember.autograd.grad((g * g).sum(), a)[0].shape == a.shape


def test_top_level_cross_default_dim_matches_torch():
    """torch.cross without dim takes the first dim of size 3 and warns; errors without one."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((2, 3, 3, 4))
    with pytest.warns(UserWarning, match="without specifying the dim"):
        ours = ember.cross(ember.tensor(a), ember.tensor(b))
    theirs = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ember.tensor(a).cross(ember.tensor(b), dim=2).numpy(),
                               torch.tensor(a).cross(torch.tensor(b), dim=2).numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="no dimension of size 3"):
        ember.cross(ember.ones(2, 4), ember.ones(2, 4))
