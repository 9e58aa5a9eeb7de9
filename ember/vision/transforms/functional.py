"""torchvision.transforms.functional: the v1 image functions on PIL images (through Pillow, as
torchvision does) and on tensors of shape [..., C, H, W] (through Ember's ops, with torchvision's
formulas, casts and rounding so that the numbers agree)."""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from enum import Enum

import numpy as np

import ember
from ember.nn import functional as nnf

try:
    from PIL import Image, ImageEnhance, ImageOps
except ImportError:  # Pillow is the optional "vision" extra; tensor images work without it
    Image = ImageEnhance = ImageOps = None

Tensor = ember.Tensor


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


# ---------------------------------------------------------------------------------------------
# inspection


def _is_pil_image(img) -> bool:
    return Image is not None and isinstance(img, Image.Image)


def _require_pil():
    if Image is None:
        raise ImportError("PIL images need Pillow: pip install 'ember[vision]' (or Pillow)")


def _check_pil(img):
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def _assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, "
                        f"but found {c}")


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a PIL image or a tensor image."""
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        channels = 1 if img.ndim == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    if _is_pil_image(img):
        return [len(img.getbands()), img.size[1], img.size[0]]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img) -> list[int]:
    """[width, height] of a PIL image or a tensor image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    """The number of channels of a PIL image or a tensor image."""
    return get_dimensions(img)[0]


def _max_value(dtype) -> int:
    maxima = {ember.uint8: 255, ember.int8: 127, ember.int16: 32767,
              ember.int32: 2147483647, ember.int64: 9223372036854775807}
    return maxima.get(dtype, 1)


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


def convert_image_dtype(image: Tensor, dtype=ember.float) -> Tensor:
    """Convert a tensor image to ``dtype`` and rescale its values (ints span [0, max],
    floats [0, 1]), with torchvision's eps rule for float -> int."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or (
                image.dtype == ember.float64 and dtype == ember.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        # NOTE: max + 1 - eps spreads [0, 1] evenly over the integers, 1.0 alone giving max
        eps = 1e-3
        return image.mul(float(_max_value(dtype)) + 1.0 - eps).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


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


def _normalize_host(tensor, mean, std):
    """Out-of-place normalize of a CPU float32/float64 tensor that records no graph, on its
    NumPy array: the same roundings as the Tensor ops without their per-call cost (a loader
    runs this once per image). None where the general path must decide (errors included)."""
    if (tensor.requires_grad or tensor.device.type != "cpu"
            or tensor.dtype not in (ember.float32, ember.float64)
            or isinstance(mean, Tensor) or isinstance(std, Tensor)):
        return None
    array = tensor.numpy()
    mean, std = np.asarray(mean, dtype=array.dtype), np.asarray(std, dtype=array.dtype)
    if mean.ndim > 1 or std.ndim > 1 or (std == 0).any():
        return None
    mean, std = mean.reshape(-1, 1, 1), std.reshape(-1, 1, 1)
    try:
        out = np.subtract(array, mean)
    except ValueError:
        return None
    if out.shape != array.shape:  # the in-place sub_ of the general path would refuse it
        return None
    np.divide(out, std, out=out)
    return ember.from_numpy(out)


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """(tensor - mean) / std per channel of a float [..., C, H, W] tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if not inplace:
        out = _normalize_host(tensor, mean, std)
        if out is not None:
            return out
        tensor = tensor.clone()
    dtype = tensor.dtype
    mean = ember.as_tensor(mean, dtype=dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


# ---------------------------------------------------------------------------------------------
# tensor helpers shared by resize, blur and the grid transforms


def _cast_squeeze_in(img, req_dtypes):
    need_squeeze = img.ndim < 4
    if need_squeeze:
        img = img.unsqueeze(dim=0)
    out_dtype = img.dtype
    need_cast = out_dtype not in req_dtypes
    if need_cast:
        img = img.to(req_dtypes[0])
    return img, need_cast, need_squeeze, out_dtype


def _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype):
    if need_squeeze:
        img = img.squeeze(dim=0)
    if need_cast:
        if not out_dtype.is_floating_point:
            img = ember.round(img)  # round before an integer cast, as torchvision does
        img = img.to(out_dtype)
    return img


