"""A node of the backward graph (torch's autograd Node): its edges, hooks and metadata. Op and
autograd.Function's nodes are Nodes; so is a leaf's AccumulateGrad."""

from __future__ import annotations


class Node:
    """A node of the backward graph. ``next_functions`` are its edges, as in torch."""

    _saved = ()
    _freed = False
    _n_outputs = 1
    materialize_grads = True  # outputs that got no gradient receive zeros
    _pre_hooks = None  # {output_nr: [hook, ...]} from Tensor.register_hook on non-leaf outputs
    _post_hooks = None
    # An optional twin of ``backward`` on raw backend arrays, for the hottest primitives: a plain
    # backward (no create_graph) needs no graph of its own, so the engine skips wrapping every
    # gradient in a tensor and dispatching every formula through Op.apply. Same arguments and
    # results as ``backward``, with arrays in place of tensors (and None for an output that got
    # no gradient: nothing is materialized). It returns NotImplemented for cases it leaves to
    # ``backward`` (half precision, where tensor arithmetic rounds differently from NumPy's).
    backward_arrays = None

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        # a Python-number operand shows as (None, 0), as torch's wrapped-number tensors do
        return tuple(e if e else (None, 0) for e in self._edges)

    @property
    def metadata(self):
        if not hasattr(self, "_metadata"):
            self._metadata = {}
        return self._metadata

    def register_hook(self, hook):
        """Called as hook(grad_inputs, grad_outputs) after this node runs (torch's Node hook)."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return _RemovableHandle(self._post_hooks, hook)

    def register_prehook(self, hook):
        """Called as hook(grad_outputs) before this node runs; may return replacements."""
        hooks = self._pre_hooks_for(-1)
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def _pre_hooks_for(self, output_nr):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return self._pre_hooks.setdefault(output_nr, [])


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
