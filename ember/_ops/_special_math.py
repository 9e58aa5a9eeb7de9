"""Vectorised special functions on float64 arrays, for any array module ``xp`` (NumPy or CuPy).

No SciPy: the core depends on NumPy alone. The rational and Chebyshev approximations are Stephen
Moshier's Cephes coefficients (the same the C libraries and torch's own kernels build on), and the
algorithms follow torch's where its results are not the correctly rounded ones (trigamma), so that
float64 results agree with torch's to ~1e-15 relative. Callers cast half and single precision to
float64 and round the result once, which is within float32 rounding of torch's float kernels.
"""

from __future__ import annotations

import math

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _poly(x, coeffs):
    """Horner's rule, highest power first."""
    out = coeffs[0]
    for c in coeffs[1:]:
        out = out * x + c
    return out


def _poly1(x, coeffs):
    """Horner's rule with an implied leading coefficient 1."""
    return _poly(x, (1.0, *coeffs))


def _chebyshev(x, coeffs):
    """Clenshaw's recurrence for a Chebyshev series, highest order first (Cephes' chbevl)."""
    b0, b1, b2 = coeffs[0], 0.0, 0.0
    for c in coeffs[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


# -- erf, erfc, erfcx -------------------------------------------------------------------------

# erf(x) = x T(x^2) / U(x^2) on |x| <= 1
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
# erfcx(x) = exp(x^2) erfc(x) = P(x) / Q(x) on [1, 8), R(x) / S(x) on [8, inf)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _exp_x2(xp, x, sign):
    """exp(sign * x^2) without the error of rounding x^2: x = m + f with m a multiple of 1/128,
    so m^2 is exact and the small remainder carries the rest."""
    m = xp.floor(x * 128 + 0.5) / 128
    f = x - m
    split = xp.exp(sign * m * m) * xp.exp(sign * (2 * m + f) * f)
    return xp.where(xp.isinf(x), xp.exp(sign * x * x), split)  # NOTE: inf - inf is NaN


def _erfcx_large(xp, ax):
    """exp(x^2) erfc(x) for x >= 1 (NaN passes through)."""
    mid = _poly(ax, _ERFC_P) / _poly1(ax, _ERFC_Q)
    big = xp.minimum(ax, 1e8)  # NOTE: beyond 1e8 the rational function would overflow
    far = _poly(big, _ERFC_R) / _poly1(big, _ERFC_S)
    far = xp.where(ax > 1e8, (1 / _SQRT_PI) / ax, far)
    return xp.where(ax < 8, mid, far)


def erf(xp, x):
    ax = xp.abs(x)
    z = x * x
    small = x * _poly(z, _ERF_T) / _poly1(z, _ERF_U)
    tail = xp.copysign(1 - _exp_x2(xp, ax, -1) * _erfcx_large(xp, ax), x)
    return xp.where(ax <= 1, small, xp.where(ax > 6, xp.copysign(1.0, x), tail))


def erfc(xp, x):
    ax = xp.abs(x)
    upper = _exp_x2(xp, ax, -1) * _erfcx_large(xp, ax)
    upper = xp.where(ax > 27.3, 0.0, upper)  # NOTE: underflow; also keeps inf * 0 from giving NaN
    return xp.where(ax < 1, 1 - erf(xp, x), xp.where(x > 0, upper, 2 - upper))


def erfcx(xp, x):
    ax = xp.abs(x)
    large = _erfcx_large(xp, ax)
    small = _exp_x2(xp, x, 1) * (1 - erf(xp, x))
    negative = 2 * _exp_x2(xp, ax, 1) - large
    return xp.where(ax < 1, small, xp.where(x > 0, large, negative))


# -- ndtri, erfinv, log_ndtr ------------------------------------------------------------------

_EXP_M2 = 0.1353352832366127  # exp(-2): where ndtri switches to its tail approximations
# ndtri(0.5 + w) = sqrt(2 pi) (w + w^3 P0(w^2) / Q0(w^2)) on |w| <= 1/2 - exp(-2)
_NDTRI_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
             1.39312609387279679503e1, -1.23916583867381258016e0)
_NDTRI_Q0 = (1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
             -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
             1.59056225126211695515e1, -1.18331621121330003142e0)
# tails, in z = 1 / sqrt(-2 log p): P1 / Q1 for sqrt(-2 log p) < 8, P2 / Q2 beyond
_NDTRI_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
             4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
             -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4)
_NDTRI_Q1 = (1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
             1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
             -3.80806407691578277194e-2, -9.33259480895457427372e-4)
_NDTRI_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
             1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
             3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9)
_NDTRI_Q2 = (6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
             2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
             2.89247864745380683936e-6, 6.79019408009981274425e-9)


