"""Adam, with AMSGrad and decoupled weight decay (torch.optim.Adam)."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.optim._single_tensor import (
    _arr,
    _check_lr,
    _check_not_implemented,
    _grad,
    _lerp_,
    _new_scalar,
    _step_each_param,
    _value,
    _xp,
    _zeros_like,
)
from ember.optim.optimizer import Optimizer

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
    if isinstance(lr, Tensor):
        if foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        if lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
    _check_lr(lr)
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    _check_betas(betas, capturable, foreach)


class Adam(Optimizer):
    """Adam with torch.optim.Adam's options, state (step, exp_avg, exp_avg_sq,
    max_exp_avg_sq) and the single-tensor algorithm's arithmetic order."""

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
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        _check_not_implemented(fused, capturable, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("amsgrad", False), ("maximize", False), ("foreach", None),
                               ("capturable", False), ("differentiable", False),
                               ("decoupled_weight_decay", False), ("fused", None)):
                group.setdefault(key, value)
            _steps_to_tensors(self, group)

    def step(self, closure=None):
        """One Adam step; returns the closure's loss (if a closure is given)."""
        return _step_each_param(self, closure, self._update)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = _new_scalar(0.0)
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros_like(p)
        return state

    def _update(self, p, group):
        state = self.state[p] or self._init_state(p, group)
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


def _steps_to_tensors(optimizer, group, *keys):
    """State loaded from old checkpoints may hold ``step`` (and ``keys``) as Python numbers;
    torch turns them into scalar tensors."""
    for p in group["params"]:
        p_state = optimizer.state.get(p, [])
        for key in ("step", *keys):
            if len(p_state) != 0 and not isinstance(p_state[key], Tensor):
                p_state[key] = _new_scalar(p_state[key])
