"""torchvision.transforms: image transforms for PIL images and tensor images."""

from .autoaugment import *  # noqa: F403
from .autoaugment import __all__ as _autoaugment_all
from .transforms import *  # noqa: F403
from .transforms import __all__ as _transforms_all

__all__ = _autoaugment_all + _transforms_all
