"""Tensors and autograd, PyTorch-style: runs under real torch or python -m ember.compat."""

import torch


def main():
    torch.manual_seed(0)
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    w = torch.linspace(-1.0, 1.0, 4, dtype=torch.float64)
    y = (x * w).sin().sum(dim=1)
    z = (y**2).mean() + 0.01 * x.exp().sum()
    z.backward()
    print("x", x.detach().flatten().tolist())
    print("z", z.item())
    print("grad", x.grad.flatten().tolist())

    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    print("second order", gg.flatten().tolist())

    a = torch.arange(12).reshape(3, 4)
    print("ints", (a @ a.T).tolist(), a.sum().item(), a.argmax(dim=1).tolist())
    print("shapes", list(torch.cat([a, a]).shape), list(a.t().unsqueeze(0).shape))
    print("where", torch.where(a > 5, a, -a).tolist())
    with torch.no_grad():
        print("no_grad", (x * 2).requires_grad, torch.is_grad_enabled())
    print("linalg", torch.linalg.norm(x.detach()).item(), torch.special.expit(x[0]).tolist())


if __name__ == "__main__":
    main()
