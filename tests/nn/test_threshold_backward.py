"""The gradient of relu and threshold is torch's threshold_backward: zero where the input did not
pass the threshold even for an inf or nan upstream gradient, and a ThresholdBackwardBackward0 node
under create_graph."""

import pytest
import torch
from helpers import assert_same

import ember

CASES = {
    "relu": lambda lib, x: lib.relu(x),
    "F.relu": lambda lib, x: lib.nn.functional.relu(x),
    "threshold": lambda lib, x: lib.nn.functional.threshold(x, 0.5, -2.0),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_non_finite_upstream_gradient(name, dtype):
    results = []
    for lib in (ember, torch):
        x = lib.tensor([-1.0, 0.0, 0.5, 2.0, 3.0], dtype=getattr(lib, dtype), requires_grad=True)
        upstream = lib.tensor([float("inf"), float("nan"), -float("inf"), 3.0, float("nan")],
                              dtype=getattr(lib, dtype))
        (g,) = lib.autograd.grad(CASES[name](lib, x), x, upstream, create_graph=True)
        results.append(g)
    assert_same(*results)
    assert type(results[0].grad_fn).__name__ == results[1].grad_fn.name()


def test_second_order_through_threshold_backward():
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([-1.0, 0.5, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([0.3, -0.7, 1.1], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((lib.relu(x) * w).sum(), x, create_graph=True)
        g.pow(2).sum().backward()
        grads.append((x.grad, w.grad))
    assert_same(grads[0][0], grads[1][0])
    assert_same(grads[0][1], grads[1][1])
    x = ember.tensor([-1.0, 0.5, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: ember.relu(t) * t, [x])


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_signed_zeros_pass_through(dtype):
    """A -0.0 gradient passes where the input passed; blocked positions give +0.0."""
    import numpy as np

    results = []
    for lib in (ember, torch):
        x = lib.tensor([-1.0, 2.0, 3.0, -4.0], dtype=getattr(lib, dtype), requires_grad=True)
        upstream = lib.tensor([-2.0, -0.0, -5.0, 0.0], dtype=getattr(lib, dtype))
        (g,) = lib.autograd.grad(lib.relu(x), x, upstream)
        results.append(np.signbit(g.float().numpy()))
    assert (results[0] == results[1]).all()


PIECEWISE = {
    "hardtanh": lambda lib, x: lib.nn.functional.hardtanh(x, -1.5, 2.5),
    "relu6": lambda lib, x: lib.nn.functional.relu6(x),
    "hardsigmoid": lambda lib, x: lib.nn.functional.hardsigmoid(x),
    "hardswish": lambda lib, x: lib.nn.functional.hardswish(x),
}


@pytest.mark.parametrize("name", PIECEWISE)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_piecewise_block_non_finite_gradients(name, dtype):
    """Where a piecewise activation's gradient is zero, an inf or nan upstream gives 0."""
    results = []
    for lib in (ember, torch):
        x = lib.tensor([-4.0, -3.0, -1.5, 0.0, 2.5, 3.0, 4.0, 7.0],
                       dtype=getattr(lib, dtype), requires_grad=True)
        upstream = lib.tensor([float("inf"), float("nan"), -float("inf"), 1.0, float("nan"),
                               2.0, float("inf"), -float("inf")], dtype=getattr(lib, dtype))
        (g,) = lib.autograd.grad(PIECEWISE[name](lib, x), x, upstream)
        results.append(g)
    assert_same(*results)


BOUNDED = {
    "clamp": lambda lib, x, y: (lib.clamp(x, -1, 1),),
    "clamp_tensors": lambda lib, x, y: (lib.clamp(x, y - 1, y + 1),),
    "maximum": lambda lib, x, y: (lib.maximum(x, y),),
    "minimum": lambda lib, x, y: (lib.minimum(x, y),),
}


@pytest.mark.parametrize("name", BOUNDED)
def test_clamp_and_extremes_with_non_finite_values(name):
    """Losers and clamped places get 0 even for inf or nan gradients; ties split; a nan input
    passes the gradient to both operands, as in torch."""
    results = []
    for lib in (ember, torch):
        x = lib.tensor([-4.0, 0.5, 4.0, float("nan"), 2.0, 1.0], requires_grad=True)
        y = lib.tensor([0.0, 0.0, 0.0, 1.0, float("nan"), 1.0], requires_grad=True)
        upstream = lib.tensor([float("inf"), 1.0, float("nan"), 3.0, 5.0, 7.0])
        (out,) = BOUNDED[name](lib, x, y)
        results.append(lib.autograd.grad(out, (x, y), upstream, allow_unused=True))
    for ours, theirs in zip(*results):
        if theirs is None:
            assert ours is None
        else:
            assert_same(ours, theirs)
