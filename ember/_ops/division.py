"""Division and its relatives: div (true, 'trunc' and 'floor' rounding), floor_divide, remainder,
fmod, Python's reflected /, // and %, their in-place forms and torch's aliases."""

from __future__ import annotations

from ember._ops._elementwise import _inplace, _is_tensor, _reject, _requires, conj
from ember._ops._op import Op
from ember._ops.inplace import with_out
from ember._ops.pointwise import mul


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
    from ember._ops.unary import reciprocal

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


div_ = _inplace(div, True)
floor_divide_, remainder_, fmod_ = _inplace(floor_divide), _inplace(remainder), _inplace(fmod)

# -- torch's aliases -------------------------------------------------------------------------------

divide, divide_, true_divide_ = div, div_, div_
