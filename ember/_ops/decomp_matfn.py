"""Linear algebra, part 5: norms, condition numbers, matrix powers and exponential, products.

Most are composites of the other parts' ops (gradients come with them); the matrix exponential
and the cross product are Ops of their own.
"""

from __future__ import annotations

import math

from ember import _dtype
from ember._dtype import FLOAT, can_cast
from ember._ops._elementwise import _legacy_scalar_name, conj
from ember._ops._op import Op
from ember._ops.decomp import (
    _LinalgOp,
    check_dtype,
    check_matrix,
    eye_like,
    inv,
    inv_ex,
    mH,
    solve,
)
from ember._ops.decomp_spectral import svdvals
from ember._ops.inplace import out_castable, out_exact, with_out
from ember._ops.join import cat, stack
from ember._ops.pointwise import where
from ember._ops.reduce import reduce_dims
from ember._ops.reduce_misc import LinalgVectorNormBackward0
from ember._ops.shape import wrap_dim

# -- norms ----------------------------------------------------------------------------------------


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The ``ord``-norm of x over ``dim`` (all dims by default) (torch.linalg.vector_norm)."""
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        "str")
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.category < FLOAT:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_legacy_scalar_name(x.dtype)}")
    dims = reduce_dims(dim, x.ndim)
    return out_exact(LinalgVectorNormBackward0(ord, dims, keepdim).apply(x), out)


def _matrix_dims(A, dim):
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dims))
    d0, d1 = (wrap_dim(d, A.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, "
                           f"{dims[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Frobenius, nuclear, or the operator norm of ord 1, -1, 2, -2, inf, -inf, over the matrices
    in dims ``dim`` (torch.linalg.matrix_norm)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    if A.dtype.category < FLOAT:
        check_dtype(A, "linalg.matrix_norm")
    d0, d1 = _matrix_dims(A, dim)
    if ord == "fro":
        result = vector_norm(A, 2, (d0, d1), keepdim)
    elif ord in ("nuc", 2, -2):
        check_dtype(A, "linalg.matrix_norm")
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        result = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            result = result.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    elif ord in (1, -1, math.inf, -math.inf):
        summed, extreme = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = vector_norm(A, 1, summed, keepdim=True)
        result = sums.amax(extreme, True) if ord > 0 else sums.amin(extreme, True)
        if not keepdim:
            result = result.squeeze((d0, d1))
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return out_exact(result, out, "linalg.matrix_norm expected out tensor dtype {want} but got: "
                     "{got}", legacy=True)


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    """A vector norm or a matrix norm, chosen by ``dim`` and ``ord`` as torch.linalg.norm:
    string orders and 2-tuples of dims are matrix norms, one dim a vector norm; without dim,
    the whole tensor's 2-norm, or with an ``ord`` the norm of a 1-D or 2-D input."""
    return out_exact(_norm(A, ord, dim, keepdim, dtype), out,
                     "linalg.norm expected out tensor dtype {want} but got: {got}", legacy=True)


def _norm(A, ord, dim, keepdim, dtype):
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D "
                           f"or 2D. Got {A.ndim}D.")
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


def cond(A, p=None, *, out=None):
    """Condition number in the ``p`` norm (torch.linalg.cond): from singular values for None, 2,
    -2 (any shape); norm(A) * norm(A^-1) for 'fro', 'nuc', 1, -1, inf, -inf (square only; inf
    for a singular matrix)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p in (None, 2, -2):
        s = svdvals(A)
        largest, smallest = s[..., 0], s[..., -1]
        return out_castable(smallest / largest if p == -2 else largest / smallest, out,
                            "linalg.cond")
    if p not in ("fro", "nuc", 1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    check_matrix(A, f"linalg.cond(ord={p})")
    A_inv, info = inv_ex(A)
    result = matrix_norm(A, p) * matrix_norm(A_inv, p)
    # NOTE: a singular matrix has an infinite condition number, whatever inv_ex gave for it
    return out_castable(where(info != 0, math.inf, result), out, "linalg.cond")


# -- matrix powers and exponential ----------------------------------------------------------------


def matrix_power(A, n, *, out=None):
    """A to the integer power n, by repeated squaring; n < 0 inverts first, n = 0 gives the
    identity (torch.linalg.matrix_power, torch.matrix_power)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    check_matrix(A, "linalg.matrix_power", dtype=False)
    if out is not None and not can_cast(A.dtype, out.dtype):
        out_castable(A, out, "matrix_power")  # torch checks the cast first
    if n == 0:
        # NOTE: the identity, connected to A's graph with a zero gradient (as torch's copy_)
        keep = A.new_ones(A.shape, dtype=_dtype.bool)
        return with_out(where(keep, eye_like(A), A), out)
    if n == 1:
        return with_out(A.clone(), out)  # torch copies: out may be any dtype A casts to
    if n < 0:
        A, n = inv(A), -n
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if n:
            square = square @ square
    return out_exact(result, out)


