"""RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop)."""

from __future__ import annotations

from ember.optim._single_tensor import (
    _add_weight_decay,
    _arr,
    _check_lr,
    _check_non_negative,
    _check_not_implemented,
    _grad,
    _lerp_,
    _SingleTensorOptimizer,
    _value,
    _xp,
)

__all__ = ["RMSprop"]


class RMSprop(_SingleTensorOptimizer):
    """RMSprop with torch.optim.RMSprop's options, state (step, square_avg, momentum_buffer,
    grad_avg) and the single-tensor algorithm's arithmetic order."""

    _group_defaults = (("momentum", 0), ("centered", False), ("foreach", None),
                       ("maximize", False), ("differentiable", False), ("capturable", False))

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check_non_negative(("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("alpha value", alpha))
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_implemented(capturable=capturable, differentiable=differentiable)

    def _update(self, p, group):
        buffers = [name for name, wanted in (("momentum_buffer", group["momentum"] > 0),
                                             ("grad_avg", group["centered"])) if wanted]
        state = self._lazy_state(p, "square_avg", *buffers)
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
