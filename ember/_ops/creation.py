"""Tensor creation: tensor, as_tensor, from_numpy, zeros / ones / full / empty / eye / arange /
range / linspace / logspace and their *_like forms. The legacy constructors (torch.Tensor(...),
FloatTensor, ...) live in legacy.py; to(), clone, copy_ and the way out to NumPy and Python in
conversion.py."""

from __future__ import annotations

import builtins
import math
import numbers
import warnings

import numpy

from ember import _dtype
from ember._backend import to_host, xp_of
from ember._device import CPU, to_device
from ember._dtype import BOOL, COMPLEX, FLOAT, from_numpy_dtype, to_dtype
from ember._ops import _ranges
from ember._ops.factory_args import (
    NO_SIZE,
    _scalar_name,
    check_size_sequence,
    out_options,
    shape_of,
    size_arg,
    write_out,
)


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


# -- factories -----------------------------------------------------------------------------------


def _factory(fill, shape, dtype, device, requires_grad):
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    device = to_device(device)
    xp = xp_of(device)
    array = xp.empty(shape, dtype.np) if fill is None else xp.full(shape, fill, dtype.np)
    t = _tensor_cls()._make(array, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def empty(*args, size=NO_SIZE, dtype=None, device=None, requires_grad=False, out=None,
          layout=None, pin_memory=False, memory_format=None):
    """An uninitialised tensor (here zero-filled, so results are reproducible) (torch.empty);
    the size as torch takes it: empty(2, 3), empty((2, 3)) or empty(size=(2, 3))."""
    shape = size_arg("empty", args, size)
    dtype, device = out_options("empty", out, dtype, device, resizes=True)
    return write_out(_factory(0, shape, dtype, device, False), out, requires_grad)


def zeros(*args, size=NO_SIZE, dtype=None, device=None, requires_grad=False, out=None,
          layout=None):
    """A tensor of zeros (torch.zeros); zeros(2, 3), zeros((2, 3)) or zeros(size=(2, 3))."""
    shape = size_arg("zeros", args, size)
    dtype, device = out_options("zeros", out, dtype, device)
    return write_out(_factory(0, shape, dtype, device, False), out, requires_grad)


def ones(*args, size=NO_SIZE, dtype=None, device=None, requires_grad=False, out=None,
         layout=None):
    """A tensor of ones (torch.ones); ones(2, 3), ones((2, 3)) or ones(size=(2, 3))."""
    shape = size_arg("ones", args, size)
    dtype, device = out_options("ones", out, dtype, device)
    return write_out(_factory(1, shape, dtype, device, False), out, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None,
         layout=None):
    """A tensor filled with ``fill_value``; dtype inferred from it as torch does, or out's
    (torch.full)."""
    check_size_sequence("full", size, "'size' (position 1)")
    dtype, device = out_options("full", out, dtype, device)
    if dtype is None:
        dtype = _infer_dtype(fill_value)
    fill_value = _checked_fill(_number(fill_value), to_dtype(dtype))
    result = _factory(fill_value, shape_of((size,)), dtype, device, False)
    return write_out(result, out, requires_grad)


_C_TYPES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "float32": "float", "float64": "double", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}
_FLOAT_MAX = {"float16": 65504.0, "bfloat16": (2 - 2**-7) * 2**127,
              "float32": (2 - 2**-23) * 2**127, "float64": 1.7976931348623157e308}
_FLOAT_MAX.update(complex64=_FLOAT_MAX["float32"], complex128=_FLOAT_MAX["float64"])


def _checked_fill(value, dtype):
    """A fill value as torch's checked scalar conversion takes it: a Python int beyond int64 and
    uint64 is an OverflowError; a value outside the dtype's range (a complex with an imaginary
    part, for a real dtype) torch's RuntimeError; a negative int wraps into an unsigned dtype
    down to minus its maximum; bool takes anything."""
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**64:
        raise OverflowError("int too big to convert" if value > 0 else
                            "can't convert negative int to unsigned")
    if dtype.category == BOOL or not isinstance(value, numbers.Number):
        return value
    parts = [value.real, value.imag] if isinstance(value, complex) else [value]
    if dtype.category != COMPLEX and len(parts) == 2:
        if parts[1] != 0:
            _fill_overflow(dtype)
        parts = parts[:1]
        value = parts[0]
    for part in parts:
        if dtype.category >= FLOAT:
            bad = not math.isinf(part) and abs(part) > _FLOAT_MAX[dtype.name]
        else:
            info = numpy.iinfo(dtype.np)
            low = -int(info.max) if isinstance(part, int) and not dtype.is_signed else info.min
            bad = part != part or not low <= part <= info.max
        if bad:
            _fill_overflow(dtype)
    if isinstance(value, int) and value < 0 and not dtype.is_signed:
        value %= 2 ** (8 * dtype.itemsize)
    return value


