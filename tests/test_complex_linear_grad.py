"""Complex gradients of F.linear and linalg.cross follow torch's conjugate Wirtinger convention."""

import numpy as np
import pytest
import torch
from helpers import assert_same

import ember


def _complex(rng, shape, dtype):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("batch", [(4,), (2, 3)])
def test_linear(dtype, batch):
    rng = np.random.default_rng(0)
    values = [_complex(rng, batch + (3,), dtype), _complex(rng, (2, 3), dtype),
              _complex(rng, (2,), dtype)]
    grads = []
    for lib in (ember, torch):
        leaves = [lib.tensor(v, requires_grad=True) for v in values]
        out = lib.nn.functional.linear(*leaves)
        ((out.abs() ** 2).sum() + out.real.sum()).backward()
        grads.append([t.grad for t in leaves])
    for e, t in zip(*grads):
        assert_same(e, t, rtol=1e-5, atol=1e-5)


def test_cross():
    rng = np.random.default_rng(1)
    values = [_complex(rng, (4, 3), np.complex128) for _ in range(2)]
    grads = []
    for lib in (ember, torch):
        leaves = [lib.tensor(v, requires_grad=True) for v in values]
        (lib.linalg.cross(*leaves).abs() ** 2).sum().backward()
        grads.append([t.grad for t in leaves])
    for e, t in zip(*grads):
        assert_same(e, t)
    leaves = [ember.tensor(v, requires_grad=True) for v in values]
    assert ember.autograd.gradcheck(ember.linalg.cross, leaves)
