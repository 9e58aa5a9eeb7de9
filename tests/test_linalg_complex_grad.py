"""Gradients of the linear-algebra ops for complex inputs, against torch.

Each case maps complex128 inputs to outputs that do not depend on the phases LAPACK leaves free
(|V|^2 for eigenvectors and singular vectors), so the loss is well defined in both libraries.
For two real losses, sum |out|^2 and sum Re(out), the gradients (torch's convention:
dL/dRe + i dL/dIm) are compared with torch's; then ember's gradcheck runs on the real and
imaginary parts as separate float64 inputs, which checks the same derivative numerically.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, torch


def herm(lib, a):
    """A Hermitian positive-definite matrix (batch) from any square one: it keeps the graph."""
    return a @ a.mT.conj() + lib.eye(a.shape[-1], dtype=a.dtype)


def abs2(t):
    return t.abs() ** 2


def solve_right(lib, a, b):
    return lib.linalg.solve(a, b, left=False)


def _qr(mode):
    return lambda lib, a: lib.linalg.qr(a, mode=mode)


def _eigh(lib, a):
    w, v = lib.linalg.eigh(herm(lib, a))
    return w, abs2(v)


def _eigh_upper(lib, a):
    w, v = lib.linalg.eigh(a + a.mT.conj(), UPLO="U")
    return w, abs2(v)


def _svd(full):
    def fn(lib, a):
        u, s, vh = lib.linalg.svd(a, full_matrices=full)
        k = s.shape[-1]
        return s, abs2(u[..., :k]), abs2(vh[..., :k, :]), u[..., :k] @ vh[..., :k, :]
    return fn


def _lstsq(lib, a, b):
    solution, residuals, _, _ = lib.linalg.lstsq(a, b, driver="gelsd")
    return solution, residuals


def _lu(lib, a):
    _, L, U = lib.linalg.lu(a)
    return L, U


# name: (fn(lib, *inputs), input shapes)
CASES = {
    "det": (lambda lib, a: lib.linalg.det(a), [(3, 3)]),
    "det_batch": (lambda lib, a: lib.linalg.det(a), [(2, 3, 3)]),
    "slogdet": (lambda lib, a: tuple(lib.linalg.slogdet(a)), [(2, 3, 3)]),
    "slogdet_sign": (lambda lib, a: lib.linalg.slogdet(a)[0], [(3, 3)]),
    "logdet": (lambda lib, a: lib.logdet(a), [(3, 3)]),
    "inv": (lambda lib, a: lib.linalg.inv(a), [(2, 3, 3)]),
    "inv_ex": (lambda lib, a: lib.linalg.inv_ex(a)[0], [(3, 3)]),
    "solve": (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (3, 2)]),
    "solve_vector": (lambda lib, a, b: lib.linalg.solve(a, b), [(2, 3, 3), (2, 3)]),
    "solve_right": (solve_right, [(3, 3), (2, 3)]),
    "solve_triangular": (lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
                         [(3, 3), (3, 2)]),
    "solve_triangular_right": (lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True), [(3, 3), (2, 3)]),
    "cholesky": (lambda lib, a: lib.linalg.cholesky(herm(lib, a)), [(2, 3, 3)]),
    "cholesky_upper": (lambda lib, a: lib.linalg.cholesky(herm(lib, a), upper=True), [(3, 3)]),
    "cholesky_ex": (lambda lib, a: lib.linalg.cholesky_ex(herm(lib, a))[0], [(3, 3)]),
    "qr_square": (_qr("reduced"), [(3, 3)]),
    "qr_tall": (_qr("reduced"), [(4, 3)]),
    "qr_wide": (_qr("reduced"), [(3, 4)]),
    "qr_complete_wide": (_qr("complete"), [(2, 3, 4)]),
    "eigvalsh": (lambda lib, a: lib.linalg.eigvalsh(herm(lib, a)), [(3, 3)]),
    "eigh": (_eigh, [(2, 3, 3)]),
    "eigh_upper": (_eigh_upper, [(3, 3)]),
    "svdvals": (lambda lib, a: lib.linalg.svdvals(a), [(3, 4)]),
    "svd_tall": (_svd(False), [(4, 3)]),
    "svd_wide": (_svd(False), [(3, 4)]),
    "svd_full": (_svd(True), [(2, 3, 4)]),
    "pinv_tall": (lambda lib, a: lib.linalg.pinv(a), [(4, 3)]),
    "pinv_wide": (lambda lib, a: lib.linalg.pinv(a), [(2, 3, 4)]),
    "pinv_hermitian": (lambda lib, a: lib.linalg.pinv(herm(lib, a), hermitian=True), [(3, 3)]),
    "matrix_exp": (lambda lib, a: lib.linalg.matrix_exp(a), [(2, 3, 3)]),
    "lstsq": (_lstsq, [(4, 3), (4, 2)]),
    "lstsq_vector": (lambda lib, a, b: lib.linalg.lstsq(a, b)[0], [(3, 3), (3,)]),
    "lu": (_lu, [(3, 3)]),
    "lu_tall": (_lu, [(4, 3)]),
    "lu_wide": (_lu, [(3, 4)]),
    "lu_factor": (lambda lib, a: lib.linalg.lu_factor(a)[0], [(3, 3)]),
    "lu_solve": (lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b,
                                                       adjoint=True), [(3, 3), (3, 2)]),
    "matrix_power": (lambda lib, a: lib.linalg.matrix_power(a, -2), [(3, 3)]),
    "matrix_norm_nuc": (lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), [(3, 4)]),
    "cond": (lambda lib, a: lib.linalg.cond(a), [(3, 3)]),
}


def _resolved(out):
    """torch's lazily conjugated results, materialized (for reading their values)."""
    if isinstance(out, tuple):
        return tuple(_resolved(o) for o in out)
    return out.resolve_conj()


