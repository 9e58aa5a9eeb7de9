"""Linear algebra, part 1: determinants, inverses and linear solves (torch.linalg), and the
helpers the other parts share.

Forward runs LAPACK through ``self.xp.linalg``; backward is written with Ember tensor ops, so
gradients of gradients work. Argument checks, result dtypes, named tuples and error messages
follow torch, including ``LinAlgError`` (a RuntimeError) for singular and non positive-definite
inputs. Gradients of complex inputs follow torch's convention (conjugate transposes where the
real formulas transpose), as torch's FunctionsManual formulas do.
The other parts: decomp_factor.py (Cholesky, LU), decomp_spectral.py (QR, eigen, SVD),
decomp_lstsq.py (pinv, lstsq, rank) and decomp_matfn.py (norms, matrix functions, products);
this module re-exports their torch top-level names.
"""

from __future__ import annotations

import collections

from ember._backend import xp_of
from ember._dtype import FLOAT
from ember._ops._elementwise import _legacy_scalar_name
from ember._ops._op import Op
from ember._ops.complex import conj, imag, real
from ember._ops.creation import eye
from ember._ops.inplace import out_exact
from ember._ops.pointwise import where

__all__ = ["cross", "det", "logdet", "slogdet", "inverse", "cholesky", "lu", "lu_unpack", "qr",
           "svd",
           "pinverse", "matrix_power", "matrix_exp"]


class LinAlgError(RuntimeError):
    """Raised for singular or non positive-definite input (torch.linalg.LinAlgError)."""


_slogdet_type = collections.namedtuple("slogdet", ["sign", "logabsdet"])
_linalg_slogdet_type = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])
_inv_ex_type = collections.namedtuple("linalg_inv_ex", ["inverse", "info"])
_solve_ex_type = collections.namedtuple("linalg_solve_ex", ["result", "info"])


# -- argument checks, in torch's order ------------------------------------------------------------


def check_matrix(A, fn, *, square=True, kernel=None, int_kernel=False, dtype=True):
    """At least 2-D, square when asked, then a dtype LAPACK takes. ``kernel`` names torch's CPU
    kernel, whose NotImplementedError torch raises for half precision (and ints, if asked)."""
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if dtype:
        check_dtype(A, fn, kernel, int_kernel)


def check_dtype(A, fn, kernel=None, int_kernel=False):
    name = _legacy_scalar_name(A.dtype)
    low = A.dtype.name in ("float16", "bfloat16")
    if kernel and (low or (int_kernel and A.dtype.category < FLOAT)):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")
    if A.dtype.category < FLOAT:
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. "
                           f"Got {name}")
    if low:
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {name}")


def raise_for_info(info, fn, message, error=LinAlgError):
    """Raise torch's error for the first nonzero LAPACK ``info`` (``{}`` in message gets it)."""
    bad = (info != 0).reshape(-1).nonzero()[0]
    if len(bad) == 0:
        return
    first = int(bad[0])
    prefix = f"(Batch element {first}): " if info.ndim else ""
    raise error(f"{fn}: {prefix}{message.format(int(info.reshape(-1)[first]))}")


def _tensor(array, like):
    return like._make(array, like.device)


# -- helpers on tensors, for the backward formulas --------------------------------------------


def eye_like(x, n=None):
    return eye(n or x.shape[-1], dtype=x.dtype, device=x.device)


def tril(x, k=0):
    """Lower triangle (as torch.tril), through ``where`` with a constant mask: it differentiates."""
    keep = xp_of(x.device).tri(x.shape[-2], x.shape[-1], k, dtype=bool)
    return where(_tensor(keep, x), x, 0.0)


def triu(x, k=0):
    keep = xp_of(x.device).tri(x.shape[-2], x.shape[-1], k - 1, dtype=bool)
    return where(_tensor(keep, x), 0.0, x)


def diag_embed(v):
    return v.unsqueeze(-1) * eye_like(v, v.shape[-1])


