"""Fit y = w * x**2 + b with autograd and a hand-written SGD step.

Same model and loss as linear_regression_numpy.py, but no derivative is written by hand:
loss.backward() fills w.grad and b.grad. The update runs under torch.no_grad() so that it is
not itself recorded as part of the next step's graph.
"""

import ember as torch


def main(n=100, steps=800, lr=0.001, seed=100):
    """Train from random w, zero b; return (w, b, losses) with one loss per step."""
    torch.manual_seed(seed)  # same seed, same data and starting point, on every run

    # data: y = 3 x^2 + 2 plus uniform noise, as (n, 1) columns so that mm() works
    x = torch.unsqueeze(torch.linspace(-1, 1, n), dim=1)
    y = 3 * x.pow(2) + 2 + 0.2 * torch.rand(x.size())

    # requires_grad=True asks autograd to track every operation that uses these tensors
    w = torch.randn(1, 1, dtype=torch.float, requires_grad=True)
    b = torch.zeros(1, 1, dtype=torch.float, requires_grad=True)

    losses = []
    for step in range(steps):
        y_pred = x.pow(2).mm(w) + b
        loss = (0.5 * (y_pred - y) ** 2).sum()
        loss.backward()  # d loss / d w and d loss / d b land in w.grad and b.grad
        losses.append(loss.item())

        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            # backward() adds to .grad rather than overwriting it, so clear it for the next step
            w.grad.zero_()
            b.grad.zero_()

        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():10.4f}")

    print(f"learned w = {w.item():.4f} (true 3), b = {b.item():.4f} (true 2 + mean noise 0.1)")
    return w.item(), b.item(), losses


if __name__ == "__main__":
    main()
