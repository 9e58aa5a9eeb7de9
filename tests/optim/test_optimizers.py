"""Every optimizer and option against torch: the same model and loss, 20 steps, then the
parameters and the state dict (values and layout); state dicts moved between the libraries
mid-training; argument validation; LBFGS iterates."""

from __future__ import annotations

import numpy as np
import pytest
from optim_helpers import (
    STEP_TOLERANCES,
    assert_params_match,
    assert_state_dicts_match,
    models,
    same_error,
    to_ember,
    to_torch,
    train,
    train_on_torch_grads,
)

import ember

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("Adamax", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
    ("RAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "alpha": 0.9}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                 "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-6, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1, "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 5, "lambd": 1e-3, "alpha": 0.6, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 3, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.02, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.05)}),
    ("Rprop", {"lr": 0.02, "maximize": True}),
]


def _id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _pair(name, kwargs, dtype="float32", wrap=lambda params: params):
    t_model, e_model = models(dtype)
    t_opt = getattr(torch.optim, name)(wrap(list(t_model.parameters())), **kwargs)
    e_opt = getattr(ember.optim, name)(wrap(list(e_model.parameters())), **kwargs)
    return t_model, e_model, t_opt, e_opt


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_twenty_steps_match_torch_float64(case):
    """Model, loss, backward and optimizer all in ember, against the same in torch."""
    t_model, e_model, t_opt, e_opt = _pair(*case, "float64")
    train(torch, t_model, t_opt, 20, "float64")
    train(ember, e_model, e_opt, 20, "float64")
    rtol, atol = STEP_TOLERANCES["float64"]
    assert_params_match(list(e_model.parameters()), list(t_model.parameters()), rtol, atol)
    assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict(), rtol, atol)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_twenty_steps_match_torch_float32(case):
    """The same gradients given to both optimizers: float32 updates agree to ~1e-6."""
    t_model, e_model, t_opt, e_opt = _pair(*case, "float32")
    train_on_torch_grads(t_model, e_model, t_opt, e_opt, 20)
    rtol, atol = STEP_TOLERANCES["float32"]
    assert_params_match(list(e_model.parameters()), list(t_model.parameters()), rtol, atol)
    assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict(), rtol, atol)


def test_step_is_a_scalar_tensor_like_torch():
    _, e_model, _, e_opt = _pair("Adam", {})
    train(ember, e_model, e_opt, 3)
    step = e_opt.state_dict()["state"][0]["step"]
    assert isinstance(step, ember.Tensor) and step.dim() == 0
    assert step.dtype is ember.float32 and step.item() == 3.0


def test_step_dtype_follows_the_default_dtype():
    dtypes = []
    for lib in (torch, ember):
        lib.set_default_dtype(lib.float64)
        try:
            p = lib.nn.Parameter(lib.ones(2))
            opt = lib.optim.NAdam([p])
            p.grad = lib.ones(2)
            opt.step()
            dtypes.append([str(opt.state[p][k].dtype).split(".")[-1]
                           for k in ("step", "mu_product")])
        finally:
            lib.set_default_dtype(lib.float32)
    assert dtypes[0] == dtypes[1] == ["float64", "float64"]


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_parameter_groups_with_their_own_options(name):
    def groups(params):
        return [{"params": params[:2], "lr": 0.05, "weight_decay": 0.2}, {"params": params[2:]}]

    kwargs = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    t_model, e_model, t_opt, e_opt = _pair(name, kwargs, wrap=groups)
    train(torch, t_model, t_opt, 10)
    train(ember, e_model, e_opt, 10)
    assert_params_match(list(e_model.parameters()), list(t_model.parameters()), 2e-5, 2e-6)
    assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict(), 2e-5, 2e-6)


def test_foreach_is_accepted_and_gives_torch_results():
    t_model, e_model, t_opt, e_opt = _pair("Adam", {"lr": 0.01, "foreach": True})
    train(torch, t_model, t_opt, 20)
    train(ember, e_model, e_opt, 20)
    assert_params_match(list(e_model.parameters()), list(t_model.parameters()), 2e-5, 2e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_tensor_learning_rate(name):
    t_model, e_model = models()
    t_opt = getattr(torch.optim, name)(t_model.parameters(), lr=torch.tensor(0.01))
    e_opt = getattr(ember.optim, name)(e_model.parameters(), lr=ember.tensor(0.01))
    train(torch, t_model, t_opt, 10)
    train(ember, e_model, e_opt, 10)
    assert_params_match(list(e_model.parameters()), list(t_model.parameters()), 2e-5, 2e-6)


COMPLEX_CASES = [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 0.05, "amsgrad": True}),
                 ("AdamW", {"lr": 0.05}), ("Adamax", {"lr": 0.05}), ("NAdam", {"lr": 0.05}),
                 ("RAdam", {"lr": 0.05}), ("RMSprop", {"lr": 0.05, "centered": True,
                                                       "momentum": 0.5}),
                 ("Adagrad", {"lr": 0.05, "initial_accumulator_value": 0.1}),
                 ("Adadelta", {}), ("ASGD", {"lr": 0.05, "t0": 3}), ("Rprop", {})]


