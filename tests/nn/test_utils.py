"""nn.utils against torch: gradient clipping and parameter/vector conversion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_same
from nn_helpers import same_error, twin

import ember

torch = pytest.importorskip("torch")


def model(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.Tanh(), lib.nn.Linear(3, 2))


def with_grads(scale):
    t_model, e_model = twin(model)
    x = np.random.default_rng(1).standard_normal((5, 4)).astype("float32") * scale
    (t_model(torch.tensor(x)) ** 2).sum().backward()
    (e_model(ember.tensor(x)) ** 2).sum().backward()
    return t_model, e_model


def assert_same_grads(e_model, t_model):
    for e, t in zip(e_model.parameters(), t_model.parameters()):
        assert_same(e.grad, t.grad)


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.5])
@pytest.mark.parametrize("max_norm", [0.1, 1e6])
def test_clip_grad_norm(norm_type, max_norm):
    t_model, e_model = with_grads(3.0)
    t_total = torch.nn.utils.clip_grad_norm_(t_model.parameters(), max_norm, norm_type)
    e_total = ember.nn.utils.clip_grad_norm_(e_model.parameters(), max_norm, norm_type)
    assert_same(e_total, t_total)
    assert_same_grads(e_model, t_model)


def test_clip_grad_norm_edge_cases():
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        total = lib.nn.utils.clip_grad_norm_([p], 1.0)
        assert total.item() == 0.0 and p.grad is None  # no gradients at all
        p.grad = lib.tensor([3.0, 4.0])
        assert lib.nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    same_error(_nonfinite)


def _nonfinite(lib):
    p = lib.nn.Parameter(lib.ones(2))
    p.grad = lib.tensor([float("inf"), 1.0])
    lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    t_model, e_model = with_grads(3.0)
    torch.nn.utils.clip_grad_value_(t_model.parameters(), 0.5)
    assert ember.nn.utils.clip_grad_value_(e_model.parameters(), 0.5) is None
    assert_same_grads(e_model, t_model)


def test_parameters_to_vector_and_back():
    t_model, e_model = twin(model)
    t_vec = torch.nn.utils.parameters_to_vector(t_model.parameters())
    e_vec = ember.nn.utils.parameters_to_vector(e_model.parameters())
    assert_same(e_vec, t_vec)
    e_vec.sum().backward()  # differentiable, as torch's
    assert all(p.grad is not None for p in e_model.parameters())
    new = np.arange(t_vec.numel(), dtype="float32")
    weights = list(e_model.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t_model.parameters())
    ember.nn.utils.vector_to_parameters(ember.tensor(new), e_model.parameters())
    for e, t in zip(e_model.parameters(), t_model.parameters()):
        assert_same(e.detach(), t.detach())
    assert all(a is b for a, b in zip(weights, e_model.parameters()))
    same_error(lambda lib: lib.nn.utils.vector_to_parameters([1.0], model(lib).parameters()))
