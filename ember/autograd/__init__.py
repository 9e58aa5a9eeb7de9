"""ember.autograd: reverse-mode automatic differentiation, as torch.autograd."""

from ember.autograd import anomaly_mode, grad_mode
from ember.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from ember.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck


def _as_tuple(x):
    from ember._tensor import Tensor

    if x is None:
        return None
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _make_grads(outputs, grads):
    """One gradient per output (None: implicit, for scalars); torch's TypeError otherwise."""
    from ember._tensor import Tensor

    grads = _as_tuple(grads) or (None,) * len(outputs)
    for g in grads[:len(outputs)]:
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves' .grad (torch.autograd.backward)."""
    from ember.autograd.engine import run_backward as _run_backward

    tensors = _as_tuple(tensors)
    grads = _make_grads(tensors, grad_tensors if grad_variables is None else grad_variables)
    inputs = _as_tuple(inputs)
    if inputs is not None and not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    _run_backward(tensors, grads, retain_graph, create_graph, inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of outputs w.r.t. inputs, returned, not accumulated (torch.autograd.grad)."""
    from ember._ops.creation import zeros_like
    from ember.autograd.engine import run_backward as _run_backward

    if is_grads_batched:
        raise NotImplementedError("ember.autograd.grad: is_grads_batched=True is not supported")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads="
                         "True, but got: allow_unused=False.")
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grads = _make_grads(outputs, grad_outputs)
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    result = _run_backward(outputs, grads, retain_graph, create_graph, inputs, accumulate=False,
                           allow_unused=allow_unused)
    if materialize_grads:
        result = tuple(zeros_like(t) if g is None else g for t, g in zip(inputs, result))
    return result


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        from ember._tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """The legacy Variable wrapper: calling it returns a tensor (as in torch since 0.4) that shares
    memory and version counter with ``data``; every tensor is an instance of it."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        from ember._ops.creation import tensor

        out = tensor([]) if data is None else data.detach()
        return out.requires_grad_(requires_grad)


# NOTE: every `import ember` runs this file (the engine is a submodule), and few scripts write
# custom Functions or take Jacobians: those modules load on first attribute access (PEP 562).
_LAZY_SUBMODULES = frozenset({"function", "functional"})
_LAZY_NAMES = {"Function": "function", "once_differentiable": "function"}  # name -> submodule


def __getattr__(name):
    import importlib

    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")  # the import binds it here too
    if name in _LAZY_NAMES:
        module = importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}")
        value = globals()[name] = getattr(module, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES | set(_LAZY_NAMES))


__all__ = ["backward", "grad", "Variable", "Function", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "gradcheck", "gradgradcheck", "GradcheckError",
           "detect_anomaly", "set_detect_anomaly", "anomaly_mode", "function", "grad_mode"]
