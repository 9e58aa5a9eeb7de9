"""The nn core's part of ember.nn.functional: activations, the softmax family, linear and
bilinear, normalize, cosine_similarity and one_hot, with torch.nn.functional's signatures,
defaults, result dtypes and errors."""

from __future__ import annotations

import math
import warnings

from ember import _dtype
from ember._ops import activation as A
from ember._ops import pointwise as P
from ember._ops import unary as U
from ember._ops.inplace import inplace_update
from ember._ops.shape import wrap_dim
from ember._ops.views import broadcast_tensors
from ember.autograd import _meta
from ember.autograd.grad_mode import no_grad
from ember.autograd.grad_mode import state as _grad_state

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _in_place(fn, input):
    """Write ``fn(input)`` into ``input``, as torch's in-place activations do. The op reads a
    copy when a graph is recorded, so the input it saves for backward is not overwritten."""
    source = input.clone() if _grad_state.enabled and input.requires_grad else input
    return inplace_update(input, fn(source))


def _maybe_in_place(fn, input, inplace):
    return _in_place(fn, input) if inplace else fn(input)


# -- rectifiers and friends -------------------------------------------------------------------


def relu(input, inplace=False):
    """max(input, 0); integer dtypes kept (torch.nn.functional.relu)."""
    return U.relu_(input) if inplace else U.relu(input)


