"""Module hooks: handles (torch.utils.hooks.RemovableHandle), the call with hooks, and full
backward hooks (torch.utils.hooks.BackwardHook)."""

from __future__ import annotations

import itertools
import warnings

from ember._ops._op import Op
from ember._tensor import Tensor
from ember.autograd.grad_mode import state as _grad_state

_NO_INPUT_GRAD = (
    "Full backward hook is firing when gradients are computed with respect to module outputs "
    "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
    "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.")


class RemovableHandle:
    """Removes a hook from the dict (or dicts) it was registered in (torch's RemovableHandle)."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._next_id)
        if extra_dict is None:
            extra_dict = []
        self.extra_dicts = extra_dict if isinstance(extra_dict, list) else [extra_dict]

    def remove(self):
        for d in (self.hooks_dict, *self.extra_dicts):
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, prepend=False, flags=()):
    """Register ``hook`` in the ordered dict ``hooks`` (first if ``prepend``) and mark it in
    each dict of ``flags`` (e.g. "called with kwargs"). Returns the handle."""
    handle = RemovableHandle(hooks, extra_dict=list(flags))
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    for marks in flags:
        marks[handle.id] = True
    return handle


def call_with_hooks(self, args, kwargs):
    """Module.__call__ when hooks are registered, in torch's order: forward pre-hooks (which may
    replace the arguments), backward-hook setup on the inputs, forward, forward hooks (which
    may replace the output), backward-hook setup on the outputs."""
    for hook_id, hook in self._forward_pre_hooks.items():
        if hook_id in self._forward_pre_hooks_with_kwargs:
            out = hook(self, args, kwargs)
            if out is not None:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {out}.")
                args, kwargs = out
        else:
            out = hook(self, args)
            if out is not None:
                args = out if isinstance(out, tuple) else (out,)
    backward_hook = None
    if self._backward_hooks or self._backward_pre_hooks:
        backward_hook = BackwardHook(self, self._backward_hooks, self._backward_pre_hooks)
        args = tuple(backward_hook.setup_input_hook(args))
    result = self.forward(*args, **kwargs)
    for hook_id, hook in self._forward_hooks.items():
        if hook_id in self._forward_hooks_with_kwargs:
            out = hook(self, args, kwargs, result)
        else:
            out = hook(self, args, result)
        if out is not None:
            result = out
    if backward_hook is not None:
        result = backward_hook.setup_output_hook(result)
    return result


class BackwardHookFunctionBackward(Op):
    """Identity on several tensors; its node is where a module's backward hooks are attached
    (torch's BackwardHookFunction, whose node has this name)."""

    promote = "keep"

    def forward(self, *arrays):
        return arrays

    def backward(self, *grads):
        return grads


class BackwardHook:
    """One forward call's full backward hooks: the module's inputs and outputs pass through
    identity nodes, so that the gradients w.r.t. both can be seen (and replaced), as in torch."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_positions = None  # positions of the inputs whose gradients flow

    def setup_input_hook(self, args):
        """Pass the inputs that require grad through an identity node whose post-hook calls
        hook(module, grad_input, grad_output) and may replace grad_input."""
        self.n_inputs = len(args)
        wrapped, positions, node = _through_identity(args)
        if node is not None:
            self.input_positions = positions
            node.register_hook(self._input_hook)
        return wrapped

    def setup_output_hook(self, result):
        """Pass the outputs through an identity node whose pre-hook records grad_output (after
        the backward pre-hooks had their say)."""
        single = isinstance(result, Tensor)
        outputs = (result,) if single else result
        if not isinstance(outputs, (tuple, list)):
            return result
        self.n_outputs = len(outputs)
        wrapped, positions, node = _through_identity(outputs)
        if node is None:
            return result
        node.register_prehook(lambda grads: self._output_hook(grads, positions))
        return wrapped[0] if single else type(outputs)(wrapped)

    def _output_hook(self, grads, positions):
        packed = _pack(grads, positions, self.n_outputs)
        for hook in self.user_pre_hooks.values():
            replaced = hook(self.module, packed)
            if replaced is not None:
                packed = replaced if isinstance(replaced, tuple) else (replaced,)
        self.grad_outputs = packed
        if self.input_positions is None and self.user_hooks:
            # no input needs a gradient: the hooks run now, with grad_input all None
            warnings.warn(_NO_INPUT_GRAD, stacklevel=1)
            self._run_hooks((None,) * self.n_inputs, must_return_none=True)
        return tuple(packed[i] for i in positions)

    def _input_hook(self, grad_inputs, _grad_outputs):
        packed = _pack(grad_inputs, self.input_positions, self.n_inputs)
        replaced = self._run_hooks(packed)
        if replaced is None:
            return None
        return tuple(replaced[i] for i in self.input_positions)

    def _run_hooks(self, grad_input, must_return_none=False):
        replaced = None
        for hook in self.user_hooks.values():
            out = hook(self.module, grad_input, self.grad_outputs)
            if out is None:
                continue
            if must_return_none and any(g is not None for g in out):
                raise RuntimeError("Backward hook for Modules where no input requires gradient "
                                   "should always return None or None for all gradients.")
            if len(out) != len(grad_input):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(grad_input)}")
            grad_input = replaced = tuple(out)
        return replaced


def _through_identity(values):
    """The values with every tensor that requires grad replaced by an output of one
    identity node; also their positions and the node (None when grad mode is off or no
    tensor requires grad)."""
    positions = [i for i, v in enumerate(values)
                 if isinstance(v, Tensor) and v.requires_grad]
    if not positions or not _grad_state.enabled:
        return list(values), positions, None
    outs = BackwardHookFunctionBackward().apply(*(values[i] for i in positions))
    wrapped = list(values)
    for i, out in zip(positions, outs):
        wrapped[i] = out
    return wrapped, positions, outs[0].grad_fn


def _pack(grads, positions, n):
    packed = [None] * n
    for i, g in zip(positions, grads):
        packed[i] = g
    return tuple(packed)
