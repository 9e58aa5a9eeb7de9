"""In-place updates and ``out=``: writing a result into an existing tensor, with autograd's rules.

An in-place op is computed out of place, then written into the target's memory:
- on a leaf that requires grad (in grad mode) it is an error, as in torch;
- on a tensor with history, the target takes over the result's ``grad_fn``;
- on a view, the view's base is rebased through a CopySlices node: the base's gradient flows to the
  part of the base outside the view unchanged, and the part inside the view flows to the result.
Every write bumps the version counter shared by the base and its views.
"""

from __future__ import annotations

import re
import warnings

from ember._dtype import can_cast
from ember._ops._op import Op, _legacy_type_name
from ember.autograd._accumulate import CopyBackwards
from ember.autograd._hooks import move_retain_grad
from ember.autograd.grad_mode import state as _grad_state


def _scalar_type_name(dtype):
    return _legacy_type_name(type("T", (), {"dtype": dtype})).split(".")[1][:-6]


def _check_writable(target, result):
    if result.dtype is not target.dtype and not can_cast(result.dtype, target.dtype):
        raise RuntimeError(f"result type {_scalar_type_name(result.dtype)} can't be cast to the "
                           f"desired output type {_scalar_type_name(target.dtype)}")
    if result.shape != target.shape:
        from ember._ops.shape import broadcast_shape

        try:
            ok = broadcast_shape(result.shape, target.shape) == target.shape
        except RuntimeError:
            ok = False
        if not ok:
            raise RuntimeError(f"output with shape {list(target.shape)} doesn't match the "
                               f"broadcast shape {list(result.shape)}")


def inplace_update(target, result):
    """Write ``result`` into ``target`` as torch's in-place ops do; returns ``target``."""
    _check_writable(target, result)
    grad_on = _grad_state.enabled
    if grad_on:
        _check_not_leaf(target)
        _check_multi_output_view(target)
    track = grad_on and (result._requires_grad or _base_requires_grad(target))
    if track:
        _save_original(target, result)
    if track and target._base is not None:
        _copy_slices(target, result)
        return target
    _write(target, result)
    if track:
        if result.dtype is not target.dtype:
            result = result.to(target.dtype)
        _take_history(target, result)
    return target


def copy_into(target, src):
    """Tensor.copy_ once ``src`` has the target's dtype and shape: with history, the target's
    node is torch's CopyBackwards (edges to the target's old history and to ``src``)."""
    if _grad_state.enabled and (src._requires_grad or target._requires_grad or
                                _base_requires_grad(target)):
        _check_not_leaf(target)
        src = CopyBackwards().apply(target, src)
    return inplace_update(target, src)


def _check_not_leaf(target):
    if target._requires_grad and target.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = target._base
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def _check_multi_output_view(target):
    """torch forbids writing into an output (or a view of an output) of a function that returns
    several views (unbind, split, chunk), since one CopySlices cannot rebase them all."""
    if target._base is None or not target._requires_grad:
        return
    node = target.grad_fn
    while getattr(node, "is_view", False):
        if getattr(node, "multi_output", False):
            name = re.sub(r"Backward\d*$", "", target.grad_fn.name())
            raise RuntimeError(
                f"Output {target._output_nr} of {name} is a view and is being modified inplace. "
                "This view is the output of a function that returns multiple views. Such "
                "functions do not allow the output views to be modified inplace. You should "
                "replace the inplace operation by an out-of-place one.")
        node = node._edges[0][0] if node._edges[0] else None


def _save_original(target, result):
    """Where the result's node saved the target itself (as ``self``), keep a clone instead: the
    write below would fail that saved value's version check. torch saves ``self.clone()`` for
    in-place ops whose gradient needs the original value. Only the first such entry is replaced,
    so ``y.mul_(y)`` still fails at backward, as in torch."""
    node = result._grad_fn
    saved = node._saved if node is not None else ()
    for i, entry in enumerate(saved):
        if entry[0] == "input" and entry[1] is target:
            original = target.clone()
            node._saved[i] = ("input", original, original._version.value)
            return


def _base_requires_grad(t):
    return t._base is not None and t._base._requires_grad


def _write(target, result):
    data = result._data
    try:
        target._data[...] = data
    except ValueError:
        if not target._data.flags.writeable:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation.") from None
        raise
    target._version.value += 1


def _take_history(target, result):
    node = result.grad_fn
    old_node, old_nr = target._grad_fn, target._output_nr
    target.grad_fn, target._output_nr, target._requires_grad = node, result._output_nr, True
    if target._retains_grad:
        move_retain_grad(target, old_node, old_nr)
    saved = node._saved if node is not None else ()
    for i, entry in enumerate(saved):
        if entry[0] == "output" and entry[1]._output_nr == result._output_nr:
            entry[1].retarget(target)
            node._saved[i] = ("output", entry[1], target._version.value)


def with_out(result, out):
    """Write an op's result into ``out=``, cast to its dtype; an ``out`` of another shape is
    resized, with torch's deprecation warning when it had elements."""
    if out is None:
        return result
    if _grad_state.enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(f"{_op_name(result.grad_fn)}(): functions with out=... arguments "
                           "don't support automatic differentiation, but one of the arguments "
                           "requires grad.")
    if result.dtype is not out.dtype and not can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {_scalar_type_name(result.dtype)} can't be cast to the "
                           f"desired output type {_scalar_type_name(out.dtype)}")
    if out.shape != result.shape:
        if out.numel():
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                "t.resize_(0).", UserWarning, stacklevel=3)
        out._data = result._data.astype(out.dtype.np)
        out._version.value += 1
        return out
    _write(out, result)
    return out


# -- out= for ops that want the exact dtype (most of torch.linalg), or name what cannot be cast --

