"""The backward engine: one routine serves Tensor.backward, autograd.backward and autograd.grad.

As in torch's engine, a first pass counts, for every node reachable from the roots, how many edges
lead into it; a node becomes ready when all of them have delivered their gradient, and ready nodes
run from a priority queue (highest sequence number first, AccumulateGrad before anything else). No
recursion, so no depth limit. Broadcasting is undone here, once: each input's gradient is summed to
the input's shape and cast to its dtype before it is passed on. The leaves' node (AccumulateGrad)
is in _accumulate.py, the ready queue in _ready_queue.py.
"""

from __future__ import annotations

import sys
from heapq import heappop, heappush, heapreplace

import numpy

from ember._device import device
from ember._ops import _op
from ember.autograd._accumulate import AccumulateGrad
from ember.autograd._hooks import leaf_hooks as leaf_hooks_state
from ember.autograd._ready_queue import _ReadyQueue
from ember.autograd.anomaly_mode import check_nan
from ember.autograd.anomaly_mode import state as anomaly_state
from ember.autograd.grad_mode import state as _grad_state


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


def _expandable(shape, to):
    if len(shape) > len(to):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(to)))


# -- one backward pass ----------------------------------------------------------------------------


class _GraphTask:
    """The state of one backward pass: dependency counts, input buffers, the ready queue and,
    with ``inputs``, the targets whose gradients are captured."""

    def __init__(self, retain_graph, create_graph, accumulate):
        self.retain_graph, self.create_graph, self.accumulate = (retain_graph, create_graph,
                                                                 accumulate)
        self.targets = None  # {(node, output_nr): index in inputs}
        self.needed = None  # nodes that lead to a target: the rest of the graph is skipped
        self.captured = {}

    def execute(self, root_edges, root_grads, inputs):
        deps, leaf_hooks = _count_dependencies(root_edges)
        previous_mode = _grad_state.enabled
        _grad_state.enabled = self.create_graph
        try:
            if inputs is None and not leaf_hooks and not self.create_graph and not (
                    anomaly_state.enabled):
                _run_lean(root_edges, [g if g is None else g._data for g in root_grads], deps,
                          not self.retain_graph, self.accumulate)
            else:
                if inputs is not None:
                    self.targets = {_grad_edge(t): i for i, t in enumerate(inputs)}
                    self.needed = _nodes_leading_to(self.targets, deps)
                self._run_ordered(root_edges, root_grads, deps)
        finally:
            _grad_state.enabled = previous_mode

    def _run_ordered(self, root_edges, root_grads, deps):
        """Every node, leaves included, from one ready queue in torch's exact order (leaf hooks
        fire in torch's order); with ``inputs=``, only what leads to them."""
        targets, needed, create_graph = self.targets, self.needed, self.create_graph
        accumulate, free = self.accumulate, not self.retain_graph
        buffers = {}
        ready = _ReadyQueue()

        def deliver(node, nr, grad):
            _deliver_to_slot(buffers, node, nr, grad)
            left = deps[node] - 1
            deps[node] = left
            if not left:
                ready.push(node)

        for (node, nr), grad in zip(root_edges, root_grads):
            deliver(node, nr, grad)
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None) or [None] * node._n_outputs
            if node.__class__ is AccumulateGrad:
                grads = _run_pre_hooks(node, grads)
                if targets is not None and (node, 0) in targets:
                    self.captured[(node, 0)] = grads[0]
                if accumulate and grads[0] is not None and (needed is None or node in needed):
                    node.accumulate(grads[0], create_graph)
                continue
            if node._pre_hooks:
                grads = _run_pre_hooks(node, grads)
            edges = node._edges
            if targets is not None:
                for nr, g in enumerate(grads):
                    if (node, nr) in targets:
                        self.captured[(node, nr)] = g
                if not any(e and e[0] in needed for e in edges):
                    continue  # a captured non-leaf input: nothing beyond it is wanted
            for (child, nr), g in _run_node(node, grads, free, needed):
                deliver(child, nr, g)


