"""Gradients through Python control flow: loops and branches that depend on the data.

Autograd records the operations that actually ran, so a `while` loop whose trip count depends on
the input, or an `if` on a tensor's value, is no obstacle. Here f(a) = k * a for some k that
depends on a, so the gradient d f / d a is k itself, which equals f(a) / a.
"""

import ember as torch


def f(a):
    """Double a until its norm reaches 1000, then keep it (sum > 0) or multiply by 100."""
    b = a * 2
    while b.norm() < 1000:  # how many doublings depends on the value of a
        b = b * 2
    if b.sum() > 0:  # and so does which branch runs
        c = b
    else:
        c = 100 * b
    return c


def main(seed=0, size=()):
    """Differentiate f at a random a; return (a, d, a.grad, whether a.grad matches d / a)."""
    torch.manual_seed(seed)
    a = torch.randn(size, requires_grad=True)
    d = f(a)
    # a vector-valued d needs a vector for backward(); ones gives the gradient of d.sum()
    d.backward(torch.ones_like(d))
    # NOTE: `a.grad == d / a` usually holds exactly, but 100 * b rounds, and dividing by a may
    # not undo the rounding; allclose allows for that last bit
    ok = torch.allclose(a.grad, d / a)
    print(f"a = {a.item() if a.dim() == 0 else a.tolist()}")
    print(f"d / a = {(d / a).tolist()}, a.grad = {a.grad.tolist()}, equal: {ok}")
    return a.detach(), d.detach(), a.grad, ok


if __name__ == "__main__":
    main()
