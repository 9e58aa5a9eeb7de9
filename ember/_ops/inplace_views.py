"""In-place view ops (unsqueeze_, squeeze_, t_, transpose_, swapdims_, as_strided_): the tensor
itself takes the view's shape and strides, keeping its memory, base and version counter.

Each is the out-of-place view op applied to the tensor, whose array and node the tensor then
takes over, as torch rewrites the tensor's metadata and its ``grad_fn``. torch names these nodes
with their own numbers (``UnsqueezeBackward1`` for ``unsqueeze_``), so the view op's node is
given that class; the gradient formula is the same.
"""

from __future__ import annotations

from ember._ops import shape as S
from ember._ops import strided as St
from ember._ops.inplace import _check_not_leaf
from ember.autograd.grad_mode import state as _grad_state


class UnsqueezeBackward1(S.UnsqueezeBackward0):
    """unsqueeze_."""


class SqueezeBackward3(S.SqueezeBackward0):
    """squeeze_()."""


class SqueezeBackward4(S.SqueezeBackward0):
    """squeeze_(dim)."""


class SqueezeBackward5(S.SqueezeBackward0):
    """squeeze_(dims)."""


class TransposeBackward1(S.PermuteBackward0):
    """transpose_, swapdims_, swapaxes_."""


class TBackward1(S.PermuteBackward0):
    """t_."""


class AsStridedBackward1(St.AsStridedBackward0):
    """as_strided_."""


_INPLACE_NODE = {S.UnsqueezeBackward0: UnsqueezeBackward1, S.SqueezeBackward0: SqueezeBackward3,
                 S.SqueezeBackward1: SqueezeBackward4, S.SqueezeBackward2: SqueezeBackward5,
                 S.TransposeBackward0: TransposeBackward1, S.TBackward0: TBackward1,
                 St.AsStridedBackward0: AsStridedBackward1}


def _restride(input, view_fn, *args):
    """Give ``input`` the geometry (and, in grad mode, the history) of ``view_fn(input, *args)``."""
    if _grad_state.enabled:
        _check_not_leaf(input)
    view = view_fn(input, *args)
    input._data = view._data
    input._version.value += 1  # torch counts a metadata change as a write
    node = view._grad_fn
    if node is not None:
        # NOTE: the same layout (the subclasses add no fields), so the class can change in place
        node.__class__ = _INPLACE_NODE[type(node)]
        # NOTE: set after the version bump, so a view's node is current; a retained grad stays
        # with the old node, as in torch
        input.grad_fn, input._output_nr, input._requires_grad = node, 0, True
    return input


def unsqueeze_(input, dim):
    """Insert a size-1 dim at ``dim`` in place (Tensor.unsqueeze_)."""
    return _restride(input, S.unsqueeze, dim)


def squeeze_(input, dim=None):
    """Drop size-1 dims (all, or those named) in place (Tensor.squeeze_)."""
    return _restride(input, S.squeeze, dim)


def transpose_(input, dim0, dim1):
    """Swap two dims in place (Tensor.transpose_; also swapdims_ and swapaxes_)."""
    return _restride(input, S.transpose, dim0, dim1)


swapdims_ = swapaxes_ = transpose_


def t_(input):
    """Transpose a tensor of at most 2 dims in place (Tensor.t_)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return _restride(input, S.t)


def as_strided_(input, size, stride, storage_offset=None):
    """Take size, element strides and storage offset in place (Tensor.as_strided_)."""
    return _restride(input, St.as_strided, size, stride, storage_offset)
