"""Gradients of elementwise ops on complex input against torch.

torch's convention for complex gradients: for a real loss L of z, the gradient is
dL/dx + i dL/dy, so a holomorphic f passes grad * conj(f'(z)) back. Each op is checked with two
real losses, |f(z)|^2 summed (which mixes the real and imaginary parts of f) and Re f(z) summed,
and with gradcheck (Wirtinger calculus, as torch checks complex functions).
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, torch

UNARY = {
    "exp": lambda lib, z: lib.exp(z),
    "log": lambda lib, z: lib.log(z),
    "log2": lambda lib, z: lib.log2(z),
    "log10": lambda lib, z: lib.log10(z),
    "log1p": lambda lib, z: lib.log1p(z),
    "expm1": lambda lib, z: lib.expm1(z),
    "sqrt": lambda lib, z: lib.sqrt(z),
    "rsqrt": lambda lib, z: lib.rsqrt(z),
    "sin": lambda lib, z: lib.sin(z),
    "cos": lambda lib, z: lib.cos(z),
    "tan": lambda lib, z: lib.tan(z),
    "tanh": lambda lib, z: lib.tanh(z),
    "sigmoid": lambda lib, z: lib.sigmoid(z),
    "reciprocal": lambda lib, z: lib.reciprocal(z),
    "rdiv": lambda lib, z: 1 / z,
    "pow_2": lambda lib, z: z ** 2,
    "pow_3": lambda lib, z: z ** 3,
    "pow_neg2": lambda lib, z: z ** -2,
    "pow_real": lambda lib, z: z ** 2.5,
    "pow_complex": lambda lib, z: z ** (1.5 - 0.5j),
    "square": lambda lib, z: lib.square(z),
    "acosh": lambda lib, z: lib.acosh(z),
    "asinh": lambda lib, z: lib.asinh(z),
    "atanh": lambda lib, z: lib.atanh(z),
    "asin": lambda lib, z: lib.asin(z),
    "acos": lambda lib, z: lib.acos(z),
    "atan": lambda lib, z: lib.atan(z),
    "sinh": lambda lib, z: lib.sinh(z),
    "cosh": lambda lib, z: lib.cosh(z),
    "exp2": lambda lib, z: lib.exp2(z),
    "sinc": lambda lib, z: lib.sinc(z),
    "abs": lambda lib, z: lib.abs(z),
    "angle": lambda lib, z: lib.angle(z),
    "sgn": lambda lib, z: lib.sgn(z),
    "float_power": lambda lib, z: lib.float_power(z, 2),
    "prod": lambda lib, z: lib.prod(z),
    "prod_dim": lambda lib, z: lib.prod(z, 1),
    "prod_keepdim": lambda lib, z: z.prod(0, keepdim=True),
    "F_sigmoid": lambda lib, z: lib.nn.functional.sigmoid(z),
    "F_tanhshrink": lambda lib, z: lib.nn.functional.tanhshrink(z),
    "logaddexp": lambda lib, z: lib.logaddexp(z, z * 0.5 + 1j),
    "ldexp": lambda lib, z: lib.ldexp(z, z * 0.5),
}

LOSSES = {
    "abs_squared": lambda out: (out.abs() ** 2).sum(),
    "real": lambda out: (out.real if out.is_complex() else out).sum(),
}


def _z(shape=(2, 3), seed=0, scale=1.5):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-scale, scale, shape) + 1j * rng.uniform(-scale, scale, shape))


def _grads(fn, loss, *arrays):
    """(output, gradients) in torch and in ember for the same complex128 inputs."""
    results = []
    for lib in (torch, ember):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(lib, *inputs)
        grads = lib.autograd.grad(loss(out), inputs, allow_unused=True)
        results.append((out.detach(), grads))
    return results


def _check(fn, *arrays, losses=tuple(LOSSES)):
    for name in losses:
        (t_out, t_grads), (e_out, e_grads) = _grads(fn, LOSSES[name], *arrays)
        assert_same(e_out, t_out.resolve_conj(), check_grad_fn=False, path=f"{name}: output")
        for i, (e, t) in enumerate(zip(e_grads, t_grads)):
            assert (e is None) == (t is None), f"{name}: grad[{i}]"
            if t is not None:
                assert_same(e, t.resolve_conj(), check_grad_fn=False, path=f"{name}: grad[{i}]")


@pytest.mark.parametrize("name", sorted(UNARY))
def test_complex_gradient_matches_torch(name):
    _check(UNARY[name], _z())


@pytest.mark.parametrize("name", sorted(UNARY))
def test_complex_gradcheck(name):
    fn = UNARY[name]
    z = ember.tensor(_z(seed=1), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: fn(ember, x), (z,))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "pow_complex",
                                  "prod_dim", "acosh"])
def test_complex_gradgradcheck(name):
    fn = UNARY[name]
    z = ember.tensor(_z((2, 2), seed=2), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x: fn(ember, x), (z,))


def test_acosh_near_the_negative_real_axis():
    """1 / sqrt(z^2 - 1) takes the wrong branch there; torch's derivative does not."""
    z = np.array([-2 + 0.1j, -0.5 - 0.3j, 0.2 + 2j, -1.5 - 0.01j])
    _check(UNARY["acosh"], z)