def _ndtri_central(w):
    """ndtri(0.5 + w), given w itself (so that small w keeps its relative accuracy)."""
    w2 = w * w
    return _SQRT_2PI * (w + w * (w2 * _poly(w2, _NDTRI_P0) / _poly1(w2, _NDTRI_Q0)))


def _ndtri_tail(xp, p):
    """-ndtri(p) for 0 < p <= exp(-2): the positive distance into the lower tail."""
    x = xp.sqrt(-2 * xp.log(p))
    z = 1 / x
    near = z * _poly(z, _NDTRI_P1) / _poly1(z, _NDTRI_Q1)
    far = z * _poly(z, _NDTRI_P2) / _poly1(z, _NDTRI_Q2)
    return x - xp.log(x) / x - xp.where(x < 8, near, far)


def ndtri(xp, p):
    upper = p > 1 - _EXP_M2
    q = xp.where(upper, 1 - p, p)
    tail = _ndtri_tail(xp, q)
    tail = xp.where(upper, tail, -tail)
    out = xp.where(xp.abs(p - 0.5) <= 0.5 - _EXP_M2, _ndtri_central(p - 0.5), tail)
    out = xp.where(p == 0, -math.inf, xp.where(p == 1, math.inf, out))
    return xp.where((p < 0) | (p > 1), math.nan, out)


def erfinv(xp, y):
    """erf(x) = y  <=>  x = ndtri((1 + y) / 2) / sqrt(2), evaluated without rounding (1 + y) / 2:
    the central branch takes w = y / 2, the tails the exact 1 - |y|."""
    ay = xp.abs(y)
    central = _ndtri_central(y / 2)
    tail = xp.copysign(_ndtri_tail(xp, (1 - xp.minimum(ay, 1)) / 2), y)
    out = xp.where(ay <= 1 - 2 * _EXP_M2, central, tail) / math.sqrt(2)
    out = xp.where(ay == 1, xp.copysign(math.inf, y), out)
    return xp.where(ay > 1, math.nan, out)


def log_ndtr(xp, x):
    """log of the standard normal CDF; below -1 through erfcx, so the far tail does not
    underflow (torch's formulation)."""
    t = x / math.sqrt(2)
    lower = xp.log(erfcx(xp, -t) / 2) - t * t
    return xp.where(x < -1, lower, xp.log1p(-erfc(xp, t) / 2))


def ndtr(xp, x):
    return (1 + erf(xp, x / math.sqrt(2))) / 2


# -- lgamma -----------------------------------------------------------------------------------

# lgamma(2 + s) = (1 - euler_gamma) s + sum_k (-1)^k (zeta(k) - 1) / k s^k, k = 2..31: converges
# like (s / 2)^k, so on |s| <= 1/2 it is accurate to the last bit, relative error included where
# lgamma crosses zero at 1 and 2
_LGAMMA2 = (
    0.42278433509846713, 0.3224670334241132, -0.0673523010531981, 0.020580808427784546,
    -0.007385551028673986, 0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425,
    -0.00022315475845357939, 9.945751278180853e-05, -4.492623673813314e-05,
    2.050721277567069e-05, -9.439488275268397e-06, 4.374866789907488e-06,
    -2.039215753801366e-06, 9.55141213040742e-07, -4.492469198764566e-07,
    2.1207184805554665e-07, -1.0043224823968099e-07, 4.7698101693639804e-08,
    -2.2711094608943164e-08, 1.0838659214896955e-08, -5.183475041970047e-09,
    2.4836745438024785e-09, -1.1921401405860912e-09, 5.731367241678862e-10,
    -2.7595228851242334e-10, 1.330476437424449e-10, -6.4229645638381e-11,
    3.1044247747322276e-11, -1.5021384080754142e-11)
# B_2, B_4, ..., B_24 as (numerator, denominator): Python's int / int rounds the exact quotient
# once, so the coefficients below are the correctly rounded values (without fractions' import)
_BERNOULLI = [(1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6), (-3617, 510),
              (43867, 798), (-174611, 330), (854513, 138), (-236364091, 2730)]
# Stirling's series: lgamma(x) = (x - 1/2) log x - x + log sqrt(2 pi) + sum_k c_k / x^(2k - 1)
_STIRLING = tuple(p / (q * (2 * k + 2) * (2 * k + 1)) for k, (p, q) in enumerate(_BERNOULLI[:7]))


def _lgamma2(s):
    """lgamma(2 + s) for |s| <= 1/2."""
    return s * _poly(s, _LGAMMA2[::-1])