@pytest.mark.parametrize("case", COMPLEX_CASES, ids=[c[0] for c in COMPLEX_CASES])
def test_complex_parameters_are_pairs_of_reals(case):
    """The gradient is a fixed function of the parameter, fed to both libraries."""
    name, kwargs = case
    rng = np.random.default_rng(0)
    start = (rng.standard_normal(6) + 1j * rng.standard_normal(6)).astype("complex128")
    scale = (rng.uniform(0.5, 2.0, 6) + 1j * rng.uniform(-1, 1, 6)).astype("complex128")
    results = []
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.tensor(start.copy()))
        decay = {} if name == "Rprop" else {"weight_decay": 0.1}
        opt = getattr(lib.optim, name)([p], **kwargs, **decay)
        for _ in range(15):
            p.grad = lib.tensor(scale * p.detach().numpy() - 1.0)
            opt.step()
        results.append((p.detach().numpy().copy(), opt.state_dict()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-10, atol=1e-12)
    assert_state_dicts_match(results[1][1], results[0][1], 1e-9, 1e-11)


ROUND_TRIP = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01, "amsgrad": True}),
              ("AdamW", {"lr": 0.01}), ("Adamax", {"lr": 0.01}), ("NAdam", {"lr": 0.01}),
              ("RAdam", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "centered": True,
                                                    "momentum": 0.5}),
              ("Adagrad", {"lr": 0.1}), ("Adadelta", {}), ("ASGD", {"lr": 0.05, "t0": 3}),
              ("Rprop", {})]


@pytest.mark.parametrize("case", ROUND_TRIP, ids=[c[0] for c in ROUND_TRIP])
@pytest.mark.parametrize("direction", ["torch_to_ember", "ember_to_torch"])
def test_state_dict_moves_between_libraries_mid_training(case, direction):
    """Train 5 steps in one library, carry weights and optimizer state to the other, train 5
    more in both; the two continue identically."""
    name, kwargs = case
    source, target = (torch, ember) if direction == "torch_to_ember" else (ember, torch)
    convert = to_ember if target is ember else to_torch
    pairs = dict(zip((torch, ember), _pair(name, kwargs, "float64")[:2]))
    opts = {lib: getattr(lib.optim, name)(pairs[lib].parameters(), **kwargs)
            for lib in (torch, ember)}
    train(source, pairs[source], opts[source], 5, "float64")
    pairs[target].load_state_dict(convert(pairs[source].state_dict()))
    opts[target].load_state_dict(convert(opts[source].state_dict()))
    # loading casts state to the parameters' dtype (NAdam's mu_product, ASGD's eta and mu
    # become float64): the source reloads its own state so that both went through that
    opts[source].load_state_dict(opts[source].state_dict())
    train(source, pairs[source], opts[source], 5, "float64")
    train(target, pairs[target], opts[target], 5, "float64")
    e_model, t_model = pairs[ember], pairs[torch]
    assert_params_match(list(e_model.parameters()), list(t_model.parameters()), 1e-9, 1e-11)
    assert_state_dicts_match(opts[ember].state_dict(), opts[torch].state_dict(), 1e-9, 1e-11)


def _make(lib, name, kwargs, params=None):
    params = params if params is not None else [lib.nn.Parameter(lib.ones(2))]
    return getattr(lib.optim, name)(params, **kwargs)


