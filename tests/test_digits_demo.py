"""The bundled digits dataset and the demo that trains a CNN on it: the dataset's split and items,
the demo's main run small, and its training loop run on Ember and on torch from the same weights
and the same batches, step by step."""

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.utils.data.digits import Digits

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "train_digits.py"
BUNDLE = ROOT / "ember" / "utils" / "data" / "digits.npz"


@pytest.fixture(scope="module")
def splits():
    return Digits(train=True), Digits(train=False)


@pytest.fixture(scope="module")
def bundle():
    with np.load(BUNDLE) as archive:
        return {name: archive[name] for name in archive.files}


def test_bundle_is_the_full_uci_set(bundle):
    assert bundle["images"].shape == (1797, 8, 8) and bundle["images"].dtype == np.uint8
    assert bundle["labels"].shape == (1797,)
    assert bundle["images"].max() == 16 and bundle["images"].min() == 0
    assert sorted(set(bundle["labels"].tolist())) == list(range(10))
    assert BUNDLE.stat().st_size < 200_000
    assert BUNDLE.with_name("DIGITS_LICENSE.txt").is_file()


def test_split_is_disjoint_complete_and_stratified(bundle):
    train, test = bundle["train_index"].astype(np.int64), bundle["test_index"].astype(np.int64)
    assert len(train) + len(test) == 1797
    assert not set(train.tolist()) & set(test.tolist())
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(1797))
    per_class = np.bincount(bundle["labels"][test], minlength=10)
    totals = np.bincount(bundle["labels"], minlength=10)
    assert np.all(np.abs(per_class - 0.2 * totals) <= 1)


def test_splits_hold_the_bundle_rows(splits, bundle):
    for dataset, key in zip(splits, ["train_index", "test_index"]):
        index = bundle[key].astype(np.int64)
        assert dataset.data.dtype == ember.uint8 and dataset.targets.dtype == ember.int64
        assert tuple(dataset.data.shape) == (len(index), 8, 8) == (len(dataset), 8, 8)
        np.testing.assert_array_equal(dataset.data.numpy(), bundle["images"][index])
        np.testing.assert_array_equal(dataset.targets.numpy(), bundle["labels"][index])


def test_split_is_deterministic(splits):
    again = Digits(train=True), Digits(train=False)
    for first, second in zip(splits, again):
        assert ember.equal(first.data, second.data) and ember.equal(first.targets, second.targets)
    assert (len(splits[0]), len(splits[1])) == (1438, 359)


def test_items_are_scaled_float_images_and_int_labels(splits):
    train, _ = splits
    for i in (0, 1, len(train) - 1):
        image, label = train[i]
        assert isinstance(image, ember.Tensor) and image.dtype == ember.float32
        assert tuple(image.shape) == (1, 8, 8)
        assert type(label) is int and 0 <= label <= 9 and label == int(train.targets[i])
        np.testing.assert_array_equal(image.numpy()[0], train.data[i].numpy() / np.float32(16))
        assert 0.0 <= float(image.min()) and float(image.max()) <= 1.0
    # an item is a fresh tensor: changing it leaves the dataset alone
    image, _ = train[0]
    image.zero_()
    assert float(train[0][0].sum()) > 0


def test_transforms_and_metadata():
    dataset = Digits(train=False, transform=lambda x: x * 2,
                     target_transform=lambda y: y + 100)
    image, label = dataset[3]
    plain_image, plain_label = Digits(train=False)[3]
    assert ember.equal(image, plain_image * 2) and label == plain_label + 100
    assert len(dataset.classes) == 10 and dataset.class_to_idx[dataset.classes[7]] == 7
    assert "Number of datapoints: 359" in repr(dataset)


def test_loader_batches_match_torch_collation(splits):
    """A DataLoader over Digits batches as torch's does over the same items."""
    torch = pytest.importorskip("torch")
    _, test = splits
    ours = next(iter(DataLoader(test, batch_size=16)))
    items = [(torch.from_numpy(test[i][0].numpy()), test[i][1]) for i in range(16)]
    theirs = next(iter(torch.utils.data.DataLoader(items, batch_size=16)))
    for mine, reference in zip(ours, theirs):
        assert tuple(mine.shape) == tuple(reference.shape)
        assert str(mine.dtype).split(".")[1] == str(reference.dtype).split(".")[1]
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


