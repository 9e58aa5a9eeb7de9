"""Primitive Ops of ember.nn.functional: softmax and log_softmax (stable), the activations
whose closed-form gradient is much cheaper than a composite's, and linear.

Every backward is written with Ember tensor ops, so double backward works. Half-precision
inputs compute in float32 and round once, as torch's CPU kernels accumulate."""

from __future__ import annotations

import math

import numpy

from ember._dtype import bfloat16 as _bfloat16
from ember._ops import _special_math, linalg
from ember._ops._elementwise import _reject, conj
from ember._ops._op import Op, is_half, run_forward
from ember._ops.pointwise import where
from ember._ops.reduce import SumBackward1
from ember._ops.shape import TransposeBackward0
from ember._ops.special import erf
from ember._ops.unary import ThresholdBackwardBackward0, sigmoid, tanh, threshold_grad

_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_NOT_FLOAT = "biuc"  # NumPy kinds torch has no activation kernel for: bool, ints, complex

_BFLOAT16 = _bfloat16.np  # NOTE: dtype.name is a slow property; compare dtypes instead


def _wide(x):
    """Half types (float16, bfloat16) compute in float32."""
    return x.astype(numpy.float32) if x.dtype.itemsize == 2 else x


class _Activation(Op):
    """A float-only unary op: forward computes ``value(xp, x)`` (in float32 for half types)
    and saves its input."""

    promote = "keep"
    kernel = ""  # torch's kernel name in its "not implemented for" error

    def forward(self, x):
        _reject(x, _NOT_FLOAT, self.kernel)
        self.save(x)
        return self.value(self.xp, _wide(x)).astype(x.dtype, copy=False)


# -- softmax family ---------------------------------------------------------------------------


class SoftmaxBackward0(Op):
    """exp(x - max) / sum(exp(x - max)) along ``dim``; saves its output for backward."""

    promote = "keep"
    name_in_errors = "softmax"

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        if x.dtype.kind in "biuc":  # torch has no integer or complex softmax kernel
            last = self.dim == max(x.ndim, 1) - 1
            _reject(x, "biuc", f"{self.name_in_errors}_{'lastdim_' if last else ''}kernel_impl")
        z = _wide(x).reshape(x.shape or (1,))
        if z.size:
            z = z - z.max(axis=self.dim, keepdims=True)  # NOTE: no overflow in exp
        y = self.normalise(self.xp, z).reshape(x.shape).astype(x.dtype, copy=False)
        self.save(y)
        return y

    def normalise(self, xp, z):
        e = xp.exp(z)
        return e / e.sum(axis=self.dim, keepdims=True)

    def backward(self, g):
        (y,) = self.saved
        return y * (g - (g * y).sum(self.dim, keepdim=True))

    def backward_arrays(self, g):
        if is_half(g):
            return NotImplemented
        (y,) = self.saved_arrays
        return y * (g - (g * y).sum(self.dim, keepdims=True))


class LogSoftmaxBackward0(SoftmaxBackward0):
    """x - max - log(sum(exp(x - max))) along ``dim``: exact where softmax underflows."""

    name_in_errors = "log_softmax"

    def normalise(self, xp, z):
        return z - xp.log(xp.exp(z).sum(axis=self.dim, keepdims=True))

    def backward(self, g):
        (y,) = self.saved
        return g - y.exp() * g.sum(self.dim, keepdim=True)

    def backward_arrays(self, g):
        if is_half(g):
            return NotImplemented
        (y,) = self.saved_arrays
        return g - self.xp.exp(y) * g.sum(self.dim, keepdims=True)


# -- activations with closed-form gradients ---------------------------------------------------


class GeluBackward0(_Activation):
    """x * Phi(x), or torch's tanh approximation of it."""

    kernel = "GeluKernelImpl"

    def __init__(self, approximate):
        self.approximate = approximate

    def value(self, xp, x):
        if self.approximate == "tanh":
            return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
        # NOTE: erf evaluates in float64 and rounds once, as torch's float kernels are accurate
        return 0.5 * x * (1 + _special_math.erf(xp, (x * _SQRT1_2).astype(numpy.float64)))

    def backward(self, g):
        (x,) = self.saved
        if self.approximate == "tanh":
            t = tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            inner_derivative = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_derivative)
        cdf = 0.5 * (1 + erf(x * _SQRT1_2))
        pdf = _INV_SQRT_2PI * (-0.5 * x * x).exp()
        return g * (cdf + x * pdf)


