"""Adamax: Adam with the infinity norm (torch.optim.Adamax)."""

from __future__ import annotations

from ember.optim._single_tensor import (
    _add_weight_decay,
    _arr,
    _check_lr_eps_betas_wd,
    _check_not_implemented,
    _grad,
    _lerp_,
    _SingleTensorOptimizer,
    _value,
    _xp,
)

__all__ = ["Adamax"]


class Adamax(_SingleTensorOptimizer):
    """Adamax with torch.optim.Adamax's options, state (step, exp_avg, exp_inf) and the
    single-tensor algorithm's arithmetic order."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False))

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_lr_eps_betas_wd(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def _update(self, p, group):
        state = self._lazy_state(p, "exp_avg", "exp_inf")
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
