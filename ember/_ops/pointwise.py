"""Elementwise arithmetic: add, sub, rsub, mul, pow, neg, positive, the composites lerp, addcmul,
addcdiv, their in-place forms and torch's aliases.

Division, floor_divide, remainder and fmod live in division.py, the helpers every elementwise
family shares (``_reject``, ``conj``, ``_inplace``, ...) in _elementwise.py; unary math in unary.py,
clamp / maximum / minimum in minmax.py, comparisons, logical and bitwise ops in compare.py."""

from __future__ import annotations

import operator

from ember._dtype import BOOL, COMPLEX, FLOAT
from ember._ops._elementwise import _inplace, _is_tensor, _reject, conj, out_same_dtype
from ember._ops._op import Op, plain_binary, plain_pair, result_type
from ember._ops.inplace import with_out

# -- arithmetic -------------------------------------------------------------------------------


class AddBackward0(Op):
    alpha = 1

    def __init__(self, alpha=1):
        if alpha != 1 or alpha.__class__ is bool:
            self.alpha = alpha

    def forward(self, a, b):
        return a + b if self.alpha == 1 else a + _scaled(b, self.alpha)

    def backward(self, g):
        return g, g if self.alpha == 1 else g * self.alpha

    def backward_arrays(self, g):
        return (g, g) if self.alpha == 1 else NotImplemented


class SubBackward0(Op):
    alpha = 1

    def __init__(self, alpha=1):
        if alpha != 1 or alpha.__class__ is bool:
            self.alpha = alpha

    def forward(self, a, b):
        return a - b if self.alpha == 1 else a - _scaled(b, self.alpha)

    def backward(self, g):
        return g, -g if self.alpha == 1 else g * -self.alpha

    def backward_arrays(self, g):
        return (g, -g) if self.alpha == 1 else NotImplemented


def _scaled(b, alpha):
    # alpha * b in b's dtype (the promoted one): NumPy would widen bool * 2 to int64
    return (b * alpha).astype(b.dtype, copy=False)


def _unit(alpha):
    """alpha is the int 1, which needs no check; a float, bool or complex 1 is checked against
    the result's dtype, as torch checks alpha's type whatever its value."""
    return alpha.__class__ is int and alpha == 1


def _check_alpha(input, other, alpha):
    """torch's checks on ``alpha`` against the result dtype of add / sub."""
    dtype = result_type(input, other)
    if isinstance(alpha, bool):
        if alpha is not True or dtype.category != BOOL:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, (float, complex)) and dtype.category < FLOAT:
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


class MulBackward0(Op):
    opmath_scalars = True

    def forward(self, a, b):
        # NOTE: keep only what a gradient needs, as torch does: x * 2 saves nothing of x, so a
        # later in-place write to x (or to its base) does not break this node's backward
        if self._recording:
            x, y = self._inputs
            self.save_inputs(0 if getattr(y, "_requires_grad", False) else None,
                             1 if getattr(x, "_requires_grad", False) else None)
        return a * b

    def backward(self, g):
        a, b = self.saved
        needs = self.needs_input_grad
        return g * conj(b) if needs[0] else None, g * conj(a) if needs[1] else None

    def backward_arrays(self, g):
        dtype = g.dtype
        if dtype.itemsize == 2:  # half precision (a gradient is never an integer)
            return NotImplemented
        a, b = self.saved_arrays
        edges = self._edges
        if dtype.kind == "c":  # torch's complex convention: g times the conjugate
            return (g * self.xp.conj(b) if edges[0] else None,
                    g * self.xp.conj(a) if edges[1] else None)
        return g * b if edges[0] else None, g * a if edges[1] else None


class NegBackward0(Op):
    def forward(self, a):
        if a.dtype == bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                               "you are trying to invert a mask, use the `~` or `logical_not()` "
                               "operator instead.")
        return -a

    def backward(self, g):
        return -g

    backward_arrays = backward


