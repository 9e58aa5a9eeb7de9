"""Train a small CNN on the bundled UCI handwritten digits (8x8 images, 10 classes).

Written as a PyTorch user would write it; only the import lines name Ember. It trains with a
shuffling DataLoader, Adam and cross-entropy, shows a progress bar per epoch (with tqdm installed,
else a line per epoch), prints the test accuracy, saves the weights in PyTorch's file format and
loads them back into a fresh model, and writes curves and a grid of predictions to runs/demo/
(with matplotlib installed).

    python examples/train_digits.py [--epochs N] [--out-dir DIR]
"""

import argparse
import time
from pathlib import Path

import ember as torch
from ember import nn
from ember.utils.data import DataLoader
from ember.utils.data.digits import Digits

try:
    from tqdm import tqdm
except ImportError:
    tqdm = None


def build_model():
    """Two conv blocks (8x8 -> 4x4 -> 2x2) and a two-layer classifier head."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def train_epoch(model, loader, loss_fn, optimizer, desc):
    """One pass over the loader; returns the mean training loss."""
    model.train()
    total, seen = 0.0, 0
    batches = tqdm(loader, desc=desc, unit="batch", leave=True) if tqdm else loader
    for images, labels in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        seen += len(labels)
        if tqdm:
            batches.set_postfix(loss=f"{total / seen:.4f}")
    return total / seen


@torch.no_grad()
def predict(model, loader):
    """Predicted labels and true labels over the whole loader."""
    model.eval()
    predicted, targets = [], []
    for images, labels in loader:
        predicted.append(model(images).argmax(dim=1))
        targets.append(labels)
    return torch.cat(predicted), torch.cat(targets)


def main(epochs=12, out_dir="runs/demo", batch_size=32, lr=3e-3, seed=0):
    """Train, evaluate, save and reload; returns a dict with the history and the accuracy."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    train_set, test_set = Digits(train=True), Digits(train=False)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=len(test_set))
    print(f"digits: {len(train_set)} training and {len(test_set)} test images of 8x8 pixels")

    model = build_model()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        loss = train_epoch(model, train_loader, loss_fn, optimizer, f"epoch {epoch}/{epochs}")
        predicted, targets = predict(model, test_loader)
        accuracy = (predicted == targets).float().mean().item()
        history["loss"].append(loss)
        history["accuracy"].append(accuracy)
        if tqdm is None:
            print(f"epoch {epoch}/{epochs}  loss {loss:.4f}  test accuracy {accuracy:.2%}")
    print(f"test accuracy: {history['accuracy'][-1]:.2%} "
          f"({int((predicted == targets).sum())}/{len(targets)})")

    # the saved file is PyTorch's format: torch.load in PyTorch reads it too
    weights = out_dir / "digits_cnn.pt"
    torch.save(model.state_dict(), weights)
    reloaded = build_model()
    reloaded.load_state_dict(torch.load(weights))
    same = torch.equal(predict(reloaded, test_loader)[0], predicted)
    print(f"saved {weights}; reloaded model gives {'identical' if same else 'DIFFERENT'} "
          "predictions")
    if not same:
        raise RuntimeError("the reloaded model's predictions differ from the trained model's")

    save_plots(history, test_set, predicted, out_dir)
    seconds = time.perf_counter() - start
    print(f"done in {seconds:.1f} s")
    return {"history": history, "accuracy": history["accuracy"][-1], "weights": weights,
            "seconds": seconds}


def save_plots(history, test_set, predicted, out_dir):
    """Loss and accuracy per epoch, and a grid of test digits with their predicted labels."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots saved")
        return
    epochs = range(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["loss"], marker="o")
    left.set(xlabel="epoch", ylabel="training loss", title="Loss")
    right.plot(epochs, [100 * a for a in history["accuracy"]], marker="o", color="tab:green")
    right.set(xlabel="epoch", ylabel="test accuracy (%)", title="Accuracy")
    for axis in (left, right):
        axis.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "curves.png", dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(4, 8, figsize=(8, 4.6))
    for i, axis in enumerate(axes.flat):
        label, guess = int(test_set.targets[i]), int(predicted[i])
        axis.imshow(test_set.data[i].numpy(), cmap="gray_r", vmin=0, vmax=16)
        axis.set_title(f"pred {guess}", fontsize=9, color="black" if guess == label else "red")
        axis.axis("off")
    fig.suptitle("Test digits and predicted labels (red: wrong)")
    fig.tight_layout()
    fig.savefig(out_dir / "predictions.png", dpi=100)
    plt.close(fig)
    print(f"plots saved to {out_dir / 'curves.png'} and {out_dir / 'predictions.png'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--out-dir", default="runs/demo")
    args = parser.parse_args()
    main(epochs=args.epochs, out_dir=args.out_dir)
