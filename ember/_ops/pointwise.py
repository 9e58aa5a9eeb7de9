"""Elementwise ops: arithmetic, unary math, activations, comparisons, logical and bitwise ops."""

from __future__ import annotations

import operator

from ember._dtype import _FROM_NP, BOOL, COMPLEX, FLOAT
from ember._ops._op import Op, _legacy_type_name, plain_binary, plain_pair, result_type
from ember._ops.inplace import _check_writable, inplace_update, with_out


def _is_tensor(value):
    from ember._tensor import Tensor

    return isinstance(value, Tensor)


def _legacy_scalar_name(dtype):
    """'Float' for float32, as torch names scalar types in its errors."""
    return _legacy_type_name(type("T", (), {"dtype": dtype})).split(".")[1][:-6]


def _reject(array, kinds, kernel):
    """torch has no CPU kernel for these NumPy dtype kinds ('b' bool, 'c' complex, 'f' / 'V'
    float / bfloat16, 'iu' integers): raise its NotImplementedError."""
    if array.dtype.kind in kinds:
        name = _legacy_scalar_name(_FROM_NP[array.dtype])
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def _expect_tensor(fn_name, value, arg, position):
    """torch's argument parser rejects a Python number where only a Tensor is accepted."""
    if not _is_tensor(value):
        raise TypeError(f"{fn_name}(): argument '{arg}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


# -- arithmetic -------------------------------------------------------------------------------


class AddBackward0(Op):
    def __init__(self, alpha=1):
        self.alpha = alpha

    def forward(self, a, b):
        return a + b if self.alpha == 1 else a + _scaled(b, self.alpha)

    def backward(self, g):
        return g, g if self.alpha == 1 else g * self.alpha


class SubBackward0(Op):
    def __init__(self, alpha=1):
        self.alpha = alpha

    def forward(self, a, b):
        return a - b if self.alpha == 1 else a - _scaled(b, self.alpha)

    def backward(self, g):
        return g, -g if self.alpha == 1 else g * -self.alpha


def _scaled(b, alpha):
    # alpha * b in b's dtype (the promoted one): NumPy would widen bool * 2 to int64
    return (b * alpha).astype(b.dtype, copy=False)


def _check_alpha(input, other, alpha):
    """torch's checks on ``alpha`` against the result dtype of add / sub."""
    dtype = result_type(input, other)
    if isinstance(alpha, bool):
        if alpha is not True or dtype.category != BOOL:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, float) and dtype.category < FLOAT:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    elif isinstance(alpha, complex) and dtype.category < COMPLEX:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")


def _check_sub(input, other):
    """torch refuses subtraction with a bool operand (tensor or Python bool)."""
    bools = [x.dtype.category == BOOL if _is_tensor(x) else isinstance(x, bool)
             for x in (input, other)]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def _requires(op, i):
    """Whether input i of a recording op requires grad."""
    return op._recording and getattr(op._inputs[i], "_requires_grad", False)


def conj(x):
    """The complex conjugate of a saved operand (tensor or Python number); reals pass through.
    NOTE: torch's complex gradients are conjugate Wirtinger derivatives: d(a*b)/da is conj(b)."""
    if isinstance(x, complex):
        return x.conjugate()
    if getattr(x, "dtype", None) is not None and getattr(x.dtype, "is_complex", False):
        return x.conj()
    return x


class MulBackward0(Op):
    opmath_scalars = True

    def forward(self, a, b):
        # NOTE: keep only what a gradient needs, as torch does: x * 2 saves nothing of x, so a
        # later in-place write to x (or to its base) does not break this node's backward
        self.save(a if _requires(self, 1) else None, b if _requires(self, 0) else None)
        return a * b

    def backward(self, g):
        a, b = self.saved
        return (g * conj(b) if self.needs_input_grad[0] else None,
                g * conj(a) if self.needs_input_grad[1] else None)


