"""gradcheck and gradgradcheck on complex inputs and outputs, against torch's.

torch checks complex functions with Wirtinger calculus: a complex input is perturbed along its
real and imaginary axes (the numerical gradient of a real output s is ds/dx + i ds/dy), and a
function with complex outputs is checked on their imaginary parts, then on their real parts.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import torch

# NOTE: torch.autograd.gradcheck is the function; the module holding the error class is shadowed
GRADCHECK_ERROR = {torch: importlib.import_module("torch.autograd.gradcheck").GradcheckError,
                   ember: ember.autograd.GradcheckError}


def _complex(lib, shape, seed):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return lib.tensor(values, dtype=lib.complex128, requires_grad=True)


def _real(lib, shape, seed):
    values = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


CASES = {
    "mul": (lambda a, b: a * b, ("c23", "c23")),
    "mul_real_complex": (lambda a, b: a * b, ("r23", "c23")),
    "exp": (lambda a: a.exp(), ("c23",)),
    "matmul": (lambda a, b: a @ b, ("c23", "c32")),
    "abs": (lambda a: a.abs(), ("c23",)),
    "angle": (lambda a: a.angle(), ("c23",)),
    "real_to_complex": (lambda a: a * (1 - 2j), ("r23",)),
    "two_outputs": (lambda a, b: (a * b, (a - b).abs()), ("c23", "c23")),
    "view_as_real": (lambda a: ember_or_torch(a).view_as_real(a), ("c23",)),
    "sum_dim": (lambda a: (a * a).sum(1), ("c23",)),
}


def ember_or_torch(t):
    return torch if isinstance(t, torch.Tensor) else ember


def _inputs(lib, kinds):
    made = []
    for i, kind in enumerate(kinds):
        shape = tuple(int(c) for c in kind[1:])
        made.append((_complex if kind[0] == "c" else _real)(lib, shape, seed=i))
    return tuple(made)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_and_gradgradcheck_pass(name):
    fn, kinds = CASES[name]
    for lib in (torch, ember):
        inputs = _inputs(lib, kinds)
        assert lib.autograd.gradcheck(fn, inputs)
        assert lib.autograd.gradgradcheck(fn, inputs)


def _function(lib, backward, forward=lambda ctx, x: x.exp()):
    class Custom(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return forward(ctx, x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return backward(x, g)

    return Custom


def _messages(make, inputs_of, **kwargs):
    """gradcheck's error message in torch and ember (dtype names made library-neutral)."""
    messages = []
    for lib in (torch, ember):
        with pytest.raises(GRADCHECK_ERROR[lib]) as info:
            lib.autograd.gradcheck(make(lib).apply, inputs_of(lib), **kwargs)
        messages.append(str(info.value).replace("torch.", "").replace("ember.", ""))
        assert not lib.autograd.gradcheck(make(lib).apply, inputs_of(lib),
                                          raise_exception=False)
    return messages


def test_unconjugated_derivative_fails():
    """g * exp(z) instead of g * conj(exp(z)): caught, with torch's message (the imaginary parts
    of the complex output are checked first)."""
    def make(lib):
        return _function(lib, lambda x, g: g * x.exp())

    torch_message, ember_message = _messages(make, lambda lib: (_complex(lib, (2,), 0),))
    assert ember_message == torch_message
    assert ember_message.startswith("While considering the imaginary part of complex outputs "
                                    "only, Jacobian mismatch for output 0 with respect to input 0")


def test_wrong_gradient_of_a_real_output_fails():
    """|z|^2 with gradient z (should be 2z): complex input, real output, torch's message."""
    def make(lib):
        return _function(lib, lambda x, g: g * x, forward=lambda ctx, x: (x * x.conj()).real)

    torch_message, ember_message = _messages(make, lambda lib: (_complex(lib, (3,), 1),))
    assert ember_message == torch_message
    assert ember_message.startswith("Jacobian mismatch for output 0 with respect to input 0")


def test_right_custom_function_passes():
    for lib in (torch, ember):
        fn = _function(lib, lambda x, g: g * x.exp().conj())
        assert lib.autograd.gradcheck(fn.apply, (_complex(lib, (3,), 2),))


def test_backward_not_multiplied_by_grad_output():
    """A backward that is right for unit grad_outputs but not zero for a zero one."""
    def make(lib):
        return _function(lib, lambda x, g: g * 2 + (g.abs().sum() == 0) * 1.0,
                         forward=lambda ctx, x: x * 2)

    torch_message, ember_message = _messages(make, lambda lib: (_complex(lib, (2,), 3),))
    assert ember_message == torch_message == "backward not multiplied by grad_output"


def test_wrong_second_derivative_fails():
    """A first derivative computed on detached values: gradgradcheck catches it in both."""
    for lib in (torch, ember):
        fn = _function(lib, lambda x, g: g * x.detach().exp().conj())
        z = _complex(lib, (2,), 4)
        assert lib.autograd.gradcheck(fn.apply, (z,))
        assert not lib.autograd.gradgradcheck(fn.apply, (z,), raise_exception=False)


def test_single_precision_complex_input_warns():
    for lib in (torch, ember):
        z = lib.ones(2, dtype=lib.complex64, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.autograd.gradcheck(lambda x: x * 2, (z,), raise_exception=False)
        assert any("is not a double precision floating point or complex" in str(w.message)
                   for w in caught)
        z = lib.ones(2, dtype=lib.complex128, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert lib.autograd.gradcheck(lambda x: x * 2, (z,))
