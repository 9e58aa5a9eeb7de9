"""Normalisation with torch.nn.functional's semantics: batch_norm, layer_norm and group_norm are
Ops (torch's Native*Backward0 nodes), instance_norm, rms_norm and local_response_norm are
composites built as torch builds them.

The three Ops share one gradient: for y = (x - mean) * invstd over some dims,
dx = invstd * (dy - mean(dy) - xhat * mean(dy * xhat)). Backward evaluates it with tensor ops;
when a graph is being built (create_graph) it recomputes mean and invstd from x with tensor ops
too, so the gradient is itself differentiable and double backward is exact.
"""

from __future__ import annotations

import math

from ember._ops import join as J
from ember._ops._op import Op
from ember.autograd.grad_mode import no_grad
from ember.autograd.grad_mode import state as _grad_state


def _tensor(array, like):
    from ember._tensor import Tensor

    return Tensor._make(array.astype(like.dtype.np, copy=False), like.device)


def _opmath(xp, x):
    """Half-precision inputs are normalised in float32, as torch's CPU kernels do."""
    return x.astype(xp.float32) if x.dtype.itemsize < 4 else x


def _moments(xp, x, dims, acc):
    """Mean and biased variance over dims (kept), accumulated in ``acc``."""
    mean = x.mean(axis=dims, keepdims=True, dtype=acc)
    centred = x - mean
    return mean, (centred * centred).mean(axis=dims, keepdims=True, dtype=acc)


def _input_grad(gxhat, xhat, invstd, dims):
    """The gradient through (x - mean(x)) * invstd(x) over dims, given the gradient of xhat."""
    return invstd * (gxhat - gxhat.mean(dims, keepdim=True)
                     - xhat * (gxhat * xhat).mean(dims, keepdim=True))


class _Normalization(Op):
    """Shared backward: self.dims are the normalised dims of the (possibly regrouped) input."""

    promote = "keep"

    @staticmethod
    def _wide(t):
        return t.float() if t.dtype.itemsize < 4 else t  # half precision works in float32

    def _standardized(self, x):
        """xhat and invstd as tensors: from the forward's statistics, or recomputed from x with
        tensor ops when grad mode is on (a graph is being built, for double backward)."""
        wide = self._wide(x)
        if _grad_state.enabled:
            centred = wide - wide.mean(self.dims, keepdim=True)
            invstd = ((centred * centred).mean(self.dims, keepdim=True) + self.eps).rsqrt()
            return centred * invstd, invstd
        invstd = _tensor(self.invstd, wide)
        return (wide - _tensor(self.mean, wide)) * invstd, invstd


class NativeBatchNormBackward0(_Normalization):
    """Per-channel normalisation over (N, *spatial) with batch statistics (training) or the
    given running statistics (eval); saved mean / var feed the running-stat update."""

    def __init__(self, training, eps, stats=None):
        self.training, self.eps, self.stats = training, eps, stats

    def forward(self, input, weight=None, bias=None):
        xp = self.xp
        self.dims = (0,) + tuple(range(2, input.ndim))
        self.cshape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
        if self.training:
            # NOTE: torch accumulates batch statistics in double for float input
            acc = xp.float64 if input.dtype == xp.float32 else _opmath(xp, input[:0]).dtype
            self.mean, self.var = _moments(xp, input, self.dims, acc)
        else:
            self.mean, self.var = (s.reshape(self.cshape) for s in self.stats)
        opmath = _opmath(xp, input[:0]).dtype
        self.invstd = (1 / xp.sqrt(self.var + self.eps)).astype(opmath)
        self.mean = self.mean.astype(opmath)
        alpha = self.invstd if weight is None else self.invstd * weight.reshape(self.cshape)
        beta = -self.mean * alpha if bias is None else bias.reshape(self.cshape) - self.mean * alpha
        self.save(input, weight)
        return (input * alpha.astype(opmath) + beta.astype(opmath)).astype(input.dtype)

    def backward(self, g):
        x, w = self.saved
        g = self._wide(g)
        if self.training:
            xhat, invstd = self._standardized(x)
        else:
            invstd = _tensor(self.invstd, g)
            xhat = (x - _tensor(self.mean, x)) * invstd
        gxhat = g if w is None else g * w.reshape(self.cshape)
        need = self.needs_input_grad
        grad_x = None
        if need[0]:
            grad_x = _input_grad(gxhat, xhat, invstd, self.dims) if self.training else \
                gxhat * invstd
        grad_w = (g * xhat).sum(self.dims) if len(need) > 1 and need[1] else None
        grad_b = g.sum(self.dims) if len(need) > 2 and need[2] else None
        return grad_x, grad_w, grad_b