class DivBackward0(Op):
    promote = "float"
    opmath_scalars = True

    def forward(self, a, b):
        self.save(a if _requires(self, 1) else None, b)  # x / 2 saves nothing of x (see mul)
        return a / b

    def backward(self, g):
        a, b = self.saved
        return (g / conj(b) if self.needs_input_grad[0] else None,
                -g * conj(a / (b * b)) if self.needs_input_grad[1] else None)


class DivBackward2(Op):
    """Division with rounding_mode ('trunc' or 'floor'): a zero gradient, as in torch."""

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a, b):
        xp = self.xp
        _reject(a, "bc", f"div_{self.mode}_cpu")
        if a.dtype.kind in "iu":
            if xp.any(b == 0):
                raise RuntimeError("ZeroDivisionError")
            q = xp.floor_divide(a, b)
            if self.mode == "trunc":
                q = q + ((q < 0) & (q * b != a))
            return q
        q = a / b
        return xp.trunc(q) if self.mode == "trunc" else xp.floor(q)

    def backward(self, g):
        return g * 0, g * 0


class _NotImplemented(Op):
    """torch's placeholder node for ops without a derivative: backward raises."""

    aten_name = ""

    def name(self):
        return "torch::autograd::NotImplemented"

    def backward(self, *grads):
        raise RuntimeError(f"derivative for aten::{self.aten_name} is not implemented")


class _FloorDivide(_NotImplemented, DivBackward2):
    """torch.floor_divide (the // operator): unlike div(rounding_mode='floor'), no derivative."""

    aten_name = "floor_divide"

    def __init__(self):
        super().__init__("floor")


class RemainderBackward0(Op):

    def forward(self, a, b):
        _reject(a, "bc", "remainder_cpu")
        self.save(a, b)
        if a.dtype.kind in "iu" and self.xp.any(b == 0):
            raise RuntimeError("ZeroDivisionError")
        return self.xp.remainder(a, b)

    def backward(self, g):
        a, b = self.saved
        return g, -g * div(a, b, rounding_mode="floor") if self.needs_input_grad[1] else None


class FmodBackward0(Op):

    def forward(self, a, b):
        _reject(a, "bc", "fmod_cpu")
        self.save(a, b)
        if a.dtype.kind in "iu" and self.xp.any(b == 0):
            raise RuntimeError("ZeroDivisionError")
        return self.xp.fmod(a, b)

    def backward(self, g):
        a, b = self.saved
        return g, -g * div(a, b, rounding_mode="trunc") if self.needs_input_grad[1] else None


class NegBackward0(Op):
    def forward(self, a):
        if a.dtype == bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                               "you are trying to invert a mask, use the `~` or `logical_not()` "
                               "operator instead.")
        return -a

    def backward(self, g):
        return -g


class PowBackward0(Op):
    """tensor ** scalar; the caller casts the base to the promoted dtype."""

    promote = "keep"

    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, a):
        self.save(a)
        if a.dtype.kind in "iu" and isinstance(self.exponent, int) and self.exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        # NOTE: NumPy widens bool ** True to int8 and bfloat16 ** 1.5 to float32; torch keeps
        # the promoted dtype the caller cast the base to
        return self.xp.power(a, self.exponent).astype(a.dtype, copy=False)

    def backward(self, g):
        (a,) = self.saved
        if self.exponent == 0:
            return g * 0
        return g * self.exponent * a ** (self.exponent - 1)


class PowBackward1(Op):
    """tensor ** tensor"""

    def forward(self, a, b):
        _reject(a, "b", "pow")
        if a.dtype.kind in "iu" and self.xp.any(b < 0):
            out = _int_power(self.xp, a, b)
        else:
            out = self.xp.power(a, b)
        self.save(a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved
        grad_a = g * b * a ** (b - 1) if self.needs_input_grad[0] else None
        # NOTE: torch masks the exponent gradient where base == 0 and exponent >= 0 (0 * log 0).
        grad_b = (g * where((a == 0) & (b >= 0), 0.0, out * log(a))
                  if self.needs_input_grad[1] else None)
        return grad_a, grad_b


def _int_power(xp, a, b):
    """Integer tensor ** integer tensor with negative exponents, as torch computes it (NumPy
    refuses): 1 ** -n is 1, (-1) ** -n is +-1, any other base gives 0."""
    negative = b < 0
    result = xp.power(a, xp.where(negative, 0, b))
    odd = (b % 2) != 0
    special = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0))
    return xp.where(negative, special, result).astype(result.dtype, copy=False)


