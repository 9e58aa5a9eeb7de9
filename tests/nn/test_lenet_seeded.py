"""After manual_seed(0), layers start from torch's exact weights, and a LeNet trained for 20 SGD
steps on the same data in the same order ends within 1e-5 of torch's weights."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


@pytest.mark.parametrize("make", [lambda nn: nn.Linear(784, 256), lambda nn: nn.Conv2d(3, 16, 3)])
def test_initial_weights_are_torch_s(make):
    torch.manual_seed(0)
    ember.manual_seed(0)
    theirs, ours = make(torch.nn), make(ember.nn)
    for (name, t), (_, e) in zip(theirs.named_parameters(), ours.named_parameters()):
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy(), err_msg=name)


def train(lib, images, labels, steps=20):
    lib.manual_seed(0)
    model = lenet(lib)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    criterion = lib.nn.CrossEntropyLoss()
    for step in range(steps):
        batch = slice(8 * (step % 4), 8 * (step % 4) + 8)
        optimizer.zero_grad()
        loss = criterion(model(lib.tensor(images[batch])), lib.tensor(labels[batch]))
        loss.backward()
        optimizer.step()
    return {name: p.detach().numpy() for name, p in model.named_parameters()}


def test_lenet_twenty_steps_match_torch():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((32, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 32)
    theirs, ours = train(torch, images, labels), train(ember, images, labels)
    assert list(ours) == list(theirs)
    for name in theirs:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=0, atol=1e-5, err_msg=name)
