"""RAdam: Adam with a rectified adaptive learning rate (torch.optim.RAdam)."""

from __future__ import annotations

from ember.optim._single_tensor import (
    _arr,
    _check_lr_eps_betas_wd,
    _check_not_implemented,
    _grad,
    _lerp_,
    _SingleTensorOptimizer,
    _value,
    _xp,
)

__all__ = ["RAdam"]


class RAdam(_SingleTensorOptimizer):
    """RAdam with torch.optim.RAdam's options (decoupled_weight_decay), state (step, exp_avg,
    exp_avg_sq) and the single-tensor algorithm's arithmetic order."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False), ("decoupled_weight_decay", False))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_lr_eps_betas_wd(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def _update(self, p, group):
        state = self._lazy_state(p, "exp_avg", "exp_avg_sq")
        lr, wd = _value(group["lr"]), group["weight_decay"]
        beta1, beta2 = group["betas"]
        param, grad = _arr(p), _grad(p, group["maximize"])
        exp_avg, exp_avg_sq = _arr(state["exp_avg"]), _arr(state["exp_avg_sq"])
        state["step"]._data += 1
        step = state["step"].item()
        if wd != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * wd
            else:
                grad = grad + wd * param
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            root = _xp(p).sqrt(exp_avg_sq)
            root += group["eps"]
            # NOTE: torch computes number / tensor as tensor.reciprocal() * number
            adaptive_lr = (1 / root) * (bias_correction2**0.5)
            param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:
            param -= bias_corrected_exp_avg * lr
