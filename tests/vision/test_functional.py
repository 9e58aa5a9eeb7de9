"""ember.vision.transforms.functional against torchvision's, on PIL images and on tensors
(uint8 and float32, CHW and batched)."""

import numpy as np
import pytest
from vision_helpers import LIBS, Image, check, check_error, chw, pil_image, rgb_array

RGB = rgb_array()
TENSORS = {
    "uint8": chw(RGB),
    "float32": chw(RGB, "float32"),
    "batch": np.stack([chw(RGB, "float32"), chw(rgb_array(seed=1), "float32")]),
}
MODES = ["RGB", "L"]


def tensor_inputs(kinds=("uint8", "float32", "batch")):
    return pytest.mark.parametrize("img", [TENSORS[k] for k in kinds], ids=list(kinds))


# ------------------------------------------------------------------ conversions


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "LA", "1", "I", "F", "P", "CMYK"])
def test_to_tensor_pil(mode):
    check(lambda lib, v, img: v.transforms.functional.to_tensor(img), pil_image(mode))


@pytest.mark.parametrize("dtype", ["uint8", "float32", "int32"])
@pytest.mark.parametrize("ndim", [2, 3])
def test_to_tensor_ndarray(dtype, ndim):
    array = RGB.astype(dtype) if ndim == 3 else RGB[:, :, 0].astype(dtype)
    check(lambda lib, v: v.transforms.functional.to_tensor(array))


def test_to_tensor_default_dtype_float64():
    import torch

    import ember
    for lib in (torch, ember):
        lib.set_default_dtype(lib.float64)
    try:
        check(lambda lib, v, img: v.transforms.functional.to_tensor(img), pil_image())
    finally:
        for lib in (torch, ember):
            lib.set_default_dtype(lib.float32)


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "1", "I", "F"])
def test_pil_to_tensor(mode):
    check(lambda lib, v, img: v.transforms.functional.pil_to_tensor(img), pil_image(mode))


def test_conversion_errors():
    check_error(lambda lib, v: v.transforms.functional.to_tensor([1, 2]))
    check_error(lambda lib, v: v.transforms.functional.to_tensor(np.zeros((2, 2, 2, 2))))
    check_error(lambda lib, v: v.transforms.functional.pil_to_tensor(RGB))


@pytest.mark.parametrize("data, mode", [
    (chw(RGB), None), (chw(RGB, "float32"), None), (chw(RGB)[:1], None),
    (chw(RGB, "float32")[:1], None), (chw(RGB, "float32")[:1], "F"), (chw(RGB)[:2], None),
    (np.concatenate([chw(RGB), chw(RGB)[:1]]), None), (chw(RGB), "HSV"),
    (chw(RGB).astype("int16")[:1], None), (chw(RGB).astype("int32")[:1], None),
    (chw(RGB)[0], None)])
def test_to_pil_image(data, mode):
    check(lambda lib, v, x: v.transforms.ToPILImage(mode)(x), data)


def test_to_pil_image_ndarray_hwc():
    check(lambda lib, v: v.transforms.functional.to_pil_image(RGB))


def test_to_pil_image_errors():
    check_error(lambda lib, v, x: v.transforms.functional.to_pil_image(x, "RGBA"), chw(RGB))
    check_error(lambda lib, v, x: v.transforms.functional.to_pil_image(x, "L"), chw(RGB)[:2])
    check_error(lambda lib, v, x: v.transforms.functional.to_pil_image(x),
                np.zeros((5, 4, 4), np.uint8))
    check_error(lambda lib, v, x: v.transforms.functional.to_pil_image(x),
                np.zeros((3, 4, 4), np.int64))


@pytest.mark.parametrize("src, dst", [
    ("uint8", "float32"), ("uint8", "float64"), ("float32", "uint8"), ("float64", "int32"),
    ("uint8", "int32"), ("int32", "uint8"), ("int16", "int64"), ("float32", "float64"),
    ("int64", "int8"), ("uint8", "uint8")])
def test_convert_image_dtype(src, dst):
    array = chw(RGB).astype(src) if src != "float32" else chw(RGB, "float32")
    if src == "float64":
        array = chw(RGB, "float64")
    if src in ("int32", "int16", "int64"):
        array = array.astype(np.int64) * 1000003 % 32767
        array = array.astype(src)
    check(lambda lib, v, x: v.transforms.ConvertImageDtype(getattr(lib, dst))(x), array)


def test_convert_image_dtype_unsafe():
    check_error(lambda lib, v, x: v.transforms.functional.convert_image_dtype(x, lib.int32),
                chw(RGB, "float32"))


