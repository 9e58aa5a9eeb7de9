"""where() with a +0.0 branch selects bit patterns instead of calling NumPy's where: the
results must stay torch's, bit for bit (inf, nan and -0.0 kept, +0.0 where blocked), with
broadcasting, scalar branches, other dtypes and a -0.0 branch (which keeps the slow path)."""

import numpy as np
import pytest
import torch
from helpers import assert_same

import ember

VALUES = [float("inf"), float("nan"), -0.0, 0.0, -2.5, 3.0]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("zero", [0.0, -0.0, 0, 1.5])
@pytest.mark.parametrize("zero_first", [False, True])
def test_zero_branch(dtype, zero, zero_first):
    mask = np.array([True, False, True, False, True, False])
    results = []
    for lib in (ember, torch):
        values = lib.tensor(VALUES, dtype=getattr(lib, dtype))
        condition = lib.tensor(mask)
        args = (zero, values) if zero_first else (values, zero)
        results.append(lib.where(condition, *args))
    assert_same(*results)
    signs = [np.signbit(r.float().numpy()) for r in results]  # +0.0 and -0.0 as torch's
    assert (signs[0] == signs[1]).all()


def test_broadcast_condition_and_tensor_zero():
    rng = np.random.default_rng(0)
    mask = rng.random((4, 1)) > 0.5
    values = rng.standard_normal((4, 5)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        condition, x = lib.tensor(mask), lib.tensor(values)
        results.append((lib.where(condition, x, 0.0), lib.where(condition, x, lib.zeros(())),
                        lib.where(lib.tensor(mask[:, 0])[:, None], lib.zeros(4, 5), x)))
    for ours, theirs in zip(*results):
        assert_same(ours, theirs)


def test_gradient_through_zero_branch():
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = lib.where(x > 0, x * 2, 0.0)
        (g,) = lib.autograd.grad(y, x, lib.tensor([float("inf"), float("inf"), 1.0]))
        grads.append(g)
    assert_same(*grads)