def _lgamma_positive(xp, x):
    """lgamma on x > 0: series around 2 on (0, 2.5) (shifted with log terms), recurrence down to
    [1.5, 2.5) below 13, Stirling's series above."""
    low = _lgamma2(x) - xp.log(x) - xp.log1p(x)  # (0, 0.5): lgamma(x + 2) - log(x (x + 1))
    s = x - 1  # exact on [0.5, 2]
    near_one = _lgamma2(s) - xp.log1p(s)  # [0.5, 1.5): lgamma(x + 1) - log(x)
    u, product = xp.minimum(x, 13.0), xp.ones_like(x)
    for _ in range(11):  # [2.5, 13): lgamma(x) = lgamma(u) + log(u (u + 1) ... (x - 1))
        shift = u >= 2.5
        u = xp.where(shift, u - 1, u)
        product = xp.where(shift, product * u, product)
    mid = _lgamma2(u - 2) + xp.log(product)
    big = xp.maximum(x, 13.0)
    w = 1 / (big * big)
    stirling = (big - 0.5) * xp.log(big) - big + _LOG_SQRT_2PI + _poly(w, _STIRLING[::-1]) / big
    out = xp.where(x < 13, mid, stirling)
    out = xp.where(x < 1.5, near_one, out)
    return xp.where(x < 0.5, low, out)


def lgamma(xp, x):
    """log |Gamma(x)|; below 0 by reflection, Gamma(x) Gamma(1 - x) = pi / sin(pi x)."""
    positive = _lgamma_positive(xp, xp.where(x > 0, x, 1 - x))
    # NOTE: sin(pi (x - round(x))) has sin(pi x)'s magnitude without rounding pi x
    sin_pi = xp.abs(xp.sin(math.pi * (x - xp.round(x))))
    reflected = math.log(math.pi) - xp.log(sin_pi) - positive
    out = xp.where(x > 0, positive, reflected)
    pole = (x <= 0) & (x == xp.floor(x))
    return xp.where(pole | xp.isinf(x), math.inf, out)


# -- digamma, trigamma, zeta, polygamma --------------------------------------------------------

_PSI_10 = 2.25175258906672110764  # digamma(10)
# digamma(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k)
_PSI_SERIES = tuple(p / (q * (2 * k + 2)) for k, (p, q) in enumerate(_BERNOULLI[:7]))


def digamma(xp, x):
    """torch's digamma: recurrence up to 10, then the asymptotic series; below 0 by reflection,
    digamma(x) = digamma(1 - x) - pi / tan(pi frac(x)); poles give NaN, 0 gives -+inf."""
    negative = x < 0
    y = xp.where(negative, 1 - x, x)
    result = xp.zeros_like(y)
    for _ in range(10):
        small = y < 10
        result = xp.where(small, result - 1 / y, result)
        y = xp.where(small, y + 1, y)
    z = 1 / (y * y)
    series = xp.where(y < 1e17, z * _poly(z, _PSI_SERIES[::-1]), 0.0)
    out = xp.where(y == 10, result + _PSI_10, result + xp.log(y) - 0.5 / y - series)
    out = xp.where(negative, out - math.pi / xp.tan(math.pi * (x - xp.trunc(x))), out)
    out = xp.where(x == 0, xp.copysign(math.inf, -x), out)
    return xp.where(negative & (x == xp.trunc(x)), math.nan, out)


