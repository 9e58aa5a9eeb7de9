"""torch.special: special functions under torch's names, sharing the Ops of ember._ops."""

from ember._ops.activation import SoftmaxBackward0 as _Softmax  # noqa: F401 - see softmax below
from ember._ops.elementwise_more import exp2
from ember._ops.reduce_misc import logsumexp
from ember._ops.special import (
    digamma,
    erf,
    erfc,
    erfinv,
    i0,
    logit,
    mvlgamma,
    polygamma,
    sinc,
    xlogy,
)
from ember._ops.special import lgamma as gammaln
from ember._ops.special import special_entr as entr
from ember._ops.special import special_erfcx as erfcx
from ember._ops.special import special_i0e as i0e
from ember._ops.special import special_i1 as i1
from ember._ops.special import special_i1e as i1e
from ember._ops.special import special_log_ndtr as log_ndtr
from ember._ops.special import special_ndtr as ndtr
from ember._ops.special import special_ndtri as ndtri
from ember._ops.special_binary import special_xlog1py as xlog1py
from ember._ops.special_binary import special_zeta as zeta
from ember._ops.unary import expm1, log1p, round, sigmoid

psi = digamma
expit = sigmoid

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
           "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit",
           "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
           "softmax", "xlog1py", "xlogy", "zeta"]


def multigammaln(input, p, *, out=None):
    """Multivariate log-gamma (torch.special.multigammaln, same as torch.mvlgamma)."""
    return mvlgamma(input, p, out=out)


def softmax(input, dim, *, dtype=None):
    """exp(x) / sum(exp(x)) along dim (torch.special.softmax)."""
    from ember.nn.functional import softmax as _softmax

    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log(softmax(x)) along dim, computed stably (torch.special.log_softmax)."""
    from ember.nn.functional import log_softmax as _log_softmax

    return _log_softmax(input, dim, dtype=dtype)
