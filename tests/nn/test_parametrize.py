"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal)
against torch: values, gradients through the parametrized weight, state_dict keys, seeded
buffers, reprs and errors."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
from helpers import assert_same
from nn_helpers import same_error, same_repr

import ember

torch = pytest.importorskip("torch")

LIBS = (torch, ember)


def symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def scale(lib, factor=2.0):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * factor

    return Scale()


def rank_one(lib):
    class RankOne(lib.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0].clone() / Z[0, 0]

    return RankOne()


def both(build, seed=0):
    """build(lib) in torch and ember after the same manual_seed."""
    out = []
    for lib in LIBS:
        lib.manual_seed(seed)
        out.append(build(lib))
    return out


def forward_backward(t_module, e_module, shape, seed=1, rtol=None, atol=None):
    """Same input and upstream gradient: compare outputs and every parameter's gradient."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype("float32")
    t_out, e_out = t_module(torch.tensor(x)), e_module(ember.tensor(x))
    assert_same(e_out, t_out, rtol, atol)
    g = rng.standard_normal(tuple(t_out.shape)).astype("float32")
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    t_params = dict(t_module.named_parameters())
    assert [n for n, _ in e_module.named_parameters()] == list(t_params)
    for name, p in e_module.named_parameters():
        assert_same(p.grad, t_params[name].grad, rtol, atol, path=f"grad of {name}")


def same_state(e_module, t_module, rtol=None, atol=None):
    t_state, e_state = t_module.state_dict(), e_module.state_dict()
    assert list(e_state) == list(t_state)
    for key, value in t_state.items():
        assert_same(e_state[key], value, rtol, atol, path=key)


# -- parametrize ---------------------------------------------------------------------------------

def test_register_symmetric_values_grads_state_and_repr():
    def build(lib):
        m = lib.nn.Linear(3, 3)
        original = m.weight
        lib.nn.utils.parametrize.register_parametrization(m, "weight", symmetric(lib))
        assert m.parametrizations.weight.original is original  # identity kept
        return m

    t_m, e_m = both(build)
    assert type(e_m).__name__ == "ParametrizedLinear"
    assert type(e_m).__bases__ == (ember.nn.Linear,) and isinstance(e_m, ember.nn.Linear)
    same_repr(e_m, t_m)
    same_state(e_m, t_m)
    assert_same(e_m.weight, t_m.weight)
    forward_backward(t_m, e_m, (4, 3))


def test_stacked_and_tuple_right_inverse():
    def build(lib):
        m = lib.nn.Linear(3, 3, bias=False)
        P = lib.nn.utils.parametrize
        P.register_parametrization(m, "weight", rank_one(lib))
        P.register_parametrization(m, "weight", scale(lib))
        return m

    t_m, e_m = both(build)
    same_repr(e_m, t_m)
    same_state(e_m, t_m)
    assert e_m.parametrizations.weight.ntensors == 2 and not e_m.parametrizations.weight.is_tensor
    forward_backward(t_m, e_m, (2, 3))


def _version(t):
    # torch's _version is an int; ember's is the shared counter object
    return getattr(t._version, "value", t._version)


def test_assignment_goes_through_right_inverse():
    new = np.arange(9, dtype="float32").reshape(3, 3)
    ms = both(lambda lib: lib.nn.utils.parametrize.register_parametrization(
        lib.nn.Linear(3, 3), "weight", symmetric(lib)))
    for lib, m in zip(LIBS, ms):
        version = _version(m.parametrizations.weight.original)
        m.weight = lib.tensor(new)
        assert _version(m.parametrizations.weight.original) > version  # an in-place change
    t_m, e_m = ms
    assert_same(e_m.parametrizations.weight.original, t_m.parametrizations.weight.original)
    assert_same(e_m.weight, t_m.weight)


def test_parametrized_buffer_and_cached():
    def build(lib):
        m = lib.nn.BatchNorm1d(3)
        lib.nn.utils.parametrize.register_parametrization(m, "running_var", scale(lib, 3.0))
        return m

    t_m, e_m = both(build)
    same_state(e_m, t_m)
    assert "original" in e_m.parametrizations.running_var._buffers
    P = ember.nn.utils.parametrize
    assert e_m.running_var is not e_m.running_var
    with P.cached():
        first = e_m.running_var
        with P.cached():
            assert e_m.running_var is first
        assert e_m.running_var is first
    assert e_m.running_var is not first


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    def build(lib):
        m = lib.nn.Linear(3, 3)
        P = lib.nn.utils.parametrize
        P.register_parametrization(m, "weight", symmetric(lib))
        P.register_parametrization(m, "bias", scale(lib))
        P.remove_parametrizations(m, "weight", leave_parametrized=leave)
        assert P.is_parametrized(m) and not P.is_parametrized(m, "weight")
        assert P.type_before_parametrizations(m) is lib.nn.Linear
        return m

    t_m, e_m = both(build)
    same_repr(e_m, t_m)
    same_state(e_m, t_m)
    for lib, m in zip(LIBS, (t_m, e_m)):
        lib.nn.utils.parametrize.remove_parametrizations(m, "bias", leave_parametrized=leave)
    assert type(e_m) is ember.nn.Linear and not hasattr(e_m, "parametrizations")
    same_state(e_m, t_m)
    assert isinstance(e_m.weight, ember.nn.Parameter)


def test_remove_tuple_parametrization_leaves_a_parameter():
    def build(lib):
        m = lib.nn.Linear(3, 3, bias=False)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", rank_one(lib))
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight")
        return m

    t_m, e_m = both(build)
    same_state(e_m, t_m)
    assert isinstance(e_m.weight, ember.nn.Parameter) and e_m.weight.grad_fn is None


def test_deepcopy_and_pickle():
    m = ember.nn.utils.parametrize.register_parametrization(ember.nn.Linear(3, 3), "weight",
                                                            symmetric(ember))
    c = copy.deepcopy(m)
    assert type(c) is type(m) and c.parametrizations.weight.original is not m.weight
    np.testing.assert_array_equal(c.weight.detach().numpy(), m.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        pickle.dumps(m)


def test_transfer_parametrizations_and_params():
    def build(lib):
        P = lib.nn.utils.parametrize
        a = P.register_parametrization(lib.nn.Linear(3, 3), "weight", symmetric(lib))
        b = P.transfer_parametrizations_and_params(a, lib.nn.Linear(3, 3))
        assert b.parametrizations.weight.original is a.parametrizations.weight.original
        return b

    t_m, e_m = both(build)
    same_state(e_m, t_m)


def _register(lib, name="weight", param=None, unsafe=False, twice=False):
    m = lib.nn.Linear(3, 3)
    param = param or symmetric
    P = lib.nn.utils.parametrize
    if twice:
        P.register_parametrization(m, name, symmetric(lib))
    P.register_parametrization(m, name, param(lib), unsafe=unsafe)
    return m


def _shape_changer(lib):
    class Cut(lib.nn.Module):
        def forward(self, X):
            return X[:2]

    return Cut()


def _dtype_changer(lib):
    class Double(lib.nn.Module):
        def forward(self, X):
            return X.double()

    return Double()


def _no_inverse_assign(lib):
    m = lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(3, 3), "weight",
                                                          scale(lib))
    m.weight = lib.ones(3, 3)


def _remove_tuple_unparametrized(lib):
    m = _register(lib, param=rank_one)
    lib.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)


@pytest.mark.parametrize("fn", [
    lambda lib: _register(lib, name="missing"),
    lambda lib: _register(lib, param=_shape_changer),
    lambda lib: _register(lib, param=_dtype_changer),
    lambda lib: _register(lib, param=_shape_changer, twice=True),
    lambda lib: _register(lib, param=_dtype_changer, twice=True),
    lambda lib: lib.nn.utils.parametrize.remove_parametrizations(lib.nn.Linear(2, 2), "weight"),
    lambda lib: lib.nn.utils.parametrize.ParametrizationList([], lib.ones(2)),
    _no_inverse_assign,
    _remove_tuple_unparametrized,
])
def test_errors(fn):
    same_error(fn)


def test_unsafe_allows_a_shape_change():
    t_m, e_m = both(lambda lib: _register(lib, param=_shape_changer, unsafe=True))
    assert_same(e_m.weight, t_m.weight)
    same_state(e_m, t_m)


# -- parametrizations.weight_norm / spectral_norm ------------------------------------------------

WEIGHT_NORM_CASES = [
    (lambda lib: lib.nn.Linear(4, 3), 0, (5, 4)),
    (lambda lib: lib.nn.Linear(4, 3), 1, (5, 4)),
    (lambda lib: lib.nn.Linear(4, 3), None, (5, 4)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), 0, (2, 2, 5, 5)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), 2, (2, 2, 5, 5)),
    (lambda lib: lib.nn.ConvTranspose1d(2, 3, 2), 1, (2, 2, 4)),
]


@pytest.mark.parametrize("layer, dim, shape", WEIGHT_NORM_CASES)
def test_weight_norm_parametrization(layer, dim, shape):
    t_m, e_m = both(lambda lib: lib.nn.utils.parametrizations.weight_norm(layer(lib), dim=dim))
    same_repr(e_m, t_m)
    same_state(e_m, t_m)
    forward_backward(t_m, e_m, shape)


def test_weight_norm_loads_the_hook_based_state_dict():
    t_m, e_m = both(lambda lib: lib.nn.Linear(4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(t_m).state_dict()
    assert list(old) == ["bias", "weight_g", "weight_v"]
    ember.nn.utils.parametrizations.weight_norm(e_m)
    e_m.load_state_dict({k: ember.tensor(v.numpy()) for k, v in old.items()})
    assert_same(e_m.weight, t_m.weight)


def test_weight_norm_gradcheck():
    m = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(3, 2).double())
    g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
    weight_norm = m.parametrizations.weight[0]
    assert ember.autograd.gradcheck(weight_norm, (g, v))
    assert ember.autograd.gradgradcheck(weight_norm, (g, v))


SPECTRAL_CASES = [
    (lambda lib: lib.nn.Linear(5, 4), {}, (3, 5)),
    (lambda lib: lib.nn.Linear(20, 17), {"n_power_iterations": 3}, (3, 20)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), {}, (2, 2, 5, 5)),
    (lambda lib: lib.nn.ConvTranspose2d(3, 2, 2), {}, (2, 3, 4, 4)),  # dim 1 by default
    (lambda lib: lib.nn.Conv1d(2, 3, 2), {"dim": -1, "eps": 1e-6}, (2, 2, 5)),
]


@pytest.mark.parametrize("layer, kwargs, shape", SPECTRAL_CASES)
def test_spectral_norm_parametrization(layer, kwargs, shape):
    t_m, e_m = both(lambda lib: lib.nn.utils.parametrizations.spectral_norm(layer(lib),
                                                                             **kwargs))
    same_repr(e_m, t_m)
    same_state(e_m, t_m, rtol=1e-4, atol=1e-5)  # u, v after 16 power iterations
    forward_backward(t_m, e_m, shape, rtol=1e-4, atol=1e-5)
    same_state(e_m, t_m, rtol=1e-4, atol=1e-5)  # training: one more iteration per access
    for m in (t_m, e_m):
        m.eval()
    u = e_m.parametrizations.weight[0]._u.clone()
    forward_backward(t_m, e_m, shape, seed=2, rtol=1e-4, atol=1e-5)
    assert (e_m.parametrizations.weight[0]._u == u).all()  # eval: no power iteration


def test_spectral_norm_seeded_buffers_float64():
    t_m, e_m = both(lambda lib: lib.nn.utils.parametrizations.spectral_norm(
        lib.nn.Linear(6, 5).double(), n_power_iterations=2))
    same_state(e_m, t_m, rtol=1e-10, atol=1e-12)
    assert_same(e_m.weight, t_m.weight, rtol=1e-10, atol=1e-12)


def test_spectral_norm_of_a_vector_and_removal():
    def build(lib):
        m = lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(3, 4), name="bias")
        assert not hasattr(m.parametrizations.bias[0], "_u")
        return m

    t_m, e_m = both(build)
    assert_same(e_m.bias, t_m.bias)
    for lib, m in zip(LIBS, (t_m, e_m)):
        lib.nn.utils.parametrize.remove_parametrizations(m, "bias")
    same_state(e_m, t_m)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), dim=2),
    lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2),
                                                            n_power_iterations=0),
    lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), name="nope"),
])
def test_spectral_norm_errors(fn):
    same_error(fn)


def test_training_steps_through_parametrizations():
    def build(lib):
        m = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 2))
        lib.nn.utils.parametrizations.weight_norm(m[0])
        lib.nn.utils.parametrizations.spectral_norm(m[2])
        return m

    t_m, e_m = both(build)
    t_opt = torch.optim.SGD(t_m.parameters(), lr=0.1)
    e_opt = ember.optim.SGD(e_m.parameters(), lr=0.1)
    x = np.random.default_rng(3).standard_normal((8, 4)).astype("float32")
    for _ in range(3):
        for lib, m, opt in ((torch, t_m, t_opt), (ember, e_m, e_opt)):
            opt.zero_grad()
            (m(lib.tensor(x)) ** 2).mean().backward()
            opt.step()
    same_state(e_m, t_m, rtol=1e-4, atol=1e-5)


ORTHOGONAL_CASES = [
    ((4, 4), {}),                                   # matrix_exp
    ((3, 6), {}),                                   # householder (tall weight)
    ((6, 3), {}),                                   # householder, transposed (wide weight)
    ((4, 4), {"orthogonal_map": "cayley"}),
    ((3, 5), {"orthogonal_map": "matrix_exp"}),     # completed with torch's randn columns
    ((4, 4), {"orthogonal_map": "householder"}),
    ((4, 4), {"use_trivialization": False}),
    ((3, 5), {"orthogonal_map": "cayley", "use_trivialization": False}),
]


@pytest.mark.parametrize("size, kwargs", ORTHOGONAL_CASES)
def test_orthogonal(size, kwargs):
    t_m, e_m = both(lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(*size),
                                                                          **kwargs))
    same_repr(e_m, t_m)
    same_state(e_m, t_m, rtol=1e-5, atol=1e-6)
    w = e_m.weight.detach()
    small = w.mT @ w if w.shape[0] >= w.shape[1] else w @ w.mT
    np.testing.assert_allclose(small.numpy(), np.eye(small.shape[0]), atol=1e-5)
    forward_backward(t_m, e_m, (2, size[0]), rtol=1e-4, atol=2e-5)


def test_orthogonal_assignment_and_float64_gradcheck():
    q = np.linalg.qr(np.random.default_rng(5).standard_normal((4, 4)))[0]
    t_m, e_m = both(lambda lib: lib.nn.utils.parametrizations.orthogonal(
        lib.nn.Linear(4, 4).double(), "weight", "cayley"))
    for lib, m in zip(LIBS, (t_m, e_m)):
        m.weight = lib.tensor(q)
    same_state(e_m, t_m, rtol=1e-10, atol=1e-12)
    assert_same(e_m.weight, t_m.weight, rtol=1e-10, atol=1e-12)
    orth = e_m.parametrizations.weight[0]
    x = e_m.parametrizations.weight.original.detach().clone().requires_grad_(True)
    assert ember.autograd.gradcheck(orth, (x + 0.1 * ember.rand_like(x),))


def _orth(lib, size=(3, 3), name="weight", **kwargs):
    return lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(*size), name, **kwargs)


def _complex_module(lib):
    m = lib.nn.Module()
    m.weight = lib.nn.Parameter(lib.zeros(3, 3, dtype=lib.complex64))
    return m


def _assign_without_trivialization(lib):
    _orth(lib, use_trivialization=False).weight = lib.eye(3)


@pytest.mark.parametrize("fn", [
    lambda lib: _orth(lib, name="bias"),
    lambda lib: _orth(lib, name="nope"),
    lambda lib: _orth(lib, orthogonal_map="qr"),
    lambda lib: lib.nn.utils.parametrizations.orthogonal(
        _complex_module(lib), orthogonal_map="householder"),
    lambda lib: setattr(_orth(lib), "weight", lib.eye(4)),
    _assign_without_trivialization,
])
def test_orthogonal_errors(fn):
    same_error(fn)


def test_orthogonal_householder_without_trivialization_is_unsupported():
    with pytest.raises(NotImplementedError, match="geqrf"):
        _orth(ember, (5, 3), orthogonal_map="householder", use_trivialization=False)