def _fill_overflow(dtype):
    raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dtype.name]} without "
                       "overflow")


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
    dtype, device = out_options("eye", out, dtype, device)
    dtype = dtype or _dtype.get_default_dtype()
    result = _finish(numpy.eye(n, n if m is None else m, dtype=dtype.np), device, False)
    return write_out(result, out, requires_grad)


def _number(x):
    return x.item() if hasattr(x, "item") and not isinstance(x, (int, float)) else x


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """start, start + step, ... below end; int64 unless a bound is float (torch.arange), with the
    exact values of torch's CPU kernel (see _ranges.py)."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    dtype, device = out_options("arange", out, dtype, device)
    dtype = dtype or _infer_dtype([start, end, step])
    if dtype.category in (BOOL, COMPLEX):
        raise NotImplementedError(f'"arange_cpu" not implemented for \'{_scalar_name(dtype)}\'')
    first, last, stride = _bounds(start, end, step, dtype, "larger")
    if dtype is _dtype.int64:
        count = _int_ceil_div(last - first, stride)
    else:
        count = math.ceil((end - start) / step)  # NOTE: in float64, from the bounds as given
    values = _ranges.arange_values(first, stride, count, dtype.np)
    if out is not None and out.numel() not in (0, values.size):
        warnings.warn(f"The number of elements in the out tensor of shape {list(out.shape)} is "
                      f"{out.numel()} which does not match the computed number of elements "
                      f"{values.size}. Note that this may occur as a result of rounding error. "
                      f"The out tensor will be resized to a tensor of shape ({values.size},).",
                      UserWarning, stacklevel=2)
    return write_out(_finish(values, device, False), out, requires_grad, keep_numel=True)


def range(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Deprecated in torch: like arange but end is included; float by default (torch.range)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    dtype, device = out_options("range", out, dtype, device)
    dtype = dtype or _dtype.get_default_dtype()
    _reject_kind("range", dtype, 1, BOOL, COMPLEX)
    first, last, stride = _bounds(start, end, step, dtype, "lower")
    span = last - first
    count = (abs(span) // abs(stride) if dtype.category < FLOAT else int(span / stride)) + 1
    result = _finish(_ranges.range_values(first, stride, count, dtype.np), device, False)
    return write_out(result, out, requires_grad, keep_numel=True)


def _reject_kind(name, dtype, count, *categories):
    """torch's NotImplementedError for a dtype its range kernel is not compiled for; the kernel
    runs (and refuses) only when there are elements to fill."""
    if count and dtype.category in categories:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_scalar_name(dtype)}\'')


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
    dtype, device = out_options("linspace", out, dtype, device)
    dtype = dtype or _dtype.get_default_dtype()
    _reject_kind("linspace", dtype, steps, BOOL)
    start, end = _number(start), _number(end)
    values = _ranges.linspace_values(start, end, steps, dtype.np) if steps else numpy.empty(
        0, dtype.np)
    return write_out(_finish(values, device, False), out, requires_grad, keep_numel=True)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False,
             out=None):
    """base ** linspace(start, end, steps), with torch's exact values (torch.logspace)."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype, device = out_options("logspace", out, dtype, device)
    dtype = dtype or _dtype.get_default_dtype()
    _reject_kind("logspace", dtype, steps, BOOL)
    start, end = _number(start), _number(end)
    values = _ranges.logspace_values(start, end, steps, base, dtype.np) if steps else (
        numpy.empty(0, dtype.np))
    return write_out(_finish(values, device, False), out, requires_grad, keep_numel=True)
