"""Tools shared by the ember.nn tests: build a module in both libraries with the same weights,
compare outputs, gradients and error messages."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same, to_numpy

import ember

torch = pytest.importorskip("torch")


def copy_state(t_module, e_module):
    """Load torch's state dict into the ember module (through NumPy); returns the result."""
    state = {k: ember.tensor(v.detach().numpy().copy()) for k, v in
             t_module.state_dict().items()}
    return e_module.load_state_dict(state)


def twin(build):
    """``build(lib)`` in torch and in ember, the ember one given torch's weights."""
    t_module, e_module = build(torch), build(ember)
    copy_state(t_module, e_module)
    return t_module, e_module


def check_module(build, *shapes, seed=0, low=-3.0, high=3.0, rtol=None, atol=None,
                 dtype="float32"):
    """Same weights, same inputs: compare outputs, then input and parameter gradients for one
    random upstream gradient."""
    t_module, e_module = twin(build)
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_out, e_out = t_module(*t_in), e_module(*e_in)
    assert_same(e_out, t_out, rtol, atol)
    upstream = rng.standard_normal(tuple(t_out.shape)).astype(dtype)
    t_out.backward(torch.tensor(upstream))
    e_out.backward(ember.tensor(upstream))
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        assert_same(e.grad, t.grad, rtol, atol, path=f"input grad {i}")
    t_params = dict(t_module.named_parameters())
    for name, p in e_module.named_parameters():
        assert_same(p.grad, t_params[name].grad, rtol, atol, path=f"grad of {name}")
    return t_module, e_module


def same_error(fn, normalise=True):
    """fn(lib) raises the same exception class in both, with the same message once 'ember' is
    read as 'torch' (module paths, Size and dtype names)."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as e_info:
        fn(ember)
    assert e_info.type is t_info.type, (e_info.value, t_info.value)
    e_text = str(e_info.value)
    if normalise:
        e_text = e_text.replace("ember", "torch")
    assert e_text == str(t_info.value)


def same_repr(e_obj, t_obj):
    assert repr(e_obj).replace("ember.", "torch.") == repr(t_obj)


def numpy_of(t):
    return to_numpy(t)


def check_arrays(fn, *arrays, grad=False):
    """check_op on given NumPy inputs rather than random ones."""
    from helpers import check_op

    return check_op(fn, inputs=list(arrays), dtypes=[a.dtype.name for a in arrays], grad=grad)
