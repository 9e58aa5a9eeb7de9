"""Every learning-rate scheduler against torch's: the learning rates (and cycled momenta) of 40
steps, state dicts and their loading, torch's warnings and argument errors."""

from __future__ import annotations

import math
import warnings

import pytest
from optim_helpers import same_error

import ember

torch = pytest.importorskip("torch")

STEPS = 40


def _optimizer(lib, name="SGD"):
    groups = [{"params": [lib.nn.Parameter(lib.ones(2))]},
              {"params": [lib.nn.Parameter(lib.ones(3))], "lr": 0.3}]
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


def _scale(x):
    return 1 / (1 + x)


SCHEDULERS = {
    "StepLR": lambda S, opt: S.StepLR(opt, step_size=3, gamma=0.5),
    "MultiStepLR": lambda S, opt: S.MultiStepLR(opt, [2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda S, opt: S.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda S, opt: S.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda S, opt: S.CosineAnnealingWarmRestarts(
        opt, T_0=5, T_mult=2, eta_min=0.01),
    "LinearLR": lambda S, opt: S.LinearLR(opt, start_factor=0.25, total_iters=8),
    "LinearLR-decay": lambda S, opt: S.LinearLR(opt, 1.0, 0.1, total_iters=12),
    "ConstantLR": lambda S, opt: S.ConstantLR(opt, factor=0.5, total_iters=4),
    "LambdaLR": lambda S, opt: S.LambdaLR(opt, lambda e: 0.95**e),
    "LambdaLR-list": lambda S, opt: S.LambdaLR(opt, [lambda e: 0.9**e, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda S, opt: S.MultiplicativeLR(opt, lambda e: 0.97),
    "PolynomialLR": lambda S, opt: S.PolynomialLR(opt, total_iters=10, power=2.0),
    "OneCycleLR": lambda S, opt: S.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=STEPS + 1),
    "OneCycleLR-three-phase-linear": lambda S, opt: S.OneCycleLR(
        opt, max_lr=1.0, epochs=4, steps_per_epoch=11, three_phase=True,
        anneal_strategy="linear"),
    "CyclicLR": lambda S, opt: S.CyclicLR(opt, 0.01, 0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda S, opt: S.CyclicLR(opt, [0.01, 0.02], 0.1, step_size_up=3,
                                                      step_size_down=5, mode="triangular2"),
    "CyclicLR-exp_range": lambda S, opt: S.CyclicLR(opt, 0.01, 0.1, step_size_up=4,
                                                    mode="exp_range", gamma=0.9),
    "CyclicLR-scale_fn": lambda S, opt: S.CyclicLR(opt, 0.01, 0.1, step_size_up=4,
                                                   scale_fn=_scale, scale_mode="iterations"),
    "SequentialLR": lambda S, opt: S.SequentialLR(
        opt, [S.LinearLR(opt, start_factor=0.1, total_iters=5), S.ExponentialLR(opt, 0.9),
              S.CosineAnnealingLR(opt, T_max=8)], milestones=[5, 20]),
    "ChainedScheduler": lambda S, opt: S.ChainedScheduler(
        [S.ConstantLR(opt, factor=0.5, total_iters=6), S.ExponentialLR(opt, gamma=0.95),
         S.StepLR(opt, 7, 0.5)]),
}


def _record(lib, build, optimizer="SGD"):
    """The learning rates and momenta after construction and after each of STEPS steps."""
    opt = _optimizer(lib, optimizer)
    scheduler = build(lib.optim.lr_scheduler, opt)
    momentum_key = "momentum" if optimizer == "SGD" else "betas"
    history = []
    for _ in range(STEPS):
        history.append((scheduler.get_last_lr(), [g["lr"] for g in opt.param_groups],
                        [g[momentum_key] for g in opt.param_groups]))
        opt.step()
        scheduler.step()
    return history, scheduler


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_learning_rates_match_torch(name):
    t_history, t_sched = _record(torch, SCHEDULERS[name])
    e_history, e_sched = _record(ember, SCHEDULERS[name])
    # NOTE: every formula is torch's Python float arithmetic in torch's order: equal, not close
    assert e_history == t_history
    assert _comparable(e_sched.state_dict()) == _comparable(t_sched.state_dict())


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR"])
def test_adam_beta1_is_cycled(name):
    assert _record(ember, SCHEDULERS[name], "Adam")[0] == _record(torch, SCHEDULERS[name],
                                                                  "Adam")[0]


def _comparable(state):
    """A scheduler state dict without the objects that cannot be equal across libraries."""
    out = {}
    for key, value in state.items():
        if key == "_schedulers":
            value = [_comparable(s) for s in value]
        elif callable(value) and not isinstance(value, type):
            value = "<function>"
        out[key] = value
    return list(out), out


@pytest.mark.parametrize("name", ["CosineAnnealingLR", "OneCycleLR", "CyclicLR", "SequentialLR",
                                  "ChainedScheduler", "LambdaLR", "CosineAnnealingWarmRestarts"])
def test_state_dict_from_torch_resumes_the_schedule(name):
    """A torch scheduler's state dict (plain Python values) loaded into ember's scheduler, at
    step 15, continues torch's schedule."""
    t_opt, e_opt = _optimizer(torch), _optimizer(ember)
    t_sched = SCHEDULERS[name](torch.optim.lr_scheduler, t_opt)
    for _ in range(15):
        t_opt.step()
        t_sched.step()
    e_sched = SCHEDULERS[name](ember.optim.lr_scheduler, e_opt)
    e_sched.load_state_dict(t_sched.state_dict())
    for e_group, t_group in zip(e_opt.param_groups, t_opt.param_groups):
        e_group["lr"], e_group["momentum"] = t_group["lr"], t_group["momentum"]
    for _ in range(15):
        t_opt.step()
        e_opt.step()
        t_sched.step()
        e_sched.step()
        assert e_sched.get_last_lr() == t_sched.get_last_lr()


def _plateau_history(lib, **kwargs):
    opt = _optimizer(lib)
    scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.61, 0.62, 0.3, 0.3]
    history = []
    for m in metrics * 3:
        opt.step()
        scheduler.step(lib.tensor(m) if kwargs.get("mode") == "max" else m)
        history.append(scheduler.get_last_lr())
    return history, scheduler.state_dict()


@pytest.mark.parametrize("kwargs", [
    {"patience": 2},
    {"mode": "max", "factor": 0.5, "patience": 1, "threshold_mode": "abs", "threshold": 0.05},
    {"patience": 1, "cooldown": 2, "min_lr": [0.02, 0.05]},
    {"patience": 0, "min_lr": 0.01, "eps": 1e-3},
])
def test_reduce_lr_on_plateau(kwargs):
    assert _plateau_history(ember, **kwargs) == _plateau_history(torch, **kwargs)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 5])
def test_swalr(anneal, anneal_epochs):
    def build(S, opt):
        module = ember.optim.swa_utils if S is ember.optim.lr_scheduler else (
            torch.optim.swa_utils)
        return module.SWALR(opt, swa_lr=[0.05, 0.5], anneal_epochs=anneal_epochs,
                            anneal_strategy=anneal)

    e_history, e_sched = _record(ember, build)
    t_history, t_sched = _record(torch, build)
    assert e_history == t_history
    assert _comparable(e_sched.state_dict()) == _comparable(t_sched.state_dict())


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in record]


