"""Values to NumPy, and NumPy images to what TensorBoard stores (torch's conversions)."""

from __future__ import annotations

import math
import os

import numpy as np

from ember import Tensor


def make_np(x) -> np.ndarray:
    """An Ember tensor, NumPy array, Python number or list as a NumPy array on the host.

    As torch's ``make_np``: a Python or NumPy scalar becomes a 1-element vector, and 2-byte
    floats are widened (torch goes bfloat16 -> float16; here both go to float32, which loses
    nothing). Lists and tuples are accepted too; other tensor types go through tensorboardX.
    """
    if isinstance(x, Tensor):
        array = x.detach().cpu().numpy()
        if array.dtype.itemsize == 2 and array.dtype.kind in "fV":
            array = array.astype(np.float32)
        return array
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, (list, tuple)):
        return np.asarray([make_np(v) if isinstance(v, Tensor) else v for v in x])
    from tensorboardX.x2num import make_np as foreign_make_np  # torch, jax, ... tensors

    try:
        return foreign_make_np(x)
    except NotImplementedError:
        raise NotImplementedError(
            f"Got {type(x)}, but numpy array or ember tensor are expected.") from None


def image_to_hwc_uint8(tensor, dataformats: str) -> np.ndarray:
    """An image or a batch of images as one HWC uint8 array, as torch's ``summary.image``:
    batches become a grid of 8 columns, 1-channel and 2-D images become RGB, uint8 values are
    kept and anything else is scaled by 255 and clipped to [0, 255]."""
    from tensorboardX.utils import convert_to_HWC

    array = convert_to_HWC(make_np(tensor), dataformats)
    scale = 1 if array.dtype == np.uint8 else 255
    return (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def figure_to_image(figures, close: bool = True) -> np.ndarray:
    """A matplotlib figure as a CHW uint8 array, or a list of them as NCHW (as torch renders)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as e:
        raise ImportError("add_figure needs matplotlib (pip install matplotlib)") from e
    from tensorboardX.utils import figure_to_image as render

    return render(figures, close)


def write_sprite(label_img, save_path: str) -> None:
    """The projector's sprite: images (NCHW, values in [0, 1]) in a square grid of
    ceil(sqrt(N)) columns, padded at the bottom to a square PNG (torch's ``make_sprite``)."""
    from PIL import Image
    from tensorboardX.utils import make_grid

    images = make_np(label_img)
    ncols = math.ceil(images.shape[0] ** 0.5)
    grid_hwc = make_grid(images, ncols=ncols).transpose(1, 2, 0)
    side = grid_hwc.shape[1]
    square = np.zeros((side, side, 3))
    square[: grid_hwc.shape[0]] = grid_hwc
    # NOTE: torch scales by 255 whatever the dtype, so uint8 sprites saturate there too
    Image.fromarray(np.uint8((square * 255).clip(0, 255))).save(
        os.path.join(save_path, "sprite.png"), format="PNG")
