"""Saves a model's state_dict to argv[1], then loads each file named in argv[1:] into a fresh
model and prints its output."""

import sys

import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))


def main():
    torch.manual_seed(0)
    model = make_model()
    torch.save(model.state_dict(), sys.argv[1])
    x = torch.linspace(-1, 1, 6).reshape(2, 3)
    print("saved", model(x).flatten().tolist())
    for path in sys.argv[1:]:
        fresh = make_model()
        result = fresh.load_state_dict(torch.load(path))
        print("missing", result.missing_keys, "unexpected", result.unexpected_keys)
        state = torch.load(path, weights_only=True)
        print("keys", sorted(state), [list(v.shape) for v in state.values()])
        print("loaded", fresh(x).flatten().tolist())


if __name__ == "__main__":
    main()
