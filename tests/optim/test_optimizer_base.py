"""The Optimizer base class against torch's: parameter groups and their checks, zero_grad,
repr, step and state-dict hooks, state_dict / load_state_dict layout and casting."""

from __future__ import annotations

import copy
import importlib
import warnings

import numpy as np
import pytest
from optim_helpers import same_error, to_ember

import ember

torch = pytest.importorskip("torch")


def optimizer_module(lib):
    """torch.optim.optimizer (torch deletes the name from torch.optim, so import it)."""
    return importlib.import_module(lib.__name__ + ".optim.optimizer")


def params(lib, n=3):
    return [lib.nn.Parameter(lib.ones(i + 1)) for i in range(n)]


def test_repr_matches_torch():
    for name in ("SGD", "Adam", "LBFGS"):
        t = getattr(torch.optim, name)(params(torch))
        e = getattr(ember.optim, name)(params(ember))
        assert repr(e) == repr(t)


def test_param_groups_take_the_defaults():
    t_opt = torch.optim.SGD([{"params": params(torch)}, {"params": params(torch), "lr": 0.5}],
                            lr=0.1, momentum=0.9)
    e_opt = ember.optim.SGD([{"params": params(ember)}, {"params": params(ember), "lr": 0.5}],
                            lr=0.1, momentum=0.9)
    for e, t in zip(e_opt.param_groups, t_opt.param_groups):
        assert list(e) == list(t)
        assert {k: v for k, v in e.items() if k != "params"} == {
            k: v for k, v in t.items() if k != "params"}
    assert e_opt.defaults == t_opt.defaults


ERRORS = {
    "tensor": lambda lib: lib.optim.SGD(lib.nn.Parameter(lib.ones(2)), lr=0.1),
    "empty": lambda lib: lib.optim.SGD([], lr=0.1),
    "not_a_tensor": lambda lib: lib.optim.SGD([1], lr=0.1),
    "non_leaf": lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True) * 2], lr=0.1),
    "set": lambda lib: lib.optim.SGD([{"params": {lib.nn.Parameter(lib.ones(2))}}]),
    "overlap": lambda lib: _overlapping(lib),
    "group_not_dict": lambda lib: lib.optim.SGD(params(lib)).add_param_group([1]),
    "names_missing": lambda lib: lib.optim.SGD([("a", lib.nn.Parameter(lib.ones(1))),
                                                lib.nn.Parameter(lib.ones(1))]),
    "names_mixed": lambda lib: lib.optim.SGD([("a", lib.nn.Parameter(lib.ones(1)))])
    .add_param_group({"params": [lib.nn.Parameter(lib.ones(1))]}),
    "required": lambda lib: _required(lib),
    "step": lambda lib: lib.optim.Optimizer(params(lib), {}).step(),
}


def _overlapping(lib):
    p = lib.nn.Parameter(lib.ones(2))
    return lib.optim.SGD([{"params": [p]}, {"params": [p]}])


def _required(lib):
    class MyOpt(lib.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": optimizer_module(lib).required})

    return MyOpt(params(lib))


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    same_error(ERRORS[name])


def test_duplicate_parameters_warn():
    messages = []
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        with pytest.warns(UserWarning) as record:
            lib.optim.SGD([p, p])
        messages.append(str(record[0].message))
    assert messages[0] == messages[1]


def test_named_parameters_give_param_names():
    sds = []
    for lib in (torch, ember):
        model = lib.nn.Linear(2, 3)
        opt = lib.optim.Adam(model.named_parameters())
        sds.append(opt.state_dict())
        assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert sds[0]["param_groups"] == sds[1]["param_groups"]


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(3))
        (p * 2).sum().backward()
        lib.optim.SGD([p], lr=0.1).zero_grad(set_to_none=set_to_none)
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad.tolist() == [0.0, 0.0, 0.0] and not p.grad.requires_grad


def _hook_log(lib):
    """Register every kind of hook on an SGD step and record the calls."""
    log = []
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
    handles = [
        opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", len(a), dict(k)))),
        opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a)))),
        optimizer_module(lib).register_optimizer_step_pre_hook(
            lambda o, a, k: log.append("gpre")),
        optimizer_module(lib).register_optimizer_step_post_hook(
            lambda o, a, k: log.append("gpost")),
        opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre")),
        opt.register_state_dict_post_hook(lambda o, sd: log.append(("sd_post", len(sd)))),
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append("load_pre")),
        opt.register_load_state_dict_post_hook(lambda o: log.append("load_post")),
    ]
    p.grad = lib.ones(2)
    opt.step()
    opt.load_state_dict(opt.state_dict())
    for handle in handles:
        handle.remove()
    opt.step()
    opt.state_dict()
    return log


