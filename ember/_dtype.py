"""Dtype objects and PyTorch's type-promotion rules.

Result dtypes are always computed here, with torch's rules, never taken from NumPy: NumPy promotes
``int64 + float16`` to float64 where torch gives float16, and it knows nothing of torch's three
tiers (dimensioned tensors, 0-dim tensors, Python scalars).
"""

from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np

# Categories, ordered: a lower tier of the promotion only matters when its category is higher.
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type; ``repr`` is ``ember.float32`` as torch's is ``torch.float32``."""

    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "is_floating_point",
                 "is_complex", "_rank")

    def __init__(self, name, np_dtype, category, rank):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_signed = name not in ("bool", "uint8")
        # plain attributes, not properties: they are read on every backward
        self.is_floating_point = category == FLOAT
        self.is_complex = category == COMPLEX
        self._rank = rank

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        """The complex dtype a real float meets a complex operand in (as torch's toComplexType).

        Deviation: torch gives float16 complex32 (chalf); NumPy has no such type, so ember uses
        complex64, as torch does for bfloat16."""
        if self.name == "float64":
            return complex128
        return complex64 if self.category == FLOAT else self

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


bool = dtype("bool", np.bool_, BOOL, 0)  # noqa: A001 - torch's name
uint8 = dtype("uint8", np.uint8, INT, 1)
int8 = dtype("int8", np.int8, INT, 1)
int16 = dtype("int16", np.int16, INT, 2)
int32 = dtype("int32", np.int32, INT, 3)
int64 = dtype("int64", np.int64, INT, 4)
float16 = dtype("float16", np.float16, FLOAT, 5)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, FLOAT, 5)
float32 = dtype("float32", np.float32, FLOAT, 6)
float64 = dtype("float64", np.float64, FLOAT, 7)
complex64 = dtype("complex64", np.complex64, COMPLEX, 8)
complex128 = dtype("complex128", np.complex128, COMPLEX, 9)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64,
       complex128)
_NAMES = {d.name: d for d in ALL}
_FROM_NP = {d.np: d for d in ALL}

# torch's aliases
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

_default_float = float32


def _by_name(name):
    return _NAMES[name]


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; TypeError for ones torch has no tensor type for."""
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, "
            "and bool."
        ) from None


def get_default_dtype():
    """The dtype Python floats and float factories get (torch.get_default_dtype)."""
    return _default_float


def set_default_dtype(d):
    """Same as torch.set_default_dtype: only float32/float64 (and 16-bit floats) are accepted."""
    global _default_float
    if not isinstance(d, dtype) or d.category != FLOAT:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both can be converted to without losing category."""
    if a is b:
        return a
    if a.category == COMPLEX or b.category == COMPLEX:
        real = promote_types(a.to_real(), b.to_real()) if a.category and b.category else None
        if real is None or real.category != FLOAT:
            return a if a.category == COMPLEX else b
        return complex128 if real is float64 else max(a, b, key=lambda d: d._rank)
    if a.category == FLOAT and b.category == FLOAT:
        if {a.name, b.name} == {"float16", "bfloat16"}:
            return float32
        return a if a._rank > b._rank else b
    if a.category != b.category:
        return a if a.category > b.category else b
    # both integral (bool is its own category and handled above)
    if {a.name, b.name} == {"uint8", "int8"}:
        return int16
    return a if a._rank > b._rank else b


def scalar_dtype(value) -> dtype:
    """The dtype torch gives a Python number taking part in promotion (a "wrapped number")."""
    if isinstance(value, builtins.bool):
        return bool
    if isinstance(value, builtins.int):
        return int64
    if isinstance(value, builtins.float):
        return _default_float
    if isinstance(value, builtins.complex):
        return _default_float.to_complex()
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def _combine_categories(higher, lower):
    # Mirrors torch's rule: a lower tier takes part only when its category is strictly higher.
    if higher is None:
        return lower
    if lower is None or higher.category == COMPLEX:
        return higher
    if lower.category == COMPLEX:
        return higher.to_complex() if higher.category == FLOAT else lower
    if higher.category == FLOAT:
        return higher
    if higher is bool or lower.category == FLOAT:
        return promote_types(higher, lower)
    return higher


def _promote_all(dtypes):
    result = None
    for d in dtypes:
        result = d if result is None else promote_types(result, d)
    return result


def result_type_of(dims, zero_dims, scalars):
    """Promotion over three tiers: dtypes of dim>0 tensors, of 0-dim tensors, of Python scalars."""
    wrapped = _promote_all(scalar_dtype(s) for s in scalars)
    return _combine_categories(_promote_all(dims), _combine_categories(_promote_all(zero_dims),
                                                                       wrapped))


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """torch.can_cast: False only when the cast would lower the category (e.g. float -> int)."""
    return from_.category <= to.category


def to_dtype(d):
    """Accept an ember dtype, a NumPy dtype or a Python type (float, int, bool) as torch does."""
    if d is None or isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return complex128
    return from_numpy_dtype(d)
