"""Custom autograd functions: torch.autograd.Function with its ctx API, on the same Node machinery
as the built-in Ops.

``ctx`` is the graph node itself (an instance of ``<Name>Backward``), as in torch: it saves tensors
with ``save_for_backward`` (version-checked, freed after backward unless retain_graph), knows
``needs_input_grad``, and accepts ``mark_dirty``, ``mark_non_differentiable`` and
``set_materialize_grads``.
"""

from __future__ import annotations

import functools

from ember._dtype import FLOAT
from ember._ops._node import Node
from ember._ops._op import _edge, _raise_freed, _raise_modified, _SavedOutput, _sequence
from ember.autograd.grad_mode import no_grad
from ember.autograd.grad_mode import state as _grad_state


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


class FunctionCtx:
    """The ctx methods used inside forward / setup_context (torch.autograd.function.FunctionCtx)."""

    to_save = ()
    _dirty = ()
    _non_differentiable = ()
    materialize_grads = True

    def save_for_backward(self, *tensors):
        Tensor = _tensor_cls()
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is "
                                f"of type {type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value


class BackwardCFunction(FunctionCtx, Node):
    """The node of one custom Function call; the engine calls ``backward`` on it."""

    _forward_cls = None
    _saved = ()
    __repr__ = object.__repr__  # torch shows these Python nodes with their module path

    @property
    def next_functions(self):
        # only tensor arguments are edges of a custom Function's node
        return tuple(e if e else (None, 0) for e in self._edges if e is not False)

    @property
    def saved_tensors(self):
        if self._freed:
            _raise_freed()
        return tuple(self._unpack(e) for e in self._saved)

    saved_variables = saved_tensors

    def _unpack(self, entry):
        if entry is None:
            return None
        kind, value, version = entry
        if value._version.value != version:
            _raise_modified(value, version, self)
        if kind == "tensor":
            return value
        out = _tensor_cls()._make(value._data, self._output_device)
        out.grad_fn, out._output_nr, out._requires_grad = self, value._output_nr, True
        return out

    def backward(self, *grads):
        fn = self._forward_cls
        user_backward = fn.vjp if fn.backward is Function.backward else fn.backward
        results = user_backward(self, *grads)
        if not isinstance(results, tuple):
            results = (results,)
        return self._check_count(results)

    def _check_count(self, results):
        n = len(self._edges)
        if len(results) > n and all(r is None for r in results[n:]):
            results = results[:n]  # torch tolerates trailing Nones
        if len(results) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(results)})")
        for i, (edge, r) in enumerate(zip(self._edges, results)):
            if edge is False and r is not None:
                raise RuntimeError(f"function {self.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward "
                                   "input was not a Variable")
        return results


class FunctionMeta(type):
    """Gives every Function subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class for custom differentiable operations (torch.autograd.Function)."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method. (Example: https://pytorch.org/docs/stable/autograd."
                           "html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward without recording, then make the outputs point at one new node."""
        Tensor = _tensor_cls()
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = _grad_state.enabled and any(ctx.needs_input_grad)
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        outputs = output if isinstance(output, tuple) else (output,)
        if record:
            outputs = _record(ctx, args, outputs, Tensor)
        return outputs if isinstance(output, tuple) else outputs[0]


def _record(ctx, args, outputs, Tensor):
    ctx._seq = next(_sequence)
    ctx._edges = tuple(_edge(a) if isinstance(a, Tensor) else False for a in args)
    ctx._input_meta = tuple((a.shape, a.dtype) if isinstance(a, Tensor) else None for a in args)
    ctx._n_outputs = len(outputs)
    ctx._output_meta = tuple((o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None
                             for o in outputs)
    wrapped = tuple(_wrap_output(ctx, nr, o, args, Tensor) for nr, o in enumerate(outputs))
    ctx._output_device = next((o.device for o in wrapped if isinstance(o, Tensor)), None)
    ctx._saved = [_save_entry(t, wrapped) for t in ctx.to_save]
    ctx.to_save = ()
    return wrapped


def _wrap_output(ctx, nr, out, args, Tensor):
    if not isinstance(out, Tensor):
        return out
    dirty = any(out is d for d in ctx._dirty)
    if dirty and out.grad_fn is None and out._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation.")
    if not dirty and any(out is a for a in args):
        with no_grad():
            out = out.view_as(out)  # an input returned as is becomes an alias with new history
    if any(out is t for t in ctx._non_differentiable) or out.dtype.category < FLOAT:
        return out  # not differentiable: no history (torch's rule for integer outputs too)
    out.grad_fn, out._output_nr, out._requires_grad = ctx, nr, True
    return out


def _save_entry(t, outputs):
    if t is None:
        return None
    if any(t is o for o in outputs):
        # an output is kept without a reference to the tensor: that would be a cycle
        return ("output", _SavedOutput(t), t._version.value)
    return ("tensor", t, t._version.value)


def once_differentiable(backward):
    """Decorator for a backward that is not itself differentiable: it runs without recording."""

    @functools.wraps(backward)
    def wrapper(ctx, *args):
        with no_grad():
            return backward(ctx, *args)

    return wrapper