_C10_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool"}


def c10_name(dtype):
    """The C++ name torch's messages use for a dtype: float, double, long int, c10::Half."""
    return _C10_NAMES[dtype.name]


EXACT_OUT = "Expected out tensor to have dtype {want}, but got {got} instead"


def _pairs(result, out):
    return list(zip(result, out)) if isinstance(result, tuple) else [(result, out)]


def _written(result, pairs):
    written = [with_out(r, o) for r, o in pairs]
    return tuple(written) if isinstance(result, tuple) else written[0]


def out_exact(result, out, message=EXACT_OUT, legacy=False):
    """Write ``result`` (a tensor or a tuple) into ``out``, which must have its exact dtype, as
    most of torch.linalg requires. ``message`` takes {want} and {got}: C++ type names, or legacy
    scalar names (Float, ComplexDouble) when ``legacy``."""
    if out is None:
        return result
    pairs = _pairs(result, out)
    name = _scalar_type_name if legacy else c10_name
    for r, o in pairs:
        if o.dtype is not r.dtype:
            raise RuntimeError(message.format(want=name(r.dtype), got=name(o.dtype)))
    return _written(result, pairs)


def out_castable(result, out, fn, names=("result",)):
    """Write ``result`` into ``out``, casting, but refusing a dtype the result cannot be cast to
    with torch's message naming the op (``fn``) and each output (``names``)."""
    if out is None:
        return result
    pairs = _pairs(result, out)
    for (r, o), what in zip(pairs, names):
        if o.dtype is not r.dtype and not can_cast(r.dtype, o.dtype):
            raise RuntimeError(f"{fn}: Expected {what} to be safely castable from "
                               f"{_scalar_type_name(r.dtype)} dtype, but got {what} with dtype "
                               f"{_scalar_type_name(o.dtype)}")
    return _written(result, pairs)


def _op_name(node):
    """torch's name of the op behind a node: MulBackward0 -> mul, LinalgInvExBackward0 ->
    linalg_inv_ex."""
    if node is None:
        return "op"
    name = re.sub(r"Backward\d*$", "", node.name())
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# -- views: CopySlices --------------------------------------------------------------------------


def view_geometry(view, base):
    """(shape, byte strides, byte offset) of ``view`` inside ``base``'s memory."""
    from ember._ops.strided import data_ptr

    return (view._data.shape, view._data.strides, data_ptr(view._data) - data_ptr(base._data))


def region(array, base_array, geometry):
    """The view of ``array`` (laid out as ``base_array``) that ``geometry`` describes."""
    from ember._ops.strided import strided_view

    shape, strides, offset = geometry
    buf = array
    if array.strides != base_array.strides:
        buf = base_array.copy(order="K")  # NOTE: same layout as the base, so offsets agree
        buf[...] = array
    return strided_view(buf, shape, strides, offset)


class CopySlices(Op):
    """The base after a write into one of its views: ``base`` outside the view, ``src`` inside."""

    promote = "keep"

    def __init__(self, geometry):
        self.geometry = geometry

    def name(self):
        return "torch::autograd::CopySlices"  # torch's C++ name; repr shows the class name

    def __repr__(self):
        return f"<CopySlices object at {id(self):#x}>"

    def forward(self, base, src):
        self._layout = base
        view = region(base, base, self.geometry)
        if src.dtype != view.dtype:
            src = src.astype(view.dtype)
        view[...] = src
        return base

    def backward(self, g):
        from ember._tensor import Tensor

        xp = self.xp
        grad_base = None
        if self.needs_input_grad[0]:
            from ember._ops.masked import where

            # NOTE: select, not multiply by the mask: an inf or nan gradient inside the
            # overwritten region must give 0 there, as in torch
            mask = xp.ones_like(self._layout)  # the base's layout: the geometry's offsets fit
            region(mask, mask, self.geometry)[...] = 0
            grad_base = where(Tensor._make(mask != 0, g.device), g, 0.0)
        grad_src = None
        if self.needs_input_grad[1]:
            from ember._ops.strided import StridedRegion

            grad_src = StridedRegion(self.geometry, self._layout).apply(g)
        return grad_base, grad_src


def real_pairs_base(base, view):
    """The tensor whose memory layout a view's geometry is taken on: the base itself, or for a
    real view of a complex base (real, imag, view_as_real) the base's real pairs, which share its
    memory and version counter."""
    if view.dtype is base.dtype:
        return base
    if base.dtype.is_complex and view.dtype is base.dtype.to_real():
        from ember._ops.complex import view_as_real

        return view_as_real(base)
    raise RuntimeError(f"Ember does not support writing in place, with autograd, into a "
                       f"{view.dtype} view of a {base.dtype} tensor")


def _copy_slices(view, result):
    """In-place write into a view whose base (or the written value) has history."""
    from ember._ops.strided import as_strided_like

    base = view._base
    target = real_pairs_base(base, view)
    geometry = view_geometry(view, target)
    if result.dtype is not view.dtype:
        result = result.to(view.dtype)
    new_base = CopySlices(geometry).apply(target, result)
    if target is not base:  # the complex base takes the new history of its real pairs
        from ember._ops.complex import view_as_complex

        new_base = view_as_complex(new_base)
    base._version.value += 1
    old_base, old_view = (base._grad_fn, base._output_nr), (view._grad_fn, view._output_nr)
    base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
    view_node = as_strided_like(base, view)
    view.grad_fn, view._output_nr, view._requires_grad = view_node.grad_fn, 0, True
    for t, (node, nr) in ((base, old_base), (view, old_view)):
        if t._retains_grad:
            move_retain_grad(t, node, nr)  # a retained .grad follows the tensor, as in torch
