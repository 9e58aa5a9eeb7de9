"""What the built-in optimizers share: the step loop, scalar state, argument checks, and the
in-place array operations their updates are written with (torch's single-tensor algorithms,
in torch's arithmetic order, on the parameters' own memory)."""

from __future__ import annotations

from ember import _dtype
from ember._backend import xp_of
from ember._tensor import Tensor
from ember.autograd.grad_mode import enable_grad, no_grad


def _get_scalar_dtype():
    """The dtype of ``state["step"]`` and other scalar state: float64 when that is the default
    dtype, else float32 (torch's _get_scalar_dtype)."""
    return _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32


def _value(x):
    """A hyperparameter as a Python number (a one-element tensor lr is read with item())."""
    return x.item() if isinstance(x, Tensor) else x


def _check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_not_implemented(fused=None, capturable=False, differentiable=False):
    """ember runs the single-tensor algorithm only: fused kernels, CUDA-graph capture and
    differentiating through the step are refused by name."""
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
