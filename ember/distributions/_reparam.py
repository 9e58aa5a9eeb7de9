"""Implicit reparameterization gradients of gamma and Dirichlet samples, as torch computes them
(ATen's standard_gamma_grad_one and dirichlet_grad_one), vectorised over NumPy arrays.

d x / d alpha for x ~ Gamma(alpha) is -(d cdf / d alpha) / pdf at x; torch approximates it by a
Taylor series for small x, a Rice saddle-point expansion for large alpha and a bivariate
rational fit elsewhere. The Dirichlet (Beta) gradient has four regimes of its own.

NOTE: the steps torch runs in float32 for float32 tensors run in float32 here too, with
log / pow / tan rounded from float64; float32 results can still differ from torch's in the
last bits where libm's float32 functions round otherwise.
"""

from __future__ import annotations

import numpy as np

_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
              -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
              8.33333333333333333333e-2)
_GAMMA_COEF_UV = np.array([
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343,
     1, 0.32668115, 0.10406089, 0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758,
     0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
     0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07]])
_BETA_C = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]]])


def _libm(fn, *args):
    """fn on float32 (or float64) arrays rounded from float64: as close to C's logf / powf as
    NumPy gets (its own float32 log and power differ from libm's in the last bits)."""
    dt = np.result_type(*args)
    return fn(*(np.asarray(a, np.float64) for a in args)).astype(dt)


def _digamma(x, dt=np.float64):
    """ATen's digamma_one<scalar_t, double>: recurrence up to 10, then the asymptotic series;
    steps torch writes on scalar_t run in dt (float32 for float32 tensors)."""
    x = np.array(x, dt)
    zero = x == 0
    result = np.zeros(x.shape)
    extra = np.zeros(x.shape)
    negative = x < 0
    if negative.any():
        pi = dt(np.pi)
        extra = np.where(negative, -pi / _libm(np.tan, pi * x), 0).astype(np.float64)
        x = np.where(negative, 1 - x, x)
    for _ in range(11):  # x >= 0 here; ten steps reach 10 from any x in [0, 10)
        small = x < 10
        if not small.any():
            break
        result = result - np.where(small, 1 / np.where(small, x, 1), 0).astype(np.float64)
        x = np.where(small, x + 1, x)
    z = 1.0 / (x * x).astype(np.float64)
    poly = np.zeros(x.shape)
    for coef in _DIGAMMA_A:
        poly = poly * z + coef
    y = np.where(x < 1.0e17, z * poly, 0.0)
    tail = result + _libm(np.log, x) - (dt(0.5) / x) - y
    value = np.where(x == 10, result + _PSI_10, tail) + extra
    value = np.where(zero | (negative & (x == np.floor(x))), np.inf, value)
    return value.astype(dt)


def _gamma_grad_small_x(alpha, x):
    numer, denom = np.ones_like(x), alpha.copy()
    series1, series2 = numer / denom, numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    pow_x_alpha = np.power(x, alpha)
    gamma_pdf = np.power(x, alpha - 1) * np.exp(-x)
    gamma_cdf = pow_x_alpha * series1
    gamma_cdf_alpha = (np.log(x) - _digamma(alpha)) * gamma_cdf - pow_x_alpha * series2
    result = -gamma_cdf_alpha / gamma_pdf
    return np.where(np.isnan(result), 0.0, result)


def _gamma_grad_large_alpha(alpha, x):
    numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
    numer_2 = (1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha
               + alpha * (107 + 3600 * x))
    near = numer_1 * numer_2 / (1244160 * (alpha * alpha) * (alpha * alpha))
    denom = np.sqrt(8 * alpha)
    term2 = denom / (alpha - x)
    term3 = np.power(x - alpha - alpha * np.log(x / alpha), -1.5)
    term23 = np.where(x < alpha, term2 - term3, term2 + term3)
    term1 = (np.log(x / alpha) * term23
             - np.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x)))
    stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
    far = -stirling * (x * term1) / denom
    return np.where((0.9 * alpha <= x) & (x <= 1.1 * alpha), near, far)


