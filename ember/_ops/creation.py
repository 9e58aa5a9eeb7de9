"""Tensor creation and conversion: tensor, as_tensor, from_numpy, the legacy constructors, zeros /
ones / full / empty / eye / arange / range / linspace / logspace and their *_like forms, to(),
clone, copy_, and the way out to NumPy and Python."""

from __future__ import annotations

import builtins
import math
import numbers

import numpy

from ember import _dtype
from ember._backend import to_host, xp_of
from ember._device import CPU, to_device
from ember._dtype import COMPLEX, FLOAT, from_numpy_dtype, to_dtype
from ember._ops._op import Op
from ember._ops.inplace import inplace_update
from ember._ops.shape import parse_shape


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def _finish(array, device, requires_grad):
    """Wrap a host array as a tensor on ``device``."""
    device = to_device(device)
    if device.type != "cpu":
        array = xp_of(device).asarray(array)
    t = _tensor_cls()._make(array, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


# -- from data ---------------------------------------------------------------------------------


def _infer_dtype(data):
    """torch's dtype for Python data: bool < int64 < default float < default complex."""
    Tensor = _tensor_cls()
    kinds = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            kinds.add(item.dtype)
        elif isinstance(item, numpy.ndarray | numpy.generic):
            kinds.add(from_numpy_dtype(item.dtype))
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, builtins.bool):
            kinds.add(_dtype.bool)
        elif isinstance(item, numbers.Integral):
            kinds.add(_dtype.int64)
        elif isinstance(item, numbers.Real):
            kinds.add(_dtype.get_default_dtype())
        elif isinstance(item, numbers.Complex):
            kinds.add(_dtype.get_default_dtype().to_complex())
        else:
            raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
    if not kinds:
        return _dtype.get_default_dtype()
    top = builtins.max(d.category for d in kinds)
    if top == COMPLEX:
        return builtins.max((d for d in kinds if d.category == COMPLEX), key=lambda d: d._rank,
                            default=_dtype.get_default_dtype().to_complex())
    if top == FLOAT:
        floats = [d for d in kinds if d.category == FLOAT]
        return floats[0] if len(set(floats)) == 1 else _dtype.get_default_dtype()
    return builtins.max(kinds, key=lambda d: d._rank)


def _to_host_array(data, dtype):
    """A new NumPy array of ``dtype`` from nested Python data, checking that it is not ragged."""
    Tensor = _tensor_cls()
    if isinstance(data, Tensor):
        return to_host(data._data).astype(dtype.np)
    if isinstance(data, (list, tuple)):
        _check_rectangular(data, 0)
        data = [_plain(x, Tensor) for x in data]
    return numpy.array(data, dtype=dtype.np)


def _plain(item, Tensor):
    if isinstance(item, Tensor):
        return to_host(item._data)
    if isinstance(item, (list, tuple)):
        return [_plain(x, Tensor) for x in item]
    return item