class PowBackward2(PowBackward1):
    """number ** tensor: the base is a constant 0-dim tensor."""


class RsubBackward0(Op):
    """other - alpha * input, the operands given as (input, other) (torch.rsub)."""

    def __init__(self, alpha=1):
        self.alpha = alpha

    def forward(self, a, b):
        return b - a if self.alpha == 1 else b - _scaled(a, self.alpha)

    def backward(self, g):
        return -g if self.alpha == 1 else g * -self.alpha, g


class RsubBackward1(RsubBackward0):
    """rsub with a Python number ``other`` (number - tensor)."""


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, with torch's type promotion (torch.add)."""
    if alpha == 1 and out is None and plain_pair(input, other):
        return plain_binary(operator.add, input, other)
    if alpha != 1 or isinstance(alpha, bool):
        _check_alpha(input, other, alpha)
    return with_out(AddBackward0(alpha).apply(input, other), out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other (torch.sub); bool operands are refused, as in torch."""
    if alpha == 1 and out is None and plain_pair(input, other) and input.dtype.category:
        return plain_binary(operator.sub, input, other)
    _check_sub(input, other)
    if alpha != 1 or isinstance(alpha, bool):
        _check_alpha(input, other, alpha)
    return with_out(SubBackward0(alpha).apply(input, other), out)


def rsub(input, other, alpha=1):
    """other - alpha * input (torch.rsub; Python's reflected -)."""
    _check_sub(input, other)
    if alpha != 1 or isinstance(alpha, bool):
        _check_alpha(input, other, alpha)
    op = RsubBackward0 if _is_tensor(other) else RsubBackward1
    return op(alpha).apply(input, other)


def mul(input, other, *, out=None):
    """Elementwise product (torch.mul)."""
    if out is None and plain_pair(input, other):
        return plain_binary(operator.mul, input, other)
    return with_out(MulBackward0().apply(input, other), out)


def div(input, other, *, rounding_mode=None, out=None):
    """True division, or 'trunc' / 'floor' rounding (torch.div); integers divide to float."""
    if rounding_mode is None:
        return with_out(DivBackward0().apply(input, other), out)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    return with_out(DivBackward2(rounding_mode).apply(input, other), out)


true_divide = div


def rdiv(input, other):
    """other / input for a Python number ``other`` (Python's reflected /).

    Computed as torch's Tensor.__rtruediv__ does, reciprocal(input) * other: the dtype, the
    rounding (2.5 / bfloat16 tensor rounds the reciprocal to bfloat16) and the grad_fn
    (MulBackward0) all follow from that."""
    return mul(reciprocal(input), other)


def floor_divide(input, other, *, out=None):
    """Division rounded down (torch.floor_divide; Python's // on tensors); no derivative."""
    return with_out(_FloorDivide().apply(input, other), out)


def rfloordiv(input, other):
    return _FloorDivide().apply(other, input)


def remainder(input, other, *, out=None):
    """Python-style modulus, sign of the divisor (torch.remainder; the % operator)."""
    return with_out(RemainderBackward0().apply(input, other), out)


class _RRemainder(_NotImplemented, RemainderBackward0):
    """number % tensor: torch has no derivative for it."""

    aten_name = "remainder"


def rremainder(input, other):
    """other % input for a Python number ``other`` (Python's reflected %)."""
    return _RRemainder().apply(other, input)


def fmod(input, other, *, out=None):
    """C-style modulus, sign of the dividend (torch.fmod); no Python number as ``input``."""
    if not _is_tensor(input):
        raise TypeError(f"fmod() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__})")
    return with_out(FmodBackward0().apply(input, other), out)


def pow(input, exponent, *, out=None):
    """input ** exponent for a tensor or scalar exponent (torch.pow)."""
    from ember._tensor import Tensor

    if not isinstance(input, Tensor):
        return rpow(exponent, input)
    if isinstance(exponent, Tensor):
        return with_out(PowBackward1().apply(input, exponent), out)
    dtype = result_type(input, exponent)  # int tensor ** 2.5 computes in float
    base = input if input.dtype is dtype else input.to(dtype)
    return with_out(PowBackward0(exponent).apply(base), out)


def rpow(input, other):
    """other ** input for a Python number ``other`` (Python's reflected **, torch.pow(2, t))."""
    from ember._ops.creation import full

    # NOTE: the number takes part in promotion as a Python scalar (2 ** int8 tensor is int8),
    # then becomes a 0-dim base of that dtype
    dtype = result_type(other, input)
    return PowBackward2().apply(full((), other, dtype=dtype, device=input.device), input)


def neg(input, *, out=None):
    return with_out(NegBackward0().apply(input), out)


def positive(input):
    if input.dtype.category == BOOL:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _inplace(fn, float_result=False):
    """The in-place form of an out-of-place op: compute, then write into ``input``.

    ``float_result``: integers promote to the default float (true division)."""

    def op_(input, *args, **kwargs):
        operands = [a for a in (*args, kwargs.get("min"), kwargs.get("max"))
                    if _is_tensor(a) or isinstance(a, (int, float, complex))]
        if operands and _may_not_fit(input, operands):
            _check_inplace(input, operands, float_result and not kwargs.get("rounding_mode"))
        return inplace_update(input, fn(input, *args, **kwargs))

    op_.__name__ = fn.__name__ + "_"
    op_.__doc__ = f"In-place {fn.__name__} (torch.Tensor.{fn.__name__}_)."
    return op_


def _may_not_fit(input, operands):
    """Cheap test: could the result have a higher category or another shape than ``input``?"""
    category, shape = input.dtype.category, input.shape
    for a in operands:
        if _is_tensor(a):
            if a.dtype.category > category or a.shape != shape:
                return True
        elif category < COMPLEX:
            return True
    return False


class _ResultMeta:
    """The dtype and shape an op's result will have, for checks made before computing it."""

    def __init__(self, dtype, shape):
        self.dtype, self.shape = dtype, shape


def _check_inplace(input, operands, float_result):
    """torch checks that the result can be written into ``input`` (dtype, then shape) before it
    checks that a kernel exists for the dtype: int_tensor //= 1j is a cast error."""
    from ember import _dtype
    from ember._ops.shape import broadcast_shape

    dtype = result_type(input, *operands)
    if float_result and dtype.category < FLOAT:
        dtype = _dtype.get_default_dtype()
    shape = broadcast_shape(input.shape, *(a.shape for a in operands if _is_tensor(a)))
    _check_writable(input, _ResultMeta(dtype, tuple(shape)))


add_, sub_, mul_, div_ = _inplace(add), _inplace(sub), _inplace(mul), _inplace(div, True)
floor_divide_, remainder_, pow_, neg_ = (_inplace(floor_divide), _inplace(remainder),
                                         _inplace(pow), _inplace(neg))

# -- unary math -------------------------------------------------------------------------------


class _Unary(Op):
    """A float-valued unary op: integer inputs compute in the default float dtype."""

    promote = "float"


class ExpBackward0(_Unary):
    def forward(self, x):
        y = self.xp.exp(x)
        self.save(y)  # NOTE: exp's gradient is its own value: save the output, not the input
        return y

    def backward(self, g):
        (y,) = self.saved
        return g * y


class LogBackward0(_Unary):
    def forward(self, x):
        self.save(x)
        return self.xp.log(x)

    def backward(self, g):
        (x,) = self.saved
        return g / x


class SqrtBackward0(_Unary):
    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return g / (2 * y)


class SigmoidBackward0(_Unary):
    def forward(self, x):
        y = 1 / (1 + self.xp.exp(-x))
        self.save(y)
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        (y,) = self.saved
        return g * (y * (1 - y))


class TanhBackward0(_Unary):
    def forward(self, x):
        y = self.xp.tanh(x)
        self.save(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return g * (1 - y * y)


class _Formula(_Unary):
    """A unary op given by a NumPy function and a derivative formula on the saved input."""

    np_name = ""

    def forward(self, x):
        self.save(x)
        return getattr(self.xp, self.np_name)(x)

    def backward(self, g):
        (x,) = self.saved
        return g * self.derivative(x)


class LogBackward1(_Formula):
    np_name = "log2"

    def derivative(self, x):
        return 1 / (x * 0.6931471805599453)


class Log10Backward0(_Formula):
    np_name = "log10"

    def derivative(self, x):
        return 1 / (x * 2.302585092994046)


class Log1PBackward0(_Formula):
    np_name = "log1p"

    def derivative(self, x):
        return 1 / (x + 1)


class Expm1Backward0(_Formula):
    np_name = "expm1"

    def derivative(self, x):
        return exp(x)


class SinBackward0(_Formula):
    np_name = "sin"

    def derivative(self, x):
        return cos(x)


class CosBackward0(_Formula):
    np_name = "cos"

    def derivative(self, x):
        return -sin(x)


class TanBackward0(_Formula):
    np_name = "tan"

    def derivative(self, x):
        t = tan(x)
        return 1 + t * t


class RsqrtBackward0(_Formula):
    np_name = "sqrt"

    def forward(self, x):
        return 1 / super().forward(x)

    def derivative(self, x):
        return -0.5 * x ** -1.5


class ReciprocalBackward0(_Formula):
    np_name = "reciprocal"

    def forward(self, x):
        self.save(x)
        return 1 / x

    def derivative(self, x):
        return -1 / (x * x)


class AbsBackward0(Op):
    promote = "keep"

    def forward(self, x):
        _reject(x, "b", "abs_cpu")
        self.save(x)
        return self.xp.abs(x)

    def backward(self, g):
        (x,) = self.saved
        from ember._ops.complex import sgn  # z / |z|: abs's gradient for complex input too

        return g * sgn(x)


class SignBackward0(Op):
    promote = "keep"

    def forward(self, x):
        if x.dtype.kind == "c":
            raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support "
                                      "complex numbers. Please use torch.sgn instead.")
        if x.dtype == bool:
            return x.copy()
        return self.xp.sign(x)

    def backward(self, g):
        return g * 0


class _Rounding(Op):
    """floor, ceil, round, trunc: integers pass through (as a copy); gradient zero, as in torch.
    Bools and complex numbers have no kernel."""

    promote = "keep"
    np_name = ""

    def forward(self, x):
        if x.dtype.kind == "c" and self.np_name != "round":
            raise NotImplementedError(f"{self.np_name} is not supported for complex inputs")
        _reject(x, "bc", f"{self.np_name}_vml_cpu")
        if x.dtype.kind in "iu":
            return x.copy()
        return getattr(self.xp, self.np_name)(x)

    def backward(self, g):
        return g * 0


class FloorBackward0(_Rounding):
    np_name = "floor"


class CeilBackward0(_Rounding):
    np_name = "ceil"


class RoundBackward0(_Rounding):
    np_name = "round"  # NOTE: half to even, as torch.round


class TruncBackward0(_Rounding):
    np_name = "trunc"


class RoundBackward1(_Rounding):
    def __init__(self, decimals):
        self.decimals = decimals

    def forward(self, x):
        _reject(x, "biuc", "round_cpu")  # with decimals, only floating types
        scale = 10.0 ** self.decimals
        return (self.xp.round(x * scale) / scale).astype(x.dtype, copy=False)


class ReluBackward0(Op):
    promote = "keep"

    def forward(self, x):
        if x.dtype == bool:
            raise RuntimeError("Boolean inputs not supported for relu")
        if x.dtype.kind == "c":
            raise NotImplementedError("clamp is not supported for complex types")
        y = self.xp.maximum(x, 0).astype(x.dtype, copy=False)
        self.save(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return g * (y > 0)


def _unary(op_cls, doc):
    def fn(input, *, out=None):
        return with_out(op_cls().apply(input), out)

    fn.__doc__ = doc
    return fn


exp = _unary(ExpBackward0, "e ** input, integers computed in the default float dtype (torch.exp).")
log = _unary(LogBackward0, "Natural logarithm (torch.log).")
sqrt = _unary(SqrtBackward0, "Square root (torch.sqrt).")
rsqrt = _unary(RsqrtBackward0, "1 / sqrt(input) (torch.rsqrt).")
sigmoid = _unary(SigmoidBackward0, "1 / (1 + exp(-input)) (torch.sigmoid).")
tanh = _unary(TanhBackward0, "Hyperbolic tangent (torch.tanh).")
log2 = _unary(LogBackward1, "Base-2 logarithm (torch.log2).")
log10 = _unary(Log10Backward0, "Base-10 logarithm (torch.log10).")
log1p = _unary(Log1PBackward0, "log(1 + input), accurate near 0 (torch.log1p).")
expm1 = _unary(Expm1Backward0, "exp(input) - 1, accurate near 0 (torch.expm1).")
sin = _unary(SinBackward0, "Sine (torch.sin).")
cos = _unary(CosBackward0, "Cosine (torch.cos).")
tan = _unary(TanBackward0, "Tangent (torch.tan).")
reciprocal = _unary(ReciprocalBackward0, "1 / input (torch.reciprocal).")
abs = _unary(AbsBackward0, "Absolute value, dtype kept (torch.abs).")
sign = _unary(SignBackward0, "-1, 0 or 1 by sign, dtype kept (torch.sign).")
floor = _unary(FloorBackward0, "Round down (torch.floor).")
ceil = _unary(CeilBackward0, "Round up (torch.ceil).")
trunc = _unary(TruncBackward0, "Round toward zero (torch.trunc).")
relu = _unary(ReluBackward0, "max(input, 0), dtype kept (torch.relu).")
absolute = abs


def round(input, *, decimals=0, out=None):
    """Round half to even, optionally to ``decimals`` places (torch.round)."""
    op = RoundBackward0() if decimals == 0 else RoundBackward1(decimals)
    return with_out(op.apply(input), out)


def frac(input):
    """input - trunc(input) (torch.frac); floating types only."""
    if input.dtype.category != FLOAT:
        raise NotImplementedError(f'"frac_cpu" not implemented for '
                                  f"'{_legacy_scalar_name(input.dtype)}'")
    return input - trunc(input)


def square(input):
    """input * input (torch.square); integers stay integers."""
    return pow(input, 2)


exp_, log_, sqrt_ = _inplace(exp), _inplace(log), _inplace(sqrt)
_abs_inplace = _inplace(abs)


def abs_(input):
    """In-place abs (torch.Tensor.abs_); refused for complex input, whose abs is real."""
    if input.dtype.category == COMPLEX:
        raise RuntimeError("In-place abs is not supported for complex tensors.")
    return _abs_inplace(input)

sigmoid_, tanh_, relu_ = _inplace(sigmoid), _inplace(tanh), _inplace(relu)

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
        return g * mask


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
        # NOTE: a tie with a bound sends the gradient to the input, as torch does
        return (g * inside,
                None if min is None else g * (x < min),
                None if max is None else g * (x > max))


class MaximumBackward0(Op):
    np_name = "maximum"

    def forward(self, a, b):
        if a.dtype.kind == "c":
            raise RuntimeError(f"{self.np_name} not implemented for complex tensors.")
        self.save(a, b)
        return getattr(self.xp, self.np_name)(a, b)

    def backward(self, g):
        a, b = self.saved
        wins = a > b if self.np_name == "maximum" else a < b
        # NOTE: ties split the gradient evenly, as torch does
        share = where(a == b, 0.5, wins.to(g.dtype))
        return g * share, g * (1 - share)


class MinimumBackward0(MaximumBackward0):
    np_name = "minimum"


def clamp(input, min=None, max=None, *, out=None):
    """Clamp into [min, max]; bounds are both numbers or both tensors (torch.clamp)."""
    dtype = _clamp_dtype(input, min, max)
    if _is_tensor(min) or _is_tensor(max):
        return with_out(ClampBackward0().apply(input, min, max), out)
    return with_out(_clamp_scalar(ClampBackward1, input, min, max, dtype), out)


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


def clamp_min(input, min):
    """max(input, min) (torch.clamp_min)."""
    if _is_tensor(min):
        return clamp(input, min=min)
    dtype = _clamp_dtype(input, min, None)
    return _clamp_scalar(ClampMinBackward0, input, min, None, dtype)


def clamp_max(input, max):
    """min(input, max) (torch.clamp_max)."""
    if _is_tensor(max):
        return clamp(input, max=max)
    dtype = _clamp_dtype(input, None, max)
    return _clamp_scalar(ClampMaxBackward0, input, None, max, dtype)


_clamp_inplace = _inplace(clamp)


def clamp_(input, min=None, max=None):
    """In-place clamp (torch.Tensor.clamp_); complex input fails before any other check."""
    if input.dtype.category == COMPLEX:
        raise NotImplementedError("clamp is not supported for complex types")
    return _clamp_inplace(input, min, max)

clip, clip_ = clamp, clamp_


def maximum(input, other, *, out=None):
    """Elementwise maximum, NaN-propagating (torch.maximum); tensors only, no complex."""
    _expect_tensor("maximum", input, "input", 1)
    _expect_tensor("maximum", other, "other", 2)
    return with_out(MaximumBackward0().apply(input, other), out)


def minimum(input, other, *, out=None):
    """Elementwise minimum, NaN-propagating (torch.minimum); tensors only, no complex."""
    _expect_tensor("minimum", input, "input", 1)
    _expect_tensor("minimum", other, "other", 2)
    return with_out(MinimumBackward0().apply(input, other), out)


# -- comparison, logical, bitwise (no gradient) ----------------------------------------------


class _NoGrad(Op):
    """An op whose result has no gradient (comparisons, logical and bitwise ops).

    ``rejects``: NumPy dtype kinds of the compute dtype torch has no kernel for (see _reject)."""

    differentiable = False
    np_name = ""
    rejects = ""

    def forward(self, *arrays):
        if self.rejects:
            _reject(arrays[0], self.rejects, f"{self.kernel}_cpu")
        return getattr(self.xp, self.np_name)(*arrays)


def _no_grad_op(name, np_name, doc, promote="binary", rejects="", scalar_other=True,
                scalar_input=False):
    """A function over a _NoGrad op. As torch's argument parser does, ``input`` must be a tensor
    unless ``scalar_input``, and so must ``other`` unless ``scalar_other``."""
    op_cls = type(np_name, (_NoGrad,), {"np_name": np_name, "promote": promote,
                                         "rejects": rejects, "kernel": name})

    def fn(input, other=None, *, out=None):
        if not (scalar_input or _is_tensor(input)):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"({type(input).__name__}, {type(other).__name__})")
        if other is None:
            return with_out(op_cls().apply(input), out)
        if not scalar_other:
            _expect_tensor(name, other, "other", 2)
        return with_out(op_cls().apply(input, other), out)

    fn.__name__, fn.__doc__ = name, doc
    return fn


def _logical(name, doc):
    return _no_grad_op(name, name, doc, "keep", scalar_other=False)


eq = _no_grad_op("eq", "equal", "Elementwise ==, a bool tensor (torch.eq).")
ne = _no_grad_op("ne", "not_equal", "Elementwise != (torch.ne).")
lt = _no_grad_op("lt", "less", "Elementwise < (torch.lt); not for complex.", rejects="c")
le = _no_grad_op("le", "less_equal", "Elementwise <= (torch.le).", rejects="c")
gt = _no_grad_op("gt", "greater", "Elementwise > (torch.gt).", rejects="c")
ge = _no_grad_op("ge", "greater_equal", "Elementwise >= (torch.ge).", rejects="c")
logical_and = _logical("logical_and", "Elementwise logical and, a bool tensor.")
logical_or = _logical("logical_or", "Elementwise logical or, a bool tensor.")
logical_xor = _logical("logical_xor", "Elementwise logical xor, a bool tensor.")
logical_not = _logical("logical_not", "Elementwise logical not, a bool tensor.")
isnan = _no_grad_op("isnan", "isnan", "True where input is NaN (torch.isnan).", "keep")
isinf = _no_grad_op("isinf", "isinf", "True where input is +-inf (torch.isinf).", "keep")
isfinite = _no_grad_op("isfinite", "isfinite", "True where input is finite (torch.isfinite).",
                       "keep")
# bitwise ops: integers and bools only (logical for bools)
bitwise_and = _no_grad_op("bitwise_and", "bitwise_and", "Bitwise and (torch.bitwise_and).",
                          rejects="fVc", scalar_input=True)
bitwise_or = _no_grad_op("bitwise_or", "bitwise_or", "Bitwise or (torch.bitwise_or).",
                         rejects="fVc", scalar_input=True)
bitwise_xor = _no_grad_op("bitwise_xor", "bitwise_xor", "Bitwise xor (torch.bitwise_xor).",
                          rejects="fVc", scalar_input=True)
bitwise_not = _no_grad_op("bitwise_not", "invert", "Bitwise not (torch.bitwise_not).", "keep",
                          rejects="fVc")


def _invert(input):
    """The ~ operator: like bitwise_not, but a TypeError for float tensors, as in torch."""
    if input.dtype.category >= FLOAT:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(input)


bitwise_and_, bitwise_or_, bitwise_xor_ = (_inplace(bitwise_and), _inplace(bitwise_or),
                                           _inplace(bitwise_xor))


def equal(input, other):
    """True when both have the same size and elements (torch.equal)."""
    return input.shape == other.shape and bool(eq(input, other).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise (torch.isclose)."""
    from ember._tensor import Tensor

    xp = _xp(input)
    close = xp.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Tensor._make(xp.asarray(close), input.device)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """All elements close (torch.allclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def _xp(t):
    from ember._backend import xp_of

    return xp_of(t.device)


# -- composites ------------------------------------------------------------------------------


def where(condition, input=None, other=None, *, out=None):
    """torch.where, 1 or 3 arguments; defined in ember/_ops/index.py. NOTE: this name is what
    ``from ember._ops.pointwise import *`` exports over index's, so it must pass everything on."""
    from ember._ops.index import where as _where

    return _where(condition, input, other, out=out)


def lerp(input, end, weight):
    """input + weight * (end - input) (torch.lerp)."""
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 (torch.addcmul)."""
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (torch.addcdiv)."""
    return input + value * tensor1 / tensor2



# -- torch's aliases and the remaining in-place forms ------------------------------------------

subtract, multiply, divide, negative = sub, mul, div, neg
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

sin_, cos_, tan_, log2_, log10_, log1p_, expm1_ = (
    _inplace(sin), _inplace(cos), _inplace(tan), _inplace(log2), _inplace(log10), _inplace(log1p),
    _inplace(expm1))
rsqrt_, reciprocal_, sign_, square_ = (_inplace(rsqrt), _inplace(reciprocal), _inplace(sign),
                                       _inplace(square))
floor_, ceil_, trunc_, round_, frac_ = (_inplace(floor), _inplace(ceil), _inplace(trunc),
                                        _inplace(round), _inplace(frac))
fmod_, clamp_min_, clamp_max_ = _inplace(fmod), _inplace(clamp_min), _inplace(clamp_max)
lerp_, addcmul_, addcdiv_ = _inplace(lerp), _inplace(addcmul), _inplace(addcdiv)
# comparisons in place write 1 / 0 in the tensor's own dtype, as torch's eq_ and friends do
eq_, ne_, lt_, le_, gt_, ge_ = (_inplace(eq), _inplace(ne), _inplace(lt), _inplace(le),
                                _inplace(gt), _inplace(ge))
logical_and_, logical_or_, logical_xor_, logical_not_ = (
    _inplace(logical_and), _inplace(logical_or), _inplace(logical_xor), _inplace(logical_not))
bitwise_not_ = _inplace(bitwise_not)
absolute_, subtract_, multiply_, divide_, true_divide_, negative_ = (
    abs_, sub_, mul_, div_, div_, neg_)
greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_
