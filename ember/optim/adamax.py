"""Adamax: Adam with the infinity norm (torch.optim.Adamax)."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.optim._single_tensor import (
    _add_weight_decay,
    _arr,
    _check_not_implemented,
    _grad,
    _lerp_,
    _new_scalar,
    _step_each_param,
    _value,
    _xp,
    _zeros_like,
)
from ember.optim.adam import _steps_to_tensors
from ember.optim.optimizer import Optimizer

__all__ = ["Adamax"]


def check_betas_eps(lr, betas, eps, weight_decay):
    """The checks Adamax, NAdam and RAdam share, in torch's order and words."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adamax(Optimizer):
    """Adamax with torch.optim.Adamax's options, state (step, exp_avg, exp_inf) and the
    single-tensor algorithm's arithmetic order."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_betas_eps(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
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
        """One Adamax step; returns the closure's loss (if a closure is given)."""
        return _step_each_param(self, closure, self._update)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_scalar(0.0)
            state["exp_avg"] = _zeros_like(p)
            state["exp_inf"] = _zeros_like(p)
        beta1, beta2 = group["betas"]
        state["step"]._data += 1
        param = _arr(p)
        grad = _add_weight_decay(_grad(p, group["maximize"]), param, group["weight_decay"])
        exp_avg, exp_inf = _arr(state["exp_avg"]), _arr(state["exp_inf"])
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        xp = _xp(p)
        norm = xp.abs(grad)
        norm += group["eps"]
        xp.maximum(exp_inf, norm, out=exp_inf)
        clr = _value(group["lr"]) / (1 - beta1 ** state["step"].item())
        param += -clr * exp_avg / exp_inf