_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152  # the largest 1-norm the [13/13] approximant handles unscaled


def expm_arrays(xp, a):
    """exp of each matrix: scaling and squaring with the [13/13] Padé approximant (Higham 2005),
    in double precision, rounded once to a's dtype."""
    if a.shape[-1] == 0:
        return a.copy()
    w = a.astype("complex128" if a.dtype.kind == "c" else "float64")
    norm = xp.abs(w).sum(-2).max(-1)
    squarings = xp.ceil(xp.log2(xp.maximum(norm, _THETA13) / _THETA13))
    squarings = xp.nan_to_num(squarings, nan=0.0, posinf=0.0).astype(int)
    w = w / (2.0 ** squarings)[..., None, None]
    eye = xp.eye(a.shape[-1], dtype=w.dtype)
    b = _PADE13
    w2 = w @ w
    w4 = w2 @ w2
    w6 = w4 @ w2
    u = w @ (w6 @ (b[13] * w6 + b[11] * w4 + b[9] * w2) + b[7] * w6 + b[5] * w4 + b[3] * w2
             + b[1] * eye)
    v = w6 @ (b[12] * w6 + b[10] * w4 + b[8] * w2) + b[6] * w6 + b[4] * w4 + b[2] * w2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for i in range(int(squarings.max(initial=0))):
        r = xp.where((i < squarings)[..., None, None], r @ r, r)
    return r.astype(a.dtype)


class LinalgMatrixExpBackward0(_LinalgOp):
    def forward(self, a):
        self.save(a)
        if a.dtype.name in ("float16", "bfloat16"):
            return expm_arrays(self.xp, a.astype("float32")).astype(a.dtype)
        return expm_arrays(self.xp, a)

    def backward(self, g):
        # the adjoint of the derivative at G: the top-right block of exp([[A^H, G], [0, A^H]])
        a, = self.saved
        n = a.shape[-1]
        at = mH(a)
        top = cat([at, g], -1)
        bottom = cat([at.new_zeros(at.shape), at], -1)
        return matrix_exp(cat([top, bottom], -2))[..., :n, n:]


def matrix_exp(A):
    """The matrix exponential (torch.linalg.matrix_exp, torch.matrix_exp)."""
    check_matrix(A, "linalg.matrix_exp", dtype=False)
    if A.dtype.category < FLOAT:
        check_dtype(A, "linalg.matrix_exp")
    return LinalgMatrixExpBackward0().apply(A)


# -- products -------------------------------------------------------------------------------------


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices; the first may be a row vector and the last a column
    vector, dropped from the result (torch.linalg.multi_dot)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        if (i in (0, len(tensors) - 1) and t.ndim not in (1, 2)) or (
                0 < i < len(tensors) - 1 and t.ndim != 2):
            where_ = "the first tensor" if i == 0 else "the last tensor" if i == len(
                tensors) - 1 else f"tensor {i}"
            wanted = "1D or 2D" if i in (0, len(tensors) - 1) else "2D"
            raise RuntimeError(f"multi_dot(): {where_} must be {wanted} but got {t.ndim}D")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = [tensors[0].unsqueeze(0) if first else tensors[0], *tensors[1:-1],
            tensors[-1].unsqueeze(-1) if last else tensors[-1]]
    for i in range(len(mats) - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(mats[i].shape)} and {list(mats[i + 1].shape)} cannot be "
                               "multiplied")
    result = mats[0]
    for m in mats[1:]:
        result = result @ m
    if first:
        result = result.squeeze(0)
    if last:
        result = result.squeeze(-1)
    return out_exact(result, out, "multi_dot(): expected out tensor to have dtype {want} but got "
                     "{got}")