def _check_features(name, tensor, features):
    if tensor is not None and tensor.numel() != features:
        raise RuntimeError(f"{name} should contain {features} elements not {tensor.numel()}")


def _check_mixed(input, tensors):
    """torch's CPU batch_norm: float input needs parameters of its own dtype; half input may
    also take float parameters."""
    params = [t for t in tensors if t is not None]
    if input.dtype.itemsize >= 4:
        if any(t.dtype is not input.dtype for t in params):
            if input.dtype.name == "float32":
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of "
                                   "Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _verify_batch_size(size):
    if math.prod(size[:1] + size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def _update_running(running_mean, running_var, op, momentum, count):
    """running = momentum * batch + (1 - momentum) * running, with the unbiased batch variance,
    computed in float64 and stored in place (torch's update, in its accumulation type)."""
    mean, var = op.mean.reshape(-1), op.var.reshape(-1) * count / (count - 1)
    with no_grad():
        for running, batch in ((running_mean, mean), (running_var, var)):
            if running is not None:
                new = momentum * batch + (1 - momentum) * running._data.astype("float64")
                running.copy_(_tensor(new.reshape(running.shape), running))


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """torch.batch_norm: checks, the Op, then the running-statistics update when training."""
    features = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
        _check_features(name, t, features)
    _check_features("weight", weight, features)
    _check_features("bias", bias, features)
    _check_mixed(input, (weight, bias, running_mean, running_var))
    stats = None if training else (running_mean._data, running_var._data)
    op = NativeBatchNormBackward0(training, eps, stats)
    out = op.apply(input, weight, bias)
    if training and (running_mean is not None or running_var is not None):
        _update_running(running_mean, running_var, op, momentum, input.numel() // features)
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over (N, C, *) (torch.nn.functional.batch_norm); in training the
    running statistics, when given, are updated in place."""
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                             eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Batch norm of each (sample, channel) on its own: torch runs batch_norm on the input seen
    as (1, N * C, *), then averages the running statistics over the batch
    (torch.nn.functional.instance_norm)."""
    if use_input_stats:
        size = input.size()
        if math.prod(size[2:]) == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {size}")
    n, c = input.shape[0], input.shape[1]
    weight, bias, *stats = (None if t is None else t.repeat(n)
                            for t in (weight, bias, running_mean, running_var))
    out = native_batch_norm(input.reshape((1, n * c) + tuple(input.shape[2:])), weight, bias,
                            *stats, use_input_stats, momentum, eps)
    with no_grad():
        for running, repeated in zip((running_mean, running_var), stats):
            if running is not None:
                running.copy_(repeated.reshape(n, c).mean(0))
    return out.reshape(input.shape)


class NativeLayerNormBackward0(_Normalization):
    """Normalisation over the trailing dims, then elementwise weight and bias."""

    def __init__(self, ndims, eps):
        self.ndims, self.eps = ndims, eps

    def forward(self, input, weight=None, bias=None):
        xp = self.xp
        self.dims = tuple(range(input.ndim - self.ndims, input.ndim))
        x = _opmath(xp, input)
        self.mean, var = _moments(xp, x, self.dims, x.dtype)
        self.invstd = 1 / xp.sqrt(var + self.eps)
        y = (x - self.mean) * self.invstd
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        self.save(input, weight)
        return y.astype(input.dtype)

    def backward(self, g):
        x, w = self.saved
        g = self._wide(g)
        xhat, invstd = self._standardized(x)
        need = self.needs_input_grad
        grad_x = _input_grad(g if w is None else g * w, xhat, invstd, self.dims) if need[0] \
            else None
        grad_w = g * xhat if len(need) > 1 and need[1] else None  # the engine sums the batch
        grad_b = g if len(need) > 2 and need[2] else None
        return grad_x, grad_w, grad_b


def _normalized_shape(name, normalized_shape):
    if isinstance(normalized_shape, int):
        raise TypeError(f"{name}(): argument 'normalized_shape' (position 2) must be tuple of "
                        "ints, not int")
    return tuple(normalized_shape)


def _check_trailing(input, shape, star="*, "):
    if tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[{star}{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")


def _check_affine(name, tensor, shape):
    if tensor is not None and tuple(tensor.shape) != shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                           f"{name} of shape {list(tensor.shape)} and normalized_shape = "
                           f"{list(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalisation over the trailing normalized_shape dims (torch.nn.functional.layer_norm)."""
    shape = _normalized_shape("layer_norm", normalized_shape)
    _check_affine("weight", weight, shape)
    _check_affine("bias", bias, shape)
    _check_trailing(input, shape)
    return NativeLayerNormBackward0(len(shape), eps).apply(input, weight, bias)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing dims, eps defaulting to the dtype's machine
    epsilon; half input is computed in float32 (torch.nn.functional.rms_norm, a composite)."""
    shape = _normalized_shape("rms_norm", normalized_shape)
    _check_affine("weight", weight, shape)
    _check_trailing(input, shape, star="*")
    wide = input.float() if input.dtype.itemsize < 4 else input
    if eps is None:
        eps = 2.0 ** -23 if wide.dtype.name == "float32" else 2.0 ** -52  # machine epsilon
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = (wide * (wide.pow(2).mean(dims, keepdim=True) + eps).rsqrt()).to(input.dtype)
    return out if weight is None else out * weight


class NativeGroupNormBackward0(_Normalization):
    """Normalisation over each group of channels (with their spatial dims), then per-channel
    weight and bias."""

    def __init__(self, groups, eps):
        self.groups, self.eps, self.dims = groups, eps, (2,)

    def _grouped(self, x):
        return x.reshape(x.shape[0], self.groups, math.prod(x.shape[1:]) // self.groups)

    def forward(self, input, weight=None, bias=None):
        xp = self.xp
        x = self._grouped(_opmath(xp, input))
        self.mean, var = _moments(xp, x, self.dims, x.dtype)
        self.invstd = 1 / xp.sqrt(var + self.eps)
        y = ((x - self.mean) * self.invstd).reshape(input.shape)
        self.cshape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
        if weight is not None:
            y = y * weight.reshape(self.cshape)
        if bias is not None:
            y = y + bias.reshape(self.cshape)
        self.save(input, weight)
        return y.astype(input.dtype)

    def backward(self, g):
        x, w = self.saved
        g = self._wide(g)
        xhat, invstd = self._standardized(self._grouped(x))
        gxhat = self._grouped(g if w is None else g * w.reshape(self.cshape))
        need = self.needs_input_grad
        grad_x = _input_grad(gxhat, xhat, invstd, self.dims).reshape(x.shape) if need[0] \
            else None
        sum_dims = (0,) + tuple(range(2, x.ndim))
        grad_w = (g * xhat.reshape(x.shape)).sum(sum_dims) if len(need) > 1 and need[1] \
            else None
        grad_b = g.sum(sum_dims) if len(need) > 2 and need[2] else None
        return grad_x, grad_w, grad_b


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalisation over groups of channels (torch.nn.functional.group_norm)."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    channels = input.shape[1]
    if channels % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and num_groups="
                           f"{num_groups}")
    size = input.size()  # an ember.Size, so the message prints as torch's does
    _verify_batch_size(size[:0] + (size[0] * channels // num_groups, num_groups) + size[2:])
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != channels):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    return NativeGroupNormBackward0(num_groups, eps).apply(input, weight, bias)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over a window of `size` channels) ** beta, the window padded
    with zeros as torch's average pooling does (torch.nn.functional.local_response_norm)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    squares = input * input
    channels = input.shape[1]
    zeros = [squares.new_zeros((input.shape[0], n) + tuple(input.shape[2:]))
             for n in (size // 2, (size - 1) // 2)]
    padded = J.cat([zeros[0], squares, zeros[1]], 1)
    window = padded.narrow(1, 0, channels)
    for offset in range(1, size):
        window = window + padded.narrow(1, offset, channels)
    div = (window / size * alpha + k).pow(beta)
    return input / div

