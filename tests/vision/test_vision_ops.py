"""ember.vision.ops against torchvision.ops. The box utilities are torchvision's pure-Python
functions. torchvision's nms kernel is C++ that does not load beside the CPU torch wheel: here a
plain Python transcription of its CPU kernel (element by element, in the boxes' dtype) is
registered for ``torchvision::nms``, so torchvision's own nms and batched_nms wrappers run on it;
hand-checked cases pin the kernel's rules (stable order of equal scores, the float IoU compared
with the double threshold, NaN IoUs never suppressing)."""

import numpy as np
import pytest
from vision_helpers import check, check_error, torch, tv

import ember
import ember.vision.ops  # noqa: F401  (ember.vision's __init__ need not import it)

RNG = np.random.default_rng(0)


def _random_boxes(n, dtype=np.float32, spread=60.0, size=30.0, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, spread, size=(n, 2))
    wh = rng.uniform(1, size, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(dtype)


def _reference_nms(dets, scores, iou_threshold):
    """torchvision's csrc/ops/cpu/nms_kernel.cpp, one pair of boxes at a time."""
    array = dets.numpy()
    scalar = array.dtype.type
    if array.size == 0:
        return torch.empty((0,), dtype=torch.int64)
    x1, y1, x2, y2 = ([scalar(v) for v in array[:, k]] for k in range(4))
    areas = [(x2[i] - x1[i]) * (y2[i] - y1[i]) for i in range(len(x1))]
    order = torch.sort(scores, stable=True, dim=0, descending=True)[1].tolist()
    suppressed = [False] * len(order)
    keep = []

    def cmax(a, b):
        return b if a < b else a

    def cmin(a, b):
        return b if b < a else a

    with np.errstate(divide="ignore", invalid="ignore"):
        for _i, i in enumerate(order):
            if suppressed[i]:
                continue
            keep.append(i)
            for j in order[_i + 1:]:
                if suppressed[j]:
                    continue
                w = cmax(scalar(0), cmin(x2[i], x2[j]) - cmax(x1[i], x1[j]))
                h = cmax(scalar(0), cmin(y2[i], y2[j]) - cmax(y1[i], y1[j]))
                inter = w * h
                ovr = inter / (areas[i] + areas[j] - inter)
                if float(ovr) > iou_threshold:
                    suppressed[j] = True
    return torch.tensor(keep, dtype=torch.int64)


@pytest.fixture(scope="module", autouse=True)
def torchvision_nms_kernel():
    """torchvision::nms served by _reference_nms for the tests of this module only."""
    lib = torch.library.Library("torchvision", "IMPL")
    lib.impl("nms", _reference_nms, "CPU")
    patch = pytest.MonkeyPatch()
    patch.setattr(tv.ops.boxes, "_assert_has_ops", lambda: None)
    yield
    patch.undo()
    lib._destroy()


# ------------------------------------------------------------------ nms


@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.5, 0.7, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nms_random(threshold, dtype):
    boxes = _random_boxes(150, dtype)
    scores = RNG.uniform(0, 1, size=150).astype(dtype)
    check(lambda lib, v, b, s: v.ops.nms(b, s, threshold), boxes, scores)


def test_nms_equal_scores_keep_input_order():
    boxes = _random_boxes(120, seed=1)
    scores = np.round(RNG.uniform(0, 1, size=120), 1).astype(np.float32)
    check(lambda lib, v, b, s: v.ops.nms(b, s, 0.3), boxes, scores)
    same = np.full(4, 0.5, dtype=np.float32)
    overlapping = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]],
                           dtype=np.float32)
    out = ember.vision.ops.nms(ember.tensor(overlapping), ember.tensor(same), 0.5)
    assert out.tolist() == [0, 3]
    check(lambda lib, v, b, s: v.ops.nms(b, s, 0.5), overlapping, same)


