"""The backward engine: one routine serves Tensor.backward and autograd.grad.

Nodes run from a heap in decreasing sequence number. Every consumer of a node was created after
it, so when a node comes off the heap all gradient contributions to it have arrived: no recursion,
no depth limit. Broadcasting is undone here, once: each input's gradient is summed to the input's
shape and cast to its dtype before it is passed on.
"""

from __future__ import annotations

import heapq
import weakref

from ember._ops._op import Node, _RemovableHandle
from ember.autograd.grad_mode import set_grad_enabled


class AccumulateGrad(Node):
    """The node of a leaf: adds the incoming gradient into ``variable.grad``."""

    _seq = -1  # runs after every node that feeds it
    _edges = ()

    def __init__(self, variable):
        self.variable = variable
        self.needs_input_grad = ()

    def accumulate(self, grad, create_graph):
        leaf = self.variable
        if leaf.grad is None:
            # NOTE: the first gradient is copied, never aliased: the same tensor may reach
            # several leaves, and later accumulation happens in place
            leaf.grad = grad if create_graph else grad.detach().clone()
        elif create_graph:
            leaf.grad = leaf.grad + grad
        else:
            leaf.grad._data = leaf.grad._data + grad._data
            leaf.grad._version.value += 1
        for hook in leaf._post_acc_hooks or ():
            hook(leaf)


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def sum_to(grad, shape):
    """Sum a broadcast gradient back to ``shape`` (leading dims, and dims that were 1)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and grad.shape[i + lead] != 1)
    if dims:
        grad = grad.sum(dims, keepdim=True)
    return grad.reshape(shape) if grad.shape != shape else grad


def _root_edge(t):
    if t.grad_fn is not None:
        return t.grad_fn, t._output_nr
    if not t._requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn")
    return t._grad_accumulator(), 0


def _initial_grad(t, grad):
    from ember._ops.creation import ones_like, tensor

    if grad is None:
        if t.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return ones_like(t)
    if not isinstance(grad, _tensor_cls()):
        grad = tensor(grad, dtype=t.dtype, device=t.device)
    if grad.shape != t.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {grad.shape} and "
                           f"output[0] has a shape of {t.shape}.")
    return grad


def run_backward(roots, grads, retain_graph, create_graph, inputs=None, accumulate=True,
                 allow_unused=False):
    """Propagate ``grads`` from ``roots``. With ``inputs``, capture (and only reach) their
    gradients; with ``accumulate`` leaves' .grad receive them, else they are returned."""
    if retain_graph is None:
        retain_graph = create_graph
    buffers = {}
    heap = []
    for t, g in zip(roots, grads):
        node, nr = _root_edge(t)
        _add_to_buffer(buffers, heap, node, nr, _initial_grad(t, g))
    targets = _targets(inputs) if inputs is not None else None
    needed = _needed_nodes(heap, targets) if targets is not None else None
    captured = {}
    with set_grad_enabled(create_graph):
        while heap:
            _, _, node = heapq.heappop(heap)
            node_grads = _run_pre_hooks(node, buffers.pop(node))
            if targets is not None:
                for nr, g in enumerate(node_grads):
                    if (node, nr) in targets:
                        captured[(node, nr)] = g
                if not accumulate:
                    if node.__class__ is AccumulateGrad or node not in needed:
                        continue
                elif node not in needed and (node, 0) not in targets:
                    continue
            if node.__class__ is AccumulateGrad:
                if node_grads[0] is not None:
                    node.accumulate(node_grads[0], create_graph)
                continue
            _call_node(node, node_grads, buffers, heap, needed, retain_graph)
    if targets is None:
        return None
    return _results(inputs, targets, captured, accumulate, allow_unused)


