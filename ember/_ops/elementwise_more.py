"""More elementwise ops: inverse and hyperbolic trigonometry, exp2, float_power, logaddexp,
atan2, hypot, copysign, fmax / fmin, nan_to_num, deg2rad, heaviside, sign tests, frexp / ldexp,
bit shifts, gcd / lcm, with torch's dtypes, errors and gradients.

Half types compute in float32 and round once, as torch's CPU kernels do.
"""

from __future__ import annotations

import math

from ember import _dtype
from ember._dtype import COMPLEX, can_cast
from ember._ops._elementwise import (
    _expect_tensors,
    _inplace,
    _is_tensor,
    _legacy_scalar_name,
    _reject,
)
from ember._ops._op import Op
from ember._ops.inplace import with_out
from ember._ops.pointwise import pow, where
from ember._ops.unary import exp, trunc

__all__ = ["exp2", "float_power", "logaddexp", "logaddexp2", "asin", "arcsin", "acos", "arccos",
           "atan", "arctan", "atan2", "arctan2", "sinh", "cosh", "asinh", "arcsinh", "acosh",
           "arccosh", "atanh", "arctanh", "fix", "copysign", "hypot", "fmax", "fmin", "deg2rad",
           "rad2deg", "ldexp"]

_LN2 = math.log(2)


def _opmath(x):
    """float16 / bfloat16 compute in float32 (torch's opmath type)."""
    return x.astype("float32") if x.dtype.itemsize == 2 and x.dtype.kind in "fV" else x


def _conj(d):
    """The derivative as torch applies it to complex inputs: conjugated."""
    return d.conj() if d.dtype.category == COMPLEX else d


# -- unary: exp2, inverse and hyperbolic trigonometry ----------------------------------------


class _Unary(Op):
    """A NumPy ufunc on the input (integers compute in the default float dtype); the gradient is
    g * conj(derivative(x)), or of the output when ``save_output``."""

    promote = "float"
    np_name = ""
    save_output = False

    def forward(self, x):
        y = getattr(self.xp, self.np_name)(_opmath(x)).astype(x.dtype, copy=False)
        self.save(y if self.save_output else x)
        return y

    def backward(self, g):
        (x,) = self.saved
        return g * _conj(self.derivative(x))


def _acosh_derivative(x):
    # NOTE: for complex z, 1 / sqrt(z^2 - 1) lands on the wrong branch off the real axis; torch
    # uses 1 / (sqrt(z - 1) sqrt(z + 1)), the derivative of its acosh. Real input keeps the
    # first form (finite below -1, as in torch).
    if x.dtype.category == COMPLEX:
        return (x - 1).rsqrt() * (x + 1).rsqrt()
    return (x * x - 1).rsqrt()


def _unary_op(name, np_name, derivative, save_output=False):
    return type(name, (_Unary,), {"np_name": np_name, "save_output": save_output,
                                  "derivative": lambda self, x: derivative(x)})


Exp2Backward0 = _unary_op("Exp2Backward0", "exp2", lambda y: y * _LN2, save_output=True)
AsinBackward0 = _unary_op("AsinBackward0", "arcsin", lambda x: (1 - x * x).rsqrt())
AcosBackward0 = _unary_op("AcosBackward0", "arccos", lambda x: -(1 - x * x).rsqrt())
AtanBackward0 = _unary_op("AtanBackward0", "arctan", lambda x: 1 / (1 + x * x))
SinhBackward0 = _unary_op("SinhBackward0", "sinh", lambda x: cosh(x))
CoshBackward0 = _unary_op("CoshBackward0", "cosh", lambda x: sinh(x))
AsinhBackward0 = _unary_op("AsinhBackward0", "arcsinh", lambda x: (x * x + 1).rsqrt())
AcoshBackward0 = _unary_op("AcoshBackward0", "arccosh", lambda x: _acosh_derivative(x))
AtanhBackward0 = _unary_op("AtanhBackward0", "arctanh", lambda x: 1 / (1 - x * x))


def _unary(op_cls, name, doc):
    def fn(input, *, out=None):
        return with_out(op_cls().apply(input), out)

    fn.__name__, fn.__doc__ = name, doc
    return fn


exp2 = _unary(Exp2Backward0, "exp2", "2 ** input (torch.exp2).")
asin = arcsin = _unary(AsinBackward0, "asin", "Inverse sine (torch.asin).")
acos = arccos = _unary(AcosBackward0, "acos", "Inverse cosine (torch.acos).")
atan = arctan = _unary(AtanBackward0, "atan", "Inverse tangent (torch.atan).")
sinh = _unary(SinhBackward0, "sinh", "Hyperbolic sine (torch.sinh).")
cosh = _unary(CoshBackward0, "cosh", "Hyperbolic cosine (torch.cosh).")
asinh = arcsinh = _unary(AsinhBackward0, "asinh", "Inverse hyperbolic sine (torch.asinh).")
acosh = arccosh = _unary(AcoshBackward0, "acosh", "Inverse hyperbolic cosine (torch.acosh).")
atanh = arctanh = _unary(AtanhBackward0, "atanh", "Inverse hyperbolic tangent (torch.atanh).")
fix = trunc


