"""Elementwise tests and integer ops: signbit, isposinf / isneginf / isreal, heaviside,
nan_to_num, frexp, bit shifts (the << and >> operators), gcd and lcm, with torch's semantics."""

from __future__ import annotations

import collections

from ember._ops._elementwise import (
    _expect_tensor,
    _expect_tensors,
    _inplace,
    _is_tensor,
    _legacy_scalar_name,
    _reject,
)
from ember._ops._op import Op
from ember._ops.compare import _NoGrad
from ember._ops.division import _NotImplemented
from ember._ops.inplace import c10_name, with_out
from ember._ops.unary import trunc
from ember.autograd.grad_mode import state as _grad_state

__all__ = ["signbit", "isposinf", "isneginf", "isreal", "heaviside", "nan_to_num", "frexp",
           "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm"]


# -- tests: bool results, no gradient ---------------------------------------------------------


class _Test(_NoGrad):
    promote = "keep"
    complex_error = None  # (exception class, message) torch raises for complex input

    def forward(self, x):
        if x.dtype.kind == "c" and self.complex_error:
            error, message = self.complex_error
            raise error(message)
        if x.dtype.kind in "biu" or (x.dtype.kind == "c" and self.complex_error is None):
            return self.exact(self.xp, x)
        return self.test(self.xp, x)


class _Signbit(_Test):
    complex_error = (NotImplementedError, "signbit is not implemented for complex tensors.")

    def exact(self, xp, x):
        return x < 0 if x.dtype.kind == "i" else xp.zeros(x.shape, dtype=bool)

    def test(self, xp, x):
        return xp.signbit(x.astype("float32") if x.dtype.itemsize == 2 else x)


class _IsPosInf(_Test):
    complex_error = (RuntimeError, "isposinf does not support complex inputs.")
    sign = 1

    def exact(self, xp, x):
        return xp.zeros(x.shape, dtype=bool)

    def test(self, xp, x):
        return xp.isinf(x) & ((x > 0) if self.sign > 0 else (x < 0))


class _IsNegInf(_IsPosInf):
    complex_error = (RuntimeError, "isneginf does not support complex inputs.")
    sign = -1


class _IsReal(_Test):
    def exact(self, xp, x):
        return x.imag == 0 if x.dtype.kind == "c" else xp.ones(x.shape, dtype=bool)

    test = exact


def _test(op_cls, name, doc, out_arg=True):
    """torch's function of a test: out= (where torch takes it) must be a bool tensor."""
    def fn(input, *, out=None):
        _expect_tensor(name, input, "input", 1)
        if out is not None:
            if not out_arg:
                raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
            if out.dtype.name != "bool":
                raise RuntimeError(f"{name} does not support non-boolean outputs.")
        return with_out(op_cls().apply(input), out)

    fn.__name__, fn.__doc__ = name, doc
    return fn


signbit = _test(_Signbit, "signbit", "True where the sign bit is set, -0.0 included.")
isposinf = _test(_IsPosInf, "isposinf", "True where input is +inf (torch.isposinf).")
isneginf = _test(_IsNegInf, "isneginf", "True where input is -inf (torch.isneginf).")
isreal = _test(_IsReal, "isreal", "True where the imaginary part is 0; real dtypes: all True.",
               out_arg=False)


# -- heaviside, nan_to_num -----------------------------------------------------------------------


class _Heaviside(_NotImplemented):
    """0 below 0, values at 0, 1 above; torch has no derivative for it."""

    aten_name = "heaviside"
    promote = "keep"

    def forward(self, x, values):
        if x.dtype.kind == "c" or values.dtype.kind == "c":
            raise RuntimeError("heaviside is not yet implemented for complex tensors.")
        if x.dtype != values.dtype:
            raise RuntimeError("heaviside is not yet implemented for tensors with different "
                               "dtypes.")
        xp = self.xp
        return xp.where(x == 0, values, x > 0).astype(x.dtype, copy=False)


def heaviside(input, values, *, out=None):
    """The Heaviside step function with ``values`` at 0 (torch.heaviside)."""
    _expect_tensors("heaviside", input, values, "values")
    result = _Heaviside().apply(input, values)
    if out is not None and out.dtype is not result.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return with_out(result, out)


class NanToNumBackward0(Op):
    """NaN, +inf and -inf replaced (defaults: 0, the dtype's largest and lowest finite values);
    complex numbers have each part replaced; integers pass through (as a copy)."""

    promote = "keep"

    def __init__(self, nan, posinf, neginf):
        self.values = (nan, posinf, neginf)

    def forward(self, x):
        self.save(x)
        if x.dtype.kind in "biu":
            return x.copy()
        if x.dtype.kind == "c":
            out = x.copy()
            out.real, out.imag = self._replace(x.real), self._replace(x.imag)
            return out
        return self._replace(x)

    def _replace(self, x):
        import ml_dtypes  # a dtype table (bfloat16 included), not tensor data

        info = ml_dtypes.finfo(x.dtype)
        nan, posinf, neginf = self.values
        fill = [info.max if posinf is None else posinf, info.min if neginf is None else neginf]
        big, low = (self.xp.asarray(v).astype(x.dtype) for v in fill)
        out = self.xp.where(self.xp.isnan(x), self.xp.asarray(nan).astype(x.dtype), x)
        return self.xp.where(x == float("inf"), big, self.xp.where(x == -float("inf"), low, out))

    def backward(self, g):
        (x,) = self.saved
        return g * x.isfinite()


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN and infinities by finite numbers (torch.nan_to_num); out must have the
    input's dtype."""
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError(f"nan_to_num: dtype of out: {_legacy_scalar_name(out.dtype)} should "
                           f"be same as input: {_legacy_scalar_name(input.dtype)}")
    if (out is None and input.dtype.is_complex and input.requires_grad
            and _grad_state.enabled):
        raise RuntimeError("nan_to_num does not support automatic differentiation for outputs "
                           "with complex dtype.")
    return with_out(NanToNumBackward0(nan, posinf, neginf).apply(input), out)