def _scheduler_first(lib):
    opt = _optimizer(lib)
    scheduler = lib.optim.lr_scheduler.StepLR(opt, 2)
    return lambda: scheduler.step()


def _overridden_step(lib):
    opt = _optimizer(lib)
    scheduler = lib.optim.lr_scheduler.StepLR(opt, 2)
    opt.step = lambda closure=None: None
    return lambda: scheduler.step()


def _epoch_argument(lib):
    opt = _optimizer(lib)
    scheduler = lib.optim.lr_scheduler.StepLR(opt, 2)
    opt.step()
    return lambda: scheduler.step(3)


def _get_lr_directly(lib):
    scheduler = lib.optim.lr_scheduler.ExponentialLR(_optimizer(lib), 0.5)
    return lambda: scheduler.get_lr()


@pytest.mark.parametrize("make", [_scheduler_first, _overridden_step, _epoch_argument,
                                  _get_lr_directly])
def test_warnings_match_torch(make):
    t_warnings = _warnings_of(make(torch))
    assert t_warnings  # each case warns in torch
    assert _warnings_of(make(ember)) == t_warnings


def test_no_warning_in_the_right_order():
    opt = _optimizer(ember)
    scheduler = ember.optim.lr_scheduler.StepLR(opt, 2)
    opt.step()
    assert _warnings_of(scheduler.step) == []