def _check_rectangular(data, dim):
    lengths = {len(x) for x in data if isinstance(x, (list, tuple))}
    if not lengths:
        return
    seqs = [x for x in data if isinstance(x, (list, tuple))]
    if len(seqs) != len(data) or len(lengths) > 1:
        expected = len(seqs[0]) if seqs else 0
        bad = next(x for x in data if not isinstance(x, (list, tuple)) or len(x) != expected)
        got = len(bad) if isinstance(bad, (list, tuple)) else type(bad).__name__
        if not isinstance(bad, (list, tuple)):
            raise TypeError(f"expected sequence of length {expected} at dim {dim + 1} "
                            f"(got {got})" if False else "not a sequence")
        raise ValueError(f"expected sequence of length {expected} at dim {dim + 1} (got {got})")
    for x in seqs:
        _check_rectangular(x, dim + 1)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor that copies ``data``; dtype inferred as torch does (torch.tensor)."""
    dtype = to_dtype(dtype) or _infer_dtype(data)
    return _finish(_to_host_array(data, dtype), device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Share memory with a tensor or ndarray when dtype and device allow, else copy."""
    Tensor = _tensor_cls()
    dtype = to_dtype(dtype)
    if isinstance(data, Tensor):
        return data.to(device=device or data.device, dtype=dtype or data.dtype)
    if isinstance(data, numpy.ndarray) and (dtype is None or dtype.np == data.dtype):
        out = from_numpy(data)
        return out if device is None else out.to(device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A tensor sharing the array's memory (torch.from_numpy)."""
    if not isinstance(ndarray, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtype = from_numpy_dtype(ndarray.dtype)
    if builtins.any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if not ndarray.dtype.isnative:
        ndarray = ndarray.astype(dtype.np)
    return _tensor_cls()._make(ndarray, CPU)


def tensor_from_pickle(array, device, requires_grad):
    t = _finish(array, device, False)
    t._requires_grad = requires_grad
    return t


# -- legacy constructors -------------------------------------------------------------------------


def legacy_new(cls, *args, dtype=None, device=None):
    """torch.Tensor(*sizes) (uninitialised), torch.Tensor(data) (a float copy), Tensor()."""
    dtype = dtype or _dtype.get_default_dtype()
    Tensor = _tensor_cls()
    if not args:
        return empty(0, dtype=dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0] if args[0].dtype is dtype else args[0].to(dtype)
    from ember._tensor import Size

    if builtins.all(isinstance(a, int) and not isinstance(a, builtins.bool) for a in args) or (
            len(args) == 1 and isinstance(args[0], Size)):
        return empty(*args, dtype=dtype, device=device)
    if len(args) > 1:
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    return tensor(args[0], dtype=dtype, device=device)


class _LegacyTypeMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, _tensor_cls()) and obj.dtype is cls.dtype and obj.is_cpu


def _legacy_type(name, dtype):
    def __new__(cls, *args, device=None):
        return legacy_new(_tensor_cls(), *args, dtype=dtype, device=device)

    return _LegacyTypeMeta(name, (), {"__new__": __new__, "dtype": dtype,
                                      "__doc__": f"torch.{name}: the legacy {dtype} constructor"})


FloatTensor = _legacy_type("FloatTensor", _dtype.float32)
DoubleTensor = _legacy_type("DoubleTensor", _dtype.float64)
HalfTensor = _legacy_type("HalfTensor", _dtype.float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", _dtype.bfloat16)
LongTensor = _legacy_type("LongTensor", _dtype.int64)
IntTensor = _legacy_type("IntTensor", _dtype.int32)
ShortTensor = _legacy_type("ShortTensor", _dtype.int16)
CharTensor = _legacy_type("CharTensor", _dtype.int8)
ByteTensor = _legacy_type("ByteTensor", _dtype.uint8)
BoolTensor = _legacy_type("BoolTensor", _dtype.bool)


# -- factories -----------------------------------------------------------------------------------


def _factory(fill, size, dtype, device, requires_grad):
    shape = parse_shape(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(shape)}")
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    device = to_device(device)
    xp = xp_of(device)
    array = xp.empty(shape, dtype.np) if fill is None else xp.full(shape, fill, dtype.np)
    t = _tensor_cls()._make(array, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          pin_memory=False, memory_format=None):
    """An uninitialised tensor (here zero-filled, so results are reproducible) (torch.empty)."""
    return _factory(0, size, dtype, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of zeros (torch.zeros)."""
    return _factory(0, size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of ones (torch.ones)."""
    return _factory(1, size, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None,
         layout=None):
    """A tensor filled with ``fill_value``; dtype inferred from it as torch does (torch.full)."""
    if dtype is None:
        dtype = _infer_dtype(fill_value)
    return _factory(fill_value, (size,) if isinstance(size, int) else size, dtype, device,
                    requires_grad)


def _like(fn, input, dtype, device, requires_grad, *args):
    return fn(*args, input.shape, dtype=dtype or input.dtype, device=device or input.device,
              requires_grad=requires_grad) if args == () else fn(
        input.shape, *args, dtype=dtype or input.dtype, device=device or input.device,
        requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None):
    return _like(empty, input, dtype, device, requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None):
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
              layout=None):
    return _like(ones, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None, layout=None):
    return _like(full, input, dtype, device, requires_grad, fill_value)


def full_like_scalar(value, like):
    """A 0-dim tensor holding a Python scalar, with the dtype torch gives that scalar."""
    return full((), value, dtype=_dtype.scalar_dtype(value), device=like.device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None):
    """The identity matrix, n x m (torch.eye)."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    return _finish(numpy.eye(n, n if m is None else m, dtype=dtype.np), device, requires_grad)


def _number(x):
    return x.item() if hasattr(x, "item") and not isinstance(x, (int, float)) else x


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """start, start + step, ... below end; int64 unless a bound is float (torch.arange)."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _infer_dtype([start, end, step])
    dtype = to_dtype(dtype)
    count = math.ceil((end - start) / step)
    # NOTE: torch computes start + i * step in double (int64 for integers), then casts
    wide = numpy.float64 if dtype.category >= FLOAT else numpy.int64
    values = start + numpy.arange(count, dtype=wide) * step
    return _finish(values.astype(dtype.np), device, requires_grad)


def range(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Deprecated in torch: like arange but end is included; float by default (torch.range)."""
    if end is None:
        start, end = 0, start
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    count = int(math.floor((end - start) / step)) + 1
    values = start + numpy.arange(builtins.max(count, 0), dtype=numpy.float64) * step
    return _finish(values.astype(dtype.np), device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    """``steps`` evenly spaced values from start to end inclusive (torch.linspace)."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    start, end = _number(start), _number(end)
    # NOTE: torch fills the first half from start and the second half from end, for symmetry
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    index = numpy.arange(steps, dtype=numpy.float64)
    half = steps // 2
    values = numpy.where(index < half, start + step * index, end - step * (steps - 1 - index))
    if dtype.category < FLOAT:
        values = numpy.trunc(values)
    return _finish(values.astype(dtype.np), device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False,
             out=None):
    """base ** linspace(start, end, steps) (torch.logspace)."""
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    exponents = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish((base ** exponents).astype(dtype.np), device, requires_grad)


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
            out = xp_of(self.device).asarray(out) if self.device.type != "cpu" else to_host(out)
        return out

    def _wrap(self, array, device, Tensor):
        return Tensor._make(array, self.device)

    def backward(self, g):
        dtype, _ = self._input_meta[0][1], None
        return g.to(device=self._in_device, dtype=dtype)


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
    return op.apply(input)


_TYPE_NAMES = {"torch.FloatTensor": _dtype.float32, "torch.DoubleTensor": _dtype.float64,
               "torch.HalfTensor": _dtype.float16, "torch.LongTensor": _dtype.int64,
               "torch.IntTensor": _dtype.int32, "torch.ShortTensor": _dtype.int16,
               "torch.CharTensor": _dtype.int8, "torch.ByteTensor": _dtype.uint8,
               "torch.BoolTensor": _dtype.bool, "torch.BFloat16Tensor": _dtype.bfloat16}


def type_(input, dtype=None):
    """Tensor.type(): the legacy type name, or a conversion to a dtype or type name."""
    if dtype is None:
        from ember._ops._op import _legacy_type_name

        return _legacy_type_name(input)
    if isinstance(dtype, str):
        dtype = _TYPE_NAMES[dtype.replace("ember.", "torch.")]
    elif isinstance(dtype, _LegacyTypeMeta):
        dtype = dtype.dtype
    return input.to(dtype)


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
        raise RuntimeError(f"a Tensor with {input._data.size} elements cannot be converted to "
                           "Scalar")
    return item(input)


def index_value(input):
    """__index__: only integer tensors with one element, as torch."""
    if input.dtype.category > _dtype.INT or input._data.size != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(item(input))
