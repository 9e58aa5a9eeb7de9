"""The legacy typed API: torch.Tensor(...) and the typed constructors (FloatTensor, LongTensor,
...), and Tensor.type() with torch's legacy type names."""

from __future__ import annotations

import builtins

import numpy

from ember import _dtype
from ember._ops.creation import _SEQUENCES, _tensor_cls, empty, tensor

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
