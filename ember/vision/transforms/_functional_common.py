"""What the PIL and tensor paths of transforms.functional share: the interpolation modes and
the image-size queries."""

from __future__ import annotations

from enum import Enum

import ember

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t


class InterpolationMode(Enum):
    """Interpolation modes: nearest, nearest-exact, bilinear, bicubic, and Pillow's box, hamming
    and lanczos (PIL images only)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    inverse = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
               3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
               5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
    return inverse[i]


# the Pillow resampling constants (Image.NEAREST = 0, LANCZOS = 1, BILINEAR = 2, ...)
pil_modes_mapping = {
    InterpolationMode.NEAREST: 0, InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
    InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
    InterpolationMode.LANCZOS: 1,
}


def _check_interpolation(interpolation):
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    return interpolation


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a PIL image or a tensor image."""
    if isinstance(img, ember.Tensor):
        return F_t.get_dimensions(img)
    if F_pil._is_pil_image(img):
        return F_pil.get_dimensions(img)
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img) -> list[int]:
    """[width, height] of a PIL image or a tensor image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    """The number of channels of a PIL image or a tensor image."""
    return get_dimensions(img)[0]
