"""ember.autograd: reverse-mode automatic differentiation, as torch.autograd."""

from ember.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.autograd.gradcheck import gradcheck, gradgradcheck


def _as_tuple(x):
    from ember._tensor import Tensor

    if x is None:
        return None
    return (x,) if isinstance(x, Tensor) else tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves' .grad (torch.autograd.backward)."""
    from ember.autograd.engine import run_backward as _run_backward

    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) or (None,) * len(tensors)
    _run_backward(tensors, grads, retain_graph, create_graph, _as_tuple(inputs), accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of outputs w.r.t. inputs, returned, not accumulated (torch.autograd.grad)."""
    from ember._ops.creation import zeros_like
    from ember.autograd.engine import run_backward as _run_backward

    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grads = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    result = _run_backward(outputs, grads, retain_graph, create_graph, inputs, accumulate=False,
                           allow_unused=allow_unused)
    if materialize_grads:
        result = tuple(zeros_like(t) if g is None else g for t, g in zip(inputs, result))
    return result


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802 - torch's legacy name
    """The legacy Variable wrapper: returns a tensor, as torch has since 0.4."""
    out = data.detach()
    out.requires_grad_(requires_grad)
    return out


__all__ = ["backward", "grad", "Variable", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck"]