def _call_node(node, node_grads, buffers, heap, needed, retain_graph):
    grads = [g if g is not None else _zeros_for(node, i) for i, g in enumerate(node_grads)]
    results = node.backward(*grads)
    if not isinstance(results, tuple):
        results = (results,)
    if node._post_hooks:
        for hook in node._post_hooks:
            hook(results, tuple(grads))
    if not retain_graph:
        node._saved, node._freed = (), bool(node._saved) or node._freed
    for edge, meta, g in zip(node._edges, node._input_meta, results):
        if not edge or g is None:
            continue
        shape, dtype = meta
        if g.shape != shape:
            g = sum_to(g, shape)
        if g.dtype is not dtype:
            g = g.to(dtype)
        next_node, nr = edge
        if needed is None or next_node in needed:
            _add_to_buffer(buffers, heap, next_node, nr, g)


def _zeros_for(node, output_nr):
    # a multi-output node whose other outputs got no gradient receives zeros for them
    from ember._ops.creation import zeros

    shape, dtype, device = node._output_meta[output_nr]
    return zeros(shape, dtype=dtype, device=device)


def _add_to_buffer(buffers, heap, node, nr, grad):
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * getattr(node, "_n_outputs", 1)
        heapq.heappush(heap, (-node._seq, id(node), node))
    slots[nr] = grad if slots[nr] is None else slots[nr] + grad


def _run_pre_hooks(node, grads):
    if node.__class__ is AccumulateGrad:
        hooks = node.variable._hooks
        if hooks:
            grads = [_apply_hooks(hooks, grads[0])]
        return grads
    if node._pre_hooks:
        for nr, hooks in node._pre_hooks.items():
            if nr >= 0 and grads[nr] is not None:
                grads[nr] = _apply_hooks(hooks, grads[nr])
        for hook in node._pre_hooks.get(-1, ()):
            replaced = hook(tuple(grads))
            if replaced is not None:
                grads = list(replaced)
    return grads


def _apply_hooks(hooks, grad):
    for hook in list(hooks):
        result = hook(grad)
        if result is not None:
            grad = result
    return grad


def _targets(inputs):
    targets = {}
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        edge = (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._grad_accumulator(), 0)
        targets[edge] = i
    return targets


def _needed_nodes(heap, targets):
    """Nodes from which some target can be reached (the graph is pruned to these)."""
    target_nodes = {node for node, _ in targets}
    order, seen, stack = [], set(), [entry[2] for entry in heap]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(e[0] for e in node._edges if e)
    needed = set(target_nodes)
    for node in sorted(order, key=lambda n: n._seq):  # producers before consumers
        if any(e and e[0] in needed for e in node._edges):
            needed.add(node)
    return needed


def _results(inputs, targets, captured, accumulate, allow_unused):
    out = []
    for t in inputs:
        edge = (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._grad_accumulator(), 0)
        g = captured.get(edge)
        if g is None and not allow_unused and not accumulate:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                               "in the graph. Set allow_unused=True if this is the desired "
                               "behavior.")
        if accumulate and g is not None and t.grad_fn is not None:
            t.grad = g if t.grad is None else t.grad + g
        out.append(g)
    return tuple(out)


# -- public entry points --------------------------------------------------------------------------


def backward(tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Tensor.backward."""
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, _tensor_cls()) else tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward((tensor,), (gradient,), retain_graph, create_graph, inputs, accumulate=True)


def register_tensor_hook(t, hook):
    """Tensor.register_hook: hook(grad) may return a replacement gradient."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is None:
        if t._hooks is None:
            t._hooks = []
        t._hooks.append(hook)
        return _RemovableHandle(t._hooks, hook)
    hooks = t.grad_fn._pre_hooks_for(t._output_nr)
    hooks.insert(len(hooks) - (1 if t._retains_grad else 0), hook)  # retain_grad's hook runs last
    return _RemovableHandle(hooks, hook)


def register_post_accumulate_hook(t, hook):
    if t.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
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
            target.grad = grad.detach().clone() if target.grad is None else target.grad + grad

    t.grad_fn._pre_hooks_for(t._output_nr).append(keep)
    t._retains_grad = True
