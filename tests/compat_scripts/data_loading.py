"""TensorDataset, a map-style Dataset of dicts, and shuffled DataLoaders."""

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset


class Squares(Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, index):
        return {"x": torch.tensor([index, index**2], dtype=torch.float64), "label": index % 2}


def main():
    torch.manual_seed(0)
    xs = torch.arange(20, dtype=torch.float64).reshape(10, 2)
    ys = torch.arange(10)
    loader = DataLoader(TensorDataset(xs, ys), batch_size=4, shuffle=True)
    for epoch in range(2):
        for xb, yb in loader:
            print("epoch", epoch, list(xb.shape), yb.tolist(), xb.sum().item())
    for batch in DataLoader(Squares(), batch_size=3, drop_last=True):
        print("dict batch", batch["x"].tolist(), batch["label"].tolist())
    print("len", len(loader), len(DataLoader(Squares(), batch_size=3, drop_last=True)))


if __name__ == "__main__":
    main()
