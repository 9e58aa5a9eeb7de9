"""Adam, with AMSGrad and decoupled weight decay (torch.optim.Adam)."""

from __future__ import annotations

from ember._tensor import Tensor
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

__all__ = ["Adam"]


def _check_betas(betas, capturable, foreach):
    """torch's checks on a (beta1, beta2) pair given as floats or as one-element tensors."""
    if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, beta in enumerate(betas):
        if isinstance(beta, Tensor):
            if not capturable and foreach:
                raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False "
                                 "and foreach=True")
            if beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")


def check_adam_args(lr, betas, eps, weight_decay, foreach, capturable):
    """Adam's and AdamW's argument validation, in torch's order and words."""
    if isinstance(lr, Tensor) and foreach and not capturable:
        raise ValueError("lr as a Tensor is not supported for capturable=False and "
                         "foreach=True")
    _check_lr_eps_betas_wd(lr, betas, eps, weight_decay)
    _check_betas(betas, capturable, foreach)


class Adam(_SingleTensorOptimizer):
    """Adam with torch.optim.Adam's options, state (step, exp_avg, exp_avg_sq,
    max_exp_avg_sq) and the single-tensor algorithm's arithmetic order."""

    _group_defaults = (("amsgrad", False), ("maximize", False), ("foreach", None),
                       ("capturable", False), ("differentiable", False),
                       ("decoupled_weight_decay", False), ("fused", None))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_adam_args(lr, betas, eps, weight_decay, foreach, capturable)
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b
                      for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_not_implemented(fused, capturable, differentiable, foreach)

    def _update(self, p, group):
        max_exp_avg_sq = ("max_exp_avg_sq",) if group["amsgrad"] else ()
        state = self._lazy_state(p, "exp_avg", "exp_avg_sq", *max_exp_avg_sq)
        lr, eps, wd = _value(group["lr"]), group["eps"], group["weight_decay"]
        beta1, beta2 = (_value(b) for b in group["betas"])
        param, grad = _arr(p), _grad(p, group["maximize"])
        exp_avg, exp_avg_sq = _arr(state["exp_avg"]), _arr(state["exp_avg_sq"])
        state["step"]._data += 1
        if wd != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * wd
            else:
                grad = grad + wd * param
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        step = state["step"].item()
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        xp = _xp(p)
        if group["amsgrad"]:
            max_exp_avg_sq = _arr(state["max_exp_avg_sq"])
            xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = xp.sqrt(max_exp_avg_sq) / bias_correction2_sqrt
        else:
            denom = xp.sqrt(exp_avg_sq) / bias_correction2_sqrt
        denom += eps
        param += -step_size * exp_avg / denom

