"""The tutorial training loop, unchanged, on Ember and on torch: DataLoader (shuffled, seeded) +
nn + CrossEntropyLoss + optim.SGD(momentum) + a scheduler, then save/load. Same initial weights
(from the same seed), same batch order, same final loss."""

import io

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def synthetic_classes(n=256, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (classes, features))
    labels = rng.integers(0, classes, n)
    points = centres[labels] + rng.normal(0, 1, (n, features))
    return points.astype(np.float32), labels.astype(np.int64)


def train(lib, epochs=3):
    points, labels = synthetic_classes()
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(8, 32), lib.nn.ReLU(), lib.nn.Linear(32, 3))
    dataset = lib.utils.data.TensorDataset(lib.tensor(points), lib.tensor(labels))
    loader = lib.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    losses = []
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    buffer = io.BytesIO()
    lib.save(model.state_dict(), buffer)
    buffer.seek(0)
    return losses, lib.load(buffer), model(lib.tensor(points)).detach()


def test_training_loop_matches_torch():
    our_losses, our_state, our_out = train(ember)
    their_losses, their_state, their_out = train(torch)
    assert len(our_losses) == len(their_losses) == 24
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-4, atol=1e-5)
    assert list(our_state) == list(their_state)
    for name in their_state:
        np.testing.assert_allclose(our_state[name].numpy(), their_state[name].numpy(),
                                   rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(our_out.numpy(), their_out.numpy(), rtol=1e-4, atol=1e-4)
    assert their_losses[-1] < 0.5 * their_losses[0]  # it did learn


def test_checkpoint_crosses_between_libraries():
    """A state dict saved by Ember loads into torch and gives torch's outputs, and back."""
    points, _ = synthetic_classes(n=16)
    ember.manual_seed(1)
    ours = ember.nn.Linear(8, 3)
    buffer = io.BytesIO()
    ember.save(ours.state_dict(), buffer)
    buffer.seek(0)
    theirs = torch.nn.Linear(8, 3)
    theirs.load_state_dict(torch.load(buffer, weights_only=True))
    np.testing.assert_allclose(ours(ember.tensor(points)).detach().numpy(),
                               theirs(torch.tensor(points)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    buffer = io.BytesIO()
    torch.save(theirs.state_dict(), buffer)
    buffer.seek(0)
    again = ember.nn.Linear(8, 3)
    again.load_state_dict(ember.load(buffer))
    np.testing.assert_array_equal(again.weight.detach().numpy(), ours.weight.detach().numpy())
