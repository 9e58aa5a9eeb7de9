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
