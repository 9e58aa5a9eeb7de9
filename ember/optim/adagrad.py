"""Adagrad (torch.optim.Adagrad)."""

from __future__ import annotations

from ember._ops.creation import full_like
from ember._tensor import Tensor
from ember.optim._single_tensor import (
    _add_weight_decay,
    _arr,
    _check_non_negative,
    _check_not_implemented,
    _grad,
    _new_scalar,
    _SingleTensorOptimizer,
    _value,
    _xp,
)

__all__ = ["Adagrad"]


class Adagrad(_SingleTensorOptimizer):
    """Adagrad with torch.optim.Adagrad's options (lr_decay, initial_accumulator_value) and
    state (step, sum), which torch creates for every parameter in the constructor."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("fused", None))
    _scalar_state = ()  # torch converts ``step`` over all of self.state: see __setstate__

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_non_negative(("learning rate", lr), ("lr_decay value", lr_decay),
                            ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value),
                            ("epsilon value", eps))
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_not_implemented(fused=fused, differentiable=differentiable, foreach=foreach)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        value = self.defaults["initial_accumulator_value"]
        state["step"] = _new_scalar(0.0)
        state["sum"] = full_like(p, complex(value, value) if p.is_complex() else value)
        return state

    def __setstate__(self, state):
        """torch's Adagrad.__setstate__: group defaults, then every numeric ``step`` a tensor."""
        super().__setstate__(state)
        for p_state in self.state.values():
            if "step" in p_state and not isinstance(p_state["step"], Tensor):
                p_state["step"] = _new_scalar(p_state["step"])

    def share_memory(self):
        """A no-op kept for torch's API: ember tensors are not shared between processes."""

    def _update(self, p, group):
        state = self.state[p] or self._init_state(p)
        state["step"]._data += 1
        step = state["step"].item()
        param = _arr(p)
        grad = _add_weight_decay(_grad(p, group["maximize"]), param, group["weight_decay"])
        clr = _value(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        state_sum = _arr(state["sum"])
        state_sum += grad * grad
        std = _xp(p).sqrt(state_sum)
        std += group["eps"]
        param += -clr * grad / std