@tensor_inputs(("float32", "batch"))
@pytest.mark.parametrize("inplace", [False, True])
def test_normalize(img, inplace):
    def fn(lib, v, x):
        out = v.transforms.Normalize([0.485, 0.456, 0.406], (0.229, 0.224, 0.225), inplace)(x)
        return out, x  # the input is changed only when inplace
    check(fn, img)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("mean, std", [
    ([0.5, 0.4, 0.3], [0.2, 0.3, 0.1]), (0.5, 0.25), ([0.5], [0.3]), ("tensor", "tensor")])
def test_normalize_forms(dtype, mean, std):
    def fn(lib, v, x):
        m = lib.tensor([0.5, 0.4, 0.3]).view(-1, 1, 1) if mean == "tensor" else mean
        s = lib.tensor([0.2, 0.3, 0.1]).view(-1, 1, 1) if std == "tensor" else std
        return v.transforms.functional.normalize(x.to(getattr(lib, dtype)), m, s)
    check(fn, TENSORS["batch"][:, :, 1:5].transpose(0, 1, 3, 2), atol=1e-3)


def test_normalize_records_graph():
    def fn(lib, v, x):
        x = x.requires_grad_()
        out = v.transforms.functional.normalize(x, [0.5, 0.4, 0.3], [0.2, 0.3, 0.1])
        out.backward(lib.ones_like(out) * 2)
        return out.detach(), x.grad, out.grad_fn is not None
    check(fn, TENSORS["float32"])


def test_normalize_errors():
    f = lambda lib, v, x: v.transforms.functional.normalize(x, [0.5], [0.5])
    check_error(f, chw(RGB))
    check_error(f, chw(RGB, "float32")[0])
    check_error(lambda lib, v, x: v.transforms.functional.normalize(x, [0.5], [0.0]),
                chw(RGB, "float32"))
    # channels that do not broadcast, and a broadcast that would grow the image
    check_error(lambda lib, v, x: v.transforms.functional.normalize(x, [0.5, 0.1], [0.5, 0.1]),
                chw(RGB, "float32"))
    check_error(lambda lib, v, x: v.transforms.functional.normalize(x, [0.5] * 3, [0.5] * 3),
                chw(RGB, "float32")[:1])


# ------------------------------------------------------------------ resize, crop, pad, flips


INTERPOLATIONS = ["NEAREST", "NEAREST_EXACT", "BILINEAR", "BICUBIC"]


@tensor_inputs()
@pytest.mark.parametrize("interp", INTERPOLATIONS)
@pytest.mark.parametrize("size", [11, [40, 17], (15,)])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_tensor(img, interp, size, antialias):
    def fn(lib, v, x):
        mode = getattr(v.transforms.InterpolationMode, interp)
        return v.transforms.Resize(size, mode, antialias=antialias)(x)
    # uint8 results are rounded float results: allow one step where float32 sums differ
    check(fn, img, atol=1 if img.dtype == np.uint8 else 2e-5)


@pytest.mark.parametrize("mode", MODES + ["RGBA", "F", "I"])
@pytest.mark.parametrize("interp", INTERPOLATIONS + ["BOX", "HAMMING", "LANCZOS"])
def test_resize_pil(mode, interp):
    def fn(lib, v, x):
        return v.transforms.Resize(13, getattr(v.transforms.InterpolationMode, interp))(x)
    check(fn, pil_image(mode))


@pytest.mark.parametrize("img", [pil_image(), TENSORS["float32"]], ids=["pil", "tensor"])
def test_resize_max_size_and_int_interpolation(img):
    check(lambda lib, v, x: v.transforms.Resize(10, 2, max_size=12)(x), img, atol=2e-5)
    check(lambda lib, v, x: v.transforms.functional.resize(x, [23, 31]), img)  # unchanged size


def test_resize_errors():
    check_error(lambda lib, v, x: v.transforms.functional.resize(x, [10, 12], max_size=20),
                TENSORS["float32"])
    check_error(lambda lib, v, x: v.transforms.functional.resize(x, 10, max_size=10),
                TENSORS["float32"])
    check_error(lambda lib, v, x: v.transforms.functional.resize(x, [1, 2, 3]),
                TENSORS["float32"])
    check_error(lambda lib, v, x: v.transforms.functional.resize(x, 3, "bilinear"),
                TENSORS["float32"])
    check_error(lambda lib, v: v.transforms.Resize(1.5))
    check_error(lambda lib, v: v.transforms.Resize([1, 2, 3]))
    for mode in ["BOX", "HAMMING", "LANCZOS"]:  # Pillow's filters only
        check_error(lambda lib, v, x, m=mode: v.transforms.functional.resize(
            x, 5, getattr(v.transforms.InterpolationMode, m)), TENSORS["float32"])


