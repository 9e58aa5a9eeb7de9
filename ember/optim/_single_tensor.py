"""What the built-in optimizers share: the step loop, scalar state, argument checks, and the
in-place array operations their updates are written with (torch's single-tensor algorithms,
in torch's arithmetic order, on the parameters' own memory)."""

from __future__ import annotations

from ember import _dtype
from ember._backend import xp_of
from ember._tensor import Tensor
from ember.autograd.grad_mode import enable_grad, no_grad
from ember.optim.optimizer import Optimizer


def _get_scalar_dtype():
    """The dtype of ``state["step"]`` and other scalar state: float64 when that is the default
    dtype, else float32 (torch's _get_scalar_dtype)."""
    return _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32


def _value(x):
    """A hyperparameter as a Python number (a one-element tensor lr is read with item())."""
    return x.item() if isinstance(x, Tensor) else x


def _check_lr(lr):
    """torch's learning-rate checks: a tensor lr has one element, and lr >= 0."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_non_negative(*named_values):
    """torch's ``if not 0.0 <= value: raise ValueError(f"Invalid {name}: {value}")``, for each
    (name, value) pair in order."""
    for name, value in named_values:
        if not 0.0 <= value:
            raise ValueError(f"Invalid {name}: {value}")


def _check_beta_range(betas):
    """torch's 0 <= beta < 1 check on each of (beta1, beta2), in its words."""
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _check_lr_eps_betas_wd(lr, betas, eps, weight_decay):
    """The checks Adam, Adamax, NAdam and RAdam share, in torch's order and words."""
    _check_lr(lr)
    _check_non_negative(("epsilon value", eps))
    _check_beta_range(betas)
    _check_non_negative(("weight_decay value", weight_decay))


def _check_not_implemented(fused=None, capturable=False, differentiable=False, foreach=None):
    """torch's refusals of fused with differentiable or foreach (RuntimeError); then, as ember
    runs the single-tensor algorithm only, fused kernels, CUDA-graph capture and
    differentiating through the step are refused by name."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    for name, value in (("fused", fused), ("capturable", capturable),
                        ("differentiable", differentiable)):
        if value:
            raise NotImplementedError(f"ember.optim does not implement {name}=True; the "
                                      f"single-tensor (foreach=False) algorithm is used")


def _closure_loss(closure):
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _step_each_param(optimizer, closure, update):
    """The body shared by the built-in ``step`` methods: evaluate the closure with grad
    enabled, then call ``update(p, group)`` under no_grad for every parameter with a grad."""
    loss = _closure_loss(closure)
    with no_grad():
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    update(p, group)
                    p._version.value += 1  # the parameter was written in place
    return loss


def _steps_to_tensors(optimizer, group, keys=("step",)):
    """State loaded from old checkpoints may hold ``step`` (and other scalar ``keys``) as
    Python numbers; torch turns them into scalar tensors."""
    for p in group["params"]:
        p_state = optimizer.state.get(p, [])
        for key in keys:
            if len(p_state) != 0 and not isinstance(p_state[key], Tensor):
                p_state[key] = _new_scalar(p_state[key])


class _SingleTensorOptimizer(Optimizer):
    """What the built-in optimizers share: ``step`` (the closure, then ``self._update(p, group)``
    for each parameter with a grad), torch's ``__setstate__`` and lazy state creation.

    Subclasses list in ``_group_defaults`` the (option, default) pairs torch's ``__setstate__``
    fills into param groups from older checkpoints, in torch's order, and in ``_scalar_state``
    the per-parameter state it turns from Python numbers into scalar tensors.
    """

    _group_defaults = ()
    _scalar_state = ("step",)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in self._group_defaults:
                group.setdefault(key, value)
            _steps_to_tensors(self, group, self._scalar_state)

    def step(self, closure=None):
        """One optimizer step; returns the closure's loss (if a closure is given)."""
        return _step_each_param(self, closure, self._update)

    def _update(self, p, group):
        raise NotImplementedError

    def _lazy_state(self, p, *zero_buffers, **scalars):
        """``self.state[p]``, on first use filled as torch's _init_group does: ``step`` = 0,
        then the given scalar-dtype ``scalars``, then zero buffers shaped like ``p``."""
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_scalar(0.0)
            for name, value in scalars.items():
                state[name] = _new_scalar(value)
            for name in zero_buffers:
                state[name] = _zeros_like(p)
        return state


def _new_scalar(value, device=None):
    """A 0-dim tensor of the scalar dtype, as torch keeps ``step`` and similar state (on the
    CPU unless a device is given)."""
    from ember._ops.creation import tensor

    return tensor(float(value), dtype=_get_scalar_dtype(), device=device)


def _zeros_like(p):
    from ember._ops.creation import zeros_like

    return zeros_like(p)


def _arr(t):
    """The array an update writes into: the tensor's own memory, a complex tensor seen as
    interleaved (real, imag) pairs as torch's view_as_real does in its optimizers."""
    a = t._data
    return a.view(a.real.dtype) if a.dtype.kind == "c" else a


def _grad(p, maximize):
    g = _arr(p.grad)
    return -g if maximize else g


def _xp(p):
    return xp_of(p.device)


def _lerp_(a, end, weight):
    """``a.lerp_(end, weight)`` in place with torch's two formulas: a + w * (end - a) for
    |w| < 0.5, else end - (end - a) * (1 - w)."""
    if abs(weight) < 0.5:
        a += weight * (end - a)
    else:
        one_minus = a.dtype.type(1) - a.dtype.type(weight)
        a[...] = end - (end - a) * one_minus


def _add_weight_decay(grad, param, weight_decay):
    """``grad.add(param, alpha=weight_decay)``: a new array, the gradient is not modified."""
    weight_decay = _value(weight_decay)
    return grad + weight_decay * param if weight_decay != 0 else grad