def test_nms_hand_checked():
    boxes = ember.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0],
                          [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 10.0, 10.0]])
    scores = ember.tensor([0.9, 0.8, 0.7, 0.95])
    keep = ember.vision.ops.nms(boxes, scores, 0.5)
    assert keep.dtype == ember.int64 and keep.tolist() == [3, 2]
    # IoU of boxes 3 and 1 is 81 / 119 = 0.68: a higher threshold keeps it
    assert ember.vision.ops.nms(boxes, scores, 0.7).tolist() == [3, 1, 2]


def test_nms_compares_float_iou_with_double_threshold():
    # IoU 2 / 6: float32(1/3) = 0.33333334 > the double 1/3, so the second box goes
    boxes = ember.tensor([[0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]])
    scores = ember.tensor([0.9, 0.8])
    assert ember.vision.ops.nms(boxes, scores, 1 / 3).tolist() == [0]
    assert ember.vision.ops.nms(boxes.double(), scores.double(), 1 / 3).tolist() == [0, 1]
    # an IoU of exactly the threshold is kept (the test is IoU > threshold)
    halves = ember.tensor([[0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    assert ember.vision.ops.nms(halves, scores, 0.5).tolist() == [0, 1]
    for b, s, t in [(boxes, scores, 1 / 3), (halves, scores, 0.5)]:
        check(lambda lib, v, b, s, t=t: v.ops.nms(b, s, t), b.numpy(), s.numpy())


def test_nms_degenerate_and_nan():
    boxes = np.array([[5, 5, 5, 5], [5, 5, 5, 5], [0, 0, 4, 4], [0, 0, 4, 4],
                      [np.nan, 0, 4, 4], [1, 1, 3, 3]], dtype=np.float32)
    scores = np.array([0.5, 0.4, np.nan, 0.3, 0.9, 0.2], dtype=np.float32)
    keep = ember.vision.ops.nms(ember.tensor(boxes), ember.tensor(scores), 0.1)
    # the NaN score sorts first; zero-area boxes give 0 / 0 and suppress nothing
    assert keep.tolist()[0] == 2 and 0 in keep.tolist() and 1 in keep.tolist()
    check(lambda lib, v, b, s: v.ops.nms(b, s, 0.1), boxes, scores)


def test_nms_empty_and_grad():
    check(lambda lib, v, b, s: v.ops.nms(b, s, 0.5), np.zeros((0, 4), np.float32),
          np.zeros(0, np.float32))
    boxes = ember.tensor(_random_boxes(10), requires_grad=True)
    keep = ember.vision.ops.nms(boxes, ember.rand(10), 0.5)
    assert keep.dtype == ember.int64 and not keep.requires_grad


@pytest.mark.parametrize("boxes, scores, message", [
    (np.zeros(4), np.zeros(1), "boxes should be a 2d tensor, got 1D"),
    (np.zeros((2, 5)), np.zeros(2), "boxes should have 4 elements in dimension 1, got 5"),
    (np.zeros((2, 4)), np.zeros((2, 1)), "scores should be a 1d tensor, got 2D"),
    (np.zeros((2, 4)), np.zeros(3), "boxes and scores should have same number of elements in "
                                    "dimension 0, got 2 and 3"),
    (np.zeros((2, 4), np.int64), np.zeros(2, np.int64), "\"nms_kernel\" not implemented for "
                                                        "'Long'"),
    (np.zeros((2, 4), np.float32), np.zeros(2), "dets should have the same type as scores"),
])
def test_nms_errors(boxes, scores, message):
    with pytest.raises(RuntimeError) as info:
        ember.vision.ops.nms(ember.tensor(boxes), ember.tensor(scores), 0.5)
    assert str(info.value) == message


@pytest.mark.parametrize("n", [90, 1100], ids=["offsets", "per-class"])
def test_batched_nms(n):
    # more than 4000 coordinates take torchvision's per-class loop, fewer its offset trick. The
    # loop ends with torch's unstable sort, whose order of equal scores is unspecified: distinct
    # scores there
    boxes = _random_boxes(n, seed=n, spread=40.0)
    scores = RNG.uniform(0, 1, size=n).astype(np.float32)
    if n < 1000:
        scores = np.round(scores, 2)
    idxs = RNG.integers(0, 4, size=n)
    check(lambda lib, v, b, s, i: v.ops.batched_nms(b, s, i, 0.4), boxes, scores, idxs)
    check(lambda lib, v, b, s, i: v.ops.batched_nms(b, s, i, 0.4), boxes[:0], scores[:0],
          idxs[:0])


# ------------------------------------------------------------------ box utilities

BOXES_A = _random_boxes(7, seed=2)
BOXES_B = _random_boxes(5, seed=3)
FORMATS = ["xyxy", "xywh", "cxcywh"]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_box_area_and_iou(dtype, fmt):
    a, b = BOXES_A.astype(dtype), BOXES_B.astype(dtype)
    check(lambda lib, v, x: v.ops.box_area(x, fmt=fmt), a)
    check(lambda lib, v, x, y: v.ops.box_iou(x, y, fmt=fmt), a, b)
    check(lambda lib, v, x, y: v.ops.box_iou(x, y, fmt=fmt), a.reshape(1, 7, 4),
          np.stack([b, b])[:, :3])


def test_box_iou_hand_checked():
    iou = ember.vision.ops.box_iou(ember.tensor([[0.0, 0.0, 2.0, 2.0]]),
                                   ember.tensor([[1.0, 1.0, 3.0, 3.0], [4.0, 4.0, 5.0, 5.0]]))
    np.testing.assert_allclose(iou.numpy(), [[1 / 7, 0.0]], rtol=1e-6)


@pytest.mark.parametrize("in_fmt", FORMATS)
@pytest.mark.parametrize("out_fmt", FORMATS)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_box_convert(in_fmt, out_fmt, dtype):
    boxes = BOXES_A.astype(dtype)
    check(lambda lib, v, x: v.ops.box_convert(x, in_fmt, out_fmt), boxes)
    check(lambda lib, v, x: v.ops.box_convert(x, in_fmt, out_fmt), boxes.reshape(7, 1, 4))


def test_box_convert_round_trip_and_copy():
    boxes = ember.tensor(BOXES_A)
    for fmt in FORMATS:
        back = ember.vision.ops.box_convert(ember.vision.ops.box_convert(boxes, "xyxy", fmt),
                                            fmt, "xyxy")
        np.testing.assert_allclose(back.numpy(), BOXES_A, rtol=1e-5)
    same = ember.vision.ops.box_convert(boxes, "xyxy", "xyxy")
    same[0, 0] = -1.0
    assert float(boxes[0, 0]) == float(BOXES_A[0, 0])


def test_box_format_errors():
    check_error(lambda lib, v, x: v.ops.box_convert(x, "xyxy", "yxyx"), BOXES_A)
    check_error(lambda lib, v, x: v.ops.box_area(x, fmt="xywhr"), BOXES_A)
    check_error(lambda lib, v, x: v.ops.box_iou(x, x, fmt="polar"), BOXES_A)
    with pytest.raises(NotImplementedError):
        ember.vision.ops.box_convert(ember.tensor(BOXES_A), "xyxy", "cxcywhr")


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_clip_and_remove_small(dtype):
    boxes = (_random_boxes(20, seed=4, spread=50.0) - 10.0).astype(dtype)
    check(lambda lib, v, x: v.ops.clip_boxes_to_image(x, (30, 40)), boxes)
    check(lambda lib, v, x: v.ops.clip_boxes_to_image(x, (30, 40)), boxes.reshape(4, 5, 4))
    for min_size in (0.0, 5.0, 12.5, 100.0):
        check(lambda lib, v, x, m=min_size: v.ops.remove_small_boxes(x, m), boxes)


def test_generalized_iou_and_masks_to_boxes():
    check(lambda lib, v, x, y: v.ops.generalized_box_iou(x, y), BOXES_A, BOXES_B)
    masks = RNG.random((4, 9, 11)) > 0.9
    masks[2] = False
    check(lambda lib, v, m: v.ops.masks_to_boxes(m), masks)
    check(lambda lib, v, m: v.ops.masks_to_boxes(m), masks[:0])
