"""Half-precision ops with a Python number compute in float32 and round once, as torch does."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

CASES = [
    lambda x: x / 0.7,
    lambda x: x * 0.7 + 0.1,
    lambda x: x - 1e-3,
    lambda x: x + 0.1,
    lambda x: x / 3 - 0.7,
    lambda x: 0.3 * x,
    lambda x: x ** 1.5,
    lambda x: x.clamp(0.33, 0.9),
]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_half_with_python_number_is_bit_exact(dtype, case):
    values = np.linspace(0.05, 3.0, 97).astype(np.float32)
    theirs = CASES[case](torch.tensor(values).to(getattr(torch, dtype)))
    ours = CASES[case](ember.tensor(values).to(getattr(ember, dtype)))
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())


def test_complex_gradients_are_conjugate_wirtinger():
    """d(a*b)/da is conj(b), as in torch: mul, div and matmul with complex operands."""
    a = np.array([1 + 2j, 3 - 1j], np.complex64)
    b = np.array([2 - 1j, 0.5 + 1j], np.complex64)
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=True)
        m = lib.tensor(np.full((2, 2), 1 + 1j, np.complex64), requires_grad=True)
        ((x * y) / (x + 1) * (0.5 - 2j)).abs().sum().backward()
        (m @ x).abs().sum().backward()
        grads.append([t.grad.detach().numpy() for t in (x, y, m)])
    for ours, theirs in zip(grads[1], grads[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)
