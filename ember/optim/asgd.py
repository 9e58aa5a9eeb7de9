"""Averaged stochastic gradient descent (torch.optim.ASGD)."""

from __future__ import annotations

from ember._ops.creation import tensor
from ember.optim._single_tensor import (
    _add_weight_decay,
    _arr,
    _check_lr,
    _check_non_negative,
    _check_not_implemented,
    _grad,
    _new_scalar,
    _SingleTensorOptimizer,
    _value,
    _zeros_like,
)

__all__ = ["ASGD"]


class ASGD(_SingleTensorOptimizer):
    """ASGD with torch.optim.ASGD's options and state (step, eta, mu, ax); eta and mu are
    scalar-dtype tensors, so their rounding is torch's."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False))
    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_non_negative(("weight_decay value", weight_decay))
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            # NOTE: unlike the other optimizers', ASGD's scalars live on the parameter's device
            state["step"] = _new_scalar(0.0, p.device)
            state["eta"] = _new_scalar(_value(group["lr"]), p.device)
            state["mu"] = _new_scalar(1.0, p.device)
            state["ax"] = _zeros_like(p)
        lr, lambd = _value(group["lr"]), group["lambd"]
        param, ax = _arr(p), _arr(state["ax"])
        grad = _add_weight_decay(_grad(p, group["maximize"]), param, group["weight_decay"])
        state["step"]._data += 1
        eta = state["eta"].item()
        param *= 1 - lambd * eta
        param -= eta * grad
        mu = state["mu"]
        if mu.item() != 1:
            # NOTE: mu is a 0-dim tensor of the scalar dtype, multiplied as a tensor (not as a
            # Python number) by torch; casting it to the parameter's dtype does the same
            ax += (param - ax) * mu._data.astype(param.dtype)
        else:
            ax[...] = param
        step = state["step"].item()
        # NOTE: torch makes the new values default-dtype tensors, then copies them in: after a
        # load_state_dict has cast eta and mu to float64, they still hold float32-rounded values
        new_eta = lr / ((1 + lambd * lr * step) ** group["alpha"])
        state["eta"].copy_(tensor(new_eta, device=p.device))
        state["mu"].copy_(tensor(1 / max(1, step - group["t0"]), device=p.device))