def test_hooks_run_in_torchs_order_and_are_removable():
    assert _hook_log(ember) == _hook_log(torch)


def test_step_pre_hook_can_replace_arguments():
    results = []
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)
        opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: 42}))
        p.grad = lib.ones(2)
        results.append(opt.step())
    assert results == [42, 42]


def test_state_dict_packs_parameters_as_indices():
    sds = []
    for lib in (torch, ember):
        ps = params(lib, 4)
        opt = lib.optim.Adam([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.1}])
        for p in ps[1:3]:
            p.grad = lib.ones_like(p)
        opt.step()
        sds.append(opt.state_dict())
    assert sds[1]["param_groups"] == sds[0]["param_groups"]
    assert list(sds[1]["state"]) == list(sds[0]["state"]) == [1, 2]


def test_load_state_dict_casts_state_but_not_step():
    """A float32 state loaded for float64 parameters: moments become float64, step stays."""
    t_opt = torch.optim.Adam(params(torch))
    for p in t_opt.param_groups[0]["params"]:
        p.grad = torch.ones_like(p)
    t_opt.step()
    results = []
    for lib, sd in ((torch, t_opt.state_dict()), (ember, to_ember(t_opt.state_dict()))):
        ps = [lib.nn.Parameter(lib.ones(i + 1, dtype=lib.float64)) for i in range(3)]
        opt = lib.optim.Adam(ps)
        opt.load_state_dict(sd)
        state = opt.state[ps[0]]
        results.append((list(opt.param_groups[0]), str(state["exp_avg"].dtype)[-7:],
                        str(state["step"].dtype)[-7:]))
    assert results[0] == results[1]
    assert results[1][1:] == ("float64", "float32")


def test_load_state_dict_errors():
    def groups(lib):
        opt = lib.optim.SGD(params(lib), lr=0.1)
        sd = opt.state_dict()
        sd["param_groups"].append(dict(sd["param_groups"][0]))
        opt.load_state_dict(sd)

    def sizes(lib):
        opt = lib.optim.SGD(params(lib), lr=0.1)
        sd = opt.state_dict()
        sd["param_groups"][0]["params"] = [0]
        opt.load_state_dict(sd)

    same_error(groups)
    same_error(sizes)


def test_deepcopy_keeps_state_and_groups():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.ones(2)
    opt.step()
    clone = copy.deepcopy(opt)
    (clone_p,) = clone.param_groups[0]["params"]
    assert clone_p is not p and np.array_equal(clone_p.numpy(force=True), p.numpy(force=True))
    assert clone.state[clone_p]["step"].item() == 1.0


def test_user_optimizer_subclass_gets_hooks():
    calls = []

    class Halve(ember.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        @ember.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.mul_(group["lr"])

    p = ember.nn.Parameter(ember.ones(2))
    opt = Halve([p])
    opt.register_step_post_hook(lambda *a: calls.append("post"))
    opt.step()
    assert p.tolist() == [0.5, 0.5] and calls == ["post"]


def test_step_bumps_the_parameter_version():
    """An optimizer step is an in-place write: a graph that saved the parameter refuses to
    backward afterwards, as in torch."""
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        loss = (p * p).sum()
        p.grad = lib.ones(2)
        lib.optim.SGD([p], lr=0.1).step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_no_warnings_in_plain_training():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.Adam([p])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            (p**2).sum().backward()
            opt.step()


@pytest.mark.parametrize("name", ["Adam", "NAdam", "ASGD", "Adagrad", "RMSprop"])
def test_old_checkpoints_with_number_steps_are_upgraded(name):
    """Checkpoints from before torch 1.12 keep ``step`` (and NAdam's mu_product, ASGD's eta and
    mu) as Python numbers: loading makes them scalar tensors, as torch does."""
    kinds = []
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        opt = getattr(lib.optim, name)([p])
        p.grad = lib.ones(2)
        opt.step()
        sd = opt.state_dict()
        for key in ("step", "mu_product", "eta", "mu"):
            if key in sd["state"][0]:
                sd["state"][0][key] = sd["state"][0][key].item()
        opt.load_state_dict(sd)
        kinds.append({k: (type(v).__name__, str(v.dtype)[-7:]) for k, v in opt.state[p].items()})
    assert kinds[0] == kinds[1]


def test_state_dict_indices_with_duplicate_parameters():
    sds = []
    for lib in (torch, ember):
        a, b, c = params(lib)
        with pytest.warns(UserWarning):
            opt = lib.optim.SGD([{"params": [a, a, b]}, {"params": [c]}], lr=0.1)
        sds.append([g["params"] for g in opt.state_dict()["param_groups"]])
    assert sds[0] == sds[1] == [[1, 1, 2], [3]]