def _losses(out):
    outs = out if isinstance(out, tuple) else (out,)
    return {"abs2": sum(abs2(o).sum() for o in outs),
            "real": sum(o.real.sum() for o in outs)}


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("loss", ["abs2", "real"])
def test_complex_grad_matches_torch(name, loss):
    fn, shapes = CASES[name]
    arrays = _inputs(shapes)
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_out, e_out = fn(torch, *t_in), fn(ember, *e_in)
    assert_same(e_out, _resolved(t_out), rtol=1e-6, atol=1e-8)
    t_grads = torch.autograd.grad(_losses(t_out)[loss], t_in)
    e_grads = ember.autograd.grad(_losses(e_out)[loss], e_in)
    assert_same(e_grads, _resolved(tuple(t_grads)), rtol=1e-6, atol=1e-8, check_grad_fn=False)


def _as_real(out):
    outs = out if isinstance(out, tuple) else (out,)
    return tuple(ember.view_as_real(o) if o.is_complex() else o for o in outs)


def _real_form(name, seed):
    """The case as a function of float64 (real, imaginary) parts, and those parts."""
    fn, shapes = CASES[name]
    parts = []
    for a in _inputs(shapes, seed):
        parts += [ember.tensor(a.real, requires_grad=True),
                  ember.tensor(a.imag, requires_grad=True)]

    def func(*xs):
        return _as_real(fn(ember, *(ember.complex(re, im) for re, im in zip(xs[::2], xs[1::2]))))

    return func, parts


GRADCHECKED = ["det", "slogdet", "inv", "solve_vector", "solve_right", "solve_triangular",
               "cholesky_upper", "qr_tall", "qr_wide", "eigh", "svd_tall", "svd_wide",
               "pinv_wide", "pinv_hermitian", "matrix_exp", "lstsq", "lu_wide"]


@pytest.mark.parametrize("name", GRADCHECKED)
def test_complex_gradcheck(name):
    """The complex derivative, checked numerically through the real and imaginary parts."""
    assert ember.autograd.gradcheck(*_real_form(name, seed=1))


@pytest.mark.parametrize("name", ["inv", "cholesky", "eigh", "svd_wide", "qr_tall"])
def test_complex_gradgradcheck(name):
    assert ember.autograd.gradgradcheck(*_real_form(name, seed=2))


@pytest.mark.parametrize("lib_fn", [
    lambda lib, a: lib.linalg.eigh(herm(lib, a))[1].real.sum(),
    lambda lib, a: lib.linalg.svd(a, full_matrices=False)[0].real.sum(),
    lambda lib, a: lib.linalg.svd(a, full_matrices=False)[2].imag.sum(),
], ids=["eigh", "svd_U", "svd_Vh"])
def test_phase_dependent_loss_raises(lib_fn):
    """A loss that depends on the phase of complex eigen- or singular vectors is ill-defined:
    torch raises at backward, and so does ember, with torch's message."""
    a = _inputs([(3, 3)])[0]
    t, e = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError) as t_info:
        lib_fn(torch, t).backward()
    with pytest.raises(RuntimeError) as e_info:
        lib_fn(ember, e).backward()
    assert str(e_info.value) == str(t_info.value).split("\n")[0]
