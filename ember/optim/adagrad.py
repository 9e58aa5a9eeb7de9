"""Adagrad (torch.optim.Adagrad)."""

from __future__ import annotations

from ember._ops.creation import full_like
from ember._tensor import Tensor
from ember.optim._single_tensor import (
    _add_weight_decay,
    _arr,
    _check_not_implemented,
    _grad,
    _new_scalar,
    _step_each_param,
    _value,
    _xp,
)
from ember.optim.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad with torch.optim.Adagrad's options (lr_decay, initial_accumulator_value) and
    state (step, sum), which torch creates for every parameter in the constructor."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        for name, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                            ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value),
                            ("epsilon value", eps)):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {name}: {value}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        _check_not_implemented(fused=fused, differentiable=differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        value = self.defaults["initial_accumulator_value"]
        state["step"] = _new_scalar(0.0)
        state["sum"] = full_like(p, complex(value, value) if p.is_complex() else value)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("foreach", None), ("maximize", False),
                               ("differentiable", False), ("fused", None)):
                group.setdefault(key, value)
        for p_state in self.state.values():
            if "step" in p_state and not isinstance(p_state["step"], Tensor):
                p_state["step"] = _new_scalar(p_state["step"])

    def share_memory(self):
        """A no-op kept for torch's API: ember tensors are not shared between processes."""

    def step(self, closure=None):
        """One Adagrad step; returns the closure's loss (if a closure is given)."""
        return _step_each_param(self, closure, self._update)

    def _update(self, p, group):
        state = self.state[p] or self._init_state(p)
        state["step"]._data += 1
        step = state["step"].item()
        param = _arr(p)
        grad = _add_weight_decay(_grad(p, group["maximize"]), param, group["weight_decay"])
        clr = _value(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        state_sum = _arr(state["sum"])
        state_sum += grad * grad
        std = _xp(p).sqrt(state_sum)
        std += group["eps"]
        param += -clr * grad / std
