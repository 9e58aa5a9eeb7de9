"""Learn w and b of y = w * x**2 + b from noisy data, with autograd and a hand-written SGD step.

The classic first autograd exercise, unchanged from its PyTorch form except for the import line.
Prints the loss going down and the learned values (close to 3 and 2); saves a plot of the fit when
matplotlib is installed.
"""

import ember as torch

torch.manual_seed(100)

# data: y = 3 x^2 + 2 plus noise
x = torch.unsqueeze(torch.linspace(-1, 1, 100), dim=1)
y = 3 * x.pow(2) + 2 + 0.2 * torch.rand(x.size())

# parameters to learn, randomly initialised
w = torch.randn(1, 1, dtype=torch.float, requires_grad=True)
b = torch.zeros(1, 1, dtype=torch.float, requires_grad=True)

lr = 0.001
for step in range(800):
    y_pred = x.pow(2).mm(w) + b
    loss = 0.5 * (y_pred - y) ** 2
    loss = loss.sum()
    loss.backward()

    with torch.no_grad():  # update the parameters without recording the update in the graph
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()

    if step % 100 == 0 or step == 799:
        print(f"step {step:4d}  loss {loss.item():10.4f}")

print(f"learned w = {w.item():.4f} (true 3), b = {b.item():.4f} (true 2)")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no plot saved")
else:
    plt.figure(figsize=(6, 4))
    plt.scatter(x.numpy(), y.numpy(), s=8, color="tab:blue", label="noisy data")
    plt.plot(x.numpy(), y_pred.detach().numpy(), color="tab:red", linewidth=2, label="fitted")
    plt.xlabel("x")
    plt.ylabel("y")
    plt.title(f"y = {w.item():.2f} x\u00b2 + {b.item():.2f}")
    plt.legend()
    plt.tight_layout()
    plt.savefig("fit_polynomial.png", dpi=100)
    print("plot saved to fit_polynomial.png")
