"""finfo and iinfo: the numerical limits of floating-point and integer dtypes (torch.finfo,
torch.iinfo), read from NumPy and ml_dtypes (which knows bfloat16)."""

from __future__ import annotations

import builtins

import ml_dtypes

from ember import _dtype


def _as_dtype(value, name):
    """An ember dtype from a dtype or a Python type (float, int, ...), else torch's TypeError."""
    if isinstance(value, _dtype.dtype):
        return value
    if value in (builtins.float, builtins.int, builtins.bool, builtins.complex):
        return _dtype.to_dtype(value)
    raise TypeError(f"{name}(): argument 'type' (position 1) must be torch.dtype, not "
                    f"{type(value).__name__}")


class _Info:
    """Read-only attributes and torch's repr ``finfo(resolution=0.001, ...)``, numbers as %g."""

    _FIELDS: tuple = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'ember.{type(self).__name__}' objects is "
                             "not writable")

    def _set(self, **values):
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __eq__(self, other):
        return type(other) is type(self) and self.dtype == other.dtype

    __hash__ = None  # torch's info objects compare by value and are unhashable

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self, name):g}" for name in self._FIELDS)
        return f"{type(self).__name__}({fields}, dtype={self.dtype})"


_DEFAULT = object()  # finfo() with no argument; None is refused, as in torch


class finfo(_Info):  # noqa: N801 - torch's name
    """Limits of a floating-point dtype (torch.finfo): bits, eps, max, min, tiny,
    smallest_normal, resolution (10 ** -decimal digits) as Python numbers, and dtype as a name.
    A complex dtype gives its real counterpart's limits; no argument means the default dtype."""

    _FIELDS = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")

    def __init__(self, type=_DEFAULT):  # noqa: A002 - torch's parameter name
        d = _dtype.get_default_dtype() if type is _DEFAULT else _as_dtype(type, "finfo")
        if d.category not in (_dtype.FLOAT, _dtype.COMPLEX):
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        info = ml_dtypes.finfo(d.to_real().np)
        self._set(bits=int(info.bits), eps=float(info.eps), max=float(info.max),
                  min=float(info.min), tiny=float(info.tiny),
                  smallest_normal=float(info.smallest_normal),
                  resolution=10.0 ** -int(info.precision), dtype=d.to_real().name)


class iinfo(_Info):  # noqa: N801 - torch's name
    """Limits of an integer dtype (torch.iinfo): bits, max and min as Python ints, dtype as a
    name. bool is refused, as in torch."""

    _FIELDS = ("min", "max")

    def __init__(self, type):  # noqa: A002 - torch's parameter name
        d = _as_dtype(type, "iinfo")
        if d is _dtype.bool:
            raise TypeError(f"{d} is not supported by torch.iinfo")
        if d.category != _dtype.INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = ml_dtypes.iinfo(d.np)
        self._set(bits=int(info.bits), max=int(info.max), min=int(info.min), dtype=d.name)
