"""torchvision.transforms.autoaugment: AutoAugment, RandAugment, TrivialAugmentWide and AugMix.
Operations, magnitudes (Ember linspaces, so the same float32 values) and random draws follow
torchvision call for call, so after the same manual_seed they pick the same augmentations."""

from __future__ import annotations

import math
from enum import Enum

import ember
from ember import nn

from . import functional as F
from .functional import InterpolationMode

Tensor = ember.Tensor

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _apply_op(img, op_name: str, magnitude: float, interpolation, fill):
    if op_name in ("ShearX", "ShearY"):
        shear = math.degrees(math.atan(magnitude))
        # the shear is about the top-left corner, as in the papers' implementations
        img = F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                       shear=[shear, 0.0] if op_name == "ShearX" else [0.0, shear],
                       interpolation=interpolation, fill=fill, center=[0, 0])
    elif op_name in ("TranslateX", "TranslateY"):
        translate = [int(magnitude), 0] if op_name == "TranslateX" else [0, int(magnitude)]
        img = F.affine(img, angle=0.0, translate=translate, scale=1.0,
                       interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    elif op_name == "Rotate":
        img = F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    elif op_name == "Brightness":
        img = F.adjust_brightness(img, 1.0 + magnitude)
    elif op_name == "Color":
        img = F.adjust_saturation(img, 1.0 + magnitude)
    elif op_name == "Contrast":
        img = F.adjust_contrast(img, 1.0 + magnitude)
    elif op_name == "Sharpness":
        img = F.adjust_sharpness(img, 1.0 + magnitude)
    elif op_name == "Posterize":
        img = F.posterize(img, int(magnitude))
    elif op_name == "Solarize":
        img = F.solarize(img, magnitude)
    elif op_name == "AutoContrast":
        img = F.autocontrast(img)
    elif op_name == "Equalize":
        img = F.equalize(img)
    elif op_name == "Invert":
        img = F.invert(img)
    elif op_name != "Identity":
        raise ValueError(f"The provided operator {op_name} is not recognized.")
    return img


def _magnitudes(names, num_bins, shear, translate_x, translate_y, rotate, enhance,
                posterize_top, posterize_steps):
    """{op name: (magnitudes, signed)} for ``names``, in that order (the random op index
    counts in it)."""
    posterize = posterize_top - (ember.arange(num_bins) / ((num_bins - 1) / posterize_steps)
                                 ).round().int()
    table = {
        "Identity": (ember.tensor(0.0), False),
        "ShearX": (ember.linspace(0.0, shear, num_bins), True),
        "ShearY": (ember.linspace(0.0, shear, num_bins), True),
        "TranslateX": (ember.linspace(0.0, translate_x, num_bins), True),
        "TranslateY": (ember.linspace(0.0, translate_y, num_bins), True),
        "Rotate": (ember.linspace(0.0, rotate, num_bins), True),
        "Brightness": (ember.linspace(0.0, enhance, num_bins), True),
        "Color": (ember.linspace(0.0, enhance, num_bins), True),
        "Contrast": (ember.linspace(0.0, enhance, num_bins), True),
        "Sharpness": (ember.linspace(0.0, enhance, num_bins), True),
        "Posterize": (posterize, False),
        "Solarize": (ember.linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (ember.tensor(0.0), False),
        "Equalize": (ember.tensor(0.0), False),
        "Invert": (ember.tensor(0.0), False),
    }
    return {name: table[name] for name in names}


_OPS = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
        "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize")


def _tensor_fill(fill, img, channels):
    if isinstance(img, Tensor):
        if isinstance(fill, (int, float)):
            return [float(fill)] * channels
        if fill is not None:
            return [float(f) for f in fill]
    return fill


def _random_sign(magnitude, signed):
    if signed and ember.randint(2, (1,)):
        return -magnitude
    return magnitude


class AutoAugmentPolicy(Enum):
    """The policies learned on ImageNet, CIFAR10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


def _policy(text):
    """'Op,p,magnitude Op,p,magnitude; ...' -> [((op, p, magnitude), (op, p, magnitude)), ...]."""
    def op(item):
        name, p, magnitude = item.split(",")
        return name, float(p), None if magnitude == "-" else int(magnitude)
    return [tuple(op(item) for item in pair.split()) for pair in text.split(";")]


_POLICIES = {
    AutoAugmentPolicy.IMAGENET: _policy(
        "Posterize,0.4,8 Rotate,0.6,9; Solarize,0.6,5 AutoContrast,0.6,-;"
        "Equalize,0.8,- Equalize,0.6,-; Posterize,0.6,7 Posterize,0.6,6;"
        "Equalize,0.4,- Solarize,0.2,4; Equalize,0.4,- Rotate,0.8,8;"
        "Solarize,0.6,3 Equalize,0.6,-; Posterize,0.8,5 Equalize,1.0,-;"
        "Rotate,0.2,3 Solarize,0.6,8; Equalize,0.6,- Posterize,0.4,6; Rotate,0.8,8 Color,0.4,0;"
        "Rotate,0.4,9 Equalize,0.6,-; Equalize,0.0,- Equalize,0.8,-; Invert,0.6,- Equalize,1.0,-;"
        "Color,0.6,4 Contrast,1.0,8; Rotate,0.8,8 Color,1.0,2; Color,0.8,8 Solarize,0.8,7;"
        "Sharpness,0.4,7 Invert,0.6,-; ShearX,0.6,5 Equalize,1.0,-; Color,0.4,0 Equalize,0.6,-;"
        "Equalize,0.4,- Solarize,0.2,4; Solarize,0.6,5 AutoContrast,0.6,-;"
        "Invert,0.6,- Equalize,1.0,-; Color,0.6,4 Contrast,1.0,8; Equalize,0.8,- Equalize,0.6,-"),
    AutoAugmentPolicy.CIFAR10: _policy(
        "Invert,0.1,- Contrast,0.2,6; Rotate,0.7,2 TranslateX,0.3,9;"
        "Sharpness,0.8,1 Sharpness,0.9,3; ShearY,0.5,8 TranslateY,0.7,9;"
        "AutoContrast,0.5,- Equalize,0.9,-; ShearY,0.2,7 Posterize,0.3,7;"
        "Color,0.4,3 Brightness,0.6,7; Sharpness,0.3,9 Brightness,0.7,9;"
        "Equalize,0.6,- Equalize,0.5,-; Contrast,0.6,7 Sharpness,0.6,5;"
        "Color,0.7,7 TranslateX,0.5,8; Equalize,0.3,- AutoContrast,0.4,-;"
        "TranslateY,0.4,3 Sharpness,0.2,6; Brightness,0.9,6 Color,0.2,8;"
        "Solarize,0.5,2 Invert,0.0,-; Equalize,0.2,- AutoContrast,0.6,-;"
        "Equalize,0.2,- Equalize,0.6,-; Color,0.9,9 Equalize,0.6,-;"
        "AutoContrast,0.8,- Solarize,0.2,8; Brightness,0.1,3 Color,0.7,0;"
        "Solarize,0.4,5 AutoContrast,0.9,-; TranslateY,0.9,9 TranslateY,0.7,9;"
        "AutoContrast,0.9,- Solarize,0.8,3; Equalize,0.8,- Invert,0.1,-;"
        "TranslateY,0.7,9 AutoContrast,0.9,-"),
    AutoAugmentPolicy.SVHN: _policy(
        "ShearX,0.9,4 Invert,0.2,-; ShearY,0.9,8 Invert,0.7,-; Equalize,0.6,- Solarize,0.6,6;"
        "Invert,0.9,- Equalize,0.6,-; Equalize,0.6,- Rotate,0.9,3;"
        "ShearX,0.9,4 AutoContrast,0.8,-; ShearY,0.9,8 Invert,0.4,-; ShearY,0.9,5 Solarize,0.2,6;"
        "Invert,0.9,- AutoContrast,0.8,-; Equalize,0.6,- Rotate,0.9,3;"
        "ShearX,0.9,4 Solarize,0.3,3; ShearY,0.8,8 Invert,0.7,-; Equalize,0.9,- TranslateY,0.6,6;"
        "Invert,0.9,- Equalize,0.6,-; Contrast,0.3,3 Rotate,0.8,4; Invert,0.8,- TranslateY,0.0,2;"
        "ShearY,0.7,6 Solarize,0.4,8; Invert,0.6,- Rotate,0.8,4; ShearY,0.3,7 TranslateX,0.9,3;"
        "ShearX,0.1,6 Invert,0.6,-; Solarize,0.7,2 TranslateY,0.6,7; ShearY,0.8,4 Invert,0.8,-;"
        "ShearX,0.7,9 TranslateY,0.8,3; ShearY,0.8,5 AutoContrast,0.7,-;"
        "ShearX,0.7,2 Invert,0.1,-"),
}


class AutoAugment(nn.Module):
    """AutoAugment (Cubuk et al., 2018): one of the policy's 25 sub-policies, each two operations
    applied with their probabilities and magnitudes. Tensors should be uint8."""

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET,
                 interpolation=InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__()
        self.policy, self.interpolation, self.fill = policy, interpolation, fill
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy):
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        return list(_POLICIES[policy])

    def _augmentation_space(self, num_bins: int, image_size):
        return _magnitudes(_OPS + ("Invert",), num_bins, 0.3, 150.0 / 331.0 * image_size[1],
                           150.0 / 331.0 * image_size[0], 30.0, 0.9, 8, 4)

    @staticmethod
    def get_params(transform_num: int):
        """(sub-policy index, the two application draws, the two sign draws)."""
        policy_id = int(ember.randint(transform_num, (1,)).item())
        probs = ember.rand((2,))
        signs = ember.randint(2, (2,))
        return policy_id, probs, signs

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = (float(magnitudes[magnitude_id].item())
                             if magnitude_id is not None else 0.0)
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(nn.Module):
    """RandAugment (Cubuk et al., 2019): ``num_ops`` operations drawn uniformly, each at bin
    ``magnitude`` of ``num_magnitude_bins`` with a random sign. Tensors should be uint8."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation=InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__()
        self.num_ops, self.magnitude = num_ops, magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation, self.fill = interpolation, fill

    def _augmentation_space(self, num_bins: int, image_size):
        return _magnitudes(("Identity",) + _OPS, num_bins, 0.3, 150.0 / 331.0 * image_size[1],
                           150.0 / 331.0 * image_size[0], 30.0, 0.9, 8, 4)

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        for _ in range(self.num_ops):
            op_index = int(ember.randint(len(op_meta), (1,)).item())
            op_name = list(op_meta.keys())[op_index]
            magnitudes, signed = op_meta[op_name]
            magnitude = float(magnitudes[self.magnitude].item()) if magnitudes.ndim > 0 else 0.0
            magnitude = _random_sign(magnitude, signed)
            img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}"
                f", num_magnitude_bins={self.num_magnitude_bins}"
                f", interpolation={self.interpolation}, fill={self.fill})")


