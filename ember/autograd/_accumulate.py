"""A leaf's node, AccumulateGrad: how an arriving gradient becomes (or is added into) ``.grad``,
including when the engine may take over a gradient's memory instead of copying it; and
CopyBackwards, the node of a leaf's first gradient under create_graph."""

from __future__ import annotations

import sys
import weakref

from ember._backend import xp_of
from ember._ops._op import Node, Op


class AccumulateGrad(Node):
    """The node of a leaf: adds the incoming gradient into ``variable.grad``."""

    _seq = sys.maxsize  # torch gives AccumulateGrad the highest priority: it runs once ready
    _edges = ()
    _n_outputs = 1

    def __init__(self, variable):
        self._variable = weakref.ref(variable)  # the leaf holds this node: no cycle
        self.needs_input_grad = ()

    @property
    def variable(self):
        return self._variable()

    def name(self):
        return "torch::autograd::AccumulateGrad"  # torch's C++ name; repr shows the class name

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"

    def accumulate(self, grad, create_graph, owned=False):
        """torch's rules: a fresh copy the first time (or, when nothing else holds ``grad``,
        its memory, as torch steals a gradient nobody else uses); then in place, or out of place
        (keeping the graph) under create_graph."""
        leaf = self._variable()
        if leaf is None:
            return  # the leaf is gone: nobody can read its gradient
        old = leaf._grad
        if old is None:
            if owned and leaf.device.type == "cpu" and _may_steal(grad._data, leaf._data):
                leaf._grad = grad._make(grad._data, grad.device)
            else:
                leaf._grad = _first_grad(leaf, grad, create_graph)
        elif create_graph:
            leaf._grad = old + grad
        else:
            data = old._data
            data += grad._data  # NumPy and CuPy arrays both add in place
            old._version.value += 1
        if leaf._post_acc_hooks:
            for hook in list(leaf._post_acc_hooks):
                hook(leaf)


class CopyBackwards(Op):
    """A copy of ``src`` (``dst`` only fixes the layout); torch's node for copy_ into a fresh
    tensor, which is what a leaf's first gradient is under create_graph."""

    promote = "keep"

    def name(self):
        return "torch::autograd::CopyBackwards"  # torch's C++ name; repr shows the class name

    def __repr__(self):
        return f"<CopyBackwards object at {id(self):#x}>"

    def forward(self, dst, src):
        out = self.xp.empty_like(dst)
        out[...] = src
        return out

    def backward(self, g):
        from ember._ops.creation import zeros_like

        # the overwritten values get zeros (torch does so, rather than no gradient)
        return (zeros_like(g) if self.needs_input_grad[0] else None), g


def _may_steal(array, leaf_array):
    """Whether a gradient's array, referenced only by its tensor (no other tensor, no view of
    it), can become the leaf's .grad without a copy: it must have the leaf's layout."""
    # NOTE: 3 references: the tensor's _data, this argument and getrefcount's argument
    return (sys.getrefcount(array) <= 3 and array.base is None
            and array.strides == leaf_array.strides and array.flags.writeable)


def _first_grad(leaf, grad, create_graph):
    # NOTE: never alias the incoming gradient: the same tensor may reach several leaves, and
    # later accumulation happens in place. The copy takes the leaf's memory layout, as torch's.
    if create_graph and grad._requires_grad:
        return CopyBackwards().apply(leaf.detach(), grad)
    out = xp_of(leaf.device).empty_like(leaf._data)
    out[...] = grad._data
    return grad._make(out, grad.device)
