"""xlogy, xlog1py and the Hurwitz zeta function: a tensor or a Python number on either side, with
torch's three overloads (and node names) and gradients."""

from __future__ import annotations

from ember._ops import _special_math as _math
from ember._ops._elementwise import _is_tensor, _reject
from ember._ops._op import Op
from ember._ops.inplace import with_out
from ember._ops.pointwise import where


def _opmath(x):
    """Half types compute in float32, as torch's CPU kernels do."""
    return x.astype("float32") if x.dtype.itemsize == 2 and x.dtype.kind != "c" else x


def _reject_half(x, kernel):
    """torch has no float16 / bfloat16 kernel for some special functions."""
    if x.dtype.itemsize == 2 and x.dtype.kind in "fV":
        name = "Half" if x.dtype.kind == "f" else "BFloat16"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")


# -- xlogy, xlog1py, zeta: a tensor or a Python number on either side ---------------------------


class _BinarySpecial(Op):
    """f(a, b) with torch's three overloads: Backward0 (two tensors), Backward1 (a number first),
    Backward2 (a number second); a number is kept on the op, not saved."""

    promote = "float"
    torch_kernel = ""
    no_half = False

    def __init__(self, number=None):
        self.number = number

    def forward(self, *arrays):
        _reject(arrays[0], "c", self.torch_kernel)
        if self.no_half:
            _reject_half(arrays[0], self.torch_kernel)
        self.save(*arrays)
        if len(arrays) == 2:
            a, b = arrays
        elif self.number_first:
            a, b = self.number, arrays[0]
        else:
            a, b = arrays[0], self.number
        out = self.value(self.xp, a, b)
        return self.xp.asarray(out).astype(arrays[0].dtype, copy=False)

    def backward(self, g):
        saved = self.saved
        if len(saved) == 2:
            a, b = saved
            return (self.grad_a(g, a, b) if self.needs_input_grad[0] else None,
                    self.grad_b(g, a, b) if self.needs_input_grad[1] else None)
        if self.number_first:
            return self.grad_b(g, self.number, saved[0])
        return self.grad_a(g, saved[0], self.number)


def _binary(name, ops, input, other, out):
    both, number_first, number_second = ops
    if _is_tensor(input) and _is_tensor(other):
        result = both().apply(input, other)
    elif _is_tensor(other):
        result = number_first(input).apply(other)
    elif _is_tensor(input):
        result = number_second(other).apply(input)
    else:
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__})")
    return with_out(result, out)


def _variants(base):
    """The three overload classes of a _BinarySpecial, named as torch's nodes."""
    stem = base.__name__[1:]
    return tuple(type(f"{stem}{i}", (base,), {"number_first": i == 1}) for i in range(3))


class _XlogyBackward(_BinarySpecial):
    torch_kernel = "xlogy_cpu"

    def value(self, xp, a, b):
        a, b = _opmath(xp.asarray(a)), xp.asarray(b)
        y = xp.where(a == 0, 0, a * xp.log(b))
        return xp.where(xp.isnan(b), b, y)

    def grad_a(self, g, a, b):
        return where((a == 0) & (b <= 0), 0.0, xlogy(g, b))

    def grad_b(self, g, a, b):
        return g * a / b


class _SpecialXlog1PyBackward(_XlogyBackward):
    torch_kernel = "xlog1py_cpu"

    def value(self, xp, a, b):
        a, b = _opmath(xp.asarray(a)), xp.asarray(b)
        y = xp.where(a == 0, 0, a * xp.log1p(b))
        return xp.where(xp.isnan(b), b, y)

    def grad_a(self, g, a, b):
        return where((a == 0) & (b <= -1), 0.0, special_xlog1py(g, b))

    def grad_b(self, g, a, b):
        return g * a / (b + 1)


class _SpecialZetaBackward(_BinarySpecial):
    torch_kernel, no_half = "zeta_cpu", True

    def value(self, xp, a, b):
        wide = [xp.asarray(v).astype("float64") for v in (a, b)]
        return _math.kernel(xp, "zeta")(xp, *wide)

    def grad_a(self, g, a, b):
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")

    def grad_b(self, g, a, b):
        return g * -a * special_zeta(a + 1.0, b)


XlogyBackward0, XlogyBackward1, XlogyBackward2 = _variants(_XlogyBackward)
_XLOG1PY = _variants(_SpecialXlog1PyBackward)
_ZETA = _variants(_SpecialZetaBackward)


def xlogy(input, other, *, out=None):
    """input * log(other), 0 where input is 0 (unless other is NaN) (torch.xlogy)."""
    return _binary("xlogy", (XlogyBackward0, XlogyBackward1, XlogyBackward2), input, other, out)


def special_xlog1py(input, other, *, out=None):
    """input * log1p(other), 0 where input is 0 (torch.special.xlog1py)."""
    return _binary("special_xlog1py", _XLOG1PY, input, other, out)


def special_zeta(input, other, *, out=None):
    """The Hurwitz zeta function sum_k (k + other)^-input (torch.special.zeta)."""
    return _binary("special_zeta", _ZETA, input, other, out)
