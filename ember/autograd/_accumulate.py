"""A leaf's node, AccumulateGrad: how an arriving gradient becomes (or is added into) ``.grad``,
including when the engine may take over a gradient's memory instead of copying it; and
CopyBackwards, the node of a leaf's first gradient under create_graph."""

from __future__ import annotations

import sys
import weakref

from ember._backend import xp_of
from ember._ops._node import Node
from ember._ops._op import Op


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

    def accumulate(self, grad, create_graph):
        """Add the tensor ``grad`` into the leaf's ``.grad``: under create_graph, out of place
        (keeping the graph; the first one a fresh copy), else as ``accumulate_array``."""
        if not create_graph:
            return self.accumulate_array(grad._data, owned=False)
        leaf = self._variable()
        if leaf is None:
            return  # the leaf is gone: nobody can read its gradient
        leaf._grad = _first_grad(leaf, grad) if leaf._grad is None else leaf._grad + grad
        self._after_accumulate(leaf)

    def accumulate_array(self, array, owned):
        """torch's rules for a plain backward: a fresh copy the first time (or, when nothing else
        holds ``array``, its memory, as torch steals a gradient nobody else uses); then in
        place."""
        leaf = self._variable()
        if leaf is None:
            return
        old = leaf._grad
        if old is None:
            if not (owned and leaf.device.type == "cpu" and _may_steal(array, leaf._data)):
                array = _copy_for(leaf, array)
            leaf._grad = leaf._make(array, leaf.device)
        else:
            data = old._data
            data += array  # NumPy and CuPy arrays both add in place
            old._version.value += 1
        if leaf._post_acc_hooks:
            self._after_accumulate(leaf)

    @staticmethod
    def _after_accumulate(leaf):
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
    """Whether a gradient's array, which the engine alone holds, can become the leaf's .grad
    without a copy: an array of its own (not a view, nor a NumPy scalar) with the leaf's
    layout."""
    return (array.__class__ is leaf_array.__class__ and array.base is None
            and array.strides == leaf_array.strides and array.flags.writeable)


def _copy_for(leaf, array):
    # NOTE: a leaf's first gradient never aliases one the engine does not own: the same array
    # may reach several leaves, and later accumulation happens in place. The copy takes the
    # leaf's memory layout, as torch's.
    out = xp_of(leaf.device).empty_like(leaf._data)
    out[...] = array
    return out


def _first_grad(leaf, grad):
    # under create_graph: a copy_ into a fresh tensor with the leaf's layout, differentiable
    if grad._requires_grad:
        return CopyBackwards().apply(leaf.detach(), grad)
    return grad._make(_copy_for(leaf, grad._data), grad.device)