# -- frexp ---------------------------------------------------------------------------------------

_frexp_type = collections.namedtuple("frexp", ["mantissa", "exponent"])


class FrexpBackward0(Op):
    """input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1); exponent int32."""

    promote = "keep"

    def forward(self, x):
        wide = x.astype("float32") if x.dtype.kind == "V" else x  # NumPy has no bfloat16 frexp
        mantissa, exponent = self.xp.frexp(wide)
        exponent = exponent.astype("int32", copy=False)
        # NOTE: save d mantissa / d input = 2 ** -exponent as a constant; a saved integer output
        # would come back as a tensor with history
        self.save(self.xp.ldexp(self.xp.ones_like(wide), -exponent).astype(x.dtype))
        return mantissa.astype(x.dtype, copy=False), exponent

    def backward(self, g, g_exponent):
        (scale,) = self.saved
        return g * scale


def frexp(input, *, out=None):
    """Decompose into mantissa and exponent (torch.frexp); floating types only."""
    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    if out is not None:  # torch checks the outs' dtypes first
        if out[0].dtype is not input.dtype:
            raise RuntimeError(f"torch.frexp() expects mantissa to have dtype "
                               f"{c10_name(input.dtype)} but got {c10_name(out[0].dtype)}")
        if out[1].dtype.name != "int32":
            raise RuntimeError("torch.frexp() expects exponent to have int dtype but got "
                               f"{c10_name(out[1].dtype)}")
    mantissa, exponent = FrexpBackward0().apply(input)
    if out is not None:
        with_out(mantissa, out[0])
        with_out(exponent, out[1])
        return _frexp_type(*out)
    return _frexp_type(mantissa, exponent)


# -- bit shifts, gcd, lcm: integers only, no gradient ---------------------------------------------


class _Shift(_NoGrad):
    """a << b or a >> b with torch's rule for shifts outside [0, bits): a left shift gives 0, a
    right shift gives the sign fill (0 or -1)."""

    rejects = "bfVc"

    def forward(self, a, b):
        _reject(a, self.rejects, f"{self.kernel}_cpu")
        xp, bits = self.xp, a.dtype.itemsize * 8
        outside = (b < 0) | (b >= bits) if a.dtype.kind == "i" else b >= bits
        shift = xp.where(outside, 0, b).astype(a.dtype, copy=False)
        if self.kernel == "lshift":
            return xp.where(outside, 0, xp.left_shift(a, shift)).astype(a.dtype, copy=False)
        fill = a >> (bits - 1) if a.dtype.kind == "i" else xp.zeros_like(a)
        return xp.where(outside, fill, xp.right_shift(a, shift)).astype(a.dtype, copy=False)


class _LeftShift(_Shift):
    kernel = "lshift"


class _RightShift(_Shift):
    kernel = "rshift"


def bitwise_left_shift(input, other, *, out=None):
    """input << other, integers only (torch.bitwise_left_shift; the << operator)."""
    if not (_is_tensor(input) or _is_tensor(other)):
        raise TypeError("bitwise_left_shift() received an invalid combination of arguments")
    return with_out(_LeftShift().apply(input, other), out)


def bitwise_right_shift(input, other, *, out=None):
    """input >> other, arithmetic for signed integers (torch.bitwise_right_shift; >>)."""
    if not (_is_tensor(input) or _is_tensor(other)):
        raise TypeError("bitwise_right_shift() received an invalid combination of arguments")
    return with_out(_RightShift().apply(input, other), out)


def _rlshift(input, other):
    """other << input for a Python number ``other`` (Python's reflected <<)."""
    return bitwise_left_shift(other, input)


def _rrshift(input, other):
    return bitwise_right_shift(other, input)


class _Gcd(_NoGrad):
    rejects, kernel, np_name = "bfVc", "gcd", "gcd"


class _Lcm(_NoGrad):
    rejects, kernel, np_name = "bfVc", "lcm", "lcm"


def gcd(input, other, *, out=None):
    """Greatest common divisor, non-negative (torch.gcd); integer tensors only."""
    _expect_tensors("gcd", input, other)
    return with_out(_Gcd().apply(input, other), out)


def lcm(input, other, *, out=None):
    """Least common multiple, non-negative (torch.lcm); integer tensors only."""
    _expect_tensors("lcm", input, other)
    return with_out(_Lcm().apply(input, other), out)


# -- in-place forms (Tensor methods) ------------------------------------------------------------

fix_ = _inplace(trunc)
heaviside_, nan_to_num_ = _inplace(heaviside), _inplace(nan_to_num)
bitwise_left_shift_, bitwise_right_shift_ = (_inplace(bitwise_left_shift),
                                             _inplace(bitwise_right_shift))
gcd_, lcm_ = _inplace(gcd), _inplace(lcm)