def _run_node(node, grads, free, needed=None):
    """Run a node's backward and return (edge, gradient) for each input it feeds (only those
    leading to ``needed`` nodes, when given), each gradient fitted to its input's shape and
    dtype; without retain_graph, the node's saved values are freed."""
    results = _call(node, grads)
    if free and node._saved:
        node._saved, node._freed = (), True
    out = []
    meta = node._input_meta
    for i, edge in enumerate(node._edges):
        if edge and (needed is None or edge[0] in needed):
            g = results[i]
            if g is not None:
                shape, dtype = meta[i]
                if g._data.shape != shape or g.dtype is not dtype:
                    g = _fit(node, i, g)
            out.append((edge, g))
    return out


def _run_lean(root_edges, root_arrays, deps, free, accumulate):
    """The common backward: no create_graph, no leaf hooks, no ``inputs=``. Gradients flow
    as raw arrays (nothing of this pass is differentiated again) and nodes run highest
    sequence number first, as in torch (so gradients are summed in torch's order); a leaf's
    gradient is accumulated as soon as all of it has arrived. Written flat, the node's run
    and the delivery of its results in one loop: it runs for every edge of the graph."""
    partial = {}  # node: its gradient so far, while more are to come (a list: several outputs)
    heap = []  # (-sequence number, node, its gradients)
    node, edges, metas = None, root_edges, [None] * len(root_edges)
    results = root_arrays
    while True:
        first = None  # the first node this round makes ready: it may run next without the heap
        for edge, g, meta in zip(edges, results, metas):
            if not edge:
                continue
            child, nr = edge
            if g is not None and meta is not None:
                shape, dtype = meta
                if g.shape != shape or (g.dtype is not dtype.np and g.dtype != dtype.np):
                    g = _fit_array(node, meta, g)
            left = deps[child] - 1
            deps[child] = left
            if child._n_outputs != 1:
                _deliver_to_slot(partial, child, nr, g)
                if left:
                    continue
                ready = partial.pop(child, None) or [None] * child._n_outputs
            else:
                if left:
                    if g is not None:
                        old = partial.get(child)
                        partial[child] = g if old is None else old + g
                    continue
                # NOTE: who holds a delivered ``g`` when only this loop does: ``results``,
                # zip's reused tuple, g and getrefcount's argument; a sum made here: the last two
                held = 4
                if child in partial:
                    old = partial.pop(child)
                    g, held = (old if g is None else old + g), 2
                if child.__class__ is AccumulateGrad:
                    if g is not None and accumulate:
                        owned = sys.getrefcount(g) <= held  # (before g is an argument)
                        child.accumulate_array(g, owned)
                    continue
                ready = [g]
            if first is None:
                first = (-child._seq, child, ready)
            else:
                heappush(heap, (-child._seq, child, ready))
        # the next node: the highest sequence number of the heap and this round's first
        if first is None:
            if not heap:
                return
            first = heappop(heap)
        elif heap and heap[0][0] < first[0]:
            first = heapreplace(heap, first)
        _, node, grads = first
        edges, metas = node._edges, node._input_meta
        results = NotImplemented
        if (node.backward_arrays is not None and not node._pre_hooks
                and not node._post_hooks):
            if grads[0] is None and all(g is None for g in grads):
                results = (None,) * len(edges)  # nothing flows: children just count down
            else:
                results = node.backward_arrays(*grads)
                if results.__class__ is not tuple and results is not NotImplemented:
                    results = (results,)
        if results is NotImplemented:
            results = _tensor_backward_arrays(node, grads)
        if free and node._saved:
            node._saved, node._freed = (), True


def _tensor_backward_arrays(node, grads):
    """A node's tensor ``backward`` (and its hooks) on wrapped arrays, for the lean pass: the
    results as arrays."""
    wrapped = [None if g is None else _wrap_array(g) for g in grads]
    if node._pre_hooks:
        wrapped = _run_pre_hooks(node, wrapped)
    return [None if r is None else r._data for r in _call(node, wrapped)]


