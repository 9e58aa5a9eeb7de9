"""Elementwise unary math: exp, log, sqrt, trig, rounding, abs, sign, sigmoid, tanh, relu."""

from __future__ import annotations

from ember._dtype import COMPLEX, FLOAT
from ember._ops._elementwise import _inplace, _legacy_scalar_name, _reject, conj, out_same_dtype
from ember._ops._op import Op, run_forward
from ember._ops.inplace import with_out
from ember._ops.masked import select_bits
from ember._ops.pointwise import pow

# -- unary math -------------------------------------------------------------------------------


class _Unary(Op):
    """A float-valued unary op: integer inputs compute in the default float dtype.

    NOTE: for complex input the gradient is g * conj(f'(z)), torch's convention (the conjugate
    Wirtinger derivative of a real loss); conj passes real tensors through."""

    promote = "float"


class ExpBackward0(_Unary):
    def forward(self, x):
        y = self.xp.exp(x)
        self.save(y)  # NOTE: exp's gradient is its own value: save the output, not the input
        return y

    def backward(self, g):
        (y,) = self.saved
        return g * conj(y)


class LogBackward0(_Unary):
    def forward(self, x):
        self.save(x)
        return self.xp.log(x)

    def backward(self, g):
        (x,) = self.saved
        return g / conj(x)


class SqrtBackward0(_Unary):
    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return g / (2 * conj(y))


class SigmoidBackward0(_Unary):
    def forward(self, x):
        y = 1 / (1 + self.xp.exp(-x))
        self.save(y)
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        (y,) = self.saved
        return g * conj(y * (1 - y))


class TanhBackward0(_Unary):
    def forward(self, x):
        y = self.xp.tanh(x)
        self.save(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return g * conj(1 - y * y)


class _Formula(_Unary):
    """A unary op given by a NumPy function and a derivative formula on the saved input."""

    np_name = ""

    def forward(self, x):
        self.save(x)
        return getattr(self.xp, self.np_name)(x)

    def backward(self, g):
        (x,) = self.saved
        return g * conj(self.derivative(x))


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


_ZERO_ROW = 1024  # elements; long enough for the vectorised loop, small enough to keep
_zero_rows = {}


def _max_with_zero(xp, x):
    """torch's relu values: maximum(0, x), which keeps x on a tie (so -0.0 stays -0.0) and
    propagates nan, as torch does. NOTE: NumPy runs maximum's vectorised loop for two arrays,
    not for a scalar and an array (about 3x slower); a contiguous float x whose size is a
    multiple of a row length is compared row by row with one cached, read-only row of zeros."""
    if xp.__name__ == "numpy" and x.dtype.kind == "f" and x.flags.c_contiguous:
        for length in (_ZERO_ROW, _ZERO_ROW // 4, _ZERO_ROW // 16):
            if x.size % length == 0 and x.size:
                zeros = _zero_rows.get(x.dtype)
                if zeros is None:
                    zeros = _zero_rows[x.dtype] = xp.zeros(_ZERO_ROW, x.dtype)
                    zeros.flags.writeable = False
                rows = x.reshape(-1, length)
                return xp.maximum(zeros[:length], rows).reshape(x.shape)
    return xp.maximum(0, x)


class ReluBackward0(Op):
    promote = "keep"

    def forward(self, x):
        if x.dtype == bool:
            raise RuntimeError("Boolean inputs not supported for relu")
        if x.dtype.kind == "c":
            raise NotImplementedError("clamp is not supported for complex types")
        y = _max_with_zero(self.xp, x).astype(x.dtype, copy=False)
        self.save(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return threshold_grad(g, y, 0)

    def backward_arrays(self, g):
        (y,) = self.saved_arrays
        return run_forward(ThresholdBackwardBackward0(0), self.xp, g, y)  # threshold_grad


class ThresholdBackwardBackward0(Op):
    """torch's threshold_backward: the gradient where the input exceeded the threshold, else 0
    (also where the gradient is inf or nan, which a product with a mask would not give). Linear
    in the gradient; the input only chooses, so its own gradient is zero."""

    promote = "keep"

    def __init__(self, threshold):
        self.threshold = threshold

    def forward(self, g, x):
        self.save(x)
        return select_bits(self.xp, x > self.threshold, g)

    def backward(self, gg):
        from ember._ops.creation import zeros_like

        (x,) = self.saved
        needs = self.needs_input_grad
        return (threshold_grad(gg, x, self.threshold) if needs[0] else None,
                zeros_like(x) if needs[1] else None)


def threshold_grad(g, x, threshold):
    """The gradient of relu / threshold at x for upstream g, as torch's threshold_backward."""
    return ThresholdBackwardBackward0(threshold).apply(g, x)



def _unary(op_cls, doc, same_dtype=False):
    """torch's unary function of an op; ``same_dtype``: an op that keeps the input's dtype,
    whose out= must have that dtype (real input; complex abs writes into any castable out)."""
    def fn(input, *, out=None):
        result = op_cls().apply(input)
        if same_dtype and not input.dtype.is_complex:
            return out_same_dtype(result, out)
        return with_out(result, out)

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
abs = _unary(AbsBackward0, "Absolute value, dtype kept (torch.abs).", True)
sign = _unary(SignBackward0, "-1, 0 or 1 by sign, dtype kept (torch.sign).", True)
floor = _unary(FloorBackward0, "Round down (torch.floor).", True)
ceil = _unary(CeilBackward0, "Round up (torch.ceil).", True)
trunc = _unary(TruncBackward0, "Round toward zero (torch.trunc).", True)
relu = _unary(ReluBackward0, "max(input, 0), dtype kept (torch.relu).")
absolute = abs


def round(input, *, decimals=0, out=None):
    """Round half to even, optionally to ``decimals`` places (torch.round)."""
    op = RoundBackward0() if decimals == 0 else RoundBackward1(decimals)
    return out_same_dtype(op.apply(input), out)


def frac(input, *, out=None):
    """input - trunc(input) (torch.frac); floating types only."""
    if input.dtype.category != FLOAT:
        raise NotImplementedError(f'"frac_cpu" not implemented for '
                                  f"'{_legacy_scalar_name(input.dtype)}'")
    return out_same_dtype(input - trunc(input), out)


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

# -- the remaining in-place forms and aliases --------------------------------------------------

sin_, cos_, tan_, log2_, log10_, log1p_, expm1_ = (
    _inplace(sin), _inplace(cos), _inplace(tan), _inplace(log2), _inplace(log10), _inplace(log1p),
    _inplace(expm1))
rsqrt_, reciprocal_, sign_, square_ = (_inplace(rsqrt), _inplace(reciprocal), _inplace(sign),
                                       _inplace(square))
floor_, ceil_, trunc_, round_, frac_ = (_inplace(floor), _inplace(ceil), _inplace(trunc),
                                        _inplace(round), _inplace(frac))
absolute_ = abs_
