"""Fit y = w * x**2 + b by gradient descent in plain NumPy, with gradients derived by hand.

The "before autograd" version of the classic exercise: every derivative is worked out on paper
and typed in. Compare with linear_regression_autograd.py, where Ember computes the same
gradients from the forward pass alone.
"""

import numpy as np


def make_data(n=100, seed=100):
    """n points of y = 3 x^2 + 2 plus uniform noise in [0, 0.2), as columns of shape (n, 1)."""
    rng = np.random.RandomState(seed)  # a fixed seed gives the same data on every run
    x = np.linspace(-1, 1, n).reshape(n, 1)
    y = 3 * np.power(x, 2) + 2 + 0.2 * rng.rand(n, 1)
    return x, y, rng


def gradients(x, y, w, b):
    """d loss / d w and d loss / d b for loss = sum(0.5 * (w x^2 + b - y)^2).

    Chain rule: d loss / d y_pred = (y_pred - y); y_pred depends on w through x^2 and on b
    with slope 1, so each gradient is that error times x^2 (or 1), summed over the points.
    """
    error = np.power(x, 2) * w + b - y
    return np.sum(error * np.power(x, 2)), np.sum(error)


def main(n=100, steps=800, lr=0.001, seed=100):
    """Train from random w, b; return (w, b, losses) with one loss per step."""
    x, y, rng = make_data(n, seed)
    w = rng.rand(1, 1)  # random starting point; gradient descent does the rest
    b = rng.rand(1, 1)

    losses = []
    for step in range(steps):
        y_pred = np.power(x, 2) * w + b  # forward pass
        loss = np.sum(0.5 * (y_pred - y) ** 2)
        losses.append(float(loss))

        grad_w, grad_b = gradients(x, y, w, b)  # backward pass, by hand
        w -= lr * grad_w  # step downhill; lr keeps the step small enough not to overshoot
        b -= lr * grad_b

        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss:10.4f}")

    print(f"learned w = {w.item():.4f} (true 3), b = {b.item():.4f} (true 2 + mean noise 0.1)")
    return w.item(), b.item(), losses


if __name__ == "__main__":
    main()