def trigamma(xp, x):
    """torch's trigamma (polygamma(1, x)): six recurrence steps and a short asymptotic series,
    reflected below 1/2. NOTE: torch's result is only good to ~1e-10 relative; this follows the
    same steps, so it agrees with torch rather than with the exact value."""
    reflect = x < 0.5
    sin_pi = xp.sin(math.pi * x)
    result = xp.where(reflect, -(math.pi * math.pi) / (sin_pi * sin_pi), 0.0)
    y = xp.where(reflect, 1 - x, x)
    for _ in range(6):
        result = result + 1 / (y * y)
        y = y + 1
    ixx = 1 / (y * y)
    result = result + (1 + 1 / (2 * y) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / y
    return xp.where(reflect, -result, result)


_MACHEP = 1.11022302462515654042e-16
# (2k)! / B_2k: the Euler-Maclaurin tail of the Hurwitz zeta sum
_ZETA_A = tuple(math.factorial(2 * k + 2) * q / p for k, (p, q) in enumerate(_BERNOULLI))


def zeta(xp, x, q):
    """Hurwitz zeta, sum_k (k + q)^-x (torch.special.zeta): the direct sum until k + q > 9,
    then the Euler-Maclaurin tail, each element stopping once its terms fall below 1e-16."""
    x, q = xp.broadcast_arrays(x, q)
    s = q ** -x
    a, b = q, xp.zeros_like(s)
    # NOTE: poles and infinities are settled by _zeta_special; summing them would never end
    done = ~xp.isfinite(q) | ((q <= 0) & (q == xp.floor(q)))
    i = 0
    while i < 10_000:
        active = ~done & ((i < 9) | (a <= 9))
        if not active.any():
            break
        i += 1
        a = xp.where(active, a + 1, a)
        b = xp.where(active, a ** -x, b)
        s = xp.where(active, s + b, s)
        done |= active & (b < _MACHEP * s) & (-_MACHEP * s < b)
    return _zeta_special(xp, x, q, _zeta_tail(xp, x, s, a, b, done))


def _zeta_tail(xp, x, s, a, b, done):
    w = a
    s = xp.where(done, s, s + b * w / (x - 1) - 0.5 * b)
    factor, k = xp.ones_like(s), 0
    for coefficient in _ZETA_A:
        factor = factor * (x + k)
        b = b / w
        t = factor * b / coefficient
        s = xp.where(done, s, s + t)
        done = done | (xp.abs(t / s) < _MACHEP)
        factor = factor * (x + k + 1)
        b = b / w
        k += 2
    return s


def _zeta_special(xp, x, q, s):
    s = xp.where(q == math.inf, math.nan, s)  # NOTE: torch's sum meets 0 * inf there
    s = xp.where(x == 1, math.inf, xp.where(x < 1, math.nan, s))
    pole = (q <= 0) & (q == xp.floor(q))
    s = xp.where((q <= 0) & (x != xp.floor(x)), math.nan, s)
    return xp.where(pole & (x >= 1), math.inf, s)


def polygamma(xp, n, x):
    """The n-th derivative of digamma: digamma, trigamma, else (-1)^(n+1) n! zeta(n + 1, x)."""
    if n == 0:
        return digamma(xp, x)
    if n == 1:
        return trigamma(xp, x)
    sign = 1.0 if n % 2 else -1.0
    factorial = float(math.factorial(n)) if n <= 170 else math.inf
    return sign * factorial * zeta(xp, xp.full_like(x, n + 1.0), x)


# -- modified Bessel functions of the first kind ----------------------------------------------

# Chebyshev series for exp(-x) I0(x) on [0, 8] (in x / 2 - 2) and exp(-x) sqrt(x) I0(x) on
# [8, inf) (in 32 / x - 2); likewise exp(-x) I1(x) / x and exp(-x) sqrt(x) I1(x)
_I0_A = (
    -4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
    1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
    -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
    9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
    -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7,
    1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
    -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4,
    1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
    -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2,
    1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1)
_I0_B = (
    -7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
    3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
    1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
    -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
    7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
    -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
    3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7,
    2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
    8.04490411014108831608e-1)
_I1_A = (
    2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
    -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
    3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
    -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
    9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
    -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
    4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
    -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
    2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
    -1.76416518357834055153e-1, 2.52587186443633654823e-1)
_I1_B = (
    7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
    -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
    -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
    4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
    -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
    3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
    -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
    -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
    7.78576235018280120474e-1)


def _bessel(xp, x, a, b, order, scaled):
    """I0 / I1 (``order``), times exp(-|x|) when ``scaled``, from the two Chebyshev series."""
    z = xp.abs(x)
    near = _chebyshev(z / 2 - 2, a) * (z if order else 1.0)
    far_z = xp.maximum(z, 8.0)  # NOTE: keeps 32 / 0 out of the unused branch
    far = _chebyshev(32 / far_z - 2, b) / xp.sqrt(far_z)
    if not scaled:
        near, far = xp.exp(z) * near, xp.exp(z) * far
    out = xp.where(z <= 8, near, far)
    return xp.where(x < 0, -out, out) if order else out


def i0(xp, x):
    return _bessel(xp, x, _I0_A, _I0_B, 0, False)


def i0e(xp, x):
    return _bessel(xp, x, _I0_A, _I0_B, 0, True)


def i1(xp, x):
    return _bessel(xp, x, _I1_A, _I1_B, 1, False)


def i1e(xp, x):
    return _bessel(xp, x, _I1_A, _I1_B, 1, True)


# -- dispatch ---------------------------------------------------------------------------------

_CUPY_NAMES = {"lgamma": "gammaln"}


def kernel(xp, name):
    """The float64 kernel ``name`` for ``xp``: cupyx.scipy.special's on CuPy when it has one,
    else the one above (which runs on either module)."""
    if xp.__name__ == "cupy":
        try:
            import cupyx.scipy.special as cupy_special

            return _cupy_adapter(getattr(cupy_special, _CUPY_NAMES.get(name, name)), xp)
        except (ImportError, AttributeError):
            pass
    return globals()[name]


def _cupy_adapter(fn, xp):
    return lambda module, *args: fn(*args)
