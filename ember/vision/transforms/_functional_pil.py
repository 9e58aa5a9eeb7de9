"""transforms.functional on PIL images, through Pillow as torchvision does, and the conversions
between PIL images (or HWC arrays) and tensors."""

from __future__ import annotations

import numbers
import sys

import numpy as np

import ember

from ._functional_tensor import _parse_pad_padding

try:
    from PIL import Image, ImageEnhance, ImageOps
except ImportError:  # Pillow is the optional "vision" extra; tensor images work without it
    Image = ImageEnhance = ImageOps = None

Tensor = ember.Tensor


def _is_pil_image(img) -> bool:
    return Image is not None and isinstance(img, Image.Image)


def _require_pil():
    if Image is None:
        raise ImportError("PIL images need Pillow: pip install 'ember[vision]' (or Pillow)")


def _check_pil(img):
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a PIL image."""
    _check_pil(img)
    return [len(img.getbands()), img.size[1], img.size[0]]


# ---------------------------------------------------------------------------------------------
# conversions


def _image_fromarray(obj: np.ndarray, mode: str):
    """Image.fromarray(obj, mode) with the old meaning of ``mode`` (read the data as that mode),
    which Pillow 11.3 deprecated; torchvision goes through frombuffer for the same reason."""
    shape = obj.shape
    size = (1 if obj.ndim == 1 else shape[1], shape[0])
    return Image.frombuffer(mode, size, np.ascontiguousarray(obj).tobytes(), "raw", mode, 0, 1)


def _hwc_to_tensor(array: np.ndarray) -> Tensor:
    """HWC array -> CHW tensor; uint8 data becomes the default float dtype divided by 255."""
    chw = array.transpose((2, 0, 1))
    if array.dtype != np.uint8:
        return ember.from_numpy(np.ascontiguousarray(chw))
    dtype = ember.get_default_dtype()
    if dtype not in (ember.float32, ember.float64):
        return ember.from_numpy(np.ascontiguousarray(chw)).to(dtype).div(255)
    # NOTE: one cast and one in-place true division round exactly as torch's .to(dtype).div(255)
    out = chw.astype(np.float32 if dtype == ember.float32 else np.float64, order="C")
    np.divide(out, 255, out=out)
    return ember.from_numpy(out)


def to_tensor(pic) -> Tensor:
    """PIL image or HWC ndarray to a CHW tensor; uint8 data becomes the default float dtype in
    [0, 1], other data keeps its type (torchvision.transforms.functional.to_tensor)."""
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        return _hwc_to_tensor(pic[:, :, None] if pic.ndim == 2 else pic)
    little = "I;16" if sys.byteorder == "little" else "I;16B"
    nptype = {"I": np.int32, little: np.int16, "F": np.float32}.get(pic.mode, np.uint8)
    array = np.array(pic, nptype, copy=True)
    if pic.mode == "1":
        array = array * np.uint8(255)
    return _hwc_to_tensor(array.reshape(pic.size[1], pic.size[0], len(pic.getbands())))


def pil_to_tensor(pic) -> Tensor:
    """PIL image to a CHW tensor of the same data type, values unchanged (a copy)."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    array = np.array(pic, copy=True)
    array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return ember.from_numpy(array).permute((2, 0, 1))


def _expected_single_channel_mode(npimg, mode):
    little = "I;16" if sys.byteorder == "little" else "I;16B"
    expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): little,
                np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
    if mode is not None and mode != expected:
        raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                         f"Should be {expected}")
    return expected


