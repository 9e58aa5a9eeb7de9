"""Binary classification of two 2-D point clouds with logistic regression.

One nn.Linear(2, 1) produces a score (a "logit") per point; sigmoid(score) is the probability of
class 1. BCEWithLogitsLoss applies the sigmoid inside the loss, which is more accurate than
sigmoid followed by BCELoss when scores get large.
"""

import ember as torch
from ember import nn, optim


def make_data(n_per_class=100):
    """Two Gaussian clouds centred at (-1, -1) (label 0) and (1, 1) (label 1)."""
    x0 = torch.randn(n_per_class, 2) + torch.tensor([-1.0, -1.0])
    x1 = torch.randn(n_per_class, 2) + torch.tensor([1.0, 1.0])
    x = torch.cat([x0, x1])
    # labels are floats of shape (n, 1): BCEWithLogitsLoss compares them with the scores
    y = torch.cat([torch.zeros(n_per_class, 1), torch.ones(n_per_class, 1)])
    return x, y


def main(n_per_class=100, epochs=100, lr=0.1, seed=0):
    """Train on the full data set each epoch; return (losses, accuracy, model)."""
    torch.manual_seed(seed)  # fixes the data and the initial weights
    x, y = make_data(n_per_class)

    model = nn.Linear(2, 1)
    criterion = nn.BCEWithLogitsLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)

    losses = []
    for epoch in range(epochs):
        optimizer.zero_grad()  # gradients accumulate, so clear last step's
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()  # w <- w - lr * w.grad for every parameter
        losses.append(loss.item())
        if epoch % 20 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  loss {loss.item():.4f}")

    with torch.no_grad():  # evaluation only: no graph needed
        predicted = (model(x) > 0).float()  # score > 0 means probability > 0.5
        accuracy = (predicted == y).float().mean().item()
    print(f"accuracy {accuracy:.3f}")
    return losses, accuracy, model


if __name__ == "__main__":
    main()
