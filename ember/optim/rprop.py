"""Resilient backpropagation (torch.optim.Rprop)."""

from __future__ import annotations

from ember._ops.creation import full_like
from ember.optim._single_tensor import (
    _arr,
    _check_lr,
    _check_not_implemented,
    _grad,
    _new_scalar,
    _SingleTensorOptimizer,
    _value,
    _xp,
    _zeros_like,
)

__all__ = ["Rprop"]


class Rprop(_SingleTensorOptimizer):
    """Rprop with torch.optim.Rprop's options and state (step, prev, step_size)."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False))

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            lr = _value(group["lr"])
            state["step"] = _new_scalar(0.0)
            state["prev"] = _zeros_like(p)
            # complex numbers are two independent reals: both parts get the initial step size
            state["step_size"] = full_like(p.grad, complex(lr, lr) if p.is_complex() else lr)
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        state["step"]._data += 1
        param, grad = _arr(p), _grad(p, group["maximize"])
        prev, step_size = _arr(state["prev"]), _arr(state["step_size"])
        xp = _xp(p)
        sign = xp.sign(grad * prev)
        sign[sign > 0] = etaplus
        sign[sign < 0] = etaminus
        sign[sign == 0] = 1
        step_size *= sign
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad = grad.copy()
        grad[sign == etaminus] = 0  # where the sign flipped, skip this step
        param -= xp.sign(grad) * step_size
        prev[...] = grad
