"""Differential tools for distributions: the same code on ``lib=torch`` and ``lib=ember``,
compared value by value (and gradient by gradient), samples drawn after the same seed."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import _check_grads, _flat_tensors, assert_same, pair, to_numpy

import ember

torch = pytest.importorskip("torch")


def libs():
    """(torch, ember), each with its distributions package."""
    return torch, ember


def check(fn, *arrays, grad=False, rtol=None, atol=None, seed=None, check_grad_fn=True):
    """Run ``fn(lib, *tensors)`` on torch and ember with the same data (arrays become tensors
    of their dtype, floats requiring grad when ``grad``); compare results and, with ``grad``,
    the gradients for the same random upstream gradient. ``seed`` seeds both generators first."""
    pairs = [pair(a, a.dtype.name, grad and a.dtype.kind == "f") for a in arrays]
    if seed is not None:
        torch.manual_seed(seed)
    t_out = fn(torch, *(p[0] for p in pairs))
    if seed is not None:
        ember.manual_seed(seed)
    e_out = fn(ember, *(p[1] for p in pairs))
    assert_same(e_out, t_out, rtol, atol, check_grad_fn)
    if grad:
        differentiable = [a.dtype.kind == "f" for a in arrays]
        _check_grads(e_out, t_out, pairs, differentiable, np.random.default_rng(0), rtol, atol)
    return e_out, t_out


def check_sample(fn, *arrays, seed=0, grad=False, exact=True):
    """Samples after manual_seed(seed) in both libraries: bit for bit torch's when ``exact``;
    the generators must also be left in the same state."""
    e_out, t_out = check(fn, *arrays, grad=grad, seed=seed, check_grad_fn=grad)
    if exact:
        for e, t in zip(_flat_tensors(e_out), _flat_tensors(t_out)):
            np.testing.assert_array_equal(to_numpy(e), to_numpy(t))
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy(),
                                  err_msg="the generators drifted apart")
    return e_out, t_out


def _normalise(message):
    return message.replace("ember.", "torch.")


def check_error(fn, *arrays, match_message=True):
    """Both libraries raise the same exception class (and, by default, the same message with
    ember's names read as torch's)."""
    pairs = [pair(a, a.dtype.name) for a in arrays]
    with pytest.raises(Exception) as t_info:
        fn(torch, *(p[0] for p in pairs))
    with pytest.raises(Exception) as e_info:
        fn(ember, *(p[1] for p in pairs))
    assert type(e_info.value) is type(t_info.value), (e_info.value, t_info.value)
    if match_message:
        assert _normalise(str(e_info.value)) == str(t_info.value)
    return e_info.value, t_info.value