def mH(x):
    """The conjugate transpose of the last two dims (torch's Tensor.mH); x.mT for real x."""
    return conj(x.mT) if x.dtype.is_complex else x.mT


def real_part_for(grad, meta):
    """The real part of a complex gradient for a real input (torch's handle_r_to_c)."""
    return real(grad) if grad.dtype.is_complex and not meta[1].is_complex else grad


class _LinalgOp(Op):
    """Inputs as they are (torch's checks ran before); outputs that get no gradient get None,
    not zeros."""

    promote = "keep"
    materialize_grads = False


# -- determinants ---------------------------------------------------------------------------


class LinalgDetBackward0(_LinalgOp):
    def forward(self, a):
        out = self.xp.linalg.det(a)
        self.save(a, out)
        return out

    def backward(self, g):
        a, det = self.saved
        # NOTE: torch's gradient at an exactly singular matrix is zero; the identity stands in
        # for those matrices so that inv succeeds, and the factor det == 0 zeroes them
        singular = (det == 0).unsqueeze(-1).unsqueeze(-1)
        safe = where(singular, eye_like(a), a)
        return (g * conj(det)).unsqueeze(-1).unsqueeze(-1) * mH(inv(safe))


class LinalgSlogdetBackward0(_LinalgOp):
    def forward(self, a):
        sign, logabsdet = self.xp.linalg.slogdet(a)
        self.save(a, sign)
        return sign, logabsdet

    def backward(self, g_sign, g_logabsdet):
        a, sign = self.saved
        g = g_logabsdet
        if a.dtype.is_complex and g_sign is not None:
            # the sign turns with Im tr(A^-1 dA): its part of the gradient is -i Im(conj(gS) S)
            turn = imag(conj(g_sign) * sign) * -1j
            g = turn if g is None else g + turn
        if g is None:
            return None  # a real sign is piecewise constant
        return g.unsqueeze(-1).unsqueeze(-1) * mH(inv(a))


def det(A, *, out=None):
    """Determinant of a (batch of) square matrices (torch.linalg.det, torch.det)."""
    check_matrix(A, "linalg.det", kernel="lu_cpu")
    return out_exact(LinalgDetBackward0().apply(A), out)


def slogdet(A, *, out=None):
    """(sign, log|det|) (torch.slogdet); torch.linalg.slogdet names its tuple linalg_slogdet."""
    return _slogdet_type(*linalg_slogdet(A, out=out))


def linalg_slogdet(A, *, out=None):
    check_matrix(A, "linalg.slogdet")
    return _linalg_slogdet_type(*out_exact(LinalgSlogdetBackward0().apply(A), out))


def logdet(input):
    """log(det(A)): nan for a negative determinant, -inf for zero (torch.logdet)."""
    check_matrix(input, "logdet")
    sign, logabsdet = LinalgSlogdetBackward0().apply(input)
    if input.dtype.is_complex:
        # NOTE: log(sign) = i angle(sign), as |sign| = 1; torch computes sign.log()
        return logabsdet + sign.angle() * 1j
    return where(sign < 0, float("nan"), logabsdet)


# -- inverse and solve ----------------------------------------------------------------------


def lu_info(xp, a):
    """LAPACK getrf's info per matrix: 1 + the index of the first exactly zero pivot, or 0."""
    return lu_factor_arrays(xp, a)[2]


