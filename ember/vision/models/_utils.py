"""torchvision.models._utils: IntermediateLayerGetter and the functions the builders share."""

from __future__ import annotations

from collections import OrderedDict

from ember import nn
from ember.vision.models._api import (  # noqa: F401
    _make_divisible,
    _ovewrite_named_param,
    handle_legacy_interface,
)


class IntermediateLayerGetter(nn.ModuleDict):
    """The model's direct children up to the last of ``return_layers``; forward returns an
    OrderedDict of the outputs of ``return_layers`` (child name -> output name), as
    torchvision.models._utils.IntermediateLayerGetter. Children must be registered in the
    order they run."""

    _version = 2

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        if not set(return_layers).issubset([name for name, _ in model.named_children()]):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        return_layers = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            return_layers.pop(name, None)
            if not return_layers:
                break
        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