def test_resize_pil_antialias_warning():
    for _, v in LIBS.values():
        with pytest.warns(UserWarning, match="Anti-alias option is always applied"):
            v.transforms.functional.resize(pil_image(), 5, antialias=False)


def test_not_an_image():
    F = lambda v: v.transforms.functional  # noqa: E731
    for call in [lambda v: F(v).crop(RGB, 0, 0, 2, 2), lambda v: F(v).pad(RGB, 1),
                 lambda v: F(v).hflip(RGB), lambda v: F(v).vflip(RGB),
                 lambda v: F(v).resize(RGB, 4), lambda v: F(v).rotate(RGB, 3.0),
                 lambda v: F(v).perspective(RGB, [[0, 0], [5, 0], [5, 5], [0, 5]],
                                            [[1, 1], [4, 0], [5, 4], [0, 5]]),
                 lambda v: F(v).adjust_brightness(RGB, 0.5), lambda v: F(v).adjust_gamma(RGB, 2),
                 lambda v: F(v).gaussian_blur(RGB, 3), lambda v: F(v).get_dimensions(RGB)]:
        check_error(lambda lib, v, c=call: c(v))


PADS = [3, [2], (1, 4), [1, 2, 3, 0], [-2, 1, 3, -1]]


@tensor_inputs()
@pytest.mark.parametrize("padding", PADS)
@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_tensor(img, padding, padding_mode):
    check(lambda lib, v, x: v.transforms.Pad(padding, 7, padding_mode)(x), img)


@pytest.mark.parametrize("mode", MODES + ["P", "F"])
@pytest.mark.parametrize("padding", PADS)
@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_pil(mode, padding, padding_mode):
    fill = (10, 20, 30) if mode == "RGB" else 9
    check(lambda lib, v, x: v.transforms.Pad(padding, fill, padding_mode)(x), pil_image(mode))


def test_pad_errors():
    img = TENSORS["float32"]
    check_error(lambda lib, v, x: v.transforms.functional.pad(x, [1, 2, 3]), img)
    check_error(lambda lib, v, x: v.transforms.functional.pad(x, 1, fill=(1, 2, 3)), img)
    check_error(lambda lib, v, x: v.transforms.functional.pad(x, 1, padding_mode="wrap"), img)
    check_error(lambda lib, v: v.transforms.Pad(1, padding_mode="wrap"))
    check_error(lambda lib, v: v.transforms.Pad([1, 2, 3]))
    check_error(lambda lib, v: v.transforms.Pad(1, fill="red"))


@pytest.mark.parametrize("img", [pil_image(), pil_image("L"), TENSORS["uint8"],
                                 TENSORS["batch"]], ids=["rgb", "l", "uint8", "batch"])
@pytest.mark.parametrize("box", [(2, 3, 10, 12), (-3, -2, 10, 40), (20, 25, 9, 9)])
def test_crop(img, box):
    check(lambda lib, v, x: v.transforms.functional.crop(x, *box), img)


@pytest.mark.parametrize("img", [pil_image(), TENSORS["uint8"], TENSORS["batch"]],
                         ids=["pil", "uint8", "batch"])
@pytest.mark.parametrize("size", [10, (7, 12), [30], (40, 20), (23, 31), (24, 35)])
def test_center_crop(img, size):
    check(lambda lib, v, x: v.transforms.CenterCrop(size)(x), img)


@pytest.mark.parametrize("img", [pil_image(), TENSORS["float32"], TENSORS["batch"]],
                         ids=["pil", "float32", "batch"])
@pytest.mark.parametrize("size", [8, (10, 7)])
def test_five_ten_crop(img, size):
    check(lambda lib, v, x: v.transforms.FiveCrop(size)(x), img)
    check(lambda lib, v, x: v.transforms.TenCrop(size)(x), img)
    check(lambda lib, v, x: v.transforms.TenCrop(size, vertical_flip=True)(x), img)


def test_five_crop_too_big():
    check_error(lambda lib, v, x: v.transforms.functional.five_crop(x, 40), TENSORS["uint8"])


@pytest.mark.parametrize("img", [pil_image(), pil_image("L"), TENSORS["uint8"],
                                 TENSORS["batch"]], ids=["rgb", "l", "uint8", "batch"])
def test_flips(img):
    check(lambda lib, v, x: v.transforms.functional.hflip(x), img)
    check(lambda lib, v, x: v.transforms.functional.vflip(x), img)