def to_pil_image(pic, mode=None):
    """CHW tensor or HWC ndarray to a PIL image; float data is scaled by 255, and the mode is
    inferred from channels and dtype as torchvision does."""
    _require_pil()
    if isinstance(pic, Tensor):
        if pic.ndim == 3:
            pic = pic.permute((1, 2, 0))
        pic = pic.detach().cpu().numpy()
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = np.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        mode = _expected_single_channel_mode(npimg, mode)
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in permitted:
            what = {2: "2D", 3: "3D", 4: "4D"}[channels]
            raise ValueError(f"Only modes {permitted} are supported for {what} inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return _image_fromarray(npimg, mode)


# ---------------------------------------------------------------------------------------------
# geometry


def _parse_fill(fill, img, name="fillcolor"):
    num_channels = len(img.getbands())
    fill = 0 if fill is None else fill
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * num_channels
        elif len(fill) != num_channels:
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {num_channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad a PIL image: ImageOps.expand for a constant border, np.pad for the others."""
    _check_pil(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    padding = tuple(padding) if isinstance(padding, list) else padding
    if isinstance(padding, tuple) and len(padding) not in [1, 2, 4]:
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if padding_mode == "constant":
        opts = _parse_fill(fill, img, name="fill")
        palette = img.getpalette() if img.mode == "P" else None
        image = ImageOps.expand(img, border=padding, **opts)
        if palette is not None:
            image.putpalette(palette)
        return image
    left, right, top, bottom = _parse_pad_padding(padding)
    cropping = -np.minimum([left, top, right, bottom], 0)
    if cropping.any():
        c_left, c_top, c_right, c_bottom = cropping
        img = img.crop((c_left, c_top, img.width - c_right, img.height - c_bottom))
    left, top, right, bottom = np.maximum([left, top, right, bottom], 0)
    palette = img.getpalette() if img.mode == "P" else None
    array = np.asarray(img)
    widths = ((top, bottom), (left, right)) + (((0, 0),) if array.ndim == 3 else ())
    out = Image.fromarray(np.pad(array, widths, padding_mode))
    if palette is not None:
        out.putpalette(palette)
    return out


def crop(img, top: int, left: int, height: int, width: int):
    """The box (top, left, height, width) of a PIL image; outside the image is zero-filled."""
    _check_pil(img)
    return img.crop((left, top, left + width, top + height))


def hflip(img):
    """Mirror left-right."""
    _check_pil(img)
    return img.transpose(Image.FLIP_LEFT_RIGHT)


def vflip(img):
    """Mirror top-bottom."""
    _check_pil(img)
    return img.transpose(Image.FLIP_TOP_BOTTOM)


def resize(img, size_wh, resample):
    """Image.resize to (width, height) with a Pillow resampling constant."""
    return img.resize(tuple(size_wh), resample)


def rotate(img, angle, resample, expand, center, fill):
    """Image.rotate with torchvision's fill handling."""
    _check_pil(img)
    return img.rotate(angle, resample, expand, center, **_parse_fill(fill, img))


def affine(img, matrix, resample, fill):
    """Image.transform(AFFINE) with the inverse matrix."""
    _check_pil(img)
    return img.transform(img.size, Image.AFFINE, matrix, resample, **_parse_fill(fill, img))


def perspective(img, coeffs, resample, fill):
    """Image.transform(PERSPECTIVE) with the eight coefficients."""
    _check_pil(img)
    return img.transform(img.size, Image.PERSPECTIVE, coeffs, resample,
                         **_parse_fill(fill, img))


# ---------------------------------------------------------------------------------------------
# color


def to_grayscale(img, num_output_channels):
    """Pillow's "L" conversion, repeated to three channels when asked."""
    _check_pil(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.array(img.convert("L"), dtype=np.uint8)
        return _image_fromarray(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def _enhance(img, enhancer, factor):
    _check_pil(img)
    return getattr(ImageEnhance, enhancer)(img).enhance(factor)


def adjust_brightness(img, brightness_factor):
    """ImageEnhance.Brightness."""
    return _enhance(img, "Brightness", brightness_factor)


def adjust_contrast(img, contrast_factor):
    """ImageEnhance.Contrast."""
    return _enhance(img, "Contrast", contrast_factor)


def adjust_saturation(img, saturation_factor):
    """ImageEnhance.Color."""
    return _enhance(img, "Color", saturation_factor)


def adjust_sharpness(img, sharpness_factor):
    """ImageEnhance.Sharpness."""
    return _enhance(img, "Sharpness", sharpness_factor)


def adjust_hue(img, hue_factor):
    """Shift the H channel of Pillow's HSV conversion, in uint8 arithmetic."""
    _check_pil(img)
    input_mode = img.mode
    if input_mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.int32(hue_factor * 255).astype(np.uint8)  # wraps around, as intended
    h = _image_fromarray(np_h, "L")
    return Image.merge("HSV", (h, s, v)).convert(input_mode)


def adjust_gamma(img, gamma, gain=1):
    """A 256-entry lookup table of gain * x ** gamma."""
    _check_pil(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    input_mode = img.mode
    gamma_map = [int((255 + 1 - 1e-3) * gain * pow(ele / 255.0, gamma))
                 for ele in range(256)] * 3
    return img.convert("RGB").point(gamma_map).convert(input_mode)


def invert(img):
    """ImageOps.invert."""
    _check_pil(img)
    return ImageOps.invert(img)


def posterize(img, bits):
    """ImageOps.posterize."""
    _check_pil(img)
    return ImageOps.posterize(img, bits)


def solarize(img, threshold):
    """ImageOps.solarize."""
    _check_pil(img)
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    """ImageOps.autocontrast."""
    _check_pil(img)
    return ImageOps.autocontrast(img)


def equalize(img):
    """ImageOps.equalize."""
    _check_pil(img)
    return ImageOps.equalize(img)