def _gamma_grad_rational(alpha, x):
    u, v = np.log(x / alpha), np.log(alpha)
    coef = [_GAMMA_COEF_UV[0, i] + u * (_GAMMA_COEF_UV[1, i] + u * _GAMMA_COEF_UV[2, i])
            for i in range(8)]
    p = coef[0] + v * (coef[1] + v * (coef[2] + v * coef[3]))
    q = coef[4] + v * (coef[5] + v * (coef[6] + v * coef[7]))
    return np.exp(p / q)


def standard_gamma_grad(alpha, x):
    """d x / d alpha for samples x of Gamma(alpha, 1) (torch._standard_gamma_grad)."""
    a, s = alpha.astype(np.float64), x.astype(np.float64)
    with np.errstate(all="ignore"):
        result = np.where(s < 0.8, _gamma_grad_small_x(a, s),
                          np.where(a > 8.0, _gamma_grad_large_alpha(a, s),
                                   _gamma_grad_rational(a, s)))
    return result.astype(x.dtype)


def _beta_grad_alpha_small(x, alpha, beta):
    dt = x.dtype.type
    factor = _digamma(alpha, dt) - _digamma(alpha + beta, dt) - _libm(np.log, x)
    numer = np.ones_like(x)
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer = numer * ((i - beta) * x / i)
        denom = alpha + i
        series = series + numer / denom * (factor + 1 / denom)
    result = x * _libm(np.power, 1 - x, -beta) * series
    return np.where(np.isnan(result), 0.0, result)


def _beta_grad_beta_small(x, alpha, beta):
    dt = x.dtype.type
    factor = _digamma(alpha + beta, dt) - _digamma(beta, dt)
    numer, betas, dbetas = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    result = -_libm(np.power, 1 - x, 1 - beta) * series
    return np.where(np.isnan(result), 0.0, result)


def _beta_grad_alpha_mid(x, alpha, beta):
    total = alpha + beta
    mean = alpha / total
    std = np.sqrt(alpha * beta / (total + 1)) / total
    poly = (47 * x * (beta * beta) * (beta * beta) + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
            3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                    8 * (1 - x) * (135 * beta - 11))))))
    prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
    near = prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / np.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
                * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1_den = np.sqrt(2 * alpha / beta) * np.power(total, 1.5) * axbx * axbx
    term2 = 0.5 * np.log(alpha / (total * x))
    term3 = np.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4_base = beta * np.log(beta / (total * (1 - x))) + alpha * np.log(alpha / (total * x))
    term4 = np.power(term4_base, -1.5)
    term1234 = term1_num / term1_den + term2 * (term3 + np.where(x < mean, term4, -term4))
    far = stirling * prefactor * term1234
    return np.where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), near, far)


def _beta_grad_rational(x, alpha, total, dt):
    u = np.log(x)
    a = np.log(alpha) - u
    b = np.log(total) - a
    pow_u, pow_a = (1, u, u * u), (1, a, a * a)
    p, q = 0.0, 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            c0, c1 = _BETA_C[0, i, j], _BETA_C[1, i, j]
            p = p + ua * (c0[0] + b * (c0[1] + b * (c0[2] + b * c0[3])))
            q = q + ua * (c1[0] + b * (c1[1] + b * (c1[2] + b * c1[3])))
    digammas = (_digamma(total, dt) - _digamma(alpha, dt)).astype(np.float64)
    approx = x * digammas / (total - alpha)
    return p / q * approx


def dirichlet_grad(x, alpha, total):
    """The scaled Beta reparameterization gradient torch._dirichlet_grad(x, alpha, total)."""
    x, alpha, total = np.broadcast_arrays(x, alpha, total)
    dt = x.dtype.type
    beta = total - alpha
    boundary = total * x * (1 - x)
    x64, a64, t64 = (v.astype(np.float64) for v in (x, alpha, total))
    with np.errstate(all="ignore"):
        result = np.where(
            (x <= 0.5) & (boundary < 2.5), _beta_grad_alpha_small(x, alpha, beta),
            np.where((x >= 0.5) & (boundary < 0.75), -_beta_grad_beta_small(1 - x, beta, alpha),
                     np.where((alpha > 6) & (beta > 6),
                              _beta_grad_alpha_mid(x64, a64, t64 - a64),
                              _beta_grad_rational(x64, a64, t64, dt))))
    return result.astype(dt)
