"""The evaluation preprocessing attached to classification weights (``weights.transforms()``),
as torchvision.transforms._presets.ImageClassification."""

from __future__ import annotations

import ember
from ember import nn


class ImageClassification(nn.Module):
    """Resize, center-crop, convert to float in [0, 1] and normalize a PIL image or a (batched)
    image tensor, with torchvision's defaults (resize 256, ImageNet mean and std, bilinear)."""

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: tuple[float, ...] = (0.485, 0.456, 0.406),
                 std: tuple[float, ...] = (0.229, 0.224, 0.225), interpolation=None,
                 antialias: bool | None = True) -> None:
        super().__init__()
        from ember.vision.transforms import InterpolationMode

        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        if interpolation is None or isinstance(interpolation, str):
            interpolation = InterpolationMode[(interpolation or "bilinear").upper()]
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        from ember.vision.transforms import functional as F

        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, ember.Tensor):
            img = F.pil_to_tensor(img)
        img = F.convert_image_dtype(img, ember.float)
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n"
                f"    resize_size={self.resize_size}\n    mean={self.mean}\n    std={self.std}\n"
                f"    interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        """The one-paragraph description torchvision shows in its docs."""
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image "
                "``torch.Tensor`` objects. The images are resized to "
                f"``resize_size={self.resize_size}`` using ``interpolation={self.interpolation}``, "
                f"followed by a central crop of ``crop_size={self.crop_size}``. Finally the values "
                f"are first rescaled to ``[0.0, 1.0]`` and then normalized using "
                f"``mean={self.mean}`` and ``std={self.std}``.")
