"""A custom Dataset of variable-length sequences, a DataLoader with a padding collate_fn, and a
training loop over epochs.

A Dataset only needs __len__ and __getitem__; the DataLoader does the batching and shuffling.
Its default collate stacks samples into one tensor, which needs every sample to have the same
shape, so sequences of different lengths need a collate_fn of their own that pads them.
"""

import ember as torch
from ember import nn, optim
from ember.nn.utils.rnn import pad_sequence
from ember.utils.data import DataLoader, Dataset


class SequenceDataset(Dataset):
    """n sequences of 1 to max_len values; class 1 values centre on +1, class 0 values on -1."""

    def __init__(self, n, max_len=10):
        self.labels = torch.randint(0, 2, (n,))
        lengths = torch.randint(1, max_len + 1, (n,))
        self.sequences = [torch.randn(int(length)) + (2.0 * label - 1)
                          for length, label in zip(lengths, self.labels)]

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, index):
        return self.sequences[index], self.labels[index]


def pad_collate(batch):
    """Turn a list of (sequence, label) samples into (padded, lengths, labels) tensors."""
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    padded = pad_sequence(list(sequences), batch_first=True)  # zeros after each sequence ends
    return padded, lengths, torch.stack(labels)


def main(n=200, epochs=5, batch_size=16, lr=0.5, seed=0):
    """Train a classifier on the sequence means; return (losses, accuracy, batch_sizes)."""
    torch.manual_seed(seed)  # fixes the data, the weights and the DataLoader's shuffling
    dataset = SequenceDataset(n)
    print(f"{len(dataset)} samples; the first one: {dataset[0]}")
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, collate_fn=pad_collate)

    model = nn.Linear(1, 2)  # one feature (the mean) -> a score for each class
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)

    losses, batch_sizes = [], []
    for epoch in range(epochs):
        # each pass over the loader is one epoch, in a new shuffled order
        for padded, lengths, labels in loader:
            # the padding zeros do not change the sum; dividing by the true length gives the mean
            means = (padded.sum(dim=1) / lengths).unsqueeze(1)
            optimizer.zero_grad()
            loss = criterion(model(means), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            batch_sizes.append(len(labels))  # the last batch is smaller unless drop_last=True
        print(f"epoch {epoch}  last batch loss {losses[-1]:.4f}")

    correct = 0
    with torch.no_grad():
        for padded, lengths, labels in DataLoader(dataset, batch_size=64, collate_fn=pad_collate):
            means = (padded.sum(dim=1) / lengths).unsqueeze(1)
            correct += (model(means).argmax(dim=1) == labels).sum().item()
    accuracy = correct / len(dataset)
    print(f"accuracy {accuracy:.3f}")
    return losses, accuracy, batch_sizes


if __name__ == "__main__":
    main()
