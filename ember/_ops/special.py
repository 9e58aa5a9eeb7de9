"""Special functions: erf and its relatives, the gamma family, Bessel I0 / I1, sinc, logit and
entr, with torch's dtypes, errors and gradients (torch.* and torch.special.*); xlogy, xlog1py and
zeta are in special_binary.py.

Values come from the float64 kernels of ``_special_math`` (half and single precision round once
from float64); gradients are written with Ember ops, so they are differentiable again.
"""

from __future__ import annotations

import math

from ember._dtype import COMPLEX, can_cast
from ember._ops import _special_math as _math
from ember._ops._elementwise import _inplace, _legacy_scalar_name, _reject
from ember._ops._op import Op
from ember._ops.complex import sgn
from ember._ops.inplace import with_out
from ember._ops.pointwise import where
from ember._ops.special_binary import (  # noqa: F401 - re-exported: torch.xlogy and Tensor.xlogy
    _opmath,
    _reject_half,
    special_xlog1py,
    special_zeta,
    xlogy,
)
from ember._ops.unary import exp, log

# NOTE: sgn is complex.sgn (SgnBackward0), exported here so that it replaces pointwise's composite
# in the ember namespace (this module's star import comes after pointwise's)
__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc",
           "xlogy", "logit", "sgn"]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _evaluate(xp, name, x, *args):
    """Kernel ``name`` of _special_math in float64, rounded once to x's dtype."""
    wide = x.astype("float64", copy=False)
    return _math.kernel(xp, name)(xp, *args, wide).astype(x.dtype, copy=False)


class _Special(Op):
    """A unary special function: integers and bools compute in the default float dtype; complex
    input has no kernel, nor half types where ``no_half``. Forward saves the input
    (``save_output``: the output instead)."""

    promote = "float"
    kernel = ""
    torch_kernel = ""
    save_output = no_half = False

    def forward(self, x):
        _reject(x, "c", self.torch_kernel or f"{self.kernel}_vml_cpu")
        if self.no_half:
            _reject_half(x, self.torch_kernel)
        y = _evaluate(self.xp, self.kernel, x)
        self.save(y if self.save_output else x)
        return y

    def backward(self, g):
        (x,) = self.saved
        return g * self.derivative(x)


class ErfBackward0(_Special):
    kernel = "erf"

    def derivative(self, x):
        return _TWO_OVER_SQRT_PI * exp(-x * x)


class ErfcBackward0(_Special):
    kernel = "erfc"

    def derivative(self, x):
        return -_TWO_OVER_SQRT_PI * exp(-x * x)


class ErfinvBackward0(_Special):
    kernel, save_output = "erfinv", True

    def derivative(self, y):
        return (math.sqrt(math.pi) / 2) * exp(y * y)


class LgammaBackward0(_Special):
    kernel = "lgamma"

    def derivative(self, x):
        return digamma(x)


class DigammaBackward0(_Special):
    kernel, torch_kernel = "digamma", "digamma"

    def derivative(self, x):
        return polygamma(1, x)


class PolygammaBackward0(_Special):
    torch_kernel = "polygamma"

    def __init__(self, n):
        self.n = n

    def forward(self, x):
        _reject(x, "c", self.torch_kernel)
        self.save(x)
        return _evaluate(self.xp, "polygamma", x, self.n)

    def derivative(self, x):
        return polygamma(self.n + 1, x)


class I0Backward0(_Special):
    kernel = "i0"

    def derivative(self, x):
        return special_i1(x)


class SpecialI0EBackward0(_Special):
    kernel, torch_kernel = "i0e", "i0e_cpu"

    def derivative(self, x):
        return special_i1e(x) - sgn(x) * special_i0e(x)


class SpecialI1Backward0(_Special):
    kernel, torch_kernel = "i1", "i1_cpu"

    def derivative(self, x):
        # NOTE: I1'(x) = I0(x) - I1(x) / x, whose limit at 0 is 1/2
        return where(x == 0, 0.5, i0(x) - special_i1(x) / x)


class SpecialI1EBackward0(_Special):
    kernel, torch_kernel = "i1e", "i1e_cpu"

    def derivative(self, x):
        return where(x == 0, 0.5, special_i0e(x) - special_i1e(x) * (sgn(x) + 1 / x))


class SpecialErfcxBackward0(_Special):
    kernel, torch_kernel = "erfcx", "erfcx_cpu"
    no_half = True

    def derivative(self, x):
        return 2 * x * special_erfcx(x) - _TWO_OVER_SQRT_PI


class SpecialNdtriBackward0(_Special):
    kernel, torch_kernel, save_output = "ndtri", "ndtri_cpu", True
    no_half = True

    def derivative(self, y):
        return _SQRT_2PI * exp(y * y / 2)


class SpecialLogNdtrBackward0(_Special):
    kernel, torch_kernel = "log_ndtr", "log_ndtr_cpu"
    no_half = True

    def forward(self, x):
        y = super().forward(x)
        self.save(x, y)
        return y

    def backward(self, g):
        x, y = self.saved
        # NOTE: pdf / cdf as exp(-(x^2 / 2 + log cdf)): no 0 / 0 far in the lower tail
        return g / _SQRT_2PI * exp(-(y + x * x / 2))


def _unary(op_cls, name, doc):
    def fn(input, *, out=None):
        return with_out(op_cls().apply(input), out)

    fn.__name__, fn.__doc__ = name, doc
    return fn


