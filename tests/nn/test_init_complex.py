"""nn.init and layers on complex tensors against torch: torch fills a complex tensor by drawing
2n values of its real dtype, the real and imaginary part of each element in turn (as it fills
view_as_real(t)); a normal draw has std / sqrt(2) per part. After the same manual_seed the
values equal torch's bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def seeded(build, seed=0):
    torch.manual_seed(seed)
    t_out = build(torch)
    ember.manual_seed(seed)
    return build(ember), t_out


def exactly_equal(e, t):
    e_data, t_data = e.detach().numpy(), t.detach().resolve_conj().numpy()
    assert e_data.dtype == t_data.dtype
    np.testing.assert_array_equal(e_data, t_data)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("build", [
    lambda nn, d: nn.Linear(3, 3, dtype=d),
    lambda nn, d: nn.Linear(17, 5, dtype=d),
    lambda nn, d: nn.Linear(4, 2, bias=False, dtype=d),
    lambda nn, d: nn.Conv2d(2, 3, 3, dtype=d),
])
def test_layers(build, dtype):
    e_layer, t_layer = seeded(lambda lib: build(lib.nn, getattr(lib, dtype)))
    for e, t in zip(e_layer.parameters(), t_layer.parameters()):
        exactly_equal(e, t)
    # the stream goes on where torch's does
    e_next, t_next = ember.rand(3), torch.rand(3)
    exactly_equal(e_next, t_next)


INITS = {
    "uniform_": lambda init, t: init.uniform_(t, -0.5, 2.0),
    "normal_": lambda init, t: init.normal_(t, 0.5, 2.0),
    "xavier_uniform_": lambda init, t: init.xavier_uniform_(t),
    "xavier_normal_": lambda init, t: init.xavier_normal_(t, gain=0.7),
    "kaiming_uniform_": lambda init, t: init.kaiming_uniform_(t, a=0.1),
    "kaiming_normal_": lambda init, t: init.kaiming_normal_(t),
    "sparse_": lambda init, t: init.sparse_(t, 0.3),
    "constant_": lambda init, t: init.constant_(t, 0.25),
    "eye_": lambda init, t: init.eye_(t),
}


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("name", sorted(INITS))
def test_init_functions(name, dtype):
    def build(lib):
        t = lib.empty(5, 7, dtype=getattr(lib, dtype))
        out = INITS[name](lib.nn.init, t)
        assert out is t
        return t

    exactly_equal(*seeded(build, seed=3))


@pytest.mark.parametrize("name", ["orthogonal_", "trunc_normal_"])
def test_refused_like_torch(name):
    errors = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            getattr(lib.nn.init, name)(lib.empty(3, 4, dtype=lib.complex64))
        errors.append(info.type)
    assert errors[0] is errors[1]


def test_complex_linear_forward_and_backward():
    e_layer, t_layer = seeded(lambda lib: lib.nn.Linear(3, 2, dtype=lib.complex64))
    x = np.random.default_rng(0).standard_normal((4, 3)) * (1 + 0.5j)
    outs = []
    for lib, layer in ((torch, t_layer), (ember, e_layer)):
        y = layer(lib.tensor(x, dtype=lib.complex64))
        outs.append(y.detach().resolve_conj().numpy() if lib is torch else y.detach().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-5)
