"""ember.cuda: CUDA through CuPy. Without CuPy or a GPU, is_available() is False."""

from ember import _backend


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU (torch.cuda.is_available)."""
    return _backend.cuda_available()


def device_count() -> int:
    """Number of visible GPUs; 0 without CUDA (torch.cuda.device_count)."""
    return _backend.cuda_device_count()


def manual_seed(seed):
    """Seed CUDA generators; without CUDA, silently ignored as in torch."""


def manual_seed_all(seed):
    """Seed all CUDA generators; without CUDA, silently ignored as in torch."""
