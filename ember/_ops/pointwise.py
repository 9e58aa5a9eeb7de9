"""Elementwise ops: arithmetic, unary math, activations, comparisons, logical and bitwise ops."""

from __future__ import annotations

from ember._dtype import BOOL, FLOAT
from ember._ops._op import Op
from ember._ops.inplace import inplace_update, with_out

# -- arithmetic -------------------------------------------------------------------------------


class AddBackward0(Op):
    def __init__(self, alpha=1):
        self.alpha = alpha

    def forward(self, a, b):
        return a + b if self.alpha == 1 else a + self.alpha * b

    def backward(self, g):
        return g, g if self.alpha == 1 else g * self.alpha


class SubBackward0(Op):
    def __init__(self, alpha=1):
        self.alpha = alpha

    def forward(self, a, b):
        if a.dtype == bool:
            raise RuntimeError(
                "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^`"
                " or `logical_xor()` operator instead.")
        return a - b if self.alpha == 1 else a - self.alpha * b

    def backward(self, g):
        return g, -g if self.alpha == 1 else g * -self.alpha


class MulBackward0(Op):
    def forward(self, a, b):
        self.save(a, b)
        return a * b

    def backward(self, g):
        a, b = self.saved
        return (g * b if self.needs_input_grad[0] else None,
                g * a if self.needs_input_grad[1] else None)


class DivBackward0(Op):
    promote = "float"
    silent_fp = True

    def forward(self, a, b):
        self.save(a, b)
        return a / b

    def backward(self, g):
        a, b = self.saved
        return (g / b if self.needs_input_grad[0] else None,
                -g * a / (b * b) if self.needs_input_grad[1] else None)


class DivBackward1(Op):
    """Division with rounding_mode ('trunc' or 'floor'): no gradient, as in torch."""

    silent_fp = True

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a, b):
        xp = self.xp
        if a.dtype.kind in "iub":
            if a.dtype.kind != "b" and xp.any(b == 0):
                raise RuntimeError("ZeroDivisionError")
            q = xp.floor_divide(a, b)
            if self.mode == "trunc":
                q = q + ((q < 0) & (q * b != a))
            return q
        q = a / b
        return xp.trunc(q) if self.mode == "trunc" else xp.floor(q)

    def backward(self, g):
        return g * 0, g * 0


class RemainderBackward0(Op):
    silent_fp = True

    def forward(self, a, b):
        self.save(a, b)
        if a.dtype.kind in "iu" and self.xp.any(b == 0):
            raise RuntimeError("ZeroDivisionError")
        return self.xp.remainder(a, b)

    def backward(self, g):
        a, b = self.saved
        return g, -g * floor_divide(a, b) if self.needs_input_grad[1] else None


class FmodBackward0(Op):
    silent_fp = True

    def forward(self, a, b):
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
    silent_fp = True

    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, a):
        self.save(a)
        if a.dtype.kind in "iu" and isinstance(self.exponent, int) and self.exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return self.xp.power(a, self.exponent)

    def backward(self, g):
        (a,) = self.saved
        if self.exponent == 0:
            return g * 0
        return g * self.exponent * a ** (self.exponent - 1)


