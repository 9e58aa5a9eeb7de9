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
from ember._dtype import BOOL, COMPLEX, FLOAT, from_numpy_dtype, to_dtype
from ember._ops import _ranges
from ember._ops._op import Op, _legacy_type_name
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


_SEQUENCES = (list, tuple, builtins.range)


def _infer_dtype(data):
    """torch's dtype for Python data: each item's own dtype (bool, int64, the default float or
    complex for Python numbers; their dtype for tensors and NumPy values), promoted together."""
    result = None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, _SEQUENCES):
            stack.extend(item)
            continue
        dtype = _item_dtype(item)
        result = dtype if result is None else _dtype.promote_types(result, dtype)
    return result or _dtype.get_default_dtype()


def _item_dtype(item):
    if isinstance(item, (_tensor_cls(), numpy.ndarray, numpy.generic)):
        return item.dtype if isinstance(item, _tensor_cls()) else from_numpy_dtype(item.dtype)
    if isinstance(item, builtins.bool):
        return _dtype.bool
    if isinstance(item, numbers.Integral):
        return _dtype.int64
    if isinstance(item, numbers.Real):
        return _dtype.get_default_dtype()
    if isinstance(item, numbers.Complex):
        return _dtype.get_default_dtype().to_complex()
    if item is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    raise TypeError(f"new(): invalid data type '{type(item).__name__}'")


def _to_host_array(data, dtype):
    """A new NumPy array of ``dtype`` from nested Python data, checking that it is not ragged."""
    Tensor = _tensor_cls()
    if isinstance(data, Tensor):
        return to_host(data._data).astype(dtype.np)
    if isinstance(data, _SEQUENCES):
        _check_rectangular(data, 0)
        data = [_plain(x, Tensor) for x in data]
    try:
        return numpy.array(data, dtype=dtype.np)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None


def _plain(item, Tensor):
    if isinstance(item, Tensor):
        return to_host(item._data)
    if isinstance(item, (list, tuple)):
        return [_plain(x, Tensor) for x in item]
    return item


def _check_rectangular(data, dim):
    """torch's errors for ragged data: the first item decides what every other item must be."""
    if not data:
        return
    if not isinstance(data[0], _SEQUENCES):
        for item in data:
            if isinstance(item, _SEQUENCES):
                raise TypeError(f"'{type(item).__name__}' object cannot be interpreted as an "
                                "integer")
        return
    expected = len(data[0])
    for item in data:
        if not isinstance(item, _SEQUENCES):
            raise TypeError("not a sequence")
        if len(item) != expected:
            raise ValueError(f"expected sequence of length {expected} at dim {dim + 1} "
                             f"(got {len(item)})")
    for item in data:
        _check_rectangular(item, dim + 1)


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
    """torch.Tensor(*sizes) (uninitialised), torch.Tensor(data) (a copy in the default dtype),
    torch.Tensor(tensor) (that tensor itself), Tensor(); FloatTensor(...) and friends pass their
    ``dtype``."""
    typed, dtype = dtype is not None, dtype or _dtype.get_default_dtype()
    if not args:
        return empty(0, dtype=dtype, device=device)
    first = args[0]
    if len(args) == 1 and isinstance(first, _tensor_cls()):
        if typed and first.dtype is not dtype:
            raise TypeError(f"expected {dtype} (got {first.dtype})")
        return first
    from ember._tensor import Size

    if builtins.all(isinstance(a, int) and not isinstance(a, builtins.bool) for a in args) or (
            len(args) == 1 and isinstance(first, Size)):
        return empty(*args, dtype=dtype, device=device)
    if len(args) > 1:
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    if not isinstance(first, (*_SEQUENCES, numpy.ndarray)):
        raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
    return tensor(first, dtype=dtype, device=device)


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
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if dtype is None:
        dtype = _infer_dtype(fill_value)
    return _factory(fill_value, size, dtype, device, requires_grad)


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


def _scalar_name(dtype):
    return _legacy_type_name(type("T", (), {"dtype": dtype})).split(".")[1][:-6]


def _number(x):
    return x.item() if hasattr(x, "item") and not isinstance(x, (int, float)) else x


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """start, start + step, ... below end; int64 unless a bound is float (torch.arange), with the
    exact values of torch's CPU kernel (see _ranges.py)."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    dtype = to_dtype(dtype) or _infer_dtype([start, end, step])
    if dtype.category in (BOOL, COMPLEX):
        raise NotImplementedError(f'"arange_cpu" not implemented for \'{_scalar_name(dtype)}\'')
    first, last, stride = _bounds(start, end, step, dtype, "larger")
    if dtype is _dtype.int64:
        count = _int_ceil_div(last - first, stride)
    else:
        count = math.ceil((end - start) / step)  # NOTE: in float64, from the bounds as given
    values = _ranges.arange_values(first, stride, count, dtype.np)
    return _finish(values, device, requires_grad)


def range(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Deprecated in torch: like arange but end is included; float by default (torch.range)."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    first, last, stride = _bounds(start, end, step, dtype, "lower")
    span = last - first
    count = (abs(span) // abs(stride) if dtype.category < FLOAT else int(span / stride)) + 1
    return _finish(_ranges.range_values(first, stride, count, dtype.np), device, requires_grad)


def _bounds(start, end, step, dtype, word):
    """start, end, step as torch's kernels see them (integers truncated), after its checks."""
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError(f"upper bound and {word} bound inconsistent with step sign")
    if dtype.category < FLOAT:
        start, end, step = int(start), int(end), int(step)
        if step == 0 and dtype is _dtype.int64:  # the count divides by the truncated step
            raise ValueError("step must be nonzero")
    elif dtype.itemsize == 2:  # 16-bit floats accumulate in float32
        start, end, step = (float(numpy.float32(x)) for x in (start, end, step))
    return start, end, step


def _int_ceil_div(span, step):
    # torch's int64 arange: (span + step - sign(step)) / step, truncating like C
    sign = 1 if step > 0 else -1
    numerator = span + step - sign
    quotient = abs(numerator) // abs(step)
    return quotient if (numerator >= 0) == (step > 0) else -quotient


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    """``steps`` evenly spaced values from start to end inclusive, with the exact values of torch's
    CPU kernel (torch.linspace)."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    start, end = _number(start), _number(end)
    values = _ranges.linspace_values(start, end, steps, dtype.np) if steps else numpy.empty(
        0, dtype.np)
    return _finish(values, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False,
             out=None):
    """base ** linspace(start, end, steps), with torch's exact values (torch.logspace)."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    start, end = _number(start), _number(end)
    values = _ranges.logspace_values(start, end, steps, base, dtype.np) if steps else (
        numpy.empty(0, dtype.np))
    return _finish(values, device, requires_grad)


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
        raise ValueError("only one element tensors can be converted to Python scalars")
    return item(input)


def index_value(input):
    """__index__: only integer tensors with one element, as torch."""
    if input.dtype.category > _dtype.INT or input._data.size != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(item(input))