# ---------------------------------------------------------------------------------------------
# geometry: resize, pad, crop, flips


def _compute_resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:
        requested_new_short = size[0]
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to (h, w), or the smaller edge to ``size`` keeping the aspect ratio (capped by
    ``max_size``); tensors go through interpolate (antialiased for bilinear/bicubic by default),
    PIL images through Image.resize."""
    interpolation = _check_interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge, i.e. size should be an int or a sequence of length 1 "
                             "in torchscript mode.")
    _, image_height, image_width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((image_height, image_width), size, max_size)
    if [image_height, image_width] == output_size:
        return img
    if not isinstance(img, Tensor):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        return img.resize(tuple(output_size[::-1]), pil_modes_mapping[interpolation])
    mode = interpolation.value
    antialias = bool(antialias) and mode in ("bilinear", "bicubic")
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [ember.float32,
                                                                     ember.float64])
    align_corners = False if mode in ("bilinear", "bicubic") else None
    img = nnf.interpolate(img, size=output_size, mode=mode, align_corners=align_corners,
                          antialias=antialias)
    if mode == "bicubic" and out_dtype == ember.uint8:
        img = img.clamp(min=0, max=255)
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


def _parse_pad_padding(padding):
    """[left, right, top, bottom] from an int or a 1, 2 or 4 element sequence."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _t_pad_symmetric(img, padding):
    if min(padding) < 0:
        crop_left, crop_right, crop_top, crop_bottom = [-min(x, 0) for x in padding]
        img = img[..., crop_top:img.shape[-2] - crop_bottom, crop_left:img.shape[-1] - crop_right]
        padding = [max(x, 0) for x in padding]
    h, w = img.shape[-2:]
    x_indices = list(range(padding[0] - 1, -1, -1)) + list(range(w)) + [
        -(i + 1) for i in range(padding[1])]
    y_indices = list(range(padding[2] - 1, -1, -1)) + list(range(h)) + [
        -(i + 1) for i in range(padding[3])]
    rows, cols = ember.tensor(y_indices)[:, None], ember.tensor(x_indices)[None, :]
    if img.ndim == 3:
        return img[:, rows, cols]
    if img.ndim == 4:
        return img[:, :, rows, cols]
    raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")


def _t_pad(img, padding, fill=0, padding_mode="constant"):
    _assert_image_tensor(img)
    fill = 0 if fill is None else fill
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_pad_padding(list(padding) if isinstance(padding, tuple) else padding)
    if padding_mode == "symmetric":
        return _t_pad_symmetric(img, p)
    mode = "replicate" if padding_mode == "edge" else padding_mode
    need_squeeze = img.ndim < 4
    if need_squeeze:
        img = img.unsqueeze(dim=0)
    out_dtype = img.dtype
    # torch's reflect/replicate kernels take floats only: cast there and back
    need_cast = mode != "constant" and out_dtype not in (ember.float32, ember.float64)
    if need_cast:
        img = img.to(ember.float32)
    if mode == "constant":
        img = nnf.pad(img, p, mode=mode, value=float(fill))
    else:
        img = nnf.pad(img, p, mode=mode)
    if need_squeeze:
        img = img.squeeze(dim=0)
    return img.to(out_dtype) if need_cast else img


def _pil_parse_fill(fill, img, name="fillcolor"):
    num_channels = get_image_num_channels(img)
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


def _pil_pad(img, padding, fill=0, padding_mode="constant"):
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
        opts = _pil_parse_fill(fill, img, name="fill")
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


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad all sides (int, (lr, tb) or (l, t, r, b)) with a constant, edge, reflect or symmetric
    border."""
    if isinstance(img, Tensor):
        return _t_pad(img, padding, fill, padding_mode)
    return _pil_pad(img, padding, fill, padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The box (top, left, height, width); outside the image is zero-filled."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        return img.crop((left, top, left + width, top + height))
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return _t_pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _pair(size):
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return (size[0], size[0])
    return size


def center_crop(img, output_size):
    """The central (h, w) crop, zero-padded first where the image is smaller."""
    crop_height, crop_width = _pair(output_size)
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """crop then resize."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Mirror left-right."""
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        return img.flip(-1)
    _check_pil(img)
    return img.transpose(Image.FLIP_LEFT_RIGHT)


