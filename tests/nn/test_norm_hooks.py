"""The hook-based nn.utils.weight_norm / spectral_norm (and their removal) against torch:
parameter and buffer names, seeded u / v, values, gradients, state-dict versions, errors."""

from __future__ import annotations

import warnings

import pytest
from helpers import assert_same
from nn_helpers import same_error, same_repr
from test_parametrize import LIBS, both, forward_backward, same_state

import ember

torch = pytest.importorskip("torch")


def _legacy_weight_norm(lib, dim=0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return lib.nn.utils.weight_norm(lib.nn.Conv1d(2, 3, 2), dim=dim)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_legacy_weight_norm(dim):
    t_m, e_m = both(lambda lib: _legacy_weight_norm(lib, dim))
    same_repr(e_m, t_m)
    same_state(e_m, t_m)
    assert_same(e_m.weight, t_m.weight)
    forward_backward(t_m, e_m, (2, 2, 5))
    for lib, m in zip(LIBS, (t_m, e_m)):
        lib.nn.utils.remove_weight_norm(m)
    same_state(e_m, t_m)
    assert not e_m._forward_pre_hooks


def test_legacy_weight_norm_warns():
    with pytest.warns(FutureWarning, match="deprecated"):
        ember.nn.utils.weight_norm(ember.nn.Linear(2, 2))


def _two_weight_norms(lib):
    lib.nn.utils.weight_norm(_legacy_weight_norm(lib))


@pytest.mark.parametrize("fn", [
    _two_weight_norms,
    lambda lib: lib.nn.utils.remove_weight_norm(lib.nn.Linear(2, 2)),
    lambda lib: lib.nn.utils.spectral_norm(lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2))),
    lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2, bias=False), name="bias"),
    lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0),
    lambda lib: lib.nn.utils.remove_spectral_norm(lib.nn.Linear(2, 2)),
    lambda lib: lib.nn.utils.weight_norm(lib.nn.LazyLinear(2)),
    lambda lib: lib.nn.utils.spectral_norm(lib.nn.LazyLinear(2)),
])
def test_legacy_errors(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        same_error(fn)


@pytest.mark.parametrize("layer, shape", [
    (lambda lib: lib.nn.Linear(5, 4), (3, 5)),
    (lambda lib: lib.nn.ConvTranspose1d(3, 2, 2), (2, 3, 4)),
])
def test_legacy_spectral_norm(layer, shape):
    t_m, e_m = both(lambda lib: lib.nn.utils.spectral_norm(layer(lib)))
    same_repr(e_m, t_m)
    # u and v are torch's draws after manual_seed, normalised (which may round differently)
    same_state(e_m, t_m, rtol=1e-6, atol=1e-7)
    assert e_m.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    forward_backward(t_m, e_m, shape, rtol=1e-4, atol=1e-5)
    same_state(e_m, t_m, rtol=1e-4, atol=1e-5)
    for m in (t_m, e_m):
        m.eval()
    forward_backward(t_m, e_m, shape, seed=4, rtol=1e-4, atol=1e-5)
    e_m.load_state_dict(e_m.state_dict())
    for lib, m in zip(LIBS, (t_m, e_m)):
        lib.nn.utils.remove_spectral_norm(m)
    same_state(e_m, t_m, rtol=1e-4, atol=1e-5)
    assert not (e_m._forward_pre_hooks or e_m._state_dict_hooks
                or e_m._load_state_dict_pre_hooks)
    e_m.load_state_dict(e_m.state_dict())  # torch 2.13 fails here (a hook left behind)


def test_legacy_spectral_norm_loads_version_0_state_dict():
    # W^T W must be invertible for the v that version 0 did not store to be recoverable
    t_m, e_m = both(lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4)))
    state = t_m.state_dict()
    old = {k: v for k, v in state.items() if k != "weight_v"}
    old["weight"] = (state["weight_orig"] / 2.5).clone()
    meta = {"": {"version": 1, "spectral_norm": {"weight.version": 0}}}
    for lib, m in zip(LIBS, (t_m, e_m)):
        d = type(state)((k, lib.tensor(v.numpy())) for k, v in old.items())
        d._metadata = meta
        m.load_state_dict(d)
    same_state(e_m, t_m, rtol=1e-4, atol=1e-5)