class PowBackward0(Op):
    """tensor ** scalar; the caller casts the base to the promoted dtype."""

    promote = "keep"

    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, a):
        self.save(a)
        if a.dtype.kind in "iu" and isinstance(self.exponent, int) and self.exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if a.dtype.kind == "f" and a.dtype.itemsize >= 4 and self.exponent in (3, -2):
            # NOTE: torch's kernel computes these two powers by multiplication (its rounding)
            return a * a * a if self.exponent == 3 else 1 / (a * a)
        # NOTE: NumPy widens bool ** True to int8 and bfloat16 ** 1.5 to float32; torch keeps
        # the promoted dtype the caller cast the base to
        return self.xp.power(a, self.exponent).astype(a.dtype, copy=False)

    def backward(self, g):
        (a,) = self.saved
        if self.exponent == 0:
            return g * 0
        # NOTE: torch's complex convention: g times the conjugate derivative
        return g * conj(self.exponent * a ** (self.exponent - 1))


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
        from ember._ops.unary import log

        a, b, out = self.saved
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            # NOTE: as torch, a zero exponent gives a zero gradient (not 0 * 0 ** -1 = NaN)
            grad_a = where(b == 0, 0.0, g * conj(b * a ** (b - 1)))
        if self.needs_input_grad[1]:
            # NOTE: torch masks the exponent gradient where base == 0 and the exponent is real
            # and >= 0 (0 * log 0); a complex exponent has no order, so its parts are tested
            if b.dtype.category == COMPLEX:
                nonnegative = (b.imag == 0) & (b.real >= 0)
            else:
                nonnegative = b >= 0
            grad_b = g * where((a == 0) & nonnegative, 0.0, conj(out * log(a)))
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
    if not _unit(alpha):
        _check_alpha(input, other, alpha)
        return with_out(AddBackward0(alpha).apply(input, other), out)
    if out is not None:
        return with_out(AddBackward0().apply(input, other), out)
    if plain_pair(input, other):
        return plain_binary(operator.add, input, other)
    return AddBackward0().apply(input, other)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other (torch.sub); bool operands are refused, as in torch."""
    unit_alpha = _unit(alpha)
    if unit_alpha and out is None and plain_pair(input, other) and input.dtype.category:
        return plain_binary(operator.sub, input, other)
    _check_sub(input, other)
    if not unit_alpha:
        _check_alpha(input, other, alpha)
    return with_out(SubBackward0(alpha).apply(input, other), out)


def rsub(input, other, alpha=1):
    """other - alpha * input (torch.rsub; Python's reflected -)."""
    _check_sub(input, other)
    if not _unit(alpha):
        _check_alpha(input, other, alpha)
    op = RsubBackward0 if _is_tensor(other) else RsubBackward1
    return op(alpha).apply(input, other)


def mul(input, other, *, out=None):
    """Elementwise product (torch.mul)."""
    if out is None:
        if plain_pair(input, other):
            return plain_binary(operator.mul, input, other)
        return MulBackward0().apply(input, other)
    return with_out(MulBackward0().apply(input, other), out)


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
    """-input (torch.neg); bool is refused, out must have input's dtype."""
    return out_same_dtype(NegBackward0().apply(input), out)


def positive(input):
    if input.dtype.category == BOOL:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


add_, sub_, mul_, pow_, neg_ = (_inplace(add), _inplace(sub), _inplace(mul), _inplace(pow),
                                _inplace(neg))


# -- composites ------------------------------------------------------------------------------


def where(condition, input=None, other=None, *, out=None):
    """torch.where, 1 or 3 arguments; defined in ember/_ops/masked.py. NOTE: this name is what
    ``from ember._ops.pointwise import *`` exports over masked's, so it must pass everything on."""
    from ember._ops.masked import where as _where

    return _where(condition, input, other, out=out)


def lerp(input, end, weight, *, out=None):
    """input + weight * (end - input) (torch.lerp)."""
    return with_out(input + weight * (end - input), out)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2 (torch.addcmul)."""
    return with_out(input + value * tensor1 * tensor2, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (torch.addcdiv)."""
    return with_out(input + value * tensor1 / tensor2, out)


# -- torch's aliases and the remaining in-place forms ------------------------------------------

subtract, multiply, negative = sub, mul, neg

lerp_, addcmul_, addcdiv_ = _inplace(lerp), _inplace(addcmul), _inplace(addcdiv)
subtract_, multiply_, negative_ = sub_, mul_, neg_