def _deliver_to_slot(partial, node, nr, g):
    # one gradient slot per output of the node, summed as gradients arrive
    if g is not None:
        slots = partial.get(node)
        if slots is None:
            slots = partial[node] = [None] * node._n_outputs
        slots[nr] = g if slots[nr] is None else slots[nr] + g


def _fit_array(node, meta, g):
    """_fit on a raw array; ``meta`` is the input's entry in the node's metadata, found by
    identity: each input has a tuple of its own, and two inputs of one shape and dtype have
    equal ones (an error message must name the right index)."""
    index = next(i for i, entry in enumerate(node._input_meta) if entry is meta)
    return _fit(node, index, _wrap_array(g))._data


def _wrap_array(array):
    make = _op.Tensor._make
    if array.__class__ is numpy.ndarray:
        return make(array)
    if isinstance(array, numpy.generic):
        return make(numpy.asarray(array))  # NumPy gives scalars for 0-d results
    return make(array, device("cuda", array.device.id))


def _count_dependencies(root_edges):
    """For every node reachable from the roots, the number of edges that lead into it (its keys
    are the reachable nodes); also whether any reached leaf has hooks (they must fire in
    torch's exact order)."""
    deps, stack = {}, []
    for node, _ in root_edges:
        if node in deps:
            deps[node] += 1
        else:
            deps[node] = 1
            stack.append(node)
    while stack:
        for edge in stack.pop()._edges:
            if edge:
                child = edge[0]
                if child in deps:
                    deps[child] += 1
                else:
                    deps[child] = 1
                    if child._edges:
                        stack.append(child)
    leaf_hooks = leaf_hooks_state.registered and any(
        n.__class__ is AccumulateGrad and _has_leaf_hooks(n) for n in deps)
    return deps, leaf_hooks


def _has_leaf_hooks(node):
    leaf = node._variable()
    return leaf is not None and bool(leaf._hooks or leaf._post_acc_hooks)


def _call(node, grads):
    """Run one node's backward formula; one result per input, None where none is needed."""
    if len(grads) == 1:  # one output, the common case
        if grads[0] is None:
            return (None,) * len(node._edges)  # nothing flows: children just count down
    elif any(g is None for g in grads):
        missing = [g is None for g in grads]
        if all(missing):
            return (None,) * len(node._edges)  # nothing flows: children just count down
        if node.materialize_grads:
            grads = [g if g is not None else _zeros_for(node, i) for i, g in enumerate(grads)]
    results = node.backward(*grads)
    if results.__class__ is not tuple:
        results = (results,)
    if anomaly_state.enabled:
        check_nan(node, results)
    edges = node._edges
    # inputs that need no gradient get None, whatever the formula returned
    if not all(edges):
        results = tuple(r if e else None for r, e in zip(results, edges))
    if node._post_hooks:
        for hook in list(node._post_hooks):
            # a new tuple: a hook that keeps it holds references the engine can count
            replaced = hook(tuple([*results]), tuple(grads))
            if replaced is not None:
                results = tuple(replaced)
    return results


def _fit(node, index, g):
    """The gradient for input ``index`` summed to that input's shape and cast to its dtype."""
    shape, dtype = node._input_meta[index]
    if g._data.shape != shape:
        if not _expandable(shape, g.shape):
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                               f"{index} - got {list(g.shape)} but expected shape compatible "
                               f"with {list(shape)}")
        g = sum_to(g, shape)
    if g.dtype is not dtype:
        g = g.to(dtype)
    return g


def _zeros_for(node, output_nr):
    # an output that received no gradient gets zeros, as torch materializes them
    from ember._ops.creation import zeros

    meta = node._output_meta[output_nr]
    if meta is None:
        return None  # a non-tensor output of a custom Function
    shape, dtype, device = meta
    return zeros(shape, dtype=dtype, device=device)


