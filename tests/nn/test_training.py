"""A small MLP trained for a few SGD steps, written once and run on torch and on ember from the
same seed: the initial weights are equal bit for bit, and the trained ones agree within float32
tolerance."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same

import ember

torch = pytest.importorskip("torch")


def train(lib, steps=8, lr=0.1):
    nn, F = lib.nn, lib.nn.functional
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.GELU(), nn.Linear(16, 16), nn.SiLU(),
                          nn.Linear(16, 3))
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((32, 6)).astype("float32"))
    target = lib.tensor(rng.integers(0, 3, size=32))
    losses = []
    for _ in range(steps):
        log_probs = F.log_softmax(model(x), dim=1)
        loss = -(log_probs * F.one_hot(target, 3)).sum(dim=1).mean()
        model.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        with lib.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(loss.item())
    return model, initial, losses


def test_mlp_trains_like_torch():
    e_model, e_initial, e_losses = train(ember)
    t_model, t_initial, t_losses = train(torch)
    for name, value in e_initial.items():
        np.testing.assert_array_equal(value.numpy(), t_initial[name].numpy())
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-5)
    assert e_losses[-1] < e_losses[0]
    t_state = t_model.state_dict()
    for name, value in e_model.state_dict().items():
        assert_same(value, t_state[name], rtol=1e-4, atol=1e-5)


def my_net(lib):
    """The seeds' first model (002, "nn.Module"), verbatim but for the library's name."""
    nn, F = lib.nn, lib.nn.functional

    class MyNet(nn.Module):
        def __init__(self):
            super(MyNet, self).__init__()  # noqa: UP008 - the seed's own spelling
            self.fc1 = nn.Linear(100, 200)
            self.fc2 = nn.Linear(200, 10)

        def forward(self, x):
            x = self.fc1(x)
            x = F.relu(x)
            x = self.fc2(x)
            x = F.softmax(x)
            return x

    return MyNet()


def test_seed_my_net_runs_unchanged():
    outputs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        net = my_net(lib)
        x = lib.randn(4, 100)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            outputs.append(net(x))
        assert repr(net) == ("MyNet(\n  (fc1): Linear(in_features=100, out_features=200, "
                             "bias=True)\n  (fc2): Linear(in_features=200, out_features=10, "
                             "bias=True)\n)")
    assert_same(outputs[1], outputs[0])