def test_closed_form_with_epoch_argument():
    histories = []
    for lib in (torch, ember):
        opt = _optimizer(lib)
        scheduler = lib.optim.lr_scheduler.MultiStepLR(opt, [3, 6])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (4, 7, 2, 10):
                opt.step()
                scheduler.step(epoch)
        histories.append(scheduler.get_last_lr())
    assert histories[0] == histories[1]


def _sgd(lib):
    return lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)


SCHEDULER_ERRORS = {
    "verbose": lambda S, lib: S.StepLR(_sgd(lib), 1, verbose=True),
    "not_an_optimizer": lambda S, lib: S.StepLR(object(), 1),
    "resume_without_initial_lr": lambda S, lib: S.StepLR(_sgd(lib), 1, last_epoch=3),
    "constant_factor": lambda S, lib: S.ConstantLR(_sgd(lib), factor=1.5),
    "linear_start": lambda S, lib: S.LinearLR(_sgd(lib), start_factor=0),
    "linear_end": lambda S, lib: S.LinearLR(_sgd(lib), end_factor=2.0),
    "lambda_count": lambda S, lib: S.LambdaLR(_sgd(lib), [lambda e: 1, lambda e: 1]),
    "multiplicative_callable": lambda S, lib: S.MultiplicativeLR(_sgd(lib), 0.5),
    "warm_restarts_T_0": lambda S, lib: S.CosineAnnealingWarmRestarts(_sgd(lib), T_0=0),
    "warm_restarts_T_mult": lambda S, lib: S.CosineAnnealingWarmRestarts(_sgd(lib), 2, T_mult=0),
    "one_cycle_steps": lambda S, lib: S.OneCycleLR(_sgd(lib), 1.0),
    "one_cycle_pct": lambda S, lib: S.OneCycleLR(_sgd(lib), 1.0, 10, pct_start=1.5),
    "one_cycle_anneal": lambda S, lib: S.OneCycleLR(_sgd(lib), 1.0, 10, anneal_strategy="x"),
    "one_cycle_too_many_steps": lambda S, lib: _step_n(S.OneCycleLR(_sgd(lib), 1.0, 3), 4),
    "one_cycle_no_momentum": lambda S, lib: S.OneCycleLR(
        lib.optim.Adagrad([lib.nn.Parameter(lib.ones(1))]), 1.0, 10),
    "cyclic_mode": lambda S, lib: S.CyclicLR(_sgd(lib), 0.1, 1.0, mode="x"),
    "cyclic_list_length": lambda S, lib: S.CyclicLR(_sgd(lib), [0.1, 0.2], 1.0),
    "plateau_factor": lambda S, lib: S.ReduceLROnPlateau(_sgd(lib), factor=1.0),
    "plateau_mode": lambda S, lib: S.ReduceLROnPlateau(_sgd(lib), mode="x"),
    "plateau_threshold_mode": lambda S, lib: S.ReduceLROnPlateau(_sgd(lib), threshold_mode="x"),
    "plateau_min_lrs": lambda S, lib: S.ReduceLROnPlateau(_sgd(lib), min_lr=[0.1, 0.2]),
    "sequential_milestones": lambda S, lib: _sequential(S, lib, [1, 2]),
    "sequential_empty": lambda S, lib: S.SequentialLR(_sgd(lib), [], []),
    "chained_plateau": lambda S, lib: S.ChainedScheduler([S.ReduceLROnPlateau(_sgd(lib))]),
}


def _step_n(scheduler, n):
    for _ in range(n):
        scheduler.step()


def _sequential(S, lib, milestones):
    opt = _sgd(lib)
    return S.SequentialLR(opt, [S.StepLR(opt, 1), S.StepLR(opt, 2)], milestones)


@pytest.mark.parametrize("name", sorted(SCHEDULER_ERRORS))
def test_errors_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda lib: SCHEDULER_ERRORS[name](lib.optim.lr_scheduler, lib))


def test_tensor_learning_rate_is_filled_in_place():
    results = []
    for lib in (torch, ember):
        lr = lib.tensor(0.1)
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=lr)
        scheduler = lib.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        opt.step()
        scheduler.step()
        assert opt.param_groups[0]["lr"] is lr
        results.append((lr.item(), scheduler.get_last_lr()[0].item()))
    assert results[0] == results[1] and math.isclose(results[0][0], 0.05, rel_tol=1e-7)
