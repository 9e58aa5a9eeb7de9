"""Stochastic gradient descent with momentum, dampening and Nesterov momentum (torch.optim.SGD)."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.optim._single_tensor import (
    _add_weight_decay,
    _check_not_implemented,
    _SingleTensorOptimizer,
    _value,
)

__all__ = ["SGD"]


class SGD(_SingleTensorOptimizer):
    """SGD with torch.optim.SGD's options, defaults, checks and arithmetic order (the
    single-tensor algorithm: buffer = momentum * buffer + (1 - dampening) * grad)."""

    _group_defaults = (("nesterov", False), ("maximize", False), ("foreach", None),
                       ("differentiable", False), ("fused", False))
    _scalar_state = ()  # SGD keeps no step

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_not_implemented(fused=fused, differentiable=differentiable, foreach=foreach)

    def _update(self, p, group):
        # NOTE: complex parameters need no real view here: every operation is linear
        param, grad = p._data, p.grad._data
        grad = _add_weight_decay(-grad if group["maximize"] else grad, param,
                                 group["weight_decay"])
        momentum = group["momentum"]
        if momentum != 0:
            # NOTE: as torch, state is only created when there is momentum to keep
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._make(grad.copy(), p.device)
                buf_data = buf._data
            else:
                buf_data = buf._data
                buf_data *= momentum
                buf_data += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf_data if group["nesterov"] else buf_data
        param -= _value(group["lr"]) * grad