def _run_pre_hooks(node, grads):
    """Tensor hooks (retain_grad's last), then the node's own pre-hooks, as torch orders them."""
    if node.__class__ is AccumulateGrad:
        leaf = node._variable()
        hooks = leaf._hooks if leaf is not None else None
        if hooks and grads[0] is not None:
            grads = [_apply_hooks(hooks, grads[0])]
        return grads
    if node._pre_hooks:
        for nr, hooks in node._pre_hooks.items():
            if nr >= 0 and grads[nr] is not None:
                grads[nr] = _apply_hooks(hooks, grads[nr])
        for hook in list(node._pre_hooks.get(-1, ())):
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


def _grad_edge(t):
    if t.grad_fn is not None:
        return t.grad_fn, t._output_nr
    return t._grad_accumulator(), 0


def _nodes_leading_to(targets, reachable):
    """The targets' nodes and every node from which one of them can be reached."""
    needed = {node for node, _ in targets}
    # producers have smaller sequence numbers than their consumers: visit them first
    for node in sorted(reachable, key=lambda n: n._seq):
        if any(e and e[0] in needed for e in node._edges):
            needed.add(node)
    return needed


# -- entry points ---------------------------------------------------------------------------------


def run_backward(roots, grads, retain_graph, create_graph, inputs=None, accumulate=True,
                 allow_unused=False):
    """Propagate ``grads`` from ``roots``. With ``inputs``, only their gradients are computed:
    accumulated into .grad (backward) or returned (grad, ``accumulate=False``)."""
    if retain_graph is None:
        retain_graph = create_graph
    root_edges = [_root_edge(t, i) for i, t in enumerate(roots)]
    root_grads = [_initial_grad(t, g, i) for i, (t, g) in enumerate(zip(roots, grads))]
    if inputs is not None:
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    task = _GraphTask(retain_graph, create_graph, accumulate)
    task.execute(root_edges, root_grads, inputs)
    if inputs is None:
        return None
    return _results(inputs, task.captured, accumulate, allow_unused)


def backward_plain(t, gradient, retain_graph):
    """Tensor.backward without create_graph or inputs, its common call: straight to the lean
    pass (run_backward's argument handling and task object are for the general case), unless
    a leaf hook or anomaly mode asks for the ordered one."""
    edges = [_root_edge(t, 0)]
    deps, leaf_hooks = _count_dependencies(edges)
    if leaf_hooks or anomaly_state.enabled:
        return run_backward((t,), (gradient,), retain_graph, False)
    start = _implicit_grad(t) if gradient is None else _initial_grad(t, gradient, 0)._data
    previous_mode = _grad_state.enabled
    _grad_state.enabled = False
    try:
        _run_lean(edges, [start], deps, not retain_graph, True)
    finally:
        _grad_state.enabled = previous_mode


def _root_edge(t, index):
    node = t.grad_fn
    if node is not None:
        return node, t._output_nr
    if not t._requires_grad:
        raise RuntimeError(f"element {index} of tensors does not require grad and does not have "
                           "a grad_fn")
    return t._grad_accumulator(), 0


def _initial_grad(t, grad, index):
    if grad is None:
        return type(t)._make(_implicit_grad(t), t.device)
    if grad.shape != t.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{index}] has a shape of {grad.shape} "
                           f"and output[{index}] has a shape of {t.shape}.")
    return grad


def _implicit_grad(t):
    """The array of ones that ``t.backward()`` starts from; only a real scalar may omit it."""
    data = t._data
    if data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if t.dtype.is_complex:
        raise RuntimeError("grad can be implicitly created only for real scalar outputs but "
                           f"got {t.dtype}")
    # NOTE: a copy of the one element, refilled: cheaper than ones() or array(1), on any backend
    ones = data.copy()
    ones.fill(1)
    return ones


def _results(inputs, captured, accumulate, allow_unused):
    out = []
    for i, t in enumerate(inputs):
        g = captured.get(_grad_edge(t))
        if g is None and not allow_unused and not accumulate:
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been "
                               "used in the graph. Set allow_unused=True if this is the desired "
                               "behavior.")
        if accumulate and g is not None and t.grad_fn is not None:
            t._grad = g if t._grad is None else t._grad + g  # a non-leaf named in inputs=
        out.append(g)
    return tuple(out)
