"""ember.nn: neural-network building blocks with torch.nn's names, parameters and behaviour."""

from ember.nn import functional, init, utils  # noqa: F401
from ember.nn.modules import *  # noqa: F403
from ember.nn.parameter import (  # noqa: F401
    Buffer,
    Parameter,
    UninitializedBuffer,
    UninitializedParameter,
)
