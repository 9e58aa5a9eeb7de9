"""swa_utils against torch's: AveragedModel with SWA, EMA and custom averages, update_bn.
(SWALR is tested with the other schedulers.)"""

from __future__ import annotations

import numpy as np
import pytest
from optim_helpers import same_error

import ember

torch = pytest.importorskip("torch")


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                             lib.nn.Linear(4, 2))


def _averaged(lib, make_kwargs, updates=4):
    """Average the model over a few SGD steps; returns the averaged model's state dict."""
    model = _model(lib)
    swa = lib.optim.swa_utils
    averaged = swa.AveragedModel(model, **make_kwargs(swa))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    x = lib.tensor(np.random.default_rng(0).standard_normal((8, 3)).astype("float32"))
    for _ in range(updates):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        averaged.update_parameters(model)
    return {k: v.detach().numpy().copy() for k, v in averaged.state_dict().items()}


AVERAGES = {
    "swa": lambda swa: {},
    "ema_multi": lambda swa: {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.9)},
    "ema": lambda swa: {"avg_fn": swa.get_ema_avg_fn(0.8)},
    # (not with use_buffers: torch's own multi-tensor SWA fails on the int64 buffer)
    "swa_multi": lambda swa: {"multi_avg_fn": swa.get_swa_multi_avg_fn()},
    "swa_with_buffers": lambda swa: {"use_buffers": True},
}


@pytest.mark.parametrize("name", sorted(AVERAGES))
def test_averaged_model_matches_torch(name):
    t_state = _averaged(torch, AVERAGES[name])
    e_state = _averaged(ember, AVERAGES[name])
    assert list(e_state) == list(t_state)
    for key, value in t_state.items():
        assert e_state[key].dtype == value.dtype, key
        np.testing.assert_allclose(e_state[key], value, rtol=1e-5, atol=1e-6, err_msg=key)


def test_averaged_model_forwards_to_the_copy():
    model = _model(ember).eval()
    averaged = ember.optim.swa_utils.AveragedModel(model)
    x = ember.ones(2, 3)
    assert averaged.module is not model
    np.testing.assert_array_equal(averaged(x).detach().numpy(), model(x).detach().numpy())


def test_update_bn_matches_torch():
    states = []
    for lib in (torch, ember):
        model = _model(lib)
        rng = np.random.default_rng(1)
        loader = [(lib.tensor(rng.standard_normal((5, 3)).astype("float32")), 0)
                  for _ in range(4)]
        model.eval()
        lib.optim.swa_utils.update_bn(loader, model)
        assert not model.training and model[1].momentum == 0.1
        states.append({k: v.numpy() for k, v in model.state_dict().items()})
    for key, value in states[0].items():
        np.testing.assert_allclose(states[1][key], value, rtol=1e-5, atol=1e-6, err_msg=key)


def test_errors_match_torch():
    same_error(lambda lib: lib.optim.swa_utils.get_ema_avg_fn(1.5))
    same_error(lambda lib: lib.optim.swa_utils.SWALR(
        lib.optim.SGD([lib.nn.Parameter(lib.ones(1))]), 0.1, anneal_strategy="x"))
    same_error(lambda lib: lib.optim.swa_utils.SWALR(
        lib.optim.SGD([lib.nn.Parameter(lib.ones(1))]), 0.1, anneal_epochs=-1))
