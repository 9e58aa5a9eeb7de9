"""Elementwise comparisons, logical and bitwise ops (no gradient), isclose, allclose, equal."""

from __future__ import annotations

from ember._dtype import FLOAT
from ember._ops._elementwise import _expect_tensor, _inplace, _is_tensor, _reject
from ember._ops._op import Op
from ember._ops.inplace import with_out

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


# -- torch's aliases and the remaining in-place forms ------------------------------------------

greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

# comparisons in place write 1 / 0 in the tensor's own dtype, as torch's eq_ and friends do
eq_, ne_, lt_, le_, gt_, ge_ = (_inplace(eq), _inplace(ne), _inplace(lt), _inplace(le),
                                _inplace(gt), _inplace(ge))
logical_and_, logical_or_, logical_xor_, logical_not_ = (
    _inplace(logical_and), _inplace(logical_or), _inplace(logical_xor), _inplace(logical_not))
bitwise_not_ = _inplace(bitwise_not)
greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_
