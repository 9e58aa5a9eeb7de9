"""nn.init and initial weights against torch: after the same manual_seed, layers and init
functions produce torch's numbers bit for bit (the random stream, the order of draws and the
bounds computed in the same float precision)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from nn_helpers import same_error

import ember

torch = pytest.importorskip("torch")


def exactly_equal(e, t):
    e_data, t_data = e.detach().numpy(), t.detach().numpy()
    assert e_data.dtype == t_data.dtype
    np.testing.assert_array_equal(e_data, t_data)


def seeded(build, seed=0):
    """build(lib) after lib.manual_seed(seed), in both libraries."""
    torch.manual_seed(seed)
    t_out = build(torch)
    ember.manual_seed(seed)
    return build(ember), t_out


@pytest.mark.parametrize("build", [
    lambda nn: nn.Linear(784, 256),
    lambda nn: nn.Linear(3, 1),
    lambda nn: nn.Linear(5, 7, bias=False),
    lambda nn: nn.Linear(0, 3),
    lambda nn: nn.Bilinear(4, 6, 3),
    lambda nn: nn.PReLU(8, init=0.3),
    lambda nn: nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 4)),
    lambda nn: nn.Linear(4, 3, dtype=torch.float64 if nn is torch.nn else ember.float64),
])
def test_initial_weights_are_torchs(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Linear(0, 3) warns about a zero-element init
        e_module, t_module = seeded(lambda lib: build(lib.nn), seed=1234)
    t_state = t_module.state_dict()
    assert list(e_module.state_dict()) == list(t_state)
    for name, value in e_module.state_dict().items():
        exactly_equal(value, t_state[name])
    # the stream after initialisation is where torch's is, too
    exactly_equal(ember.rand(3), torch.rand(3))


def test_zero_element_kaiming_warns():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib.nn.init.kaiming_uniform_(lib.empty(0, 3))
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib.nn.init.kaiming_normal_(lib.empty(3, 0))


INITS = [
    lambda init, t: init.uniform_(t, -0.3, 0.7),
    lambda init, t: init.normal_(t, 0.5, 2.0),
    lambda init, t: init.constant_(t, 0.25),
    lambda init, t: init.ones_(t),
    lambda init, t: init.zeros_(t),
    lambda init, t: init.xavier_uniform_(t),
    lambda init, t: init.xavier_uniform_(t, gain=init.calculate_gain("tanh")),
    lambda init, t: init.xavier_normal_(t, gain=0.5),
    lambda init, t: init.kaiming_uniform_(t),
    lambda init, t: init.kaiming_uniform_(t, a=math.sqrt(5)),
    lambda init, t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
    lambda init, t: init.kaiming_normal_(t),
    lambda init, t: init.kaiming_normal_(t, a=0.2, mode="FAN_OUT"),
    lambda init, t: init.trunc_normal_(t),
    lambda init, t: init.trunc_normal_(t, mean=1.0, std=0.5, a=0.0, b=1.5),
    lambda init, t: init.trunc_normal_(t, mean=0.0, std=1.0, a=2.0, b=3.0),  # rarely hit
    lambda init, t: init.sparse_(t, sparsity=0.5),
    lambda init, t: init.eye_(t),
]


@pytest.mark.parametrize("fill", INITS)
@pytest.mark.parametrize("shape", [(6, 5), (30, 17)])
def test_init_functions_are_torchs(fill, shape):
    e_out, t_out = seeded(lambda lib: fill(lib.nn.init, lib.empty(*shape)), seed=7)
    exactly_equal(e_out, t_out)
    exactly_equal(ember.rand(2), torch.rand(2))


def test_init_on_a_parameter_records_no_graph():
    p = ember.nn.Parameter(ember.empty(3, 4))
    for fill in INITS[:-2]:
        out = fill(ember.nn.init, p)
        assert out is p and p.grad_fn is None and p.requires_grad


def test_init_with_a_generator():
    e_gen, t_gen = ember.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    e_out = ember.nn.init.kaiming_normal_(ember.empty(4, 4), generator=e_gen)
    t_out = torch.nn.init.kaiming_normal_(torch.empty(4, 4), generator=t_gen)
    exactly_equal(e_out, t_out)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (2, 2)])
def test_orthogonal(shape):
    e_out, t_out = seeded(lambda lib: lib.nn.init.orthogonal_(lib.empty(*shape), gain=2.0))
    np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-5, atol=1e-5)
    flat = e_out.numpy().reshape(shape[0], -1) / 2.0
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)


@pytest.mark.parametrize("shape, groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1)])
def test_dirac(shape, groups):
    e_out, t_out = seeded(lambda lib: lib.nn.init.dirac_(lib.empty(*shape), groups))
    exactly_equal(e_out, t_out)


def test_calculate_gain():
    for args in (("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("selu",),
                 ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 3), ("conv_transpose3d",)):
        e_gain, t_gain = ember.nn.init.calculate_gain(*args), torch.nn.init.calculate_gain(*args)
        assert e_gain == t_gain and type(e_gain) is type(t_gain)
    same_error(lambda lib: lib.nn.init.calculate_gain("leaky_relu", True))
    same_error(lambda lib: lib.nn.init.calculate_gain("swish"))


def test_fans_and_errors():
    for shape in ((3, 4), (8, 3, 5, 5), (2, 6, 7)):
        assert ember.nn.init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    same_error(lambda lib: lib.nn.init._calculate_fan_in_and_fan_out(lib.empty(3)))
    same_error(lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(3, 3), mode="fan_avg"))
    same_error(lambda lib: lib.nn.init.xavier_uniform_(lib.empty(3)))
    same_error(lambda lib: lib.nn.init.eye_(lib.empty(3, 3, 3)))
    same_error(lambda lib: lib.nn.init.dirac_(lib.empty(3, 3)))
    same_error(lambda lib: lib.nn.init.dirac_(lib.empty(3, 3, 3), groups=2))
    same_error(lambda lib: lib.nn.init.orthogonal_(lib.empty(3)))
    same_error(lambda lib: lib.nn.init.sparse_(lib.empty(3, 3, 3), 0.1))


def test_trunc_normal_warns_far_from_range():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            lib.nn.init.trunc_normal_(lib.empty(3), mean=10.0)


def test_deprecated_aliases_warn():
    for lib in (torch, ember):
        with pytest.warns(FutureWarning, match="`nn.init.normal` is now deprecated"):
            lib.nn.init.normal(lib.empty(2))