def load_script(lib_name):
    """The demo as a module, on Ember or, with its import lines rewritten, on torch."""
    source = SCRIPT.read_text()
    if lib_name == "torch":
        for ours, theirs in [("import ember as torch", "import torch"),
                             ("from ember import nn", "from torch import nn"),
                             ("from ember.utils.data import", "from torch.utils.data import")]:
            assert ours in source
            source = source.replace(ours, theirs)
    module = types.ModuleType(f"train_digits_{lib_name}")
    module.__file__ = str(SCRIPT)
    exec(compile(source, str(SCRIPT), "exec"), module.__dict__)
    return module


def test_demo_main_runs_small(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("train_digits", SCRIPT)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    result = demo.main(epochs=1, out_dir=tmp_path / "demo")
    out = capsys.readouterr().out
    assert "test accuracy" in out and "identical predictions" in out
    assert len(result["history"]["loss"]) == len(result["history"]["accuracy"]) == 1
    assert result["accuracy"] > 0.5  # one epoch already learns most digits
    assert result["weights"].is_file()
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "demo" / "curves.png").stat().st_size > 0
        assert (tmp_path / "demo" / "predictions.png").stat().st_size > 0
    else:
        assert "no plots saved" in out


def test_demo_weights_load_in_torch(tmp_path):
    """The file the demo saves is PyTorch's format: torch loads it into its own copy of the
    model, which then predicts as Ember's does."""
    torch = pytest.importorskip("torch")
    ours = load_script("ember")
    ember.manual_seed(3)
    model = ours.build_model()
    ember.save(model.state_dict(), tmp_path / "w.pt")
    theirs = load_script("torch").build_model()
    theirs.load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))
    images = Digits(train=False).data.numpy()[:, None].astype(np.float32) / 16
    with ember.no_grad(), torch.no_grad():
        np.testing.assert_allclose(model(ember.from_numpy(images)).numpy(),
                                   theirs(torch.from_numpy(images)).numpy(), rtol=1e-5,
                                   atol=1e-5)


def fixed_batches(n, batch_size=32, seed=0):
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def train_one_epoch(lib, script, state, batches, splits):
    """The demo's model, loss and optimizer for one epoch over the given index batches; returns
    the per-step losses and the test accuracy."""
    train, test = splits
    x = lib.from_numpy(train.data.numpy()[:, None].astype(np.float32) / 16)
    y = lib.from_numpy(train.targets.numpy().copy())
    model = script.build_model()
    model.load_state_dict({name: lib.from_numpy(value.copy()) for name, value in state.items()})
    loss_fn = script.nn.CrossEntropyLoss()
    optimizer = lib.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for index in batches:
        index = lib.from_numpy(index)
        optimizer.zero_grad()
        loss = loss_fn(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with lib.no_grad():
        images = lib.from_numpy(test.data.numpy()[:, None].astype(np.float32) / 16)
        predicted = model(images).argmax(dim=1).numpy()
    return np.array(losses), predicted


def test_one_epoch_matches_torch(splits):
    torch = pytest.importorskip("torch")
    ours, theirs = load_script("ember"), load_script("torch")
    ember.manual_seed(0)
    state = {name: value.numpy().copy()
             for name, value in ours.build_model().state_dict().items()}
    batches = fixed_batches(len(splits[0]))
    our_losses, our_predicted = train_one_epoch(ember, ours, state, batches, splits)
    their_losses, their_predicted = train_one_epoch(torch, theirs, state, batches, splits)
    assert len(our_losses) == len(their_losses) == 45
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-4, atol=1e-6)
    targets = splits[1].targets.numpy()
    our_accuracy = (our_predicted == targets).mean()
    their_accuracy = (their_predicted == targets).mean()
    # a logit tie broken differently may flip one prediction, no more
    assert abs(our_accuracy - their_accuracy) <= 1 / len(targets)
    assert np.mean(our_predicted != their_predicted) <= 1 / len(targets)
    # it did learn: well above chance (10%), and the loss fell
    assert their_accuracy > 0.5 and their_losses[-5:].mean() < 0.7 * their_losses[:5].mean()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