def vflip(img):
    """Mirror top-bottom."""
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        return img.flip(-2)
    _check_pil(img)
    return img.transpose(Image.FLIP_TOP_BOTTOM)


def five_crop(img, size):
    """The four corner crops and the central crop: (tl, tr, bl, br, center)."""
    size = _pair(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size "
                         f"{(image_height, image_width)}")
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bl = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    br = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    center = center_crop(img, [crop_height, crop_width])
    return tl, tr, bl, br, center


def ten_crop(img, size, vertical_flip=False):
    """five_crop of the image and of its flip (horizontal unless ``vertical_flip``)."""
    size = _pair(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    first_five = five_crop(img, size)
    img = vflip(img) if vertical_flip else hflip(img)
    return first_five + five_crop(img, size)


# ---------------------------------------------------------------------------------------------
# color


def _blend(img1, img2, ratio):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def _t_rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        # NOTE: TensorFlow's weights, which torchvision copies (not Pillow's integer ones)
        l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        l_img = img.clone()
    return l_img.expand(img.shape) if num_output_channels == 3 else l_img


def _pil_to_grayscale(img, num_output_channels):
    _check_pil(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.array(img.convert("L"), dtype=np.uint8)
        return _image_fromarray(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def to_grayscale(img, num_output_channels=1):
    """PIL image of any mode to grayscale (1 or 3 channels)."""
    if _is_pil_image(img):
        return _pil_to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img, num_output_channels=1):
    """RGB to grayscale with 1 or 3 output channels."""
    if not isinstance(img, Tensor):
        return _pil_to_grayscale(img, num_output_channels)
    return _t_rgb_to_grayscale(img, num_output_channels)


def _enhance(img, enhancer, factor):
    _check_pil(img)
    return getattr(ImageEnhance, enhancer)(img).enhance(factor)


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: 0 gives black, 1 the original."""
    if not isinstance(img, Tensor):
        return _enhance(img, "Brightness", brightness_factor)
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean gray level: 0 gives solid gray, 1 the original."""
    if not isinstance(img, Tensor):
        return _enhance(img, "Contrast", contrast_factor)
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    dtype = img.dtype if img.is_floating_point() else ember.float32
    gray = _t_rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = ember.mean(gray.to(dtype), dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grayscale image: 0 gives gray, 1 the original."""
    if not isinstance(img, Tensor):
        return _enhance(img, "Color", saturation_factor)
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, _t_rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = ember.max(img, dim=-3).values
    minc = ember.min(img, dim=-3).values
    # where maxc == minc the divisors are replaced by 1 so no NaN is ever made
    eqc = maxc == minc
    cr = maxc - minc
    ones = ember.ones_like(maxc)
    s = cr / ember.where(eqc, ones, maxc)
    cr_divisor = ember.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = ember.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return ember.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = ember.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=ember.int32)
    p = ember.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = ember.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = ember.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == ember.arange(6, device=i.device).view(-1, 1, 1)
    a1 = ember.stack((v, q, p, p, t, v), dim=-3)
    a2 = ember.stack((t, v, v, q, p, p), dim=-3)
    a3 = ember.stack((p, p, t, v, v, q), dim=-3)
    a4 = ember.stack((a1, a2, a3), dim=-4)
    return ember.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, hue_factor: float):
    """Shift the hue channel cyclically by ``hue_factor`` in [-0.5, 0.5]."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        _check_pil(img)
        input_mode = img.mode
        if input_mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        np_h += np.int32(hue_factor * 255).astype(np.uint8)  # wraps around, as intended
        h = _image_fromarray(np_h, "L")
        return Image.merge("HSV", (h, s, v)).convert(input_mode)
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    orig_dtype = img.dtype
    img = _rgb2hsv(convert_image_dtype(img, ember.float32))
    h, s, v = img.unbind(dim=-3)
    h = (h + hue_factor) % 1.0
    img_hue_adj = _hsv2rgb(ember.stack((h, s, v), dim=-3))
    return convert_image_dtype(img_hue_adj, orig_dtype)


def adjust_gamma(img, gamma: float, gain: float = 1):
    """gain * img ** gamma on [0, 1] values."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        if gamma < 0:
            raise ValueError("Gamma should be a non-negative real number")
        input_mode = img.mode
        gamma_map = [int((255 + 1 - 1e-3) * gain * pow(ele / 255.0, gamma))
                     for ele in range(256)] * 3
        return img.convert("RGB").point(gamma_map).convert(input_mode)
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if img.is_floating_point() else convert_image_dtype(img, ember.float32)
    result = (gain * result.pow(gamma)).clamp(0, 1)
    return convert_image_dtype(result, dtype)


# ---------------------------------------------------------------------------------------------
# filters and erasing


def _get_gaussian_kernel1d(kernel_size, sigma, dtype, device):
    ksize_half = (kernel_size - 1) * 0.5
    x = ember.linspace(-ksize_half, ksize_half, steps=kernel_size, dtype=dtype, device=device)
    pdf = ember.exp(-0.5 * (x / sigma).pow(2))
    return pdf / pdf.sum()


def _t_gaussian_blur(img, kernel_size, sigma):
    _assert_image_tensor(img)
    dtype = img.dtype if img.is_floating_point() else ember.float32
    kernel_x = _get_gaussian_kernel1d(kernel_size[0], sigma[0], dtype, img.device)
    kernel_y = _get_gaussian_kernel1d(kernel_size[1], sigma[1], dtype, img.device)
    kernel = ember.mm(kernel_y[:, None], kernel_x[None, :])
    kernel = kernel.expand(img.shape[-3], 1, kernel.shape[0], kernel.shape[1])
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [kernel.dtype])
    padding = [kernel_size[0] // 2, kernel_size[0] // 2, kernel_size[1] // 2,
               kernel_size[1] // 2]
    img = nnf.pad(img, padding, mode="reflect")
    img = nnf.conv2d(img, kernel, groups=img.shape[-3])
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


def _check_blur_args(kernel_size, sigma):
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError("kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError("If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    return kernel_size, sigma


def gaussian_blur(img, kernel_size, sigma=None):
    """Separable Gaussian kernel (sigma defaults to 0.15 * ksize + 0.35) with reflect padding;
    PIL images go through the tensor path and back, as in torchvision."""
    kernel_size, sigma = _check_blur_args(kernel_size, sigma)
    if isinstance(img, Tensor):
        return _t_gaussian_blur(img, kernel_size, sigma)
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    output = _t_gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
    return to_pil_image(output, mode=img.mode)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False):
    """Set img[..., i:i+h, j:j+w] = v (a copy unless ``inplace``)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


# ---------------------------------------------------------------------------------------------
# affine, rotation, perspective


def _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=True):
    # M = T * C * RotateScaleShear * C^-1, with RSS = R(a) * S(s) * SHy(sy) * SHx(sx);
    # Pillow and grid_sample both want M^-1 = C * RSS^-1 * C^-1 * T^-1
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        matrix = [x / scale for x in [d, -b, 0.0, -c, a, 0.0]]
        matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
        matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
        matrix[2] += cx
        matrix[5] += cy
    else:
        matrix = [x * scale for x in [a, b, 0.0, c, d, 0.0]]
        matrix[2] += matrix[0] * (-cx) + matrix[1] * (-cy)
        matrix[5] += matrix[3] * (-cx) + matrix[4] * (-cy)
        matrix[2] += cx + tx
        matrix[5] += cy + ty
    return matrix


def _assert_grid_transform_inputs(img, matrix, interpolation, fill, coeffs=None):
    _assert_image_tensor(img)
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    if coeffs is not None and len(coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    num_channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != num_channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number "
                         f"of channels of the image ({len(fill)} != {num_channels})")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _apply_grid_transform(img, grid, mode, fill):
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [grid.dtype])
    if img.shape[0] > 1:
        grid = grid.expand(img.shape[0], grid.shape[1], grid.shape[2], grid.shape[3])
    if fill is not None:
        # a channel of ones, sampled like the image, tells how much of each pixel lay outside
        mask = ember.ones((img.shape[0], 1, img.shape[2], img.shape[3]), dtype=img.dtype,
                          device=img.device)
        img = ember.cat((img, mask), dim=1)
    img = nnf.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = img[:, -1:, :, :].expand_as(img[:, :-1, :, :])
        img = img[:, :-1, :, :]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = ember.tensor(fill_list, dtype=img.dtype, device=img.device).view(
            1, len(fill_list), 1, 1).expand_as(img)
        if mode == "nearest":
            img = ember.where(mask < 0.5, fill_img, img)
        else:
            img = img * mask + (1.0 - mask) * fill_img
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


def _base_grid(ow, oh, x0, y0, dtype, device):
    """x (1, ow) and y (oh, 1) of the pixel centres, starting at (x0, y0). torchvision fills an
    (oh, ow, 3) grid of (x, y, 1) from float32 linspaces and multiplies it by theta with bmm."""
    xs = ember.linspace(x0, x0 + ow - 1, steps=ow, device=device).to(dtype)
    ys = ember.linspace(y0, y0 + oh - 1, steps=oh, device=device).to(dtype)
    return xs.unsqueeze(0), ys.unsqueeze(1)


def _apply_theta(xs, ys, theta_t):
    """(x, y, 1) @ theta_t for a (3, 2) theta_t, as torch's CPU bmm rounds it here: each product
    rounded to float32, then summed left to right without fusing."""
    columns = [xs * theta_t[0, c] + ys * theta_t[1, c] + theta_t[2, c] for c in range(2)]
    return ember.stack(columns, dim=-1).unsqueeze(0)


def _gen_affine_grid(theta, w, h, ow, oh):
    # like affine_grid, but normalised after applying theta and by the input size (which
    # allows rotate's expand)
    xs, ys = _base_grid(ow, oh, -ow * 0.5 + 0.5, -oh * 0.5 + 0.5, theta.dtype, theta.device)
    scale = ember.tensor([0.5 * w, 0.5 * h], dtype=theta.dtype, device=theta.device)
    return _apply_theta(xs, ys, theta[0].transpose(0, 1) / scale)


def _t_affine(img, matrix, interpolation="nearest", fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill)
    dtype = img.dtype if img.is_floating_point() else ember.float32
    theta = ember.tensor(matrix, dtype=dtype, device=img.device).reshape(1, 2, 3)
    w, h = img.shape[-1], img.shape[-2]
    return _apply_grid_transform(img, _gen_affine_grid(theta, w, h, w, h), interpolation, fill)


def _compute_affine_output_size(matrix, w, h):
    # as Pillow's rotate(expand=True): the box around the four transformed corners
    pts = ember.tensor([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    theta = ember.tensor(matrix, dtype=ember.float).view(2, 3)
    new_pts = ember.matmul(pts, theta.T)
    min_vals = new_pts.min(dim=0).values + ember.tensor((w * 0.5, h * 0.5))
    max_vals = new_pts.max(dim=0).values + ember.tensor((w * 0.5, h * 0.5))
    tol = 1e-4  # so that ceil of 1e-15 above an integer does not add a pixel
    cmax = ember.ceil((max_vals / tol).trunc() * tol)
    cmin = ember.floor((min_vals / tol).trunc() * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def _t_rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill)
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    dtype = img.dtype if img.is_floating_point() else ember.float32
    theta = ember.tensor(matrix, dtype=dtype, device=img.device).reshape(1, 2, 3)
    return _apply_grid_transform(img, _gen_affine_grid(theta, w, h, ow, oh), interpolation, fill)


def _perspective_grid(coeffs, ow, oh, dtype, device):
    # Pillow's mapping: x_in = (c0 x + c1 y + c2) / (c6 x + c7 y + 1), likewise y_in
    theta1 = ember.tensor([[coeffs[0], coeffs[1], coeffs[2]], [coeffs[3], coeffs[4], coeffs[5]]],
                          dtype=dtype, device=device)
    theta2 = ember.tensor([[coeffs[6], coeffs[7], 1.0], [coeffs[6], coeffs[7], 1.0]],
                          dtype=dtype, device=device)
    xs, ys = _base_grid(ow, oh, 0.5, 0.5, dtype, device)
    scale = ember.tensor([0.5 * ow, 0.5 * oh], dtype=dtype, device=device)
    output_grid1 = _apply_theta(xs, ys, theta1.transpose(0, 1) / scale)
    output_grid2 = _apply_theta(xs, ys, theta2.transpose(0, 1))
    return output_grid1 / output_grid2 - 1.0


def _t_perspective(img, coeffs, interpolation="bilinear", fill=None):
    _assert_grid_transform_inputs(img, None, interpolation, fill, coeffs=coeffs)
    ow, oh = img.shape[-1], img.shape[-2]
    dtype = img.dtype if img.is_floating_point() else ember.float32
    grid = _perspective_grid(coeffs, ow, oh, dtype, img.device)
    return _apply_grid_transform(img, grid, interpolation, fill)


def _check_angle_args(interpolation, angle, center):
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    return interpolation


def _tensor_center(img, center):
    """Pixel coordinates relative to the image centre, the frame of the tensor grids."""
    if center is None:
        return [0.0, 0.0]
    _, height, width = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default the image
    centre), optionally growing the canvas to hold the whole result."""
    interpolation = _check_angle_args(interpolation, angle, center)
    if not isinstance(img, Tensor):
        _check_pil(img)
        opts = _pil_parse_fill(fill, img)
        return img.rotate(angle, pil_modes_mapping[interpolation], expand, center, **opts)
    # grid_sample's and Pillow's angle conventions are opposite
    matrix = _get_inverse_affine_matrix(_tensor_center(img, center), -angle, [0.0, 0.0], 1.0,
                                        [0.0, 0.0])
    return _t_rotate(img, matrix, interpolation.value, expand, fill)


def _check_affine_args(translate, scale, shear):
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, (list, tuple))):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    return list(translate), shear


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotation (clockwise degrees), translation, scale and shear about the image centre."""
    interpolation = _check_angle_args(interpolation, angle, center)
    translate, shear = _check_affine_args(translate, scale, shear)
    angle = float(angle)
    _, height, width = get_dimensions(img)
    if not isinstance(img, Tensor):
        # the centre without the half-pixel offset, so 90 degrees agrees with the tensor path
        center = [width * 0.5, height * 0.5] if center is None else center
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        _check_pil(img)
        opts = _pil_parse_fill(fill, img)
        return img.transform(img.size, Image.AFFINE, matrix, pil_modes_mapping[interpolation],
                             **opts)
    translate_f = [1.0 * t for t in translate]
    matrix = _get_inverse_affine_matrix(_tensor_center(img, center), angle, translate_f, scale,
                                        shear)
    return _t_affine(img, matrix, interpolation.value, fill)


def _get_perspective_coeffs(startpoints, endpoints):
    """(a, b, c, d, e, f, g, h) mapping output pixels to input ones, by least squares in
    float64 then rounded to float32, as torchvision does."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} "
                         f"startpoints and {len(endpoints)} endpoints.")
    a_matrix = np.zeros((8, 8), dtype=np.float64)
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a_matrix[2 * i] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a_matrix[2 * i + 1] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b_matrix = np.asarray(startpoints, dtype=np.float64).reshape(8)
    # torch's "gels" driver (QR) refuses a rank-deficient system where NumPy's would not
    zeros = np.flatnonzero(np.diag(np.linalg.qr(a_matrix, mode="r")) == 0)
    if len(zeros):
        raise ember.linalg.LinAlgError(
            "torch.linalg.lstsq: The least squares solution could not be computed because the "
            f"input matrix does not have full rank (error code: {zeros[0] + 1}).")
    res = np.linalg.lstsq(a_matrix, b_matrix, rcond=None)[0]
    return res.astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    """Map the four ``startpoints`` corners onto ``endpoints``."""
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    interpolation = _check_interpolation(interpolation)
    if not isinstance(img, Tensor):
        _check_pil(img)
        opts = _pil_parse_fill(fill, img)
        return img.transform(img.size, Image.PERSPECTIVE, coeffs,
                             pil_modes_mapping[interpolation], **opts)
    return _t_perspective(img, coeffs, interpolation.value, fill)
