"""The autograd metadata rules behind Tensor's properties (requires_grad, grad, grad_fn, data),
with torch's checks and messages; kept here so that _tensor.py stays one line per method."""

from __future__ import annotations

import warnings

from ember._dtype import FLOAT

DETACH_VIEW_MESSAGE = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
    "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
    "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
    "refer to the Optimizer.zero_grad() function in ember/optim/optimizer.py as the solution.")

_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information.")

# torch names dtypes in these messages by their C++ type and by their ScalarType
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                 "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short",
                 "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def set_requires_grad(t, value, dtype_message):
    """Only leaves change the flag, and only float or complex tensors may require grad."""
    if t.grad_fn is not None:
        if not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        return
    if value and t.dtype.category < FLOAT:
        raise RuntimeError(dtype_message)
    t._requires_grad = value


def view_is_stale(view):
    """True when the view's history predates an in-place change of its base, so that its
    grad_fn must be made again. Deviation: a view taken without history (of a plain tensor, or
    under no_grad) is left as it is; torch regenerates it too once its base gains history."""
    seen = view._view_version
    return seen is not None and seen != view._version.value


def refresh_view(view):
    """Make the view's history again from its base's, as torch does: AsStridedBackward0."""
    from ember._ops.strided import as_strided_like
    from ember.autograd.grad_mode import set_grad_enabled

    with set_grad_enabled(True):
        fresh = as_strided_like(view._base, view)
    view._grad_fn, view._output_nr = fresh._grad_fn, 0
    view._requires_grad = fresh._requires_grad
    view._view_version = view._version.value
    return view._grad_fn


def warn_non_leaf_grad():
    warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=3)


def check_grad(t, value):
    """Assigning .grad: a tensor of the same dtype and size, or None (torch's messages)."""
    if value is None:
        return
    if not isinstance(value, _tensor_cls()):
        raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                        f"{type(value).__name__}")
    if value is t:
        raise RuntimeError("can't assign Variable as its own grad")
    if value.dtype is not t.dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{_CPP_NAMES[value.dtype.name]}' to a "
            f"tensor with grad_dtype '{_SCALAR_NAMES[t.dtype.name]}'. The gradient must match "
            "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's "
            "grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
            "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may "
            "break downstream systems that assume they match.")
    if value.shape != t.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of size "
            f"'{list(t.shape)}'. Please ensure that the gradient and the tensor are the same size")
    if value.device != t.device:
        raise RuntimeError("attempting to assign a gradient located on device "
                           f"'{value.device}' to a tensor located on device '{t.device}'. Please "
                           "ensure that the gradient and the tensor are on the same device")


def check_data(t, value):
    """Assigning .data: a tensor, floating point when ``t`` requires grad (torch's messages)."""
    if not isinstance(value, _tensor_cls()):
        raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
    if t._requires_grad and value.dtype.category < FLOAT:
        raise RuntimeError("data set to a tensor that requires gradients must be floating point "
                           "or complex dtype")