erf = _unary(ErfBackward0, "erf", "The error function (torch.erf).")
erfc = _unary(ErfcBackward0, "erfc", "1 - erf(input), accurate where erf is near 1 (torch.erfc).")
erfinv = _unary(ErfinvBackward0, "erfinv", "The inverse of erf on [-1, 1] (torch.erfinv).")
lgamma = _unary(LgammaBackward0, "lgamma", "log |Gamma(input)| (torch.lgamma).")
digamma = _unary(DigammaBackward0, "digamma", "d/dx lgamma(x); NaN at poles, -+inf at 0.")
i0 = _unary(I0Backward0, "i0", "Modified Bessel function of the first kind, order 0 (torch.i0).")
special_i0e = _unary(SpecialI0EBackward0, "special_i0e", "exp(-|x|) I0(x) (torch.special.i0e).")
special_i1 = _unary(SpecialI1Backward0, "special_i1", "Modified Bessel function I1.")
special_i1e = _unary(SpecialI1EBackward0, "special_i1e", "exp(-|x|) I1(x) (torch.special.i1e).")
special_erfcx = _unary(SpecialErfcxBackward0, "special_erfcx", "exp(x^2) erfc(x), no underflow.")
special_ndtri = _unary(SpecialNdtriBackward0, "special_ndtri", "Inverse normal CDF.")
special_log_ndtr = _unary(SpecialLogNdtrBackward0, "special_log_ndtr", "log of the normal CDF.")


def special_ndtr(input, *, out=None):
    """The standard normal CDF, (1 + erf(x / sqrt 2)) / 2, composed as torch composes it."""
    return with_out((1 + erf(input * (1 / math.sqrt(2)))) * 0.5, out)


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma (torch.polygamma); n >= 0."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return with_out(PolygammaBackward0(int(n)).apply(input), out)


def _polygamma_method(input, n):
    """Tensor.polygamma(n): the tensor is the argument x."""
    return polygamma(n, input)


class MvlgammaBackward0(_Special):
    """Multivariate log-gamma of dimension p: sum_i lgamma(x - i / 2) + p (p - 1) / 4 log(pi)."""

    torch_kernel = "mvlgamma"

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        _reject(x, "c", "lgamma_vml_cpu")
        self.save(x)
        wide = x.astype("float64", copy=False)
        total = self.p * (self.p - 1) / 4 * math.log(math.pi)
        for i in range(self.p):
            total = total + _math.kernel(self.xp, "lgamma")(self.xp, wide - i / 2)
        return self.xp.asarray(total).astype(x.dtype, copy=False)

    def derivative(self, x):
        total = digamma(x)
        for i in range(1, self.p):
            total = total + digamma(x - i / 2)
        return total


def mvlgamma(input, p, *, out=None):
    """Multivariate log-gamma (torch.mvlgamma, torch.special.multigammaln)."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    result = MvlgammaBackward0(int(p)).apply(input)
    if out is not None and not can_cast(result.dtype, out.dtype):
        # NOTE: torch's message, which names the input's dtype and then the result's
        raise RuntimeError(f"mvlgamma: result type {_legacy_scalar_name(input.dtype)} can't be "
                           f"cast to the desired output type {_legacy_scalar_name(result.dtype)}")
    return with_out(result, out)


# -- sinc, logit, entr --------------------------------------------------------------------------


class SincBackward0(Op):
    promote = "float"

    def forward(self, x):
        self.save(x)
        z = _opmath(x) * math.pi
        safe = self.xp.where(z == 0, 1, z)
        return self.xp.where(z == 0, 1, self.xp.sin(safe) / safe).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved
        z = x * math.pi
        safe = where(x == 0, 1, x)
        d = where(x == 0, 0, (z * (z).cos() - z.sin()) / (z * safe))
        return g * d.conj() if x.dtype.category == COMPLEX else g * d


sinc = _unary(SincBackward0, "sinc", "sin(pi x) / (pi x), 1 at 0 (torch.sinc).")


class LogitBackward0(Op):
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given."""

    promote = "float"

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x):
        _reject(x, "c", "logit_cpu")
        self.save(x)
        z = _opmath(x)
        if self.eps is not None:
            z = self.xp.clip(z, self.eps, 1 - self.eps)
        return self.xp.log(z / (1 - z)).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved
        d = g / (x * (1 - x))
        if self.eps is None:  # NOTE: outside [0, 1] torch's gradient is NaN, not the formula's
            return where((x < 0) | (x > 1), math.nan, d)
        return where((x < self.eps) | (x > 1 - self.eps), 0.0, d)


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)), optionally clamping p to [eps, 1 - eps] first (torch.logit)."""
    return with_out(LogitBackward0(eps).apply(input), out)


class SpecialEntrBackward0(Op):
    """-x log x, 0 at 0, -inf below 0 (torch.special.entr)."""

    promote = "float"

    def forward(self, x):
        _reject(x, "c", "entr_cpu")
        self.save(x)
        xp, z = self.xp, _opmath(x)
        y = xp.where(z > 0, -z * xp.log(xp.where(z > 0, z, 1)), xp.where(z == 0, 0, -math.inf))
        return xp.where(xp.isnan(z), z, y).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved
        return g * -(1 + log(x))


special_entr = _unary(SpecialEntrBackward0, "special_entr", "-x log x, elementwise.")


# -- in-place forms (Tensor methods) ------------------------------------------------------------

erf_, erfc_, erfinv_, lgamma_, digamma_ = (_inplace(erf), _inplace(erfc), _inplace(erfinv),
                                           _inplace(lgamma), _inplace(digamma))
i0_, sinc_, logit_, xlogy_ = _inplace(i0), _inplace(sinc), _inplace(logit), _inplace(xlogy)
_polygamma_inplace, mvlgamma_ = _inplace(_polygamma_method), _inplace(mvlgamma)


def polygamma_(input, n):
    """In-place polygamma (torch.Tensor.polygamma_(n))."""
    return _polygamma_inplace(input, n)
