"""Flatten and Unflatten (torch.nn.Flatten, torch.nn.Unflatten)."""

from __future__ import annotations

from ember.nn.modules.module import Module


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one (by default all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _require_tuple_of_ints(value):
    if not isinstance(value, (tuple, list)):
        raise TypeError("unflattened_size must be a tuple of ints, but found type "
                        f"{type(value).__name__}")
    for i, element in enumerate(value):
        if not isinstance(element, int):
            raise TypeError("unflattened_size must be tuple of ints, but found element of type "
                            f"{type(element).__name__} at pos {i}")


class Unflatten(Module):
    """Split dim ``dim`` into the shape ``unflattened_size`` (torch.nn.Unflatten)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError("invalid argument type for dim parameter")  # no named tensors
        _require_tuple_of_ints(unflattened_size)
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
