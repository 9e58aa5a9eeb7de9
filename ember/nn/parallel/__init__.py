"""ember.nn.parallel: DataParallel (torch.nn.parallel). Without a GPU it runs the wrapped module
as torch does; on one GPU it moves the module and inputs there; several GPUs are not supported
yet (no multi-GPU scatter / replicate)."""

from ember.nn.parallel.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
