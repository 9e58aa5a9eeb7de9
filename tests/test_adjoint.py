"""Conjugate transposes against torch: Tensor.mH, Tensor.H, Tensor.adjoint() and torch.adjoint.

For real tensors they are views (transposes), as in torch; for complex ones Ember returns a
conjugated copy of the transposed view where torch returns a lazy conjugate view (Ember's conj()
is a copy; see ember/_ops/complex.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_error, make_array, pair, torch


def _resolved(lib, t):
    # torch's complex result is a lazy conjugate view, which NumPy (and so the checker) refuses
    return t.resolve_conj() if lib is torch else t


FORMS = {
    "mH": lambda lib, a: _resolved(lib, a.mH),
    "H": lambda lib, a: _resolved(lib, a.H),
    "adjoint_method": lambda lib, a: _resolved(lib, a.adjoint()),
    "adjoint_function": lambda lib, a: _resolved(lib, lib.adjoint(a)),
}
RAW = {
    "mH": lambda lib, a: a.mH,
    "H": lambda lib, a: a.H,
    "adjoint_method": lambda lib, a: a.adjoint(),
    "adjoint_function": lambda lib, a: lib.adjoint(a),
}


def _compare(fn, *shapes, dtype):
    """Values, dtypes and (for floating and complex inputs) the gradients for one random upstream
    gradient, in torch and Ember. (torch's gradients of a conjugate view carry the conjugate bit,
    resolved here.)"""
    rng = np.random.default_rng(0)
    arrays = [make_array(s, dtype, rng) for s in shapes]
    grad = dtype.startswith(("float", "complex"))
    pairs = [pair(a, requires_grad=grad) for a in arrays]
    t_out, e_out = fn(torch, *(p[0] for p in pairs)), fn(ember, *(p[1] for p in pairs))
    assert_same(e_out, t_out)
    if grad:
        seed = make_array(tuple(t_out.shape), dtype, rng)
        t_grads = torch.autograd.grad(t_out, [p[0] for p in pairs], torch.tensor(seed))
        e_grads = ember.autograd.grad(e_out, [p[1] for p in pairs], ember.tensor(seed))
        for i, (e, t) in enumerate(zip(e_grads, t_grads)):
            assert_same(e, t.resolve_conj(), check_grad_fn=False, path=f"grad[{i}]")


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128", "int64"])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_matrix(form, dtype):
    _compare(FORMS[form], (2, 3), dtype=dtype)


@pytest.mark.parametrize("form", ["mH", "adjoint_method", "adjoint_function"])
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_batch_of_matrices(form, dtype):
    _compare(FORMS[form], (4, 2, 3), dtype=dtype)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_gradient_through_a_product(form):
    """A loss that uses the adjoint in a product: the conjugation must show in the gradient."""
    fn = FORMS[form]
    _compare(lambda lib, a, b: (fn(lib, a) @ b).sin(), (2, 3), (2, 2), dtype="complex128")


@pytest.mark.parametrize("form", sorted(FORMS))
def test_gradcheck(form):
    fn = FORMS[form]
    rng = np.random.default_rng(0)
    z = ember.tensor(rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3)),
                     requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: fn(ember, x), (z,))
    assert ember.autograd.gradgradcheck(lambda x: fn(ember, x), (z,))


@pytest.mark.parametrize("form", sorted(RAW))
def test_real_result_is_a_view(form):
    fn = RAW[form]
    t, e = pair(np.arange(6.0).reshape(2, 3), requires_grad=True)
    t_view, e_view = fn(torch, t), fn(ember, e)
    assert e_view._base is e and t_view._base is t
    assert type(e_view.grad_fn).__name__ == type(t_view.grad_fn).__name__ == "TransposeBackward0"
    with ember.no_grad():
        e[0, 1] = 10.0
    assert e_view[1, 0].item() == 10.0


@pytest.mark.parametrize("form", sorted(FORMS))
def test_complex_node_name(form):
    for lib in (torch, ember):
        z = lib.ones(2, 3, dtype=lib.complex64, requires_grad=True)
        assert type(RAW[form](lib, z).grad_fn).__name__ == "ConjBackward0"


@pytest.mark.parametrize("form", sorted(FORMS))
def test_vector_is_refused(form):
    error, expected = check_error(FORMS[form], (3,))
    assert str(error) == str(expected)


def test_h_refuses_batches():
    error, expected = check_error(FORMS["H"], (2, 2, 3))
    assert str(error) == str(expected)


def test_zero_dim_conjugates_with_torch_warning_once():
    """A 0-dim tensor is conjugated, with torch's deprecation warning, given once per process."""
    results = []
    for lib in (torch, ember):
        seen = []
        for form in sorted(RAW):
            for dtype in ("float32", "complex64"):
                x = lib.tensor(1 + 2j if dtype == "complex64" else 1.5,
                               dtype=getattr(lib, dtype))
                for _ in range(2):
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        value = RAW[form](lib, x)
                    seen.append((complex(value.item()),
                                 [str(w.message).split(" (Triggered")[0] for w in caught]))
        results.append(seen)
    assert results[0] == results[1]