class PowBackward1(Op):
    """tensor ** tensor"""

    silent_fp = True

    def forward(self, a, b):
        self.save(a, b)
        if a.dtype.kind in "iu" and self.xp.any(b < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
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


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, with torch's type promotion (torch.add)."""
    return with_out(AddBackward0(alpha).apply(input, other), out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other (torch.sub)."""
    return with_out(SubBackward0(alpha).apply(input, other), out)


def rsub(input, other, alpha=1):
    return SubBackward0(alpha).apply(other, input)


def mul(input, other, *, out=None):
    """Elementwise product (torch.mul)."""
    return with_out(MulBackward0().apply(input, other), out)


def div(input, other, *, rounding_mode=None, out=None):
    """True division, or 'trunc' / 'floor' rounding (torch.div); integers divide to float."""
    if rounding_mode is None:
        return with_out(DivBackward0().apply(input, other), out)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    return with_out(DivBackward1(rounding_mode).apply(input, other), out)


true_divide = div


def rdiv(input, other):
    return DivBackward0().apply(other, input)


def floor_divide(input, other, *, out=None):
    """Division rounded down (torch.floor_divide; Python's // on tensors)."""
    return div(input, other, rounding_mode="floor", out=out)


def rfloordiv(input, other):
    return DivBackward1("floor").apply(other, input)


def remainder(input, other, *, out=None):
    """Python-style modulus, sign of the divisor (torch.remainder; the % operator)."""
    return with_out(RemainderBackward0().apply(input, other), out)


def rremainder(input, other):
    return RemainderBackward0().apply(other, input)


def fmod(input, other, *, out=None):
    """C-style modulus, sign of the dividend (torch.fmod)."""
    return with_out(FmodBackward0().apply(input, other), out)


def pow(input, exponent, *, out=None):
    """input ** exponent for a tensor or scalar exponent (torch.pow)."""
    from ember._tensor import Tensor

    if not isinstance(input, Tensor):
        return rpow(exponent, input)
    if isinstance(exponent, Tensor):
        return with_out(PowBackward1().apply(input, exponent), out)
    from ember._ops._op import result_type

    dtype = result_type(input, exponent)  # int tensor ** 2.5 computes in float
    base = input if input.dtype is dtype else input.to(dtype)
    return with_out(PowBackward0(exponent).apply(base), out)


def rpow(input, other):
    """scalar ** tensor"""
    from ember._ops.creation import full_like_scalar

    return PowBackward1().apply(full_like_scalar(other, input), input)


def neg(input, *, out=None):
    return with_out(NegBackward0().apply(input), out)


def positive(input):
    if input.dtype.category == BOOL:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _inplace(fn):
    """The in-place form of an out-of-place op: compute, then write into ``input``."""

    def op_(input, *args, **kwargs):
        return inplace_update(input, fn(input, *args, **kwargs))

    op_.__name__ = fn.__name__ + "_"
    op_.__doc__ = f"In-place {fn.__name__} (torch.Tensor.{fn.__name__}_)."
    return op_


add_, sub_, mul_, div_ = _inplace(add), _inplace(sub), _inplace(mul), _inplace(div)
floor_divide_, remainder_, pow_, neg_ = (_inplace(floor_divide), _inplace(remainder),
                                         _inplace(pow), _inplace(neg))

# -- unary math -------------------------------------------------------------------------------


class _Unary(Op):
    """A float-valued unary op: integer inputs compute in the default float dtype."""

    promote = "float"
    silent_fp = True


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
        self.save(x)
        return self.xp.abs(x)

    def backward(self, g):
        (x,) = self.saved
        return g * sign(x)


class SignBackward0(Op):
    promote = "keep"

    def forward(self, x):
        if x.dtype == bool:
            return x.copy()
        return self.xp.sign(x)

    def backward(self, g):
        return g * 0


class _Rounding(Op):
    """floor, ceil, round, trunc: integers pass through (as a copy); gradient zero, as in torch."""

    promote = "keep"
    np_name = ""

    def forward(self, x):
        if x.dtype.kind in "iub":
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
        if x.dtype.kind in "iub":
            return x.copy()
        scale = 10.0 ** self.decimals
        return (self.xp.round(x * scale) / scale).astype(x.dtype, copy=False)


class ReluBackward0(Op):
    promote = "keep"

    def forward(self, x):
        if x.dtype == bool:
            raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Bool\'')
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
    """input - trunc(input) (torch.frac)."""
    return input - trunc(input)


def square(input):
    """input * input (torch.square); integers stay integers."""
    return pow(input, 2)


exp_, log_, sqrt_, abs_ = _inplace(exp), _inplace(log), _inplace(sqrt), _inplace(abs)
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


class MaximumBackward0(Op):
    np_name = "maximum"

    def forward(self, a, b):
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
    """Clamp into [min, max]; bounds may be scalars or tensors (torch.clamp)."""
    from ember._tensor import Tensor

    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input
        if min is not None:
            result = maximum(result, min)
        if max is not None:
            result = minimum(result, max)
        return with_out(result, out)
    from ember._ops._op import result_type

    dtype = result_type(input, *(b for b in (min, max) if b is not None))
    x = input if input.dtype is dtype else input.to(dtype)
    return with_out(ClampBackward1(min, max).apply(x), out)


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


clamp_ = _inplace(clamp)
clip, clip_ = clamp, clamp_


def maximum(input, other, *, out=None):
    """Elementwise maximum, NaN-propagating (torch.maximum)."""
    return with_out(MaximumBackward0().apply(input, other), out)


def minimum(input, other, *, out=None):
    """Elementwise minimum, NaN-propagating (torch.minimum)."""
    return with_out(MinimumBackward0().apply(input, other), out)


# -- comparison, logical, bitwise (no gradient) ----------------------------------------------


class _NoGrad(Op):
    """An op whose result has no gradient (comparisons, logical and bitwise ops)."""

    differentiable = False
    np_name = ""

    def forward(self, *arrays):
        return getattr(self.xp, self.np_name)(*arrays)


def _no_grad_op(np_name, doc, promote="binary"):
    op_cls = type(np_name, (_NoGrad,), {"np_name": np_name, "promote": promote})

    def fn(input, other=None, *, out=None):
        args = (input,) if other is None else (input, other)
        return with_out(op_cls().apply(*args), out)

    fn.__doc__ = doc
    return fn


eq = _no_grad_op("equal", "Elementwise ==, a bool tensor (torch.eq).")
ne = _no_grad_op("not_equal", "Elementwise != (torch.ne).")
lt = _no_grad_op("less", "Elementwise < (torch.lt).")
le = _no_grad_op("less_equal", "Elementwise <= (torch.le).")
gt = _no_grad_op("greater", "Elementwise > (torch.gt).")
ge = _no_grad_op("greater_equal", "Elementwise >= (torch.ge).")
logical_and = _no_grad_op("logical_and", "Elementwise logical and, a bool tensor.", "keep")
logical_or = _no_grad_op("logical_or", "Elementwise logical or, a bool tensor.", "keep")
logical_xor = _no_grad_op("logical_xor", "Elementwise logical xor, a bool tensor.", "keep")
logical_not = _no_grad_op("logical_not", "Elementwise logical not, a bool tensor.", "keep")
isnan = _no_grad_op("isnan", "True where input is NaN (torch.isnan).", "keep")
isinf = _no_grad_op("isinf", "True where input is +-inf (torch.isinf).", "keep")
isfinite = _no_grad_op("isfinite", "True where input is finite (torch.isfinite).", "keep")
_bitwise_and = _no_grad_op("bitwise_and", "Bitwise and; logical and for bools.")
_bitwise_or = _no_grad_op("bitwise_or", "Bitwise or; logical or for bools.")
_bitwise_xor = _no_grad_op("bitwise_xor", "Bitwise xor; logical xor for bools.")
_bitwise_not = _no_grad_op("invert", "Bitwise not; logical not for bools.", "keep")


def _integral_only(fn, name):
    def checked(input, other=None, **kwargs):
        from ember._ops._op import result_type

        dtype = input.dtype if other is None else result_type(input, other)
        if dtype.category >= FLOAT:
            raise RuntimeError(f'"{name}_cpu" not implemented for '
                               f"'{_legacy_scalar_name(dtype)}'")
        return fn(input, other, **kwargs) if other is not None else fn(input, **kwargs)

    checked.__doc__ = fn.__doc__
    return checked


def _legacy_scalar_name(dtype):
    from ember._ops._op import _legacy_type_name

    return _legacy_type_name(type("T", (), {"dtype": dtype})).split(".")[1][:-6]


bitwise_and = _integral_only(_bitwise_and, "bitwise_and")
bitwise_or = _integral_only(_bitwise_or, "bitwise_or")
bitwise_xor = _integral_only(_bitwise_xor, "bitwise_xor")
bitwise_not = _integral_only(_bitwise_not, "bitwise_not")
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


def where(condition, input, other):
    """Pick from input where condition holds, else from other (torch.where, 3 arguments)."""
    from ember._ops.index import where as _where

    return _where(condition, input, other)


def lerp(input, end, weight):
    """input + weight * (end - input) (torch.lerp)."""
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 (torch.addcmul)."""
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (torch.addcdiv)."""
    return input + value * tensor1 / tensor2