class SiluBackward0(_Activation):
    kernel = "silu_cpu"

    def value(self, xp, x):
        return x / (1 + xp.exp(-x))

    def backward(self, g):
        (x,) = self.saved
        s = sigmoid(x)
        return g * (s * (1 + x * (1 - s)))


def _softplus_array(xp, z):
    # log(1 + exp(z)) without overflow: max(z, 0) + log1p(exp(-|z|))
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


class SoftplusBackward0(_Activation):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as torch)."""

    kernel = "softplus_cpu"

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def value(self, xp, x):
        z = x * self.beta
        return xp.where(z > self.threshold, x, xp.log1p(xp.exp(z)) / self.beta)

    def backward(self, g):
        (x,) = self.saved
        z = x * self.beta
        return where(z > self.threshold, g, g * sigmoid(z))


class MishBackward0(_Activation):
    """x * tanh(softplus(x))."""

    kernel = "mish_cpu"

    def value(self, xp, x):
        return x * xp.tanh(_softplus_array(xp, x))

    def backward(self, g):
        (x,) = self.saved
        t = tanh(SoftplusBackward0(1.0, 20.0).apply(x))
        return g * (t + x * sigmoid(x) * (1 - t * t))


class LogSigmoidBackward0(_Activation):
    kernel = "log_sigmoid_cpu"

    def value(self, xp, x):
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, g):
        (x,) = self.saved
        return g * sigmoid(-x)


class EluBackward0(_Activation):
    """scale * x for x > 0, else scale * alpha * (exp(input_scale * x) - 1): elu, selu, celu."""

    kernel = "elu_cpu"

    def __init__(self, alpha, scale=1.0, input_scale=1.0):
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale

    def value(self, xp, x):
        negative = xp.expm1(x * self.input_scale) * (self.alpha * self.scale)
        return xp.where(x > 0, x * self.scale, negative)

    def backward(self, g):
        (x,) = self.saved
        slope = (x * self.input_scale).exp() * (self.alpha * self.scale * self.input_scale)
        return where(x > 0, g * self.scale, g * slope)


class CeluBackward0(EluBackward0):
    pass


class LeakyReluBackward0(_Activation):
    kernel = "leaky_relu_cpu"

    def __init__(self, negative_slope):
        self.negative_slope = negative_slope

    def value(self, xp, x):
        return xp.where(x > 0, x, x * self.negative_slope)

    def backward(self, g):
        (x,) = self.saved
        return where(x > 0, g, g * self.negative_slope)


class HardsigmoidBackward0(_Activation):
    kernel = "hardsigmoid_cpu"

    def value(self, xp, x):
        return xp.minimum(xp.maximum(x + 3, 0), 6) / 6

    def backward(self, g):
        (x,) = self.saved
        return where((x > -3).logical_and(x < 3), g, 0.0) / 6  # 0, not nan, for inf or nan g


class HardswishBackward0(_Activation):
    kernel = "hardswish_cpu"

    def value(self, xp, x):
        return x * xp.minimum(xp.maximum(x + 3, 0), 6) / 6

    def backward(self, g):
        (x,) = self.saved
        middle = g * (x / 3 + 0.5)
        return where(x <= -3, 0.0, where(x >= 3, g, middle))  # 0, not nan, for inf or nan g


class _Piecewise(Op):
    """Ops that keep integer dtypes (hardtanh, threshold), as torch's do; bool is refused."""

    promote = "keep"
    bool_error = ""

    def forward(self, x):
        if x.dtype == bool:
            raise RuntimeError(self.bool_error)
        self.save(x)
        return self.value(self.xp, x).astype(x.dtype, copy=False)


