"""torchvision.io (images): read, decode and write PNG and JPEG files as uint8 CHW tensors,
decoded and encoded by Pillow where torchvision uses libpng and libjpeg."""

from __future__ import annotations

import io
import pathlib
from enum import Enum

import numpy as np

import ember

Tensor = ember.Tensor

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
           "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(Enum):
    """How to convert while decoding: UNCHANGED, GRAY, GRAY_ALPHA, RGB, RGB_ALPHA (RGBA)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
              ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def _pil():
    try:
        from PIL import Image, ImageOps
    except ImportError as e:
        raise ImportError("ember.vision.io needs Pillow: pip install 'ember[vision]'") from e
    return Image, ImageOps


def read_file(path) -> Tensor:
    """The bytes of a file as a 1D uint8 tensor."""
    data = pathlib.Path(path).read_bytes()
    return ember.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def write_file(filename, data: Tensor) -> None:
    """Write a 1D uint8 tensor's bytes to a file."""
    pathlib.Path(filename).write_bytes(data.numpy().tobytes())


def _bytes(input: Tensor) -> bytes:
    if not isinstance(input, Tensor) or input.dtype != ember.uint8 or input.ndim != 1:
        raise RuntimeError("Expected a one dimensional uint8 tensor of encoded image bytes")
    return input.numpy().tobytes()


def _decode(data: bytes, mode, apply_exif_orientation, formats=None) -> Tensor:
    Image, ImageOps = _pil()
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    with Image.open(io.BytesIO(data), formats=formats) as img:
        img.load()
        if apply_exif_orientation:
            img = ImageOps.exif_transpose(img)
        if mode != ImageReadMode.UNCHANGED:
            img = img.convert(_PIL_MODES[mode])
        elif img.mode == "P":
            # torchvision expands palettes (to RGB, or RGBA where there is transparency)
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "1":
            img = img.convert("L")
        array = np.array(img)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.dtype != np.uint8:
        raise RuntimeError(f"Decoding to {array.dtype} is not supported; uint8 only")
    return ember.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False) -> Tensor:
    """Decode a PNG, JPEG, GIF or WebP image (raw bytes as a 1D uint8 tensor, or a path) into a
    uint8 (C, H, W) tensor, converted to ``mode``."""
    data = pathlib.Path(input).read_bytes() if not isinstance(input, Tensor) else _bytes(input)
    return _decode(data, mode, apply_exif_orientation)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False) -> Tensor:
    """decode_image of a file."""
    return decode_image(read_file(path), mode, apply_exif_orientation)


def decode_png(input: Tensor, mode=ImageReadMode.UNCHANGED,
               apply_exif_orientation=False) -> Tensor:
    """Decode PNG bytes into a uint8 (C, H, W) tensor."""
    return _decode(_bytes(input), mode, apply_exif_orientation, formats=["PNG"])


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu",
                apply_exif_orientation=False):
    """Decode JPEG bytes (one tensor or a list) into uint8 (C, H, W) tensors on ``device``."""
    if isinstance(input, list):
        if len(input) == 0:
            raise ValueError("Input list must contain at least one element")
        return [decode_jpeg(x, mode, device, apply_exif_orientation) for x in input]
    out = _decode(_bytes(input), mode, apply_exif_orientation, formats=["JPEG"])
    return out.to(device)


def _to_pil(input: Tensor):
    Image, _ = _pil()
    if not isinstance(input, Tensor) or input.dtype != ember.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.ndim == 2:
        input = input.unsqueeze(0)
    if input.ndim != 3 or input.shape[0] not in (1, 3):
        raise RuntimeError("The number of channels should be 1 or 3, got: "
                           f"{input.shape[0] if input.ndim == 3 else input.ndim}")
    array = input.detach().cpu().numpy().transpose(1, 2, 0)
    return Image.fromarray(np.ascontiguousarray(array[:, :, 0] if array.shape[2] == 1 else array))


def _encode(img, **options) -> Tensor:
    buffer = io.BytesIO()
    img.save(buffer, **options)
    return ember.from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    """PNG file bytes (1D uint8 tensor) of a uint8 (1 or 3, H, W) image."""
    if not 0 <= compression_level <= 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    return _encode(_to_pil(input), format="PNG", compress_level=compression_level)


def write_png(input: Tensor, filename, compression_level: int = 6) -> None:
    """Save a uint8 (1 or 3, H, W) image as PNG."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality: int = 75):
    """JPEG file bytes (1D uint8 tensor) of a uint8 (1 or 3, H, W) image, or of each in a list."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is "
                             "passed")
        return [encode_jpeg(x, quality) for x in input]
    return _encode(_to_pil(input), format="JPEG", quality=quality)


def write_jpeg(input: Tensor, filename, quality: int = 75) -> None:
    """Save a uint8 (1 or 3, H, W) image as JPEG."""
    write_file(filename, encode_jpeg(input, quality))
