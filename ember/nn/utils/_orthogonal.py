"""The orthogonal / unitary parametrization behind parametrizations.orthogonal
(torch.nn.utils.parametrizations._Orthogonal): a skew-symmetric matrix through the matrix
exponential or the Cayley map, or a product of Householder reflectors, optionally composed
with a stored orthogonal ``base`` (the dynamic trivialization)."""

from __future__ import annotations

from enum import Enum, auto

import numpy as np  # host-side dtype table only (machine epsilon)

from ember._ops.creation import arange, eye, zeros_like
from ember._ops.decomp import matrix_exp, solve
from ember._ops.decomp_spectral import linalg_qr
from ember._ops.join import cat
from ember._ops.random import randn
from ember.autograd.grad_mode import no_grad
from ember.nn.modules.module import Module


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _conj_t(x):
    return x.mT.conj() if x.is_complex() else x.mT


def _is_orthogonal(Q):
    n, k = Q.size(-2), Q.size(-1)
    identity = eye(k, dtype=Q.dtype, device=Q.device)
    eps = 10.0 * n * float(np.finfo(Q.dtype.to_real().np).eps)
    return (_conj_t(Q) @ Q).allclose(identity, atol=eps)


def _make_orthogonal(A):
    """The Q of A = QR (A tall) with diag(R) real and non-negative. torch takes it from geqrf and
    householder_product; LAPACK's QR (geqrf + orgqr) gives the same factors."""
    Q, R = linalg_qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _householder_product(A, tau):
    """H_1 ... H_k applied to the first n columns of the identity, H_i = I - tau_i v_i v_i^H with
    v_i = (0, ..., 0, 1, A[i+1:, i]) (torch.linalg.householder_product); composed of
    differentiable ops."""
    m, n = A.size(-2), A.size(-1)
    rows = arange(m, device=A.device)
    Q = eye(m, n, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], m, n)
    for i in reversed(range(tau.size(-1))):
        below, at = (rows > i).to(A.dtype), (rows == i).to(A.dtype)
        v = (A[..., :, i] * below + at).unsqueeze(-1)
        Q = Q - tau[..., i, None, None] * v * (_conj_t(v) @ Q)
    return Q


class _Orthogonal(Module):
    """Maps an unconstrained matrix (or batch) to an orthogonal / unitary one."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n
        if self.orthogonal_map == _OrthMaps.householder:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - _conj_t(X)  # skew-symmetric (skew-Hermitian)
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                identity = eye(n, dtype=A.dtype, device=A.device)
                Q = solve(identity - 0.5 * A, identity + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.size(-2), Q.size(-1)
        if n < k:
            Q, n, k = Q.mT, k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map != _OrthMaps.householder:
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False.")
            raise NotImplementedError("assigning to the householder parametrization with "
                                      "use_trivialization=False (needs geqrf) is not supported")
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            # NOTE: torch's draw: complete Q to a square matrix with normal columns
            N = randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(cat([Q, N], dim=-1))
        self.base = Q
        neg_identity = zeros_like(Q_init)
        neg_identity.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_identity