class LinalgCrossBackward0(Op):
    def __init__(self, dim):
        self.dim = dim

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.cross(a, b, axis=self.dim)

    def backward(self, g):
        a, b = self.saved
        # conjugate Wirtinger derivatives, as torch
        return (LinalgCrossBackward0(self.dim).apply(conj(b), g),
                LinalgCrossBackward0(self.dim).apply(g, conj(a)))


def cross(input, other, *, dim=-1, out=None):
    """The 3-vector cross product along ``dim``, broadcast (torch.linalg.cross)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {_legacy_scalar_name(input.dtype)} but found "
                           f"{_legacy_scalar_name(other.dtype)}")
    d = wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    return out_exact(LinalgCrossBackward0(d - input.ndim).apply(input, other), out)


def cross_legacy(input, other, dim=None, *, out=None):
    """torch.cross / Tensor.cross: as linalg.cross, but without ``dim`` the first dim of size 3,
    with torch's deprecation warning."""
    if dim is None:
        import warnings

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        sizes = [s for s in input.shape]
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return cross(input, other, dim=dim, out=out)


class _ConjBackward0(Op):
    promote = "keep"

    def forward(self, x):
        return self.xp.conj(x)

    def backward(self, g):
        return _ConjBackward0().apply(g)


def vecdot(x, y, *, dim=-1, out=None):
    """sum(conj(x) * y) along ``dim``, broadcast (torch.linalg.vecdot)."""
    for t in (x, y):
        if t.dtype.category < FLOAT:
            check_dtype(t, "linalg.vecdot")
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {_legacy_scalar_name(x.dtype)} and y of type "
                           f"{_legacy_scalar_name(y.dtype)} instead")
    if x.dtype.is_complex:
        x = _ConjBackward0().apply(x)
    # NOTE: torch's message lacks the space after "dtype"
    return out_exact((x * y).sum(dim), out,
                     "linalg.vecdot: Expected out of dtype{want} but found {got}", legacy=True)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the last two dims by default (torch.linalg.diagonal): a view."""
    return A.diagonal(offset, dim1, dim2)


# -- Vandermonde and tensor forms ------------------------------------------------------------------


def vander(x, *, N=None):
    """Columns x^0, x^1, ..., x^(N-1), N = x.shape[-1] by default (torch.linalg.vander)."""
    N = (x.shape[-1] if x.ndim else 0) if N is None else N
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = [x.new_ones(x.shape), x]
    for _ in range(N - 2):
        powers.append(powers[-1] * x)  # repeated products, rounded as torch's cumprod
    return stack(powers, -1)


def _check_prod(shape, ind, left_name):
    left, right = math.prod(shape[:ind]), math.prod(shape[ind:])
    if left != right:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[{left_name}"
                           f":]) == prod(self.shape[:{left_name}]), but got {right} != {left}")
    return left


def tensorinv(A, ind=2, *, out=None):
    """The inverse of A as a tensor contracting its first ``ind`` dims (torch.linalg.tensorinv):
    shape A.shape[ind:] + A.shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    n = _check_prod(tuple(A.shape), ind, "ind")
    result = inv(A.reshape(n, n)).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))
    return out_castable(result, out, "tensorinv")


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) = B, after moving A's ``dims`` last
    (torch.linalg.tensorsolve)."""
    if dims is not None:
        dims = tuple(dims)
        A = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim)))
    n = _check_prod(tuple(A.shape), B.ndim, "other.ndim")
    result = solve(A.reshape(n, n), B.reshape(n)).reshape(tuple(A.shape[B.ndim:]))
    return out_castable(result, out, "tensorsolve")