class HardtanhBackward0(_Piecewise):
    """Clamp to [min_val, max_val]; the gradient is zero at and beyond the bounds."""

    bool_error = "Bool inputs not supported for hardtanh"

    def __init__(self, min_val, max_val):
        self.min_val, self.max_val = min_val, max_val

    def value(self, xp, x):
        return xp.clip(x, self.min_val, self.max_val)

    def backward(self, g):
        (x,) = self.saved
        # 0, not nan, where an inf or nan gradient is blocked, as torch's hardtanh_backward
        return where((x > self.min_val).logical_and(x < self.max_val), g, 0.0)


class ThresholdBackward0(_Piecewise):
    """x where x > threshold, else value."""

    bool_error = "\"threshold_cpu\" not implemented for 'Bool'"

    def __init__(self, threshold, value):
        self.threshold, self.fill = threshold, value

    def value(self, xp, x):
        return xp.where(x > self.threshold, x, self.fill)

    def backward(self, g):
        (x,) = self.saved
        return threshold_grad(g, x, self.threshold)

    def backward_arrays(self, g):
        (x,) = self.saved_arrays
        return run_forward(ThresholdBackwardBackward0(self.threshold), self.xp, g, x)


# -- linear -----------------------------------------------------------------------------------


class AddmmBackward0(Op):
    """input @ weight.T + bias for any number of batch dims (torch.nn.functional.linear).
    The weight's gradient is one matrix product over the flattened batch."""

    promote = "keep"

    def forward(self, x, w, b=None):
        self.save(x, w)
        if x.dtype == _BFLOAT16:
            # NOTE: NumPy has no bfloat16 matmul kernel; accumulate in float32 and round once
            y = x.astype(numpy.float32) @ w.astype(numpy.float32).T
        else:
            y = x @ w.T
        if b is not None:
            y += b  # y is a fresh product: add in place
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        x, w = self.saved
        if x.dtype.is_complex:
            x, w = conj(x), conj(w)  # conjugate Wirtinger derivatives, as torch
        # NOTE: the shapes are known to fit: the ops are applied directly, without the argument
        # checks of matmul, mT and sum (this runs for every linear layer on every step)
        return self._gradients(g, x, w, lambda op, *args: op.apply(*args),
                               lambda t: TransposeBackward0((1, 0)).apply(t))

    def backward_arrays(self, g):
        x, w = self.saved_arrays
        if g.dtype.kind == "c":
            x, w = self.xp.conj(x), self.xp.conj(w)
        return self._gradients(g, x, w, lambda op, *args: run_forward(op, self.xp, *args),
                               lambda a: a.T)

    def _gradients(self, g, x, w, run, transpose):
        # the same formulas for tensors and arrays: ``run`` applies an op, ``transpose`` a 2-D T
        needs = self._edges
        grad_x = run(linalg.MmBackward0(), g, w) if needs[0] else None
        grad_w = None
        ndim = g.ndim
        if needs[1]:
            if ndim != 2:  # the batch dims flattened: one product for the whole batch
                g2, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
            else:
                g2 = g
            grad_w = run(linalg.MmBackward0(), transpose(g2), x)
        if len(needs) == 2:
            return grad_x, grad_w
        grad_b = g
        if needs[2] and ndim > 1 and len(self._input_meta[2][0]) == 1:
            # a vector bias: g summed over the batch dims
            grad_b = run(SumBackward1(tuple(range(ndim - 1)), False), g)
        return grad_x, grad_w, grad_b  # any other bias shape: the engine sums g to it


class MmBackward0(AddmmBackward0):
    """linear without a bias."""


def softmax(input, dim, dtype=None, *, out=None):
    """exp(x) / sum(exp(x)) along dim, computed stably (torch.softmax, Tensor.softmax); out must
    have the result's dtype."""
    from ember._ops.inplace import out_exact
    from ember._ops.shape import wrap_dim

    if dtype is not None:
        input = input.to(dtype)
    return out_exact(SoftmaxBackward0(wrap_dim(dim, input.ndim)).apply(input), out)


def log_softmax(input, dim, dtype=None, *, out=None):
    """log(softmax(x)) along dim, without its underflow (torch.log_softmax, Tensor.log_softmax);
    out must have the result's dtype."""
    from ember._ops.inplace import out_exact
    from ember._ops.shape import wrap_dim

    if dtype is not None:
        input = input.to(dtype)
    return out_exact(LogSoftmaxBackward0(wrap_dim(dim, input.ndim)).apply(input), out)
