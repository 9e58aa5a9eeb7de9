"""A multi-layer perceptron learns a boundary that no straight line can: inside or outside a circle.

Logistic regression fails here (the classes are not linearly separable); hidden layers with a
ReLU between them can bend the boundary. Trained with Adam on shuffled mini-batches.
"""

import ember as torch
from ember import nn, optim


class MLP(nn.Module):
    """in_features -> hidden -> hidden -> classes, ReLU after each hidden layer."""

    def __init__(self, in_features=2, hidden=32, classes=2):
        super().__init__()
        # assigning modules as attributes registers their parameters with this module
        self.layers = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, classes),
        )

    def forward(self, x):
        return self.layers(x)


def make_data(n=400):
    """Uniform points in [-1, 1]^2; label 1 inside the circle of radius 0.7 (about half of them)."""
    x = torch.rand(n, 2) * 2 - 1
    y = (x.pow(2).sum(dim=1) < 0.49).long()
    return x, y


def main(n=400, epochs=30, batch_size=32, lr=0.01, hidden=32, seed=0):
    """Train; return (history, model) where history holds (loss, accuracy) per epoch."""
    torch.manual_seed(seed)
    x, y = make_data(n)
    model = MLP(hidden=hidden)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)  # per-parameter step sizes

    history = []
    for epoch in range(epochs):
        model.train()  # no dropout or batch norm here, but it is the habit to keep
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()

        model.eval()
        with torch.no_grad():
            scores = model(x)
            loss = criterion(scores, y).item()
            accuracy = (scores.argmax(dim=1) == y).float().mean().item()
        history.append((loss, accuracy))
        if epoch % 5 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  loss {loss:.4f}  accuracy {accuracy:.3f}")
    return history, model


if __name__ == "__main__":
    main()