class TrivialAugmentWide(nn.Module):
    """TrivialAugment (Müller and Hutter, 2021), wide ranges: one operation at a random
    magnitude. Tensors should be uint8."""

    def __init__(self, num_magnitude_bins: int = 31, interpolation=InterpolationMode.NEAREST,
                 fill=None) -> None:
        super().__init__()
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation, self.fill = interpolation, fill

    def _augmentation_space(self, num_bins: int):
        return _magnitudes(("Identity",) + _OPS, num_bins, 0.99, 32.0, 32.0, 135.0, 0.99, 8, 6)

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_index = int(ember.randint(len(op_meta), (1,)).item())
        op_name = list(op_meta.keys())[op_index]
        magnitudes, signed = op_meta[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            index = ember.randint(len(magnitudes), (1,), dtype=ember.long)
            magnitude = float(magnitudes[index].item())
        magnitude = _random_sign(magnitude, signed)
        return _apply_op(img, op_name, magnitude, self.interpolation, fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}"
                f", interpolation={self.interpolation}, fill={self.fill})")


class AugMix(nn.Module):
    """AugMix (Hendrycks et al., 2020): ``mixture_width`` chains of random operations mixed with
    Dirichlet weights, then blended with the original by a Beta weight."""

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation=InterpolationMode.BILINEAR, fill=None) -> None:
        super().__init__()
        self._PARAMETER_MAX = 10
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.alpha, self.all_ops = alpha, all_ops
        self.interpolation, self.fill = interpolation, fill

    def _augmentation_space(self, num_bins: int, image_size):
        names = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Posterize",
                 "Solarize", "AutoContrast", "Equalize")
        if self.all_ops:
            names += ("Brightness", "Color", "Contrast", "Sharpness")
        return _magnitudes(names, num_bins, 0.3, image_size[1] / 3.0, image_size[0] / 3.0, 30.0,
                           0.9, 4, 4)

    def _sample_dirichlet(self, params: Tensor) -> Tensor:
        from ember.distributions import Dirichlet

        return Dirichlet(params, validate_args=False).sample()

    def forward(self, orig_img):
        channels, height, width = F.get_dimensions(orig_img)
        fill = self.fill
        if isinstance(orig_img, Tensor):
            img = orig_img
            fill = _tensor_fill(fill, img, channels)
        else:
            img = F.pil_to_tensor(orig_img)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        orig_dims = list(img.shape)
        batch = img.view([1] * max(4 - img.ndim, 0) + orig_dims)
        batch_dims = [batch.size(0)] + [1] * (batch.ndim - 1)
        # a Beta weight (a 2-parameter Dirichlet) between the original and the mixed chains
        m = self._sample_dirichlet(ember.tensor([self.alpha, self.alpha], device=batch.device)
                                   .expand(batch_dims[0], -1))
        combined_weights = self._sample_dirichlet(
            ember.tensor([self.alpha] * self.mixture_width, device=batch.device)
            .expand(batch_dims[0], -1)) * m[:, 1].view([batch_dims[0], -1])
        mix = m[:, 0].view(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = (self.chain_depth if self.chain_depth > 0
                     else int(ember.randint(low=1, high=4, size=(1,)).item()))
            for _ in range(depth):
                op_index = int(ember.randint(len(op_meta), (1,)).item())
                op_name = list(op_meta.keys())[op_index]
                magnitudes, signed = op_meta[op_name]
                magnitude = 0.0
                if magnitudes.ndim > 0:
                    index = ember.randint(self.severity, (1,), dtype=ember.long)
                    magnitude = float(magnitudes[index].item())
                magnitude = _random_sign(magnitude, signed)
                aug = _apply_op(aug, op_name, magnitude, self.interpolation, fill)
            mix.add_(combined_weights[:, i].view(batch_dims) * aug)
        mix = mix.view(orig_dims).to(dtype=img.dtype)
        if not isinstance(orig_img, Tensor):
            return F.to_pil_image(mix)
        return mix

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(severity={self.severity}"
                f", mixture_width={self.mixture_width}, chain_depth={self.chain_depth}"
                f", alpha={self.alpha}, all_ops={self.all_ops}"
                f", interpolation={self.interpolation}, fill={self.fill})")
