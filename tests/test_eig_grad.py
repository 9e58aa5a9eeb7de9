"""Gradients of linalg.eig and linalg.eigvals against torch (torch's linalg_eig_backward).

Eigenvalues come out in LAPACK geev's order in both libraries; eigenvectors are unit-norm but
their phases (signs, for real ones) are free, so eigenvector losses use |V|^2, which does not
depend on them. A loss that does depend on the phases raises, with torch's message. Real inputs
get the real part of the complex gradient, as in torch.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, torch

RTOL, ATOL = 1e-6, 1e-8


def _input(shape, complex_, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if complex_ else a


def _eigvals(lib, a):
    return (lib.linalg.eigvals(a),)


def _eig(lib, a):
    w, v = lib.linalg.eig(a)
    return w, v.abs() ** 2


def _eig_vectors_only(lib, a):
    return (lib.linalg.eig(a)[1].abs() ** 2,)


def _eig_values_only(lib, a):
    return (lib.linalg.eig(a)[0],)


FNS = {"eigvals": _eigvals, "eig": _eig, "eig_vectors": _eig_vectors_only,
       "eig_values": _eig_values_only}
SHAPES = [(3, 3), (2, 4, 4)]


def _weights(outs, seed):
    """A fixed random complex weight per output element, the same in both libraries."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape) + 1j * rng.standard_normal(o.shape) for o in outs]


def _loss(lib, outs, weights):
    total = 0
    for o, w in zip(outs, weights):
        total = total + (o * lib.tensor(w)).real.sum() + (o.abs() ** 2).sum()
    return total


@pytest.mark.parametrize("name", list(FNS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
def test_eig_grad_matches_torch(name, shape, complex_):
    a = _input(shape, complex_)
    t, e = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    t_out, e_out = FNS[name](torch, t), FNS[name](ember, e)
    assert_same(e_out, t_out, rtol=RTOL, atol=ATOL)
    weights = _weights(t_out, 1)
    t_grad, = torch.autograd.grad(_loss(torch, t_out, weights), t)
    e_grad, = ember.autograd.grad(_loss(ember, e_out, weights), e)
    assert_same(e_grad, t_grad, rtol=RTOL, atol=ATOL, check_grad_fn=False)


def _as_real(outs):
    return tuple(ember.view_as_real(o) if o.is_complex() else o for o in outs)


@pytest.mark.parametrize("name", ["eigvals", "eig"])
def test_gradcheck_real_input(name):
    a = ember.tensor(_input((3, 3), False, seed=2), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: _as_real(FNS[name](ember, x)), [a])


@pytest.mark.parametrize("name", ["eigvals", "eig"])
def test_gradcheck_complex_input(name):
    """complex128 through its real and imaginary parts, as float64 inputs."""
    a = _input((3, 3), True, seed=3)
    parts = [ember.tensor(a.real, requires_grad=True), ember.tensor(a.imag, requires_grad=True)]

    def fn(re, im):
        return _as_real(FNS[name](ember, ember.complex(re, im)))

    assert ember.autograd.gradcheck(fn, parts)


def test_gradgradcheck_eigvals():
    a = ember.tensor(_input((3, 3), False, seed=4), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x: _as_real(_eigvals(ember, x)), [a])


def test_torch_gradcheck_agrees():
    """torch's own gradcheck accepts the same complex function (so the comparison above is
    against a checked reference)."""
    a = torch.tensor(_input((3, 3), True, seed=3), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: _eig(torch, x), [a])


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("part", ["real", "imag"])
def test_phase_dependent_loss_raises(complex_, part):
    a = _input((3, 3), complex_, seed=5)
    t, e = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError) as t_info:
        getattr(torch.linalg.eig(t)[1], part).sum().backward()
    with pytest.raises(RuntimeError) as e_info:
        getattr(ember.linalg.eig(e)[1], part).sum().backward()
    assert str(e_info.value) == str(t_info.value).split("\n")[0]
    assert str(e_info.value).startswith("linalg_eig_backward: The eigenvectors in the complex")


def test_grad_fn_names():
    a = ember.randn(3, 3, dtype=ember.float64, requires_grad=True)
    t = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    for lib, x in ((torch, t), (ember, a)):
        w, v = lib.linalg.eig(x)
        assert type(w.grad_fn).__name__ == "LinalgEigBackward0"
        assert type(lib.linalg.eigvals(x).grad_fn).__name__ == "LinalgEigBackward0"
        assert v.grad_fn is w.grad_fn
    assert "grad_fn=<LinalgEigBackward0>" in repr(ember.linalg.eigvals(a))


def test_eigvals_only_eigenvalue_gradient():
    """Only the eigenvalues get a gradient: V^-H diag(gL) V^H, real part for real input."""
    a = _input((4, 4), False, seed=6)
    t, e = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    t_grad, = torch.autograd.grad(torch.linalg.eigvals(t).abs().sum(), t)
    e_grad, = ember.autograd.grad(ember.linalg.eigvals(e).abs().sum(), e)
    assert e_grad.dtype is ember.float64
    assert_same(e_grad, t_grad, rtol=RTOL, atol=ATOL, check_grad_fn=False)
