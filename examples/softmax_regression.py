"""Multi-class classification (softmax regression) of three 2-D point clouds, in mini-batches.

nn.Linear(2, 3) gives one score per class. CrossEntropyLoss takes those raw scores and integer
class labels; it applies log_softmax itself, so the model has no softmax layer.
"""

import ember as torch
from ember import nn, optim

CENTRES = [[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]]


def make_data(n_per_class=100):
    """Gaussian clouds around CENTRES; labels are int64 class indices, as CrossEntropyLoss wants."""
    centres = torch.tensor(CENTRES)
    labels = torch.arange(len(CENTRES)).repeat_interleave(n_per_class)
    points = centres[labels] + 0.8 * torch.randn(len(labels), 2)
    return points, labels


def main(n_per_class=100, epochs=20, batch_size=32, lr=0.1, seed=0):
    """Train with shuffled mini-batches; return (losses, accuracy, model)."""
    torch.manual_seed(seed)
    x, y = make_data(n_per_class)

    model = nn.Linear(2, len(CENTRES))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)

    losses = []
    for epoch in range(epochs):
        # a fresh random order every epoch, so batches differ from epoch to epoch
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        print(f"epoch {epoch:3d}  last batch loss {losses[-1]:.4f}")

    with torch.no_grad():
        # the predicted class is the one with the highest score
        predicted = model(x).argmax(dim=1)
        accuracy = (predicted == y).float().mean().item()
    print(f"accuracy {accuracy:.3f}")
    return losses, accuracy, model


if __name__ == "__main__":
    main()