def test_prod_with_zeros():
    z = _z((3, 4), seed=3)
    z[0, 1] = 0
    z[2, :2] = 0
    for fn in (UNARY["prod"], UNARY["prod_dim"], lambda lib, x: x.prod(0)):
        _check(fn, z)


# -- pow with a tensor exponent: complex on either side ------------------------------------------

POW = {
    "complex_complex": (lambda lib, a, b: a ** b, (_z(seed=4), _z(seed=5, scale=0.8))),
    "complex_real": (lambda lib, a, b: a ** b, (_z(seed=4), np.array([[0.0, 2.0, -1.5]] * 2))),
    "real_complex": (lambda lib, a, b: a ** b, (np.array([[0.7, 1.5, 2.0]] * 2),
                                                _z(seed=5, scale=0.8))),
    "zero_base": (lambda lib, a, b: a ** b, (np.zeros((2, 3)), np.array(
        [[1 + 1j, 2 + 0j, 0.5 - 1j], [3 + 0j, 1j, 1.5 + 0j]]))),
    "number_base": (lambda lib, b: 2 ** b, (_z(seed=6),)),
    "complex_number_base": (lambda lib, b: (1 + 1j) ** b, (_z(seed=6),)),
    "zero_number_base": (lambda lib, b: 0 ** b, (np.array([1 + 1j, 2 + 0j, 3 - 1j]),)),
    "pow_0dim_exponent": (lambda lib, a, b: lib.pow(a, b), (_z(seed=7), np.array(2 + 1j))),
}


@pytest.mark.parametrize("name", sorted(POW))
def test_pow_tensor_exponent_complex(name):
    """x ** tensor with complex operands (it raised "ge_cpu" not implemented) and its gradients."""
    fn, arrays = POW[name]
    _check(fn, *arrays)


def test_pow_tensor_exponent_gradcheck():
    a = ember.tensor(_z(seed=8), requires_grad=True)
    b = ember.tensor(_z(seed=9, scale=0.8), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, y: x ** y, (a, b))
    assert ember.autograd.gradcheck(lambda y: (1 - 2j) ** y, (b,))


def test_pow_zero_exponent_gradient_is_zero():
    """As torch: d(a ** b)/da is 0 where b == 0, also at a == 0 (not 0 * 0 ** -1 = NaN)."""
    for lib in (torch, ember):
        a = lib.tensor([0.0, 0.0, 2.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([0.0, 1.0, 0.0], dtype=lib.float64, requires_grad=True)
        ga, gb = lib.autograd.grad((a ** b).sum(), (a, b))
        assert ga.tolist() == [0.0, 1.0, 0.0]
        assert gb.tolist()[:2] == [0.0, 0.0]


def test_real_pow_by_multiplication_matches_torch_bits():
    """torch computes x ** 3 and x ** -2 by multiplication; so does Ember (same rounding)."""
    x = np.random.default_rng(10).uniform(-3, 3, 200).astype("float32")
    for exponent in (3, -2, 3.0):
        expected = torch.pow(torch.tensor(x), exponent).numpy()
        np.testing.assert_array_equal(ember.pow(ember.tensor(x), exponent).numpy(), expected)


def test_complex_softmax_is_refused_like_torch():
    for fn in (lambda lib, z: lib.softmax(z, 1), lambda lib, z: lib.log_softmax(z, 0)):
        for lib in (torch, ember):
            with pytest.raises(NotImplementedError, match="not implemented for 'ComplexFloat'"):
                fn(lib, lib.ones(2, 2, dtype=lib.complex64))


def test_complex_nan_to_num_refuses_autograd_like_torch():
    for lib in (torch, ember):
        z = lib.ones(2, dtype=lib.complex64, requires_grad=True)
        with pytest.raises(RuntimeError, match="nan_to_num does not support automatic "
                                               "differentiation for outputs with complex dtype"):
            lib.nan_to_num(z)
        with lib.no_grad():
            assert lib.nan_to_num(z).shape == (2,)
