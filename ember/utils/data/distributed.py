"""DistributedSampler (torch.utils.data.distributed): each rank reads its own strided share."""

from __future__ import annotations

import math
from collections.abc import Iterator

import ember
from ember._ops.random import Generator
from ember.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


def _process_group_value(name):
    """world size or rank from the default process group, as torch reads them."""
    try:
        from ember import distributed as dist
    except ImportError:
        raise RuntimeError("Requires distributed package to be available") from None
    return getattr(dist, name)()


class DistributedSampler(Sampler[int]):
    """Rank ``rank`` of ``num_replicas`` gets indices rank, rank + num_replicas, ... of a list
    that is shuffled with a Generator seeded ``seed + epoch`` (the same on every rank) and
    padded with its own head to a multiple of num_replicas, or cut down with ``drop_last``
    (torch.utils.data.distributed.DistributedSampler). Without a process group, pass
    num_replicas and rank."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = _process_group_value("get_world_size")
        if rank is None:
            rank = _process_group_value("get_rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if drop_last and len(dataset) % num_replicas != 0:
            # the largest share every rank can have without repeating an index
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            generator = Generator().manual_seed(self.seed + self.epoch)
            indices = ember.randperm(len(self.dataset), generator=generator).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            padding = self.total_size - len(indices)
            repeats = math.ceil(padding / len(indices)) if padding > len(indices) else 1
            indices += (indices * repeats)[:padding]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle differently next time (call it before each epoch's iteration)."""
        self.epoch = epoch
