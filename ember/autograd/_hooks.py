"""Hook registration for tensors (register_hook, register_post_accumulate_grad_hook,
retain_grad), with torch's rules and messages. The engine runs the hooks."""

from __future__ import annotations

import weakref

from ember._ops._node import _RemovableHandle


class _LeafHooks:
    """Whether any leaf was ever given a hook: until then the engine skips looking for them."""

    registered = False


leaf_hooks = _LeafHooks()


def register_tensor_hook(t, hook):
    """Tensor.register_hook: hook(grad) may return a replacement gradient."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is None:
        leaf_hooks.registered = True
        if t._hooks is None:
            t._hooks = []
        t._hooks.append(hook)
        return _RemovableHandle(t._hooks, hook)
    hooks = t.grad_fn._pre_hooks_for(t._output_nr)
    keep = t.__dict__.get("_retain_hook")
    hooks.insert(len(hooks) - (keep in hooks), hook)  # retain_grad's hook stays last
    return _RemovableHandle(hooks, hook)


def register_post_accumulate_hook(t, hook):
    """Tensor.register_post_accumulate_grad_hook: hook(tensor) after .grad is updated."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    leaf_hooks.registered = True
    if t._post_acc_hooks is None:
        t._post_acc_hooks = []
    t._post_acc_hooks.append(hook)
    return _RemovableHandle(t._post_acc_hooks, hook)


def retain_grad(t):
    """Tensor.retain_grad: a non-leaf keeps its .grad after backward."""
    if not t._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t.grad_fn is None or t._retains_grad:
        return
    ref = weakref.ref(t)

    def keep(grad):
        target = ref()
        if target is not None:
            old = target._grad
            # NOTE: not detached: under create_graph the retained gradient keeps its graph
            target._grad = grad.clone() if old is None else old + grad

    t.grad_fn._pre_hooks_for(t._output_nr).append(keep)
    t._retain_hook = keep
    t._retains_grad = True


def move_retain_grad(t, old_node, old_nr):
    """After an in-place op gave ``t`` a new grad_fn, its retained .grad follows it (torch)."""
    keep = t.__dict__.get("_retain_hook")
    if keep is None or old_node is None:
        return
    hooks = old_node._pre_hooks_for(old_nr)
    if keep in hooks:
        hooks.remove(keep)
    t.grad_fn._pre_hooks_for(t._output_nr).append(keep)
