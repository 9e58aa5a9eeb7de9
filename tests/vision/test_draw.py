"""ember.vision.utils.draw_bounding_boxes and draw_segmentation_masks against torchvision's: the
same Pillow drawing calls, so the same pixels. Labels are drawn with Pillow's default font, as in
torchvision, and compared loosely (the text must change the pixels, and nearly all pixels must
agree), since the font is whatever Pillow ships."""

import warnings

import numpy as np
import pytest
from vision_helpers import check, check_error, chw, rgb_array

import ember

IMAGE = chw(rgb_array(40, 50, seed=3))
BOXES = np.array([[2, 3, 20, 25], [10, 12, 45, 38], [0, 0, 49, 39], [30.7, 5.2, 33.9, 9.6]],
                 dtype=np.float32)
ORIENTED = np.array([[5, 5, 30, 10, 25, 30, 2, 22], [20, 20, 45, 20, 45, 35, 20, 35]],
                    dtype=np.float32)


@pytest.mark.parametrize("kwargs", [
    dict(), dict(width=3), dict(colors="red"), dict(colors=(10, 200, 30), width=2),
    dict(colors=["blue", "#00ff7f", (1, 2, 3), "yellow", "white"]), dict(fill=True),
    dict(fill=True, colors="green", width=0),
], ids=["default", "width", "name", "tuple", "list", "fill", "fill-green"])
@pytest.mark.parametrize("image", ["uint8", "float32", "gray"])
def test_draw_bounding_boxes(image, kwargs):
    img = {"uint8": IMAGE, "float32": chw(rgb_array(40, 50, seed=3), "float32"),
           "gray": IMAGE[:1]}[image]
    check(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, **kwargs), img, BOXES)


def test_draw_bounding_boxes_integer_and_oriented_boxes():
    check(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, width=2), IMAGE,
          BOXES.astype(np.int64))
    check(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, width=2, colors="orange"),
          IMAGE, ORIENTED)
    check(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, fill=True), IMAGE, ORIENTED)


def _label_kwargs():
    return [dict(labels=["cat", "dog", "a long label", "x"]),
            dict(labels=["cat", None, "bird", "x"], fill_labels=True, width=2),
            dict(labels=["cat", "dog", "b", "x"], fill_labels=True,
                 label_colors=["white", "red", "blue", (0, 0, 0)],
                 label_background_colors="purple"),
            dict(labels=["1", "2", "3", "4"], label_colors="yellow", fill=True)]


@pytest.mark.parametrize("kwargs", _label_kwargs(), ids=["plain", "filled", "colours", "fill"])
def test_draw_bounding_boxes_labels(kwargs):
    outs = check(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, **kwargs), IMAGE, BOXES,
                 atol=255)
    ours, theirs = outs["ember"].numpy(), outs["torch"].numpy()
    unlabelled = dict(kwargs, labels=None)
    plain = ember.vision.utils.draw_bounding_boxes(ember.tensor(IMAGE), ember.tensor(BOXES),
                                                   **unlabelled).numpy()
    assert (ours != plain).any(), "the labels drew nothing"
    differ = (ours != theirs).any(axis=0).mean()
    assert differ < 0.02, f"{differ:.1%} of the pixels differ from torchvision's"


def test_draw_bounding_boxes_warnings_and_errors():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = ember.vision.utils.draw_bounding_boxes(ember.tensor(IMAGE), ember.zeros((0, 4)))
    assert out.shape == IMAGE.shape and "No box was drawn" in str(caught[0].message)
    with pytest.warns(UserWarning, match="font_size"):
        ember.vision.utils.draw_bounding_boxes(ember.tensor(IMAGE), ember.tensor(BOXES),
                                               font_size=12)
    check_error(lambda lib, v, b: v.utils.draw_bounding_boxes(IMAGE, b), BOXES)
    check_error(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b), IMAGE.astype(np.int32),
                BOXES)
    check_error(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b), IMAGE[None], BOXES)
    check_error(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b),
                np.zeros((2, 5, 5), np.uint8), BOXES)
    check_error(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b), IMAGE,
                np.ascontiguousarray(BOXES[:, ::-1]))
    check_error(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, labels=["a"]), IMAGE,
                BOXES)
    check_error(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, colors=["red"]), IMAGE,
                BOXES)
    check_error(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, colors=(1, 2)), IMAGE,
                BOXES)
    check_error(lambda lib, v, x, b: v.utils.draw_bounding_boxes(x, b, colors=3), IMAGE, BOXES)


def _masks(n=3, h=40, w=50, seed=0):
    rng = np.random.default_rng(seed)
    masks = np.zeros((n, h, w), dtype=bool)
    for k in range(n):
        top, left = rng.integers(0, h // 2), rng.integers(0, w // 2)
        masks[k, top:top + h // 2, left:left + w // 2] = True
    return masks


@pytest.mark.parametrize("kwargs", [
    dict(), dict(alpha=0.3), dict(alpha=1.0, colors="red"), dict(colors=["blue", (5, 6, 7),
                                                                         "#123456"]),
    dict(alpha=0.0), dict(colors=(200, 100, 50), alpha=0.55)],
    ids=["default", "alpha", "opaque", "list", "clear", "tuple"])
@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
def test_draw_segmentation_masks(dtype, kwargs):
    image = IMAGE if dtype == "uint8" else chw(rgb_array(40, 50, seed=3), dtype)
    check(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m, **kwargs), image, _masks())
    check(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m, **kwargs), image,
          _masks(1)[0])


def test_draw_segmentation_masks_many_default_colours():
    check(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m), IMAGE, _masks(12, seed=5))
    check(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m),
          chw(rgb_array(40, 50, seed=3), "float32"), _masks(12, seed=5))


def test_draw_segmentation_masks_warnings_and_errors():
    with pytest.warns(UserWarning, match="No mask was drawn"):
        out = ember.vision.utils.draw_segmentation_masks(ember.tensor(IMAGE),
                                                         ember.zeros((0, 40, 50), dtype=bool))
    assert out.shape == IMAGE.shape
    masks = _masks()
    check_error(lambda lib, v, m: v.utils.draw_segmentation_masks(IMAGE, m), masks)
    check_error(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m),
                IMAGE.astype(np.int64), masks)
    check_error(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m), IMAGE[None], masks)
    check_error(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m), IMAGE[:1], masks)
    check_error(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m), IMAGE, masks[None])
    check_error(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m), IMAGE,
                masks.astype(np.uint8))
    check_error(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m), IMAGE,
                masks[:, :30])
    check_error(lambda lib, v, x, m: v.utils.draw_segmentation_masks(x, m, colors=["red"]),
                IMAGE, masks)
