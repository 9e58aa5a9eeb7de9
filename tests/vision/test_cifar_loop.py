"""The learner's CIFAR loop, end to end: CIFAR10 files on disk, augmenting transforms,
DataLoader with two worker processes, a small CNN, SGD. The same script runs on Ember and on
torch + torchvision, from the same initial weights, and both train."""

import datasets_formats as fmt
import numpy as np
from vision_helpers import torch, tv

import ember
import ember.vision


def _train(lib, vision, root, weights=None):
    T = vision.transforms
    augment = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                         T.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    train = vision.datasets.CIFAR10(root, train=True, transform=augment)
    loader = lib.utils.data.DataLoader(train, batch_size=5, shuffle=True, num_workers=2)
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
                          nn.Flatten(), nn.Linear(8 * 8 * 8, 10))
    if weights is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    epoch_losses = []
    for _ in range(6):
        total = 0.0
        for images, labels in loader:
            assert images.shape == (len(labels), 3, 32, 32) and images.dtype == lib.float32
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
        epoch_losses.append(total / len(train))
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return len(train), epoch_losses, state


def test_cifar_loop_with_workers_trains_in_both(tmp_path, monkeypatch):
    _, sums = fmt.write_cifar(tmp_path, per_batch=6)
    for cls in (ember.vision.datasets.CIFAR10, tv.datasets.CIFAR10):  # our files' checksums
        for attr in ("train_list", "test_list"):
            monkeypatch.setattr(cls, attr, [[f, sums[f]] for f, _ in getattr(cls, attr)])
        monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": sums[cls.meta["filename"]]})
    ember.manual_seed(0)
    n, e_losses, _ = _train(ember, ember.vision, tmp_path)
    torch.manual_seed(0)
    t_n, t_losses, t_state = _train(torch, tv, tmp_path)
    assert n == t_n == 30
    # random labels on 30 images: both memorise them, whatever the augmentation draws were
    assert e_losses[-1] < 0.6 * e_losses[0] and t_losses[-1] < 0.6 * t_losses[0]
    assert np.isfinite(e_losses).all()
    assert {k: v.shape for k, v in _train(ember, ember.vision, tmp_path, t_state)[2].items()} \
        == {k: v.shape for k, v in t_state.items()}
