"""Three ways to save a model: the whole object, its state_dict, and a checkpoint to resume from.

- torch.save(model) pickles the module object itself. Loading it needs the class definition to
  be importable and weights_only=False, which runs pickled code: only load files you trust.
- torch.save(model.state_dict()) stores just the tensors by name. It loads with the safe default
  (weights_only=True) into a freshly built model: the usual way to share weights.
- A checkpoint adds the optimizer's state_dict (Adam's running averages, step counts), so that
  training resumes exactly where it stopped.
"""

import os
import tempfile

import ember as torch
from ember import nn, optim


class Net(nn.Module):
    """A small regression network: 4 inputs -> 8 hidden -> 1 output."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def train(model, optimizer, x, y, steps):
    """A few steps of mean-squared-error regression."""
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def save_and_reload(model, optimizer, x, y, directory, steps):
    """Save in all three ways, load back, and check each copy against the original."""
    with torch.no_grad():
        expected = model(x)

    torch.save(model, os.path.join(directory, "model.pt"))
    whole = torch.load(os.path.join(directory, "model.pt"), weights_only=False)

    torch.save(model.state_dict(), os.path.join(directory, "weights.pt"))
    rebuilt = Net()  # new random weights, replaced by the saved ones on the next line
    rebuilt.load_state_dict(torch.load(os.path.join(directory, "weights.pt")))

    checkpoint = {"step": steps, "model": model.state_dict(), "optimizer": optimizer.state_dict()}
    torch.save(checkpoint, os.path.join(directory, "checkpoint.pt"))
    checkpoint = torch.load(os.path.join(directory, "checkpoint.pt"))
    resumed = Net()
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer = optim.Adam(resumed.parameters(), lr=0.01)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])

    with torch.no_grad():
        same = {"whole model": torch.equal(whole(x), expected),
                "state dict": torch.equal(rebuilt(x), expected)}
    # training the original and the resumed copy further must keep them identical
    train(model, optimizer, x, y, steps)
    train(resumed, resumed_optimizer, x, y, steps)
    with torch.no_grad():
        same["resumed training"] = torch.equal(resumed(x), model(x))
    return same


def main(steps=20, directory=None, seed=0):
    """Train, save, reload; return (checks, model), checks saying which copies matched."""
    torch.manual_seed(seed)
    x = torch.randn(64, 4)
    y = x.sum(dim=1, keepdim=True)  # a target the network can learn
    model = Net()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    print(f"loss after {steps} steps: {train(model, optimizer, x, y, steps):.4f}")

    with tempfile.TemporaryDirectory() as scratch:
        checks = save_and_reload(model, optimizer, x, y, directory or scratch, steps)
    for way, ok in checks.items():
        print(f"{way:17s} {'identical' if ok else 'DIFFERENT'}")
    return checks, model


if __name__ == "__main__":
    main()
