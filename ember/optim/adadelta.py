"""Adadelta (torch.optim.Adadelta)."""

from __future__ import annotations

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
    _zeros_like,
)
from ember.optim.adam import _steps_to_tensors
from ember.optim.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta with torch.optim.Adadelta's options, state (step, square_avg, acc_delta) and
    the single-tensor algorithm's arithmetic order."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("foreach", None), ("maximize", False),
                               ("differentiable", False), ("capturable", False)):
                group.setdefault(key, value)
            _steps_to_tensors(self, group)

    def step(self, closure=None):
        """One Adadelta step; returns the closure's loss (if a closure is given)."""
        return _step_each_param(self, closure, self._update)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_scalar(0.0)
            state["square_avg"] = _zeros_like(p)
            state["acc_delta"] = _zeros_like(p)
        rho, eps = group["rho"], group["eps"]
        state["step"]._data += 1
        param = _arr(p)
        grad = _add_weight_decay(_grad(p, group["maximize"]), param, group["weight_decay"])
        square_avg, acc_delta = _arr(state["square_avg"]), _arr(state["acc_delta"])
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        xp = _xp(p)
        std = xp.sqrt(square_avg + eps)
        delta = xp.sqrt(acc_delta + eps)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= _value(group["lr"]) * delta