def relu_(input):
    return U.relu_(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to [min_val, max_val]; zero gradient at the bounds (F.hardtanh)."""
    return _maybe_in_place(lambda x: A.HardtanhBackward0(min_val, max_val).apply(x), input,
                           inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(input, 0), 6), computed as torch does: hardtanh(input, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where positive, else negative_slope * input (F.leaky_relu)."""
    return _maybe_in_place(lambda x: A.LeakyReluBackward0(negative_slope).apply(x), input,
                           inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight):
    """leaky_relu with a learned slope per channel (dim 1), or one shared slope (F.prelu)."""
    if weight.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim > 1 else 1
    if weight.numel() == 1:
        weight = weight.reshape(())  # one slope shared by every element
    elif weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = {channels}.")
    else:
        weight = weight.reshape([1, -1] + [1] * (input.ndim - 2))
    return P.where(input > 0, input, weight * input)


def elu(input, alpha=1.0, inplace=False):
    """input where positive, else alpha * (exp(input) - 1) (F.elu)."""
    return _maybe_in_place(lambda x: A.EluBackward0(alpha).apply(x), input, inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """scale * elu(input, alpha) with torch's self-normalising constants (F.selu)."""
    return _maybe_in_place(lambda x: A.EluBackward0(_SELU_ALPHA, _SELU_SCALE).apply(x), input,
                           inplace)


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (F.celu)."""
    return _maybe_in_place(lambda x: A.CeluBackward0(alpha, 1.0, 1.0 / alpha).apply(x), input,
                           inplace)


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


def threshold(input, threshold, value, inplace=False):
    """input where input > threshold, else value (F.threshold)."""
    return _maybe_in_place(lambda x: A.ThresholdBackward0(threshold, value).apply(x), input,
                           inplace)


def threshold_(input, threshold, value):
    return _in_place(lambda x: A.ThresholdBackward0(threshold, value).apply(x), input)


def gelu(input, approximate="none"):
    """x * Phi(x), exact (erf) or torch's tanh approximation (F.gelu)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return A.GeluBackward0(approximate).apply(input)


def silu(input, inplace=False):
    """x * sigmoid(x) (F.silu)."""
    return _maybe_in_place(lambda x: A.SiluBackward0().apply(x), input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x)) (F.mish)."""
    return _maybe_in_place(lambda x: A.MishBackward0().apply(x), input, inplace)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6 (F.hardsigmoid)."""
    return _maybe_in_place(lambda x: A.HardsigmoidBackward0().apply(x), input, inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 (F.hardswish)."""
    return _maybe_in_place(lambda x: A.HardswishBackward0().apply(x), input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear above the threshold (F.softplus)."""
    return A.SoftplusBackward0(beta, threshold).apply(input)


def logsigmoid(input):
    """log(sigmoid(x)), computed without overflow (F.logsigmoid)."""
    return A.LogSigmoidBackward0().apply(input)


def softsign(input):
    """x / (1 + |x|) (F.softsign)."""
    return input / (1 + input.abs())


def tanhshrink(input):
    """x - tanh(x) (F.tanhshrink)."""
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, else 0 (F.softshrink)."""
    zero = input * 0
    return P.where(input > lambd, input - lambd, P.where(input < -lambd, input + lambd, zero))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0 (F.hardshrink)."""
    return P.where(input.abs() > lambd, input, input * 0)


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of input along dim (F.glu)."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = wrap_dim(dim, input.ndim)
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


sigmoid, tanh = U.sigmoid, U.tanh


# -- softmax family ---------------------------------------------------------------------------


def _softmax_dim(name, ndim, stacklevel):
    # torch's legacy choice when dim is omitted, with its deprecation warning
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax(op_cls, name, input, dim, stacklevel, dtype):
    if dim is None:
        dim = _softmax_dim(name, input.ndim, stacklevel + 1)
    if dtype is not None:
        input = input.to(dtype)
    return op_cls(wrap_dim(dim, input.ndim)).apply(input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along dim, computed stably (F.softmax)."""
    return _softmax(A.SoftmaxBackward0, "softmax", input, dim, _stacklevel, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along dim, without its underflow (F.log_softmax)."""
    return _softmax(A.LogSoftmaxBackward0, "log_softmax", input, dim, _stacklevel, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along dim (F.softmin)."""
    return _softmax(A.SoftmaxBackward0, "softmin", -input, dim, _stacklevel, dtype)


# -- linear, bilinear, distances --------------------------------------------------------------


def _check_linear(input, weight, bias):
    in_shape, w_shape = input._data.shape, weight._data.shape
    if (in_shape and w_shape and input.dtype is weight.dtype and in_shape[-1] == w_shape[-1]
            and (bias is None or (bias.dtype is input.dtype and bias._data.shape == w_shape[:1]))):
        return  # the common case, checked without building anything
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    if input.dtype is not weight.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{_meta._CPP_NAMES[input.dtype.name]} != "
                           f"{_meta._CPP_NAMES[weight.dtype.name]}")
    if input.shape[-1] != weight.shape[-1]:
        rows = math.prod(input.shape[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]}"
                           f" and {weight.shape[-1]}x{weight.shape[0]})")
    if bias is not None:
        if bias.dtype is not input.dtype:
            raise RuntimeError("self and mat2 must have the same dtype, but got "
                               f"{_meta._SCALAR_NAMES[bias.dtype.name]} and "
                               f"{_meta._SCALAR_NAMES[input.dtype.name]}")
        bias.expand(*input.shape[:-1], weight.shape[0])  # raises torch's message on a misfit


def linear(input, weight, bias=None):
    """input @ weight.T + bias (F.linear), one op whose weight gradient is a single product."""
    if weight._data.ndim == 1:  # torch accepts a vector weight: a dot product per row
        out = input @ weight
        return out if bias is None else out + bias
    _check_linear(input, weight, bias)
    if bias is None:
        return A.MmBackward0().apply(input, weight)
    return A.AddmmBackward0().apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T A_k x2 + b_k over the last dims (F.bilinear)."""
    out_features, in1, in2 = weight.shape
    # x1 @ A, for all k at once: (..., in1) @ (in1, k * in2)
    left = input1 @ weight.permute(1, 0, 2).reshape(in1, out_features * in2)
    left = left.reshape(*input1.shape[:-1], out_features, in2)
    out = (left * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along dim (F.normalize)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        return out.copy_(result)
    return result


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(||x1||, eps) * max(||x2||, eps)) along dim, broadcasting
    (F.cosine_similarity); each input is divided by its norm first, as torch does."""
    common = _dtype.promote_types(x1.dtype, x2.dtype)
    if common.category < _dtype.FLOAT:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{_meta._SCALAR_NAMES[common.name]}")
    x1, x2 = broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding along a new last dim (F.one_hot)."""
    from ember._ops.creation import zeros

    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    if tensor.numel():
        if int(tensor.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = zeros(*tensor.shape, num_classes, dtype=_dtype.int64, device=tensor.device)
    with no_grad():
        out.scatter_(-1, tensor.unsqueeze(-1), 1)
    return out