def lu_factor_arrays(xp, a):
    """LU with partial pivoting, LAPACK getrf's conventions: returns (LU packed, 1-based int32
    pivots, int32 info = 1 + the first exactly zero pivot's index, or 0). Pivots are the first
    largest |x| of each column (|re| + |im| for complex, as LAPACK's i?amax)."""
    lu = a.reshape((-1,) + a.shape[-2:]).astype(a.dtype, copy=True)
    batch, m, n = lu.shape
    k = min(m, n)
    pivots = xp.zeros((batch, k), dtype=xp.int32)
    info = xp.zeros(batch, dtype=xp.int32)
    rows = xp.arange(batch)
    for j in range(k):
        size = xp.abs(lu[:, j:, j].real) + xp.abs(lu[:, j:, j].imag) if lu.dtype.kind == "c" \
            else xp.abs(lu[:, j:, j])
        p = j + size.argmax(axis=1)
        pivots[:, j] = p + 1
        row_j = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = row_j
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(xp.int32)
        lu[:, j + 1:, j] /= xp.where(zero, 1, pivot)[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return lu.reshape(a.shape), pivots.reshape(a.shape[:-2] + (k,)), info.reshape(a.shape[:-2])


def _singular_safe(xp, fn, a):
    """Run ``fn(a)``; if LAPACK finds a singular matrix, run it again with the singular matrices
    replaced by the identity and fill their results with nan. Returns (result, info)."""
    info = xp.zeros(a.shape[:-2], dtype=xp.int32)
    try:
        return fn(a), info
    except xp.linalg.LinAlgError:
        info = lu_info(xp, a)
    singular = (info != 0)[..., None, None]
    result = fn(xp.where(singular, xp.eye(a.shape[-1], dtype=a.dtype), a))
    return xp.where(singular, xp.nan, result), info


class LinalgInvExBackward0(_LinalgOp):
    def forward(self, a):
        result, info = _singular_safe(self.xp, self.xp.linalg.inv, a)
        self.save(result)
        return result, info

    def backward(self, g, g_info=None):
        a_inv, = self.saved
        a_inv_h = mH(a_inv)
        return -(a_inv_h @ g @ a_inv_h)


_SINGULAR = ("The diagonal element {} is zero, the inversion could not be completed because the "
             "input matrix is singular.")


def inv_ex(A, *, check_errors=False, out=None):
    """(inverse, info) without raising for singular input unless asked (torch.linalg.inv_ex)."""
    check_matrix(A, "linalg.inv")
    result, info = LinalgInvExBackward0().apply(A)
    if check_errors:
        raise_for_info(info._data, "linalg.inv_ex", _SINGULAR)
    return _inv_ex_type(*out_exact((result, info), out))


def inv(A, *, out=None):
    """Inverse of square matrices; LinAlgError for singular ones (torch.linalg.inv)."""
    check_matrix(A, "linalg.inv")
    result, info = LinalgInvExBackward0().apply(A)
    raise_for_info(info._data, "linalg.inv", _SINGULAR)
    return out_exact(result, out)


def inverse(input, *, out=None):
    """torch.inverse: an alias of torch.linalg.inv."""
    return inv(input, out=out)


class LinalgSolveExBackward0(_LinalgOp):
    """X = A^-1 B; ``vector`` when B is a (batch of) vectors, as torch decides."""

    def __init__(self, vector):
        self.vector = vector

    def forward(self, a, b):
        xp = self.xp
        rhs = b[..., None] if self.vector else b
        x, info = _singular_safe(xp, lambda m: xp.linalg.solve(m, rhs), a)
        x = x[..., 0] if self.vector else x
        self.save(a, x)
        return x, info

    def backward(self, g, g_info=None):
        a, x = self.saved
        g_b = LinalgSolveExBackward0(self.vector).apply(mH(a), g)[0]
        if self.vector:
            return -g_b.unsqueeze(-1) * conj(x).unsqueeze(-2), g_b
        return -(g_b @ mH(x)), g_b


def _is_vector_rhs(A, B):
    # torch: B is a vector when 1-D, or when it is A's batch of vectors
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _check_solve(A, B, left, fn="linalg.solve"):
    for t in (A, B):
        if t.dtype.category < FLOAT:
            check_dtype(t, fn)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{fn}: Expected A and B to have the same dtype, but found A of type "
                           f"{_legacy_scalar_name(A.dtype)} and B of type "
                           f"{_legacy_scalar_name(B.dtype)} instead")
    check_matrix(A, fn, kernel="lu_cpu")
    vector = _is_vector_rhs(A, B)
    rows, cols = (B.shape[-1], 1) if vector else tuple(B.shape[-2:])
    n = A.shape[-1]
    if (rows != n) if left else (vector or cols != n):
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {equation} "
                           f"({n}x{n} and {rows}x{cols})")
    return vector


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(result, info) of AX = B (XA = B when not ``left``) (torch.linalg.solve_ex)."""
    vector = _check_solve(A, B, left)
    if left:
        result, info = LinalgSolveExBackward0(vector).apply(A, B)
    else:
        result, info = LinalgSolveExBackward0(False).apply(A.mT, B.mT)
        result = result.mT
    if check_errors:
        raise_for_info(info._data, "torch.linalg.solve_ex",
                       "The solver failed because the input matrix is singular.")
    return _solve_ex_type(*out_exact((result, info), out))


def solve(A, B, *, left=True, out=None):
    """Solution of AX = B (XA = B when not ``left``), batched and broadcast (torch.linalg.solve);
    LinAlgError for a singular A."""
    result, info = solve_ex(A, B, left=left)
    raise_for_info(info._data, "torch.linalg.solve",
                   "The solver failed because the input matrix is singular.")
    return out_exact(result, out)


class LinalgSolveTriangularBackward0(_LinalgOp):
    """X = A^-1 B (B A^-1 when not left) reading one triangle of A, optionally unit-diagonal."""

    def __init__(self, upper, left, unitriangular):
        self.upper, self.left, self.unitriangular = upper, left, unitriangular

    def forward(self, a, b):
        xp = self.xp
        n = a.shape[-1]
        tri = xp.triu(a) if self.upper else xp.tril(a)
        if self.unitriangular:
            tri = xp.where(xp.eye(n, dtype=bool), xp.ones((), a.dtype), tri)
        if self.left:
            x = xp.linalg.solve(tri, b)
        else:
            x = xp.swapaxes(xp.linalg.solve(xp.swapaxes(tri, -1, -2), xp.swapaxes(b, -1, -2)),
                            -1, -2)
        self.save(a, x)
        return x

    def backward(self, g):
        a, x = self.saved
        flipped = LinalgSolveTriangularBackward0(not self.upper, self.left, self.unitriangular)
        g_b = flipped.apply(mH(a), g)
        g_a = -(g_b @ mH(x)) if self.left else -(mH(x) @ g_b)
        g_a = triu(g_a, int(self.unitriangular)) if self.upper else tril(
            g_a, -int(self.unitriangular))
        return g_a, g_b


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """Solve with a triangular A, reading only its ``upper`` or lower triangle
    (torch.linalg.solve_triangular). Deviation: a zero on the diagonal raises LinAlgError where
    torch's triangular solver returns inf / nan."""
    fn = "linalg.solve_triangular"
    if A.ndim < 2 or B.ndim < 2:
        which = "A" if A.ndim < 2 else "B"
        raise RuntimeError(f"{fn}: The input tensor {which} must have at least 2 dimensions.")
    check_matrix(A, fn, kernel="triangular_solve_cpu", int_kernel=True)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{fn}: Expected A and B to have the same dtype, but found A of type "
                           f"{_legacy_scalar_name(A.dtype)} and B of type "
                           f"{_legacy_scalar_name(B.dtype)} instead")
    n, size = A.shape[-1], B.shape[-2] if left else B.shape[-1]
    if size != n:
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    op = LinalgSolveTriangularBackward0(upper, left, unitriangular)
    return out_exact(op.apply(A, B), out, "expected scalar type {want} but found {got}", True)


# torch's top-level names from the other parts (they build on the helpers above)
from ember._ops.decomp_factor import cholesky, lu, lu_unpack  # noqa: E402
from ember._ops.decomp_lstsq import pinverse  # noqa: E402
from ember._ops.decomp_matfn import cross_legacy as cross  # noqa: E402
from ember._ops.decomp_matfn import matrix_exp, matrix_power  # noqa: E402
from ember._ops.decomp_spectral import qr, svd  # noqa: E402