@pytest.mark.parametrize("img", [pil_image(), TENSORS["float32"]], ids=["pil", "tensor"])
def test_resized_crop(img):
    def fn(lib, v, x):
        return v.transforms.functional.resized_crop(x, 2, 3, 15, 20, [9, 11])
    check(fn, img, atol=2e-5)


# ------------------------------------------------------------------ color


@pytest.mark.parametrize("img", [pil_image(), pil_image("L"), TENSORS["uint8"],
                                 TENSORS["float32"], TENSORS["batch"]],
                         ids=["rgb", "l", "uint8", "float32", "batch"])
@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale(img, channels):
    check(lambda lib, v, x: v.transforms.Grayscale(channels)(x), img)


COLOR_INPUTS = [pil_image(), pil_image("L"), TENSORS["uint8"], TENSORS["float32"],
                TENSORS["batch"], chw(RGB)[:1]]
COLOR_IDS = ["rgb", "l", "uint8", "float32", "batch", "uint8-gray"]


@pytest.mark.parametrize("img", COLOR_INPUTS, ids=COLOR_IDS)
@pytest.mark.parametrize("name, factor", [
    ("brightness", 0.0), ("brightness", 0.6), ("brightness", 1.7), ("contrast", 0.0),
    ("contrast", 0.5), ("contrast", 1.8), ("saturation", 0.0), ("saturation", 0.4),
    ("saturation", 2.1), ("hue", -0.5), ("hue", -0.23), ("hue", 0.0), ("hue", 0.37)])
def test_adjust_color(img, name, factor):
    def fn(lib, v, x):
        return getattr(v.transforms.functional, f"adjust_{name}")(x, factor)
    check(fn, img, atol=None if isinstance(img, Image.Image) else 1e-5)


@pytest.mark.parametrize("img", COLOR_INPUTS[:5], ids=COLOR_IDS[:5])
@pytest.mark.parametrize("gamma, gain", [(0.5, 1.0), (2.2, 0.8), (1.0, 1.3)])
def test_adjust_gamma(img, gamma, gain):
    check(lambda lib, v, x: v.transforms.functional.adjust_gamma(x, gamma, gain), img,
          atol=None if isinstance(img, Image.Image) else 1e-5)


def test_color_errors():
    f = lambda lib, v, x: v.transforms.functional.adjust_hue(x, 0.7)
    check_error(f, TENSORS["uint8"])
    check_error(lambda lib, v, x: v.transforms.functional.adjust_brightness(x, -1),
                TENSORS["uint8"])
    check_error(lambda lib, v, x: v.transforms.functional.rgb_to_grayscale(x),
                chw(RGB)[:2])
    check_error(lambda lib, v, x: v.transforms.functional.rgb_to_grayscale(x, 2), chw(RGB))


# ------------------------------------------------------------------ blur, erase


@pytest.mark.parametrize("img", [pil_image(), pil_image("L"), TENSORS["uint8"],
                                 TENSORS["float32"], TENSORS["batch"]],
                         ids=["rgb", "l", "uint8", "float32", "batch"])
@pytest.mark.parametrize("kernel_size, sigma", [(3, None), ((5, 3), 1.5), ([7, 5], (0.8, 2.0))])
def test_gaussian_blur(img, kernel_size, sigma):
    def fn(lib, v, x):
        return v.transforms.functional.gaussian_blur(x, kernel_size, sigma)
    uint8 = isinstance(img, Image.Image) or img.dtype == np.uint8
    check(fn, img, atol=1 if uint8 else 1e-5)


def test_gaussian_blur_errors():
    for k, s in [(4, None), ((3, 3, 3), None), (3, 0.0), (3, "a"), ("3", None)]:
        check_error(lambda lib, v, x, k=k, s=s: v.transforms.functional.gaussian_blur(x, k, s),
                    TENSORS["float32"])


@pytest.mark.parametrize("inplace", [False, True])
def test_erase(inplace):
    def fn(lib, v, x):
        value = lib.tensor([0.1, 0.2, 0.3])[:, None, None]
        return v.transforms.functional.erase(x, 3, 4, 5, 6, value, inplace), x
    check(fn, TENSORS["float32"])
    check(fn, TENSORS["batch"])
    check_error(lambda lib, v: v.transforms.functional.erase(pil_image(), 0, 0, 1, 1, 0))


# ------------------------------------------------------------------ rotate, affine, perspective


GEOMETRY_INPUTS = [pil_image(), pil_image("L"), TENSORS["uint8"], TENSORS["float32"],
                   TENSORS["batch"]]
GEOMETRY_IDS = ["rgb", "l", "uint8", "float32", "batch"]


