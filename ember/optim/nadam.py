"""NAdam: Adam with Nesterov momentum (torch.optim.NAdam)."""

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

__all__ = ["NAdam"]


class NAdam(_SingleTensorOptimizer):
    """NAdam with torch.optim.NAdam's options (momentum_decay, decoupled_weight_decay), state
    (step, mu_product, exp_avg, exp_avg_sq) and the single-tensor algorithm's arithmetic.

    ``mu_product`` is a scalar-dtype tensor, so the running product rounds as torch's does.
    """

    _group_defaults = (("maximize", False), ("foreach", None), ("capturable", False),
                       ("differentiable", False), ("decoupled_weight_decay", False))
    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_lr_eps_betas_wd(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def _update(self, p, group):
        state = self._lazy_state(p, "exp_avg", "exp_avg_sq", mu_product=1.0)
        lr, wd = _value(group["lr"]), group["weight_decay"]
        beta1, beta2 = group["betas"]
        param, grad = _arr(p), _grad(p, group["maximize"])
        exp_avg, exp_avg_sq = _arr(state["exp_avg"]), _arr(state["exp_avg_sq"])
        state["step"]._data += 1
        step = state["step"].item()
        bias_correction2 = 1 - beta2**step
        if wd != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * wd
            else:
                grad = grad + wd * param
        mu, mu_next = (beta1 * (1.0 - 0.5 * (0.96 ** (s * group["momentum_decay"])))
                       for s in (step, step + 1))
        state["mu_product"]._data *= mu
        mu_product = state["mu_product"].item()
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = _xp(p).sqrt(exp_avg_sq / bias_correction2)
        denom += group["eps"]
        param += (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
        param += ((-lr * mu_next) / (1.0 - mu_product * mu_next)) * exp_avg / denom
