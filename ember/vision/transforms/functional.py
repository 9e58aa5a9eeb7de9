"""torchvision.transforms.functional: the v1 image functions on PIL images (through Pillow, as
torchvision does, in _functional_pil) and on tensors of shape [..., C, H, W] (through Ember's
ops, with torchvision's formulas, casts and rounding, in _functional_tensor and
_functional_tensor_color). Each public function here checks its input and dispatches; the
geometric ones live in _functional_geometry."""

from __future__ import annotations

import ember

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t
from . import _functional_tensor_color as F_tc
from ._functional_common import (  # noqa: F401
    InterpolationMode,
    _check_interpolation,
    _interpolation_modes_from_int,
    get_dimensions,
    get_image_num_channels,
    get_image_size,
    pil_modes_mapping,
)
from ._functional_geometry import (  # noqa: F401
    _compute_resized_output_size,
    _get_inverse_affine_matrix,
    _get_perspective_coeffs,
    affine,
    center_crop,
    crop,
    erase,
    five_crop,
    gaussian_blur,
    hflip,
    pad,
    perspective,
    resize,
    resized_crop,
    rotate,
    ten_crop,
    vflip,
)
from ._functional_pil import _is_pil_image, pil_to_tensor, to_pil_image, to_tensor  # noqa: F401

Tensor = ember.Tensor


def convert_image_dtype(image: Tensor, dtype=ember.float) -> Tensor:
    """Convert a tensor image to ``dtype`` and rescale its values (ints span [0, max],
    floats [0, 1]), with torchvision's eps rule for float -> int."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    return F_t.convert_image_dtype(image, dtype)


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """(tensor - mean) / std per channel of a float [..., C, H, W] tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean, std, inplace)


# ---------------------------------------------------------------------------------------------
# color


def to_grayscale(img, num_output_channels=1):
    """PIL image of any mode to grayscale (1 or 3 channels)."""
    if _is_pil_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img, num_output_channels=1):
    """RGB to grayscale with 1 or 3 output channels."""
    if not isinstance(img, Tensor):
        return F_pil.to_grayscale(img, num_output_channels)
    return F_tc.rgb_to_grayscale(img, num_output_channels)


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: 0 gives black, 1 the original."""
    if not isinstance(img, Tensor):
        return F_pil.adjust_brightness(img, brightness_factor)
    return F_tc.adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean gray level: 0 gives solid gray, 1 the original."""
    if not isinstance(img, Tensor):
        return F_pil.adjust_contrast(img, contrast_factor)
    return F_tc.adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grayscale image: 0 gives gray, 1 the original."""
    if not isinstance(img, Tensor):
        return F_pil.adjust_saturation(img, saturation_factor)
    return F_tc.adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Shift the hue channel cyclically by ``hue_factor`` in [-0.5, 0.5]."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        return F_pil.adjust_hue(img, hue_factor)
    return F_tc.adjust_hue(img, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    """gain * img ** gamma on [0, 1] values."""
    if not isinstance(img, Tensor):
        return F_pil.adjust_gamma(img, gamma, gain)
    return F_tc.adjust_gamma(img, gamma, gain)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed copy: 0 blurs, 1 gives the original, 2 sharpens."""
    if not isinstance(img, Tensor):
        return F_pil.adjust_sharpness(img, sharpness_factor)
    return F_tc.adjust_sharpness(img, sharpness_factor)


def invert(img):
    """Invert the colours (max - value)."""
    if not isinstance(img, Tensor):
        return F_pil.invert(img)
    return F_tc.invert(img)


def posterize(img, bits: int):
    """Keep the ``bits`` (0 to 8) high bits of each channel."""
    if not (0 <= bits <= 8):
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if not isinstance(img, Tensor):
        return F_pil.posterize(img, bits)
    return F_tc.posterize(img, bits)


def solarize(img, threshold: float):
    """Invert every value at or above ``threshold``."""
    if not isinstance(img, Tensor):
        return F_pil.solarize(img, threshold)
    return F_tc.solarize(img, threshold)


def autocontrast(img):
    """Stretch each channel to the full value range."""
    if not isinstance(img, Tensor):
        return F_pil.autocontrast(img)
    return F_tc.autocontrast(img)


def equalize(img):
    """Equalise the histogram of each channel (uint8 tensors or PIL images)."""
    if not isinstance(img, Tensor):
        return F_pil.equalize(img)
    return F_tc.equalize(img)
