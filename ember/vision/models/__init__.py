"""torchvision.models: classification networks with torchvision's builders, parameter names,
initialisation and weights enums; pretrained weights are torchvision checkpoint files, read
from the torch hub cache (``$TORCH_HOME/hub/checkpoints``) or downloaded into it."""

from ember.vision.models import _utils  # noqa: F401
from ember.vision.models._api import (  # noqa: F401
    Weights,
    WeightsEnum,
    get_model,
    get_model_builder,
    get_model_weights,
    get_weight,
    list_models,
)
from ember.vision.models.alexnet import *  # noqa: F403
from ember.vision.models.densenet import *  # noqa: F403
from ember.vision.models.efficientnet import *  # noqa: F403
from ember.vision.models.googlenet import *  # noqa: F403
from ember.vision.models.inception import *  # noqa: F403
from ember.vision.models.mobilenet import *  # noqa: F403
from ember.vision.models.resnet import *  # noqa: F403
from ember.vision.models.shufflenetv2 import *  # noqa: F403
from ember.vision.models.squeezenet import *  # noqa: F403
from ember.vision.models.vgg import *  # noqa: F403
