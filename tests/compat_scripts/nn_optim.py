"""A small nn.Module trained with SGD and a step scheduler; the step count comes from argv."""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def main():
    steps = int(sys.argv[1])
    torch.manual_seed(0)
    model = Net().double()
    print("parameters", sum(p.numel() for p in model.parameters()))
    print("init", model.fc1.weight[0].tolist(), model.fc2.bias.tolist())
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    x = torch.randn(16, 4, dtype=torch.float64)
    target = torch.randint(0, 3, (16,))
    for step in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        optimizer.step()
        scheduler.step()
        print("step", step, loss.item(), scheduler.get_last_lr()[0])
    model.eval()
    with torch.no_grad():
        print("predictions", model(x).argmax(dim=1).tolist())
    print("fc2 weight", model.fc2.weight.flatten().tolist())


if __name__ == "__main__":
    main()
