"""EfficientNet B0-B7 and V2 S/M/L (torchvision.models.efficientnet)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn
from ember.vision.models._api import (
    WeightsEnum,
    _make_divisible,
    _ovewrite_named_param,
    handle_legacy_interface,
    imagenet_weights,
    register_model,
)
from ember.vision.models._layers import Conv2dNormActivation, SqueezeExcitation, StochasticDepth

__all__ = ["EfficientNet", "EfficientNet_B0_Weights", "EfficientNet_B1_Weights",
           "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights",
           "EfficientNet_B5_Weights", "EfficientNet_B6_Weights", "EfficientNet_B7_Weights",
           "EfficientNet_V2_S_Weights", "EfficientNet_V2_M_Weights", "EfficientNet_V2_L_Weights",
           "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
           "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]


@dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable[..., nn.Module]

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        """``channels * width_mult`` rounded to a multiple of 8."""
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """One stage of Table 1 (EfficientNet) or Table 4 (V2), scaled by width and depth."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0, block: Callable[..., nn.Module] | None = None) -> None:
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = self.adjust_depth(num_layers, depth_mult)
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         block or MBConv)

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float):
        """``num_layers * depth_mult`` rounded up."""
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """One fused stage of Table 4 of the EfficientNetV2 paper."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int,
                 block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         block or FusedMBConv)


class MBConv(nn.Module):
    """Expand (1x1), depthwise, squeeze-excitation, project; stochastic depth on the residual."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = SqueezeExcitation) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(se_layer(expanded, squeeze_channels,
                               activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class FusedMBConv(nn.Module):
    """A full convolution in place of expand + depthwise (EfficientNetV2's early stages)."""

    def __init__(self, cnf: FusedMBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module]) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
            layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=None))
        else:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class EfficientNet(nn.Module):
    """EfficientNet V1 and V2 (torchvision.models.EfficientNet); the stochastic depth
    probability grows linearly with the block index up to ``stochastic_depth_prob``."""

    def __init__(self, inverted_residual_setting: Sequence[MBConvConfig | FusedMBConvConfig],
                 dropout: float, stochastic_depth_prob: float = 0.2, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 last_channel: int | None = None) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, Sequence) and all(
                isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = norm_layer or nn.BatchNorm2d
        layers: list[nn.Module] = [Conv2dNormActivation(
            3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
            norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total_stage_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        stage_block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # later blocks of a stage keep the shape
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(stage_block_id) / total_stage_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = (last_channel if last_channel is not None
                                    else 4 * lastconv_input_channels)
        layers.append(Conv2dNormActivation(lastconv_input_channels, lastconv_output_channels,
                                           kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(lastconv_output_channels, num_classes))
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _efficientnet(inverted_residual_setting, dropout: float, last_channel: int | None,
                  weights: WeightsEnum | None, progress: bool, **kwargs: Any) -> EfficientNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = EfficientNet(inverted_residual_setting, dropout, last_channel=last_channel, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_V2_STAGES = {
    "efficientnet_v2_s": ([(1, 3, 1, 24, 24, 2), (4, 3, 2, 24, 48, 4), (4, 3, 2, 48, 64, 4)],
                          [(4, 3, 2, 64, 128, 6), (6, 3, 1, 128, 160, 9),
                           (6, 3, 2, 160, 256, 15)]),
    "efficientnet_v2_m": ([(1, 3, 1, 24, 24, 3), (4, 3, 2, 24, 48, 5), (4, 3, 2, 48, 80, 5)],
                          [(4, 3, 2, 80, 160, 7), (6, 3, 1, 160, 176, 14),
                           (6, 3, 2, 176, 304, 18), (6, 3, 1, 304, 512, 5)]),
    "efficientnet_v2_l": ([(1, 3, 1, 32, 32, 4), (4, 3, 2, 32, 64, 7), (4, 3, 2, 64, 96, 7)],
                          [(4, 3, 2, 96, 192, 10), (6, 3, 1, 192, 224, 19),
                           (6, 3, 2, 224, 384, 25), (6, 3, 1, 384, 640, 7)]),
}
_B_STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
             (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
             (6, 3, 1, 192, 320, 1)]


def _efficientnet_conf(arch: str, **kwargs: Any):
    if arch.startswith("efficientnet_b"):
        bneck_conf = partial(MBConvConfig, width_mult=kwargs.pop("width_mult"),
                             depth_mult=kwargs.pop("depth_mult"))
        return [bneck_conf(*row) for row in _B_STAGES], None
    for name, (fused, plain) in _V2_STAGES.items():
        if arch.startswith(name):
            setting = [FusedMBConvConfig(*row) for row in fused]
            return setting + [MBConvConfig(*row) for row in plain], 1280
    raise ValueError(f"Unsupported model type {arch}")


def _build(arch, width_depth, default_dropout, weights, progress, kwargs, norm_layer=None):
    setting, last_channel = _efficientnet_conf(arch, **dict(zip(("width_mult", "depth_mult"),
                                                                width_depth)))
    dropout = kwargs.pop("dropout", default_dropout)
    if norm_layer is not None:
        return _efficientnet(setting, dropout, last_channel, weights, progress,
                             norm_layer=norm_layer, **kwargs)
    return _efficientnet(setting, dropout, last_channel, weights, progress, **kwargs)


_TF_BN = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)  # B5-B7: ported TensorFlow weights
_V2_BN = partial(nn.BatchNorm2d, eps=1e-03)


def _b(file, num_params, crop, resize, interpolation="bicubic"):
    return imagenet_weights(file, num_params, crop_size=crop, resize_size=resize,
                            interpolation=interpolation)


def _v2(file, num_params, size, **kwargs):
    return imagenet_weights(file, num_params, min_size=(33, 33), crop_size=size,
                            resize_size=size, **kwargs)


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _b("efficientnet_b0_rwightman-7f5810bc.pth", 5288548, 224, 256)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _b("efficientnet_b1_rwightman-bac287d4.pth", 7794184, 240, 256)
    IMAGENET1K_V2 = _b("efficientnet_b1-c27df63c.pth", 7794184, 240, 255, "bilinear")
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _b("efficientnet_b2_rwightman-c35c1473.pth", 9109994, 288, 288)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _b("efficientnet_b3_rwightman-b3899882.pth", 12233232, 300, 320)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = _b("efficientnet_b4_rwightman-23ab8bcd.pth", 19341616, 380, 384)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _b("efficientnet_b5_lukemelas-1a07897c.pth", 30389784, 456, 456)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = _b("efficientnet_b6_lukemelas-24a108a5.pth", 43040704, 528, 528)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = _b("efficientnet_b7_lukemelas-c5b4e57e.pth", 66347960, 600, 600)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v2("efficientnet_v2_s-dd5fe13b.pth", 21458488, 384)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v2("efficientnet_v2_m-dc08266a.pth", 54139356, 480)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v2("efficientnet_v2_l-59c71312.pth", 118515272, 480,
                        interpolation="bicubic", mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    DEFAULT = IMAGENET1K_V1


@register_model()
@handle_legacy_interface(EfficientNet_B0_Weights.IMAGENET1K_V1)
def efficientnet_b0(*, weights: EfficientNet_B0_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B0 (arXiv:1905.11946), as torchvision.models.efficientnet_b0."""
    weights = EfficientNet_B0_Weights.verify(weights)
    return _build("efficientnet_b0", (1.0, 1.0), 0.2, weights, progress, kwargs)


@register_model()
@handle_legacy_interface(EfficientNet_B1_Weights.IMAGENET1K_V1)
def efficientnet_b1(*, weights: EfficientNet_B1_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B1, as torchvision.models.efficientnet_b1."""
    weights = EfficientNet_B1_Weights.verify(weights)
    return _build("efficientnet_b1", (1.0, 1.1), 0.2, weights, progress, kwargs)


@register_model()
@handle_legacy_interface(EfficientNet_B2_Weights.IMAGENET1K_V1)
def efficientnet_b2(*, weights: EfficientNet_B2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B2, as torchvision.models.efficientnet_b2."""
    weights = EfficientNet_B2_Weights.verify(weights)
    return _build("efficientnet_b2", (1.1, 1.2), 0.3, weights, progress, kwargs)


@register_model()
@handle_legacy_interface(EfficientNet_B3_Weights.IMAGENET1K_V1)
def efficientnet_b3(*, weights: EfficientNet_B3_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B3, as torchvision.models.efficientnet_b3."""
    weights = EfficientNet_B3_Weights.verify(weights)
    return _build("efficientnet_b3", (1.2, 1.4), 0.3, weights, progress, kwargs)


@register_model()
@handle_legacy_interface(EfficientNet_B4_Weights.IMAGENET1K_V1)
def efficientnet_b4(*, weights: EfficientNet_B4_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B4, as torchvision.models.efficientnet_b4."""
    weights = EfficientNet_B4_Weights.verify(weights)
    return _build("efficientnet_b4", (1.4, 1.8), 0.4, weights, progress, kwargs)


@register_model()
@handle_legacy_interface(EfficientNet_B5_Weights.IMAGENET1K_V1)
def efficientnet_b5(*, weights: EfficientNet_B5_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B5, as torchvision.models.efficientnet_b5."""
    weights = EfficientNet_B5_Weights.verify(weights)
    return _build("efficientnet_b5", (1.6, 2.2), 0.4, weights, progress, kwargs, _TF_BN)


@register_model()
@handle_legacy_interface(EfficientNet_B6_Weights.IMAGENET1K_V1)
def efficientnet_b6(*, weights: EfficientNet_B6_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B6, as torchvision.models.efficientnet_b6."""
    weights = EfficientNet_B6_Weights.verify(weights)
    return _build("efficientnet_b6", (1.8, 2.6), 0.5, weights, progress, kwargs, _TF_BN)


@register_model()
@handle_legacy_interface(EfficientNet_B7_Weights.IMAGENET1K_V1)
def efficientnet_b7(*, weights: EfficientNet_B7_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B7, as torchvision.models.efficientnet_b7."""
    weights = EfficientNet_B7_Weights.verify(weights)
    return _build("efficientnet_b7", (2.0, 3.1), 0.5, weights, progress, kwargs, _TF_BN)


@register_model()
@handle_legacy_interface(EfficientNet_V2_S_Weights.IMAGENET1K_V1)
def efficientnet_v2_s(*, weights: EfficientNet_V2_S_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-S (arXiv:2104.00298), as torchvision.models.efficientnet_v2_s."""
    weights = EfficientNet_V2_S_Weights.verify(weights)
    return _build("efficientnet_v2_s", (), 0.2, weights, progress, kwargs, _V2_BN)


@register_model()
@handle_legacy_interface(EfficientNet_V2_M_Weights.IMAGENET1K_V1)
def efficientnet_v2_m(*, weights: EfficientNet_V2_M_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-M, as torchvision.models.efficientnet_v2_m."""
    weights = EfficientNet_V2_M_Weights.verify(weights)
    return _build("efficientnet_v2_m", (), 0.3, weights, progress, kwargs, _V2_BN)


@register_model()
@handle_legacy_interface(EfficientNet_V2_L_Weights.IMAGENET1K_V1)
def efficientnet_v2_l(*, weights: EfficientNet_V2_L_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-L, as torchvision.models.efficientnet_v2_l."""
    weights = EfficientNet_V2_L_Weights.verify(weights)
    return _build("efficientnet_v2_l", (), 0.4, weights, progress, kwargs, _V2_BN)