INVALID = [
    ("SGD", {"lr": -1.0}), ("SGD", {"momentum": -0.5}), ("SGD", {"weight_decay": -1e-3}),
    ("SGD", {"nesterov": True}), ("SGD", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("SGD", {"fused": True, "differentiable": True}), ("SGD", {"fused": True, "foreach": True}),
    ("Adam", {"lr": -1.0}), ("Adam", {"eps": -1.0}), ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}), ("Adam", {"weight_decay": -1.0}),
    ("Adam", {"betas": (0, 0.999)}), ("Adam", {"fused": True, "foreach": True}),
    ("AdamW", {"lr": -1e-3}), ("AdamW", {"betas": (0.9, 1.5)}),
    ("Adamax", {"lr": -1.0}), ("Adamax", {"eps": -1.0}), ("Adamax", {"betas": (-0.1, 0.9)}),
    ("NAdam", {"momentum_decay": -1.0}), ("NAdam", {"weight_decay": -1.0}),
    ("RAdam", {"betas": (0.9, 1.0)}), ("RAdam", {"eps": -1e-8}),
    ("RMSprop", {"lr": -1.0}), ("RMSprop", {"eps": -1.0}), ("RMSprop", {"momentum": -1.0}),
    ("RMSprop", {"weight_decay": -1.0}), ("RMSprop", {"alpha": -1.0}),
    ("Adagrad", {"lr": -1.0}), ("Adagrad", {"lr_decay": -1.0}),
    ("Adagrad", {"weight_decay": -1.0}), ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adagrad", {"eps": -1.0}), ("Adagrad", {"fused": True, "foreach": True}),
    ("Adadelta", {"lr": -1.0}), ("Adadelta", {"rho": 1.5}), ("Adadelta", {"eps": -1.0}),
    ("Adadelta", {"weight_decay": -1.0}),
    ("ASGD", {"lr": -1.0}), ("ASGD", {"weight_decay": -1.0}),
    ("Rprop", {"lr": -1.0}), ("Rprop", {"etas": (1.5, 2.0)}), ("Rprop", {"etas": (0.5, 0.9)}),
    ("SparseAdam", {"lr": 0.0}), ("SparseAdam", {"eps": 0.0}),
    ("SparseAdam", {"betas": (1.0, 0.9)}), ("LBFGS", {"lr": -1.0}),
]


@pytest.mark.parametrize("case", INVALID, ids=[_id(c) for c in INVALID])
def test_invalid_arguments_raise_torchs_errors(case):
    same_error(lambda lib: _make(lib, *case))


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_tensor_lr_must_have_one_element(name):
    same_error(lambda lib: _make(lib, name, {"lr": lib.tensor([0.1, 0.2])}))


@pytest.mark.parametrize("option", ["fused", "capturable", "differentiable"])
def test_unsupported_implementations_raise_not_implemented(option):
    with pytest.raises(NotImplementedError, match=option):
        _make(ember, "Adam", {option: True})


def test_sparse_adam_refuses_dense_gradients_and_complex_parameters():
    def step(lib):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SparseAdam([p])
        p.grad = lib.ones(3)
        opt.step()

    same_error(step)
    same_error(lambda lib: _make(lib, "SparseAdam", {}, [lib.nn.Parameter(lib.ones(2) * 1j)]))


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def quadratic(x):
    a = [3.0, 1.0, 0.5, 2.0]
    return sum(a[i] * (x[i] - i) ** 2 for i in range(4)) + x[0] * x[1]


def _lbfgs_iterates(lib, fn, start, dtype, calls, **kwargs):
    x = lib.nn.Parameter(lib.tensor(np.array(start, dtype=dtype)))
    opt = lib.optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    iterates = []
    for _ in range(calls):
        opt.step(closure)
        iterates.append(x.detach().numpy().copy())
    return np.array(iterates), opt


LBFGS_CASES = [
    (rosenbrock, [-1.5, 2.0], "float64", 4, {"line_search_fn": "strong_wolfe"}),
    (rosenbrock, [-1.5, 2.0], "float64", 2, {}),
    (rosenbrock, [-1.5, 2.0], "float64", 3, {"history_size": 3, "max_iter": 7, "lr": 0.5}),
    (quadratic, [1.0, -1.0, 2.0, 0.5], "float64", 3, {"history_size": 2}),
    (quadratic, [1.0, -1.0, 2.0, 0.5], "float32", 3, {"line_search_fn": "strong_wolfe"}),
]


@pytest.mark.parametrize("fn, start, dtype, calls, kwargs", LBFGS_CASES)
def test_lbfgs_iterates_match_torch(fn, start, dtype, calls, kwargs):
    t_iter, t_opt = _lbfgs_iterates(torch, fn, start, dtype, calls, **kwargs)
    e_iter, e_opt = _lbfgs_iterates(ember, fn, start, dtype, calls, **kwargs)
    rtol, atol = (1e-9, 1e-11) if dtype == "float64" else (1e-5, 1e-6)
    np.testing.assert_allclose(e_iter, t_iter, rtol=rtol, atol=atol)
    assert_state_dicts_match(e_opt.state_dict(), t_opt.state_dict(), rtol * 100, atol * 100)


def test_lbfgs_checks():
    same_error(lambda lib: lib.optim.LBFGS([{"params": [lib.nn.Parameter(lib.ones(1))]},
                                            {"params": [lib.nn.Parameter(lib.ones(1))]}]))

    def bad_line_search(lib):
        x = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.LBFGS([x], line_search_fn="armijo")
        opt.step(lambda: (x**2).sum().backward() or (x**2).sum())

    same_error(bad_line_search)


def test_closure_loss_is_returned():
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.Adam([p])

        def closure(lib=lib, p=p, opt=opt):
            opt.zero_grad()
            loss = (p * 3).sum()
            loss.backward()
            assert lib.is_grad_enabled()
            return loss

        assert opt.step(closure).item() == 6.0
        assert opt.step() is None
