"""Elementwise clamp (clip), clamp_min, clamp_max, maximum and minimum."""

from __future__ import annotations

from ember._dtype import BOOL, COMPLEX, FLOAT
from ember._ops._elementwise import (
    _expect_tensors,
    _inplace,
    _is_tensor,
    _legacy_scalar_name,
    out_same_dtype,
)
from ember._ops._op import Op, result_type
from ember._ops.inplace import with_out
from ember._ops.pointwise import where

# -- clamp, maximum, minimum ---------------------------------------------------------------


class ClampBackward1(Op):
    """clamp with scalar bounds."""

    def __init__(self, min, max):
        self.min, self.max = min, max

    def forward(self, x):
        self.save(x)
        y = x
        if self.min is not None:
            y = self.xp.maximum(y, self.min)
        if self.max is not None:
            y = self.xp.minimum(y, self.max)
        return y.astype(x.dtype, copy=False) if y is not x else x.copy()

    def backward(self, g):
        (x,) = self.saved
        mask = x == x
        if self.min is not None:
            mask = mask & (x >= self.min)
        if self.max is not None:
            mask = mask & (x <= self.max)
        return where(mask, g, 0.0)  # 0, not nan, where an inf or nan gradient is blocked


class ClampBackward0(Op):
    """clamp with tensor bounds, either of which may be None."""

    def forward(self, x, min, max):
        self.save(x, min, max)
        y = x if min is None else self.xp.maximum(x, min)
        return y if max is None else self.xp.minimum(y, max)

    def backward(self, g):
        x, min, max = self.saved
        inside = (x == x) if min is None else (x >= min)
        if max is not None:
            inside = inside & (x <= max)
        # NOTE: a tie with a bound sends the gradient to the input, as torch does; blocked
        # places get 0, not nan, for an inf or nan gradient
        return (where(inside, g, 0.0),
                None if min is None else where(x < min, g, 0.0),
                None if max is None else where(x > max, g, 0.0))


class MaximumBackward0(Op):
    np_name = "maximum"

    def forward(self, a, b):
        if a.dtype.kind == "c":
            raise RuntimeError(f"{self.np_name} not implemented for complex tensors.")
        self.save(a, b)
        return getattr(self.xp, self.np_name)(a, b)

    def backward(self, g):
        a, b = self.saved
        a_loses, b_loses = (a < b, a > b) if self.np_name == "maximum" else (a > b, a < b)
        # NOTE: ties split the gradient evenly, and a loser gets 0 (not nan for an inf or nan
        # gradient), as torch does
        half = where(a == b, g / 2, g)
        return where(a_loses, 0.0, half), where(b_loses, 0.0, half)


class MinimumBackward0(MaximumBackward0):
    np_name = "minimum"


def clamp(input, min=None, max=None, *, out=None):
    """Clamp into [min, max]; bounds are both numbers or both tensors (torch.clamp). With
    number bounds, out must have the result's dtype, as torch's (tensor bounds: castable)."""
    dtype = _clamp_dtype(input, min, max)
    if _is_tensor(min) or _is_tensor(max):
        return with_out(ClampBackward0().apply(input, min, max), out)
    return out_same_dtype(_clamp_scalar(ClampBackward1, input, min, max, dtype), out)


def _clamp_scalar(op_cls, input, min, max, dtype):
    # the input is cast to the promoted dtype first: clamp(int_tensor, 0.5) is a float tensor
    x = input if input.dtype is dtype else input.to(dtype)
    return op_cls(min, max).apply(x)


def _clamp_dtype(input, min, max):
    """The result dtype of clamp, after torch's argument and dtype checks (in torch's order)."""
    if not _is_tensor(input):
        raise TypeError(f"clamp() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, ...)")
    bounds = [b for b in (min, max) if b is not None]
    if not bounds:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if len({_is_tensor(b) for b in bounds}) > 1:
        raise TypeError("clamp() received an invalid combination of arguments - got (Tensor, "
                        f"{type(min).__name__}, {type(max).__name__})")
    if input.dtype.category == COMPLEX:
        raise NotImplementedError("clamp is not supported for complex types")
    dtype = result_type(input, *bounds)
    tensors = _is_tensor(bounds[0])
    kernel = "clamp" if len(bounds) == 2 else "clamp_min" if min is not None else "clamp_max"
    if dtype.category == COMPLEX:
        if tensors:
            name = {"clamp": "clamp", "clamp_min": "maximum", "clamp_max": "minimum"}[kernel]
            raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                      f"'{_legacy_scalar_name(dtype)}'")
        if input.dtype.category == FLOAT:
            raise RuntimeError("value cannot be converted to type double without overflow")
        raise NotImplementedError("clamp is not supported for complex types")
    if dtype.category == BOOL and not tensors:
        raise NotImplementedError(f'"{kernel}_scalar_cpu" not implemented for \'Bool\'')
    return dtype


class ClampMinBackward0(ClampBackward1):
    pass


class ClampMaxBackward0(ClampBackward1):
    pass


def clamp_min(input, min, *, out=None):
    """max(input, min) (torch.clamp_min)."""
    if _is_tensor(min):
        return clamp(input, min=min, out=out)
    dtype = _clamp_dtype(input, min, None)
    return out_same_dtype(_clamp_scalar(ClampMinBackward0, input, min, None, dtype), out)


def clamp_max(input, max, *, out=None):
    """min(input, max) (torch.clamp_max)."""
    if _is_tensor(max):
        return clamp(input, max=max, out=out)
    dtype = _clamp_dtype(input, None, max)
    return out_same_dtype(_clamp_scalar(ClampMaxBackward0, input, None, max, dtype), out)


_clamp_inplace = _inplace(clamp)


def clamp_(input, min=None, max=None):
    """In-place clamp (torch.Tensor.clamp_); complex input fails before any other check."""
    if input.dtype.category == COMPLEX:
        raise NotImplementedError("clamp is not supported for complex types")
    return _clamp_inplace(input, min, max)

clip, clip_ = clamp, clamp_


def maximum(input, other, *, out=None):
    """Elementwise maximum, NaN-propagating (torch.maximum); tensors only, no complex."""
    _expect_tensors("maximum", input, other)
    return with_out(MaximumBackward0().apply(input, other), out)


def minimum(input, other, *, out=None):
    """Elementwise minimum, NaN-propagating (torch.minimum); tensors only, no complex."""
    _expect_tensors("minimum", input, other)
    return with_out(MinimumBackward0().apply(input, other), out)


clamp_min_, clamp_max_ = _inplace(clamp_min), _inplace(clamp_max)
