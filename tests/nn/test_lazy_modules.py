"""Lazy convolution and normalisation layers against torch: reprs and state dicts before the
first call, the class they become, seeded initial weights, outputs, gradients, loading a state
dict into an uninitialised layer, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same
from nn_helpers import same_error, same_repr

import ember

torch = pytest.importorskip("torch")

LIBS = (torch, ember)

CASES = [
    ("LazyConv1d", (4, 3), {}, (2, 3, 7)),
    ("LazyConv1d", (4, 3), {"padding_mode": "circular", "padding": 1, "bias": False}, (3, 7)),
    ("LazyConv2d", (4, 3), {"groups": 2, "stride": 2}, (2, 6, 7, 7)),
    ("LazyConv3d", (2, 2), {"dilation": 2}, (1, 3, 5, 5, 5)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 2), {"groups": 2}, (2, 6, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {"bias": False}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"affine": False, "momentum": None}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"bias": False}, (2, 3, 2, 3, 3)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"eps": 1e-3}, (2, 3, 2, 3, 3)),
]


def build(lib, name, args, kwargs, seed=0):
    lib.manual_seed(seed)
    return getattr(lib.nn, name)(*args, **kwargs)


def same_state(e_module, t_module, exact=False):
    t_state, e_state = t_module.state_dict(), e_module.state_dict()
    assert list(e_state) == list(t_state)
    for key, value in t_state.items():
        if exact:
            np.testing.assert_array_equal(e_state[key].numpy(), value.numpy(), err_msg=key)
        else:
            assert_same(e_state[key], value, path=key)


@pytest.mark.filterwarnings("ignore:input's size at dim")  # num_features 0 without affine
@pytest.mark.parametrize("name, args, kwargs, shape", CASES)
def test_lazy_layer(name, args, kwargs, shape):
    t_m, e_m = (build(lib, name, args, kwargs) for lib in LIBS)
    same_repr(e_m, t_m)
    assert [(k, repr(v)) for k, v in e_m.state_dict().items()] == [
        (k, repr(v)) for k, v in t_m.state_dict().items()]
    assert e_m.has_uninitialized_params() == t_m.has_uninitialized_params()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype("float32")
    t_x, e_x = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    t_out, e_out = t_m(t_x), e_m(e_x)
    assert type(e_m) is getattr(ember.nn, name[len("Lazy"):])
    assert not e_m._forward_pre_hooks and not e_m._load_state_dict_pre_hooks
    same_repr(e_m, t_m)
    assert_same(e_out, t_out)
    if name.startswith("LazyConv"):  # the initial weights: torch's, bit for bit
        same_state(e_m, t_m, exact=True)
    else:
        same_state(e_m, t_m)  # running statistics after one step
    g = rng.standard_normal(tuple(t_out.shape)).astype("float32")
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    assert_same(e_x.grad, t_x.grad, path="input grad")
    t_params = dict(t_m.named_parameters())
    for key, p in e_m.named_parameters():
        assert_same(p.grad, t_params[key].grad, path=f"grad of {key}")


@pytest.mark.parametrize("name, args, kwargs, shape", [CASES[2], CASES[4], CASES[7], CASES[8]])
def test_load_state_dict_materialises(name, args, kwargs, shape):
    t_m = build(torch, name, args, kwargs, seed=3)
    t_m(torch.zeros(shape))
    e_m = build(ember, name, args, kwargs)
    e_m.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_m.state_dict().items()})
    assert not e_m.has_uninitialized_params()
    same_state(e_m, t_m, exact=True)
    e_m(ember.zeros(shape))
    assert type(e_m) is getattr(ember.nn, name[len("Lazy"):])


def test_dtype_and_later_calls():
    t_m, e_m = (build(lib, "LazyConv2d", (3, 2), {"dtype": lib.float64}) for lib in LIBS)
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    for _ in range(2):
        assert_same(e_m(ember.tensor(x)), t_m(torch.tensor(x)))
    assert e_m.weight.dtype == ember.float64 and e_m.in_channels == 2


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.LazyConv2d(4, 3)(lib.zeros(1, 2, 3, 4, 5)),
    lambda lib: lib.nn.LazyConv1d(4, 3, groups=2)(lib.zeros(1, 3, 5)),
    lambda lib: lib.nn.LazyConvTranspose2d(4, 3, padding_mode="reflect"),
    lambda lib: lib.nn.LazyBatchNorm2d()(lib.zeros(2, 3)),
    lambda lib: lib.nn.LazyInstanceNorm1d()(lib.zeros(3, 5)),  # unbatched: dim 1 is taken
    lambda lib: lib.nn.LazyLinear(3).weight.shape,
])
def test_errors(fn):
    same_error(fn)


def _loaded_instance_norm(lib):
    # torch's quirk: loading materialises the parameters but leaves num_features at 0
    source = lib.nn.InstanceNorm1d(3, affine=True)
    m = lib.nn.LazyInstanceNorm1d()
    m.load_state_dict(source.state_dict())
    m(lib.zeros(2, 3, 6))


def test_loaded_lazy_instance_norm_keeps_num_features_0():
    same_error(_loaded_instance_norm)