class _Scale(Op):
    """x times a constant (deg2rad, rad2deg); no complex kernel."""

    promote = "float"
    factor, label = 1.0, ""

    def forward(self, x):
        if x.dtype.kind == "c":
            raise RuntimeError(f"{self.label} is not supported for complex tensors.")
        return (_opmath(x) * self.factor).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * self.factor


class Deg2RadBackward0(_Scale):
    factor, label = math.pi / 180, "deg2rad"


class Rad2DegBackward0(_Scale):
    factor, label = 180 / math.pi, "rad2deg"


deg2rad = _unary(Deg2RadBackward0, "deg2rad", "Degrees to radians (torch.deg2rad).")
rad2deg = _unary(Rad2DegBackward0, "rad2deg", "Radians to degrees (torch.rad2deg).")


# -- binary, both operands tensors -----------------------------------------------------------


class _Binary(Op):
    """f(a, b) by ``value``; ``rejects``: NumPy kinds of the compute dtype torch has no kernel
    for. Gradients by ``grads(g, a, b, out)``."""

    rejects, kernel = "c", ""

    def forward(self, a, b):
        _reject(a, self.rejects, self.kernel)
        out = self.value(self.xp, _opmath(a), _opmath(b)).astype(a.dtype, copy=False)
        self.save(a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved
        ga, gb = self.grads(g, a, b, out)
        return (ga if self.needs_input_grad[0] else None,
                gb if self.needs_input_grad[1] else None)


class Atan2Backward0(_Binary):
    promote, kernel = "float", "atan2_cpu"

    def value(self, xp, a, b):
        return xp.arctan2(a, b)

    def grads(self, g, a, b, out):
        r = a * a + b * b
        return g * b / r, g * -a / r


class HypotBackward0(_Binary):
    rejects, kernel = "biuc", "hypot_cpu"

    def value(self, xp, a, b):
        return xp.hypot(a, b)

    def grads(self, g, a, b, out):
        return g * a / out, g * b / out


class LogaddexpBackward0(_Binary):
    rejects, kernel = "biu", "logaddexp_cpu"

    def value(self, xp, a, b):
        if a.dtype.kind != "c":
            return xp.logaddexp(a, b)
        # NOTE: NumPy has no complex logaddexp; factor out the operand with the larger real part
        first = a.real >= b.real
        big, small = xp.where(first, a, b), xp.where(first, b, a)
        return big + xp.log1p(xp.exp(small - big))

    def grads(self, g, a, b, out):
        return g / _conj(1 + exp(b - a)), g / _conj(1 + exp(a - b))


class Logaddexp2Backward0(_Binary):
    rejects, kernel = "biuc", "logaddexp2_cpu"

    def value(self, xp, a, b):
        return xp.logaddexp2(a, b)

    def grads(self, g, a, b, out):
        return g / (1 + pow(2, b - a)), g / (1 + pow(2, a - b))


class FmaxBackward0(_Binary):
    rejects, np_name = "", "fmax"

    def value(self, xp, a, b):
        if a.dtype.kind == "c":
            raise RuntimeError(f"{self.np_name} not implemented for complex tensors.")
        return getattr(xp, self.np_name)(a, b)

    def grads(self, g, a, b, out):
        # NOTE: a tie, or a NaN in other, sends the whole gradient to self, as in torch
        first = ((a >= b) if self.np_name == "fmax" else (a <= b)) | b.isnan()
        return where(first, g, 0.0), where(first, 0.0, g)


class FminBackward0(FmaxBackward0):
    np_name = "fmin"


def _tensors_only(op_cls, name, doc, arg="other"):
    def fn(input, other, *, out=None):
        _expect_tensors(name, input, other, arg)
        return with_out(op_cls().apply(input, other), out)

    fn.__name__, fn.__doc__ = name, doc
    return fn


atan2 = arctan2 = _tensors_only(Atan2Backward0, "atan2", "atan(input / other) by quadrant.")
hypot = _tensors_only(HypotBackward0, "hypot", "sqrt(input^2 + other^2), floats only.")
logaddexp = _tensors_only(LogaddexpBackward0, "logaddexp", "log(exp(input) + exp(other)).")
logaddexp2 = _tensors_only(Logaddexp2Backward0, "logaddexp2", "log2(2^input + 2^other).")
fmax = _tensors_only(FmaxBackward0, "fmax", "Elementwise maximum ignoring NaN (torch.fmax).")
fmin = _tensors_only(FminBackward0, "fmin", "Elementwise minimum ignoring NaN (torch.fmin).")


class _Copysign(Op):
    """|input| with the sign of other; other may be a Python number (CopysignBackward1)."""

    promote = "float"

    def forward(self, a, b):
        _reject(a, "c", "copysign_cpu")
        out = self.xp.copysign(_opmath(a), _opmath(b)).astype(a.dtype, copy=False)
        if self._recording:  # NOTE: the gradient is +-1 (0 where input is 0), a constant
            xp = self.xp
            self.save(xp.where(a == 0, 0, xp.where(out == a, 1, -1)).astype(a.dtype))
        return out

    def backward(self, g):
        (ratio,) = self.saved
        return g * ratio, (g * 0 if self.needs_input_grad[1] else None)


class CopysignBackward0(_Copysign):
    pass


class CopysignBackward1(_Copysign):
    pass


def copysign(input, other, *, out=None):
    """|input| with other's sign, elementwise (torch.copysign)."""
    op = CopysignBackward0 if _is_tensor(other) else CopysignBackward1
    return with_out(op().apply(input, other), out)


class LdexpBackward0(Op):
    """input * 2 ** other (torch.ldexp)."""

    promote = "float"

    def forward(self, a, b):
        self.save(a, b)
        return a * self.xp.exp2(b)

    def backward(self, g):
        a, b = self.saved
        scale = pow(2.0, b)
        return (g * _conj(scale) if self.needs_input_grad[0] else None,
                g * _conj(a * _LN2 * scale) if self.needs_input_grad[1] else None)


def ldexp(input, other, *, out=None):
    """input * 2 ** other (torch.ldexp); an out the result cannot be cast to gets torch's
    message naming ldexp."""
    _expect_tensors("ldexp", input, other)
    result = LdexpBackward0().apply(input, other)
    if out is not None and not can_cast(result.dtype, out.dtype):
        raise RuntimeError("ldexp can't be cast to the desired output type "
                           f"{_legacy_scalar_name(out.dtype)}")
    return with_out(result, out)


def float_power(input, exponent, *, out=None):
    """input ** exponent computed in double precision (complex128 for complex operands)."""
    operands = [input, exponent]
    is_complex = any(_is_tensor(v) and v.dtype.category == COMPLEX or isinstance(v, complex)
                     for v in operands)
    dtype = _dtype.complex128 if is_complex else _dtype.float64
    if out is not None and out.dtype is not dtype:
        raise RuntimeError(f"the output given to float_power has dtype "
                           f"{_legacy_scalar_name(out.dtype)} but the operation's result "
                           f"requires dtype {_legacy_scalar_name(dtype)}")
    base, power = (v.to(dtype) if _is_tensor(v) else v for v in operands)
    return with_out(pow(base, power), out)


def float_power_(input, exponent):
    """In-place float_power; input must already have the result dtype (Tensor.float_power_)."""
    is_complex = input.dtype.category == COMPLEX or isinstance(exponent, complex) or (
        _is_tensor(exponent) and exponent.dtype.category == COMPLEX)
    dtype = _dtype.complex128 if is_complex else _dtype.float64
    if input.dtype is not dtype:
        raise RuntimeError(f"the base given to float_power_ has dtype "
                           f"{_legacy_scalar_name(input.dtype)} but the operation's result "
                           f"requires dtype {_legacy_scalar_name(dtype)}")
    return _float_power_inplace(input, exponent)


_float_power_inplace = _inplace(float_power)


# -- in-place forms (Tensor methods) ------------------------------------------------------------

exp2_, asin_, acos_, atan_ = _inplace(exp2), _inplace(asin), _inplace(acos), _inplace(atan)
sinh_, cosh_ = _inplace(sinh), _inplace(cosh)


def _no_inplace_derivative(op_cls, name):
    """torch has no derivative for in-place asinh_, acosh_, atanh_: the node (named ...Backward1)
    raises at backward."""

    def backward(self, g):
        raise NotImplementedError(f"the derivative for 'inplace version of {name}' is not "
                                  "implemented.")

    node = type(op_cls.__name__[:-1] + "1", (op_cls,), {"backward": backward})
    return _inplace(_unary(node, name, f"In-place {name} (torch.Tensor.{name}_)."))


asinh_ = _no_inplace_derivative(AsinhBackward0, "asinh")
acosh_ = _no_inplace_derivative(AcoshBackward0, "acosh")
atanh_ = _no_inplace_derivative(AtanhBackward0, "atanh")
atan2_, hypot_, copysign_, ldexp_ = (_inplace(atan2), _inplace(hypot), _inplace(copysign),
                                     _inplace(ldexp))
deg2rad_, rad2deg_ = _inplace(deg2rad), _inplace(rad2deg)
