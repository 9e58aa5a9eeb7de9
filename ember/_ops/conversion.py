"""Conversion and copies: Tensor.to (dtype and device), clone, copy_, fill_, and the way out to
NumPy and Python (numpy(), item(), tolist(), bool() / float() / int(), __index__)."""

from __future__ import annotations

import builtins

import numpy

from ember import _dtype
from ember._backend import to_host, xp_of
from ember._device import to_device
from ember._dtype import COMPLEX, to_dtype
from ember._ops._op import Op
from ember._ops.creation import _tensor_cls, full, tensor
from ember._ops.inplace import inplace_update

# -- conversion ----------------------------------------------------------------------------------


class ToCopyBackward0(Op):
    """A copy to another dtype and/or device; the gradient goes back the same way."""

    promote = "keep"

    def __init__(self, dtype, device):
        self.dtype, self.device = dtype, device

    def forward(self, x):
        if x.dtype.kind == "c" and self.dtype.category < COMPLEX:
            x = x.real  # torch warns and drops the imaginary part
        out = x.astype(self.dtype.np)
        if self.device != self._in_device:
            self.xp = xp_of(self.device)  # NOTE: apply wraps the result with self.xp's array type
            out = self.xp.asarray(out) if self.device.type != "cpu" else to_host(out)
        return out

    def backward(self, g):
        return g.to(device=self._in_device, dtype=self._input_meta[0][1])


def _parse_to(args, kwargs):
    Tensor = _tensor_cls()
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, _dtype.dtype) or (isinstance(a, type) and a in (float, int, bool)):
            dtype = a
        elif a is not None and not isinstance(a, builtins.bool):
            device = a
    return to_dtype(dtype), None if device is None else to_device(device)


def to(input, *args, non_blocking=False, copy=False, memory_format=None, **kwargs):
    """Tensor.to(dtype), to(device), to(device, dtype), to(other): self when nothing changes."""
    dtype, device = _parse_to(args, kwargs)
    dtype, device = dtype or input.dtype, device or input.device
    if dtype is input.dtype and device == input.device and not copy:
        return input
    op = ToCopyBackward0(dtype, device)
    op._in_device = input.device
    out = op.apply(input)
    if device != input.device:  # NOTE: apply puts results on the input's device; this op moves
        out.device = device
        if out.grad_fn is op:
            op._output_device = device
    return out


class CloneBackward0(Op):
    promote = "keep"

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


def clone(input, *, memory_format=None):
    """A copy with its own memory, differentiable (torch.clone)."""
    return CloneBackward0().apply(input)


def copy_(input, src):
    """Copy src (broadcast, any dtype and device) into input, in place (Tensor.copy_)."""
    Tensor = _tensor_cls()
    if not isinstance(src, Tensor):
        src = tensor(src)
    value = src.to(device=input.device, dtype=input.dtype)
    if value is src and value._requires_grad:
        value = clone(value)
    if value.shape != input.shape:
        value = value.expand(input.shape)
    return inplace_update(input, value)


def fill_(input, value):
    """Fill with a scalar (or 0-dim tensor) in place (Tensor.fill_)."""
    Tensor = _tensor_cls()
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        return copy_(input, value.expand(input.shape))
    return inplace_update(input, full(input.shape, value, dtype=input.dtype, device=input.device))


def to_numpy(input, force):
    """Tensor.numpy(): the same memory on the CPU; torch's errors for grad and CUDA tensors."""
    if force:
        return to_host(input.detach()._data)
    if input._requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                           "tensor.detach().numpy() instead.")
    if input.device.type != "cpu":
        raise TypeError(f"can't convert {input.device} device type tensor to numpy. Use "
                        "Tensor.cpu() to copy the tensor to host memory first.")
    return input._data


def item(input):
    """The single value as a Python number (Tensor.item)."""
    if input._data.size != 1:
        raise RuntimeError(f"a Tensor with {input._data.size} elements cannot be converted to "
                           "Scalar")
    return to_host(input._data).reshape(()).item() if input.dtype.name != "bfloat16" else float(
        to_host(input._data).reshape(()))


def tolist(input):
    """Nested Python lists of Python numbers (Tensor.tolist)."""
    host = to_host(input._data)
    if input.dtype.name == "bfloat16":
        host = host.astype(numpy.float32)
    return host.tolist()


def scalar_value(input, what):
    """The value for bool()/float()/int(): one element only, as torch requires."""
    if input._data.size != 1:
        if what == "Boolean":
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        raise ValueError("only one element tensors can be converted to Python scalars")
    return item(input)


def index_value(input):
    """__index__: only integer tensors with one element, as torch."""
    if input.dtype.category > _dtype.INT or input._data.size != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(item(input))
