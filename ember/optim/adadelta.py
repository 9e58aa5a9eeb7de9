"""Adadelta (torch.optim.Adadelta)."""

from __future__ import annotations

from ember.optim._single_tensor import (
    _add_weight_decay,
    _arr,
    _check_lr,
    _check_non_negative,
    _check_not_implemented,
    _grad,
    _SingleTensorOptimizer,
    _value,
    _xp,
)

__all__ = ["Adadelta"]


class Adadelta(_SingleTensorOptimizer):
    """Adadelta with torch.optim.Adadelta's options, state (step, square_avg, acc_delta) and
    the single-tensor algorithm's arithmetic order."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False))

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_non_negative(("epsilon value", eps), ("weight_decay value", weight_decay))
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def _update(self, p, group):
        state = self._lazy_state(p, "square_avg", "acc_delta")
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
