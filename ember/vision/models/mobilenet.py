"""torchvision.models.mobilenet: MobileNet V2 and V3 under one module name."""

from ember.vision.models.mobilenetv2 import *  # noqa: F403
from ember.vision.models.mobilenetv2 import __all__ as _v2_all
from ember.vision.models.mobilenetv3 import *  # noqa: F403
from ember.vision.models.mobilenetv3 import __all__ as _v3_all

__all__ = _v2_all + _v3_all
