"""torchvision.transforms: image transforms for PIL images and tensor images."""

from .transforms import *  # noqa: F403
from .transforms import __all__  # noqa: F401
