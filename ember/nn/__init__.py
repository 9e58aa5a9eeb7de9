"""ember.nn: neural-network building blocks with torch.nn's names, parameters and behaviour."""

from ember.nn import functional, init, utils  # noqa: F401
from ember.nn.modules import *  # noqa: F403
from ember.nn.parallel import DataParallel  # noqa: F401  (also binds ember.nn.parallel)
from ember.nn.parameter import (  # noqa: F401
    Buffer,
    Parameter,
    UninitializedBuffer,
    UninitializedParameter,
)
