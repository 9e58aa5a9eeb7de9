"""RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop)."""

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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop with torch.optim.RMSprop's options, state (step, square_avg, momentum_buffer,
    grad_avg) and the single-tensor algorithm's arithmetic order."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        for name, value in (("learning rate", lr), ("epsilon value", eps),
                            ("momentum value", momentum), ("weight_decay value", weight_decay),
                            ("alpha value", alpha)):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {name}: {value}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("momentum", 0), ("centered", False), ("foreach", None),
                               ("maximize", False), ("differentiable", False),
                               ("capturable", False)):
                group.setdefault(key, value)
            _steps_to_tensors(self, group)

    def step(self, closure=None):
        """One RMSprop step; returns the closure's loss (if a closure is given)."""
        return _step_each_param(self, closure, self._update)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = _new_scalar(0.0)
        state["square_avg"] = _zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = _zeros_like(p)
        return state

    def _update(self, p, group):
        state = self.state[p] or self._init_state(p, group)
        alpha, momentum = group["alpha"], group["momentum"]
        state["step"]._data += 1
        param = _arr(p)
        grad = _add_weight_decay(_grad(p, group["maximize"]), param, group["weight_decay"])
        square_avg = _arr(state["square_avg"])
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = _arr(state["grad_avg"])
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = _xp(p).sqrt(square_avg + -1 * grad_avg * grad_avg)
        else:
            avg = _xp(p).sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = _arr(state["momentum_buffer"])
            buf *= momentum
            buf += grad / avg
            param -= _value(group["lr"]) * buf
        else:
            param += -_value(group["lr"]) * grad / avg
