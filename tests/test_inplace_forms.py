"""Each in-place method gives torch's values and dtype, returns the tensor itself and bumps
nothing else: checked for every `op_` form against torch."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

FLOAT_CASES = {
    "sin_": (), "cos_": (), "tan_": (), "log2_": (), "log10_": (), "log1p_": (), "expm1_": (),
    "rsqrt_": (), "reciprocal_": (), "sign_": (), "square_": (), "floor_": (), "ceil_": (),
    "trunc_": (), "round_": (), "frac_": (), "fmod_": (0.7,), "remainder_": (0.7,),
    "floor_divide_": (0.7,), "clamp_min_": (0.5,), "clamp_max_": (1.5,), "lerp_": ("t", 0.3),
    "addcmul_": ("t", "t"), "addcdiv_": ("t", "t"), "eq_": ("t",), "ne_": (1.0,), "lt_": ("t",),
    "le_": (1.0,), "gt_": ("t",), "ge_": (1.0,), "greater_": ("t",), "greater_equal_": ("t",),
    "less_": ("t",), "less_equal_": ("t",), "not_equal_": ("t",), "logical_not_": (),
    "logical_and_": ("t",), "logical_or_": ("t",), "logical_xor_": ("t",), "absolute_": (),
    "subtract_": ("t",), "multiply_": ("t",), "divide_": ("t",), "true_divide_": ("t",),
    "negative_": (),
}
INT_CASES = {"bitwise_and_": ("t",), "bitwise_or_": ("t",), "bitwise_xor_": ("t",),
             "bitwise_not_": ()}


def _run(lib, name, args, data, other):
    x = lib.tensor(data)
    operands = [lib.tensor(other) if a == "t" else a for a in args]
    out = getattr(x, name)(*operands)
    assert out is x
    return x


@pytest.mark.parametrize("name", sorted(FLOAT_CASES) + sorted(INT_CASES))
def test_in_place_matches_torch(name):
    rng = np.random.default_rng(1)
    if name in INT_CASES:
        data, other = rng.integers(-9, 9, (3, 4)), rng.integers(-9, 9, (3, 4))
        args = INT_CASES[name]
    else:
        data = rng.uniform(0.1, 3.0, (3, 4)).astype(np.float32)
        other = rng.uniform(0.1, 3.0, (3, 4)).astype(np.float32)
        other[0] = data[0]  # some equal elements for the comparisons
        args = FLOAT_CASES[name]
    theirs = _run(torch, name, args, data, other)
    ours = _run(ember, name, args, data, other)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
