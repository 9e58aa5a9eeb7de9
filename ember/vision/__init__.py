"""ember.vision: torchvision's API (transforms, utils, io) on Ember tensors and Pillow images.
``ember.compat`` serves it as ``torchvision``."""

from ember import __version__  # noqa: F401
from ember.vision import datasets, io, models, ops, transforms, utils  # noqa: F401

_image_backend = "PIL"


def get_image_backend() -> str:
    """The package used to load images ('PIL')."""
    return _image_backend


def set_image_backend(backend: str) -> None:
    """Only 'PIL' is available (torchvision also knows 'accimage', a separate C++ package)."""
    if backend not in ["PIL", "accimage"]:
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    if backend == "accimage":
        raise ValueError("The 'accimage' backend is not available in ember.vision; use 'PIL'")
