"""Tools shared by the ember.optim tests: the same small model in torch and ember, training
loops, and state-dict conversion and comparison between the two libraries."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

# (rtol, atol) for parameters and state after 20 steps: float32 updates may differ from torch's
# by an ulp per operation (torch's CPU kernels use fused multiply-adds)
STEP_TOLERANCES = {"float32": (5e-6, 1e-6), "float64": (1e-9, 1e-11)}


def models(dtype="float32"):
    """A Linear-Tanh-Linear stack in torch and ember with the same weights (through NumPy)."""
    torch.manual_seed(0)
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    e_model = ember.nn.Sequential(ember.nn.Linear(3, 5), ember.nn.Tanh(), ember.nn.Linear(5, 2))
    e_model.load_state_dict({k: ember.tensor(v.detach().numpy().copy())
                             for k, v in t_model.state_dict().items()})
    if dtype == "float64":
        return t_model.double(), e_model.double()
    return t_model, e_model


def batch(lib, dtype="float32"):
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal((6, 3)).astype(dtype))
    y = lib.tensor(rng.uniform(-0.5, 0.5, (6, 2)).astype(dtype))
    return x, y


def loss_of(lib, model, x, y):
    """A bounded loss, so that maximising it cannot blow up."""
    return ((lib.tanh(model(x)) - y) ** 2).mean()


def train(lib, model, opt, steps, dtype="float32"):
    x, y = batch(lib, dtype)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(lib, model, x, y).backward()
        opt.step()


def train_on_torch_grads(t_model, e_model, t_opt, e_opt, steps, dtype="float32"):
    """Both optimizers step on the gradients torch's model gives (copied to ember through
    NumPy), so only the optimizers' arithmetic can differ. (With each library's own gradients,
    float32 summation-order differences in near-zero gradients are magnified by the adaptive
    optimizers' normalisation, which says nothing about the optimizers.)"""
    x, y = batch(torch, dtype)
    for _ in range(steps):
        t_opt.zero_grad()
        e_opt.zero_grad()
        loss_of(torch, t_model, x, y).backward()
        for t_p, e_p in zip(t_model.parameters(), e_model.parameters()):
            e_p.grad = ember.tensor(t_p.grad.numpy().copy())
        t_opt.step()
        e_opt.step()


def to_ember(value):
    """A torch state value (tensors, lists, dicts) rebuilt in ember through NumPy."""
    if isinstance(value, torch.Tensor):
        return ember.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: to_ember(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_ember(v) for v in value)
    return value


def to_torch(value):
    """An ember state value rebuilt in torch through NumPy."""
    if isinstance(value, ember.Tensor):
        return torch.tensor(value.numpy().copy())
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_torch(v) for v in value)
    return value


def assert_state_dicts_match(e_sd, t_sd, rtol, atol):
    """Same structure (keys, their order, types, dtypes, shapes) and close values."""
    assert [list(g) for g in e_sd["param_groups"]] == [list(g) for g in t_sd["param_groups"]]
    assert e_sd["param_groups"] == t_sd["param_groups"]
    assert list(e_sd["state"]) == list(t_sd["state"])
    for index, t_state in t_sd["state"].items():
        e_state = e_sd["state"][index]
        assert list(e_state) == list(t_state), (index, list(e_state), list(t_state))
        for key, t_value in t_state.items():
            assert_values_match(e_state[key], t_value, rtol, atol, f"state[{index}][{key!r}]")


def assert_values_match(e_value, t_value, rtol, atol, path):
    if isinstance(t_value, torch.Tensor):
        assert isinstance(e_value, ember.Tensor), path
        assert str(e_value.dtype).split(".")[-1] == str(t_value.dtype).split(".")[-1], path
        assert tuple(e_value.shape) == tuple(t_value.shape), path
        np.testing.assert_allclose(e_value.numpy(), t_value.numpy(), rtol=rtol, atol=atol,
                                   err_msg=path)
    elif isinstance(t_value, (list, tuple)):
        assert type(e_value) is type(t_value) and len(e_value) == len(t_value), path
        for i, (e, t) in enumerate(zip(e_value, t_value)):
            assert_values_match(e, t, rtol, atol, f"{path}[{i}]")
    elif isinstance(t_value, float):
        assert isinstance(e_value, float), path
        np.testing.assert_allclose(e_value, t_value, rtol=rtol, atol=atol, err_msg=path)
    else:
        assert type(e_value) is type(t_value) and e_value == t_value, (path, e_value, t_value)


def assert_params_match(e_params, t_params, rtol, atol):
    for i, (e, t) in enumerate(zip(e_params, t_params)):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"parameter {i}")


def same_error(fn):
    """fn(lib) raises the same exception class with the same message in both libraries."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as e_info:
        fn(ember)
    assert e_info.type is t_info.type, (e_info.value, t_info.value)
    assert str(e_info.value).replace("ember", "torch") == str(t_info.value)