def _geometry_atol(img):
    """Grid sampling in float32 differs from torch's fused kernels by an ulp or two, which the
    fill value scales and the uint8 rounding can turn into one step."""
    if isinstance(img, Image.Image):
        return None
    return 0 if img.dtype == np.uint8 else 1e-4


def _fill(img, fill):
    """Tensor images take one float per channel (the Random* classes convert so)."""
    if isinstance(img, Image.Image) or fill is None:
        return fill
    return [float(fill)] * (3 if img.ndim >= 3 and img.shape[-3] == 3 else 1)


@pytest.mark.parametrize("img", GEOMETRY_INPUTS, ids=GEOMETRY_IDS)
@pytest.mark.parametrize("angle, expand, center", [
    (0.0, False, None), (90, False, None), (33.3, False, None), (-71.0, True, None),
    (45.0, True, None), (15.0, False, (4, 9))])
@pytest.mark.parametrize("interp", ["NEAREST", "BILINEAR"])
@pytest.mark.parametrize("fill", [None, 0, 200])
def test_rotate(img, angle, expand, center, interp, fill):
    def fn(lib, v, x):
        mode = getattr(v.transforms.InterpolationMode, interp)
        return v.transforms.functional.rotate(x, angle, mode, expand, center, _fill(img, fill))
    check(fn, img, atol=_geometry_atol(img))


@pytest.mark.parametrize("img", GEOMETRY_INPUTS, ids=GEOMETRY_IDS)
@pytest.mark.parametrize("angle, translate, scale, shear, center", [
    (0.0, [0, 0], 1.0, 0.0, None), (30, [3, -2], 1.2, 10.0, None),
    (-12.5, (1, 4), 0.8, [5.0, -7.0], None), (80.0, [0, 0], 1.0, [20.0], (5, 5))])
@pytest.mark.parametrize("interp", ["NEAREST", "BILINEAR"])
def test_affine(img, angle, translate, scale, shear, center, interp):
    def fn(lib, v, x):
        mode = getattr(v.transforms.InterpolationMode, interp)
        return v.transforms.functional.affine(x, angle, translate, scale, shear, mode,
                                              _fill(img, 50), center)
    check(fn, img, atol=_geometry_atol(img))


@pytest.mark.parametrize("img", GEOMETRY_INPUTS, ids=GEOMETRY_IDS)
@pytest.mark.parametrize("interp", ["NEAREST", "BILINEAR"])
def test_perspective(img, interp):
    start = [[0, 0], [30, 0], [30, 22], [0, 22]]
    end = [[3, 2], [27, 1], [29, 20], [2, 18]]

    def fn(lib, v, x):
        mode = getattr(v.transforms.InterpolationMode, interp)
        return v.transforms.functional.perspective(x, start, end, mode, _fill(img, 9))
    check(fn, img, atol=_geometry_atol(img))


def test_perspective_degenerate_corners():
    """torch's least squares (QR) refuses four identical end corners; so does Ember."""
    messages = []
    for _, v in LIBS.values():
        with pytest.raises(RuntimeError) as info:
            v.transforms.functional.perspective(TENSORS["float32"], [[0, 0], [30, 0], [30, 22],
                                                                     [0, 22]], [[1, 1]] * 4)
        messages.append(str(info.value).split("(error code")[0])
    assert messages[0] == messages[1]


def test_geometry_errors():
    img = TENSORS["float32"]
    check_error(lambda lib, v, x: v.transforms.functional.rotate(x, "1"), img)
    check_error(lambda lib, v, x: v.transforms.functional.rotate(x, 1.0, center=3), img)
    check_error(lambda lib, v, x: v.transforms.functional.rotate(
        x, 1.0, v.transforms.InterpolationMode.BICUBIC), img)
    check_error(lambda lib, v, x: v.transforms.functional.rotate(x, 1.0, fill=[1.0, 2.0]), img)
    check_error(lambda lib, v, x: v.transforms.functional.affine(x, 0.0, [1], 1.0, 0.0), img)
    check_error(lambda lib, v, x: v.transforms.functional.affine(x, 0.0, 1, 1.0, 0.0), img)
    check_error(lambda lib, v, x: v.transforms.functional.affine(x, 0.0, [1, 1], 0.0, 0.0), img)
    check_error(lambda lib, v, x: v.transforms.functional.affine(x, 0.0, [1, 1], 1.0, "a"), img)
    check_error(lambda lib, v, x: v.transforms.functional.affine(x, 0.0, [1, 1], 1.0, [1, 2, 3]),
                img)
    check_error(lambda lib, v, x: v.transforms.functional.perspective(x, [[0, 0]], [[0, 0]]), img)
