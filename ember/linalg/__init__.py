"""ember.linalg: the torch.linalg namespace (decompositions, solvers, norms, matrix functions).

The ops live in ember/_ops/decomp*.py; this module only gives them torch.linalg's names.
"""

from ember._ops.decomp import (
    LinAlgError,
    det,
    inv,
    inv_ex,
    solve,
    solve_ex,
    solve_triangular,
)
from ember._ops.decomp import linalg_slogdet as slogdet
from ember._ops.decomp_factor import (
    cholesky_ex,
    lu_factor,
    lu_factor_ex,
    lu_solve,
)
from ember._ops.decomp_factor import linalg_cholesky as cholesky
from ember._ops.decomp_factor import linalg_lu as lu
from ember._ops.decomp_lstsq import lstsq, matrix_rank, pinv
from ember._ops.decomp_matfn import (
    cond,
    cross,
    diagonal,
    matrix_exp,
    matrix_norm,
    matrix_power,
    multi_dot,
    norm,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
    vector_norm,
)
from ember._ops.decomp_spectral import eig, eigh, eigvals, eigvalsh, svdvals
from ember._ops.decomp_spectral import linalg_qr as qr
from ember._ops.decomp_spectral import linalg_svd as svd
from ember._ops.linalg import matmul

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh",
    "eigvals", "eigvalsh", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex",
    "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank",
    "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd",
    "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm",
]
