"""torchvision.ops.boxes: non-maximum suppression and the axis-aligned box utilities, with
torchvision's dtypes and numbers (nms follows the order and float rounding of its CPU kernel)."""

from __future__ import annotations

import numpy as np

import ember

Tensor = ember.Tensor

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
_ROTATED = ("xywhr", "cxcywhr", "xyxyxyxy")
# c10's ScalarType names, which torch's dtype-dispatch errors print
_SCALAR_TYPE_NAMES = {
    ember.float16: "Half", ember.bfloat16: "BFloat16", ember.int64: "Long", ember.int32: "Int",
    ember.int16: "Short", ember.int8: "Char", ember.uint8: "Byte", ember.bool: "Bool",
    ember.complex64: "ComplexFloat", ember.complex128: "ComplexDouble",
}


def _upcast(t: Tensor) -> Tensor:
    # products of coordinates overflow in float16 / narrow integers: widen as torchvision does
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def _check_nms_inputs(boxes, scores):
    if boxes.dim() != 2:
        raise RuntimeError(f"boxes should be a 2d tensor, got {boxes.dim()}D")
    if boxes.size(1) != 4:
        raise RuntimeError(f"boxes should have 4 elements in dimension 1, got {boxes.size(1)}")
    if scores.dim() != 1:
        raise RuntimeError(f"scores should be a 1d tensor, got {scores.dim()}D")
    if boxes.size(0) != scores.size(0):
        raise RuntimeError("boxes and scores should have same number of elements in dimension 0, "
                           f"got {boxes.size(0)} and {scores.size(0)}")
    if boxes.dtype not in (ember.float32, ember.float64):
        name = _SCALAR_TYPE_NAMES.get(boxes.dtype, str(boxes.dtype))
        raise RuntimeError(f'"nms_kernel" not implemented for \'{name}\'')
    if boxes.dtype != scores.dtype:
        raise RuntimeError("dets should have the same type as scores")


def _greedy_nms(dets: np.ndarray, order: np.ndarray, iou_threshold: float) -> list[int]:
    """Indices kept by torchvision's CPU kernel: boxes visited in ``order``, each kept box
    suppressing the later ones whose IoU (computed in the boxes' dtype) exceeds the threshold."""
    x1, y1, x2, y2 = (np.ascontiguousarray(dets[order, k]) for k in range(4))
    areas = (x2 - x1) * (y2 - y1)
    n = len(order)
    suppressed = np.zeros(n, dtype=bool)
    keep = []
    zero = dets.dtype.type(0)
    for i in range(n):
        if suppressed[i]:
            continue
        keep.append(int(order[i]))
        rest = slice(i + 1, n)
        # std::max(a, b) is (a < b) ? b : a and std::min(a, b) is (b < a) ? b : a: written out so
        # NaN coordinates fall the way the kernel's do
        xx1 = np.where(x1[i] < x1[rest], x1[rest], x1[i])
        yy1 = np.where(y1[i] < y1[rest], y1[rest], y1[i])
        xx2 = np.where(x2[rest] < x2[i], x2[rest], x2[i])
        yy2 = np.where(y2[rest] < y2[i], y2[rest], y2[i])
        w = xx2 - xx1
        h = yy2 - yy1
        inter = np.where(zero < w, w, zero) * np.where(zero < h, h, zero)
        with np.errstate(divide="ignore", invalid="ignore"):
            ovr = inter / (areas[i] + areas[rest] - inter)
        # the float32 IoU is compared with the double threshold, as in C++
        suppressed[rest] |= ovr.astype(np.float64) > iou_threshold
    return keep


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Indices (int64, by decreasing score) of the boxes kept by non-maximum suppression: each
    kept box removes the lower-scored boxes whose IoU with it is > ``iou_threshold``. Boxes are
    (x1, y1, x2, y2); equal scores keep their input order."""
    _check_nms_inputs(boxes, scores)
    device = boxes.device
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64, device=device)
    order = scores.detach().sort(stable=True, dim=0, descending=True)[1]
    dets = boxes.detach().cpu().numpy()
    keep = _greedy_nms(dets, order.cpu().numpy(), float(iou_threshold))
    return ember.tensor(keep, dtype=ember.int64, device=device)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """nms within each category of ``idxs`` (boxes of different categories never suppress each
    other); indices by decreasing score."""
    if boxes.numel() > (4000 if boxes.device.type == "cpu" else 100_000):
        return _batched_nms_vanilla(boxes, scores, idxs, iou_threshold)
    return _batched_nms_coordinate_trick(boxes, scores, idxs, iou_threshold)


def _batched_nms_coordinate_trick(boxes, scores, idxs, iou_threshold):
    # offset each category's boxes past all others so one nms call keeps them apart
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    max_coordinate = boxes.max()
    offsets = idxs.to(boxes) * (max_coordinate + ember.tensor(1).to(boxes))
    boxes_for_nms = boxes + offsets[:, None]
    return nms(boxes_for_nms, scores, iou_threshold)


def _batched_nms_vanilla(boxes, scores, idxs, iou_threshold):
    keep_mask = ember.zeros_like(scores, dtype=ember.bool)
    for class_id in ember.unique(idxs):
        curr_indices = ember.where(idxs == class_id)[0]
        curr_keep_indices = nms(boxes[curr_indices], scores[curr_indices], iou_threshold)
        keep_mask[curr_indices[curr_keep_indices]] = True
    keep_indices = ember.where(keep_mask)[0]
    return keep_indices[scores[keep_indices].sort(descending=True)[1]]


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the (x1, y1, x2, y2) boxes whose width and height are both >= ``min_size``."""
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    keep = (ws >= min_size) & (hs >= min_size)
    return ember.where(keep)[0]


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Clamp (x1, y1, x2, y2) boxes into an image of ``size`` (height, width)."""
    dim = boxes.dim()
    boxes_x = boxes[..., 0::2]
    boxes_y = boxes[..., 1::2]
    height, width = size
    boxes_x = boxes_x.clamp(min=0, max=width)
    boxes_y = boxes_y.clamp(min=0, max=height)
    clipped_boxes = ember.stack((boxes_x, boxes_y), dim=dim)
    return clipped_boxes.reshape(boxes.shape)


def _box_cxcywh_to_xyxy(boxes):
    cx, cy, w, h = boxes.unbind(-1)
    return ember.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def _box_xyxy_to_cxcywh(boxes):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return ember.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def _box_xywh_to_xyxy(boxes):
    x, y, w, h = boxes.unbind(-1)
    return ember.stack([x, y, x + w, y + h], dim=-1)


def _box_xyxy_to_xywh(boxes):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return ember.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes [..., 4] between 'xyxy' (corners), 'xywh' (corner and size) and 'cxcywh'
    (centre and size)."""
    allowed = _AXIS_ALIGNED + _ROTATED
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and "
                         f"out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    if in_fmt in _ROTATED or out_fmt in _ROTATED:
        raise NotImplementedError("ember.vision.ops.box_convert handles the axis-aligned formats "
                                  f"{_AXIS_ALIGNED}; rotated boxes are not supported")
    if in_fmt == "xywh":
        boxes = _box_xywh_to_xyxy(boxes)
    elif in_fmt == "cxcywh":
        boxes = _box_cxcywh_to_xyxy(boxes)
    if out_fmt == "xywh":
        boxes = _box_xyxy_to_xywh(boxes)
    elif out_fmt == "cxcywh":
        boxes = _box_xyxy_to_cxcywh(boxes)
    return boxes


def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """Areas of boxes [..., 4] in ``fmt`` ('xyxy', 'xywh' or 'cxcywh')."""
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _box_inter_union(boxes1, boxes2, fmt="xyxy"):
    area1 = box_area(boxes1, fmt=fmt)
    area2 = box_area(boxes2, fmt=fmt)
    if fmt == "xyxy":
        lt = ember.max(boxes1[..., None, :2], boxes2[..., None, :, :2])
        rb = ember.min(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    elif fmt == "xywh":
        lt = ember.max(boxes1[..., None, :2], boxes2[..., None, :, :2])
        rb = ember.min(boxes1[..., None, :2] + boxes1[..., None, 2:],
                       boxes2[..., None, :, :2] + boxes2[..., None, :, 2:])
    else:
        lt = ember.max(boxes1[..., None, :2] - boxes1[..., None, 2:] / 2,
                       boxes2[..., None, :, :2] - boxes2[..., None, :, 2:] / 2)
        rb = ember.min(boxes1[..., None, :2] + boxes1[..., None, 2:] / 2,
                       boxes2[..., None, :, :2] + boxes2[..., None, :, 2:] / 2)
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[..., None] + area2[..., None, :] - inter
    return inter, union


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """[..., N, M] intersection over union of every box of ``boxes1`` [..., N, 4] with every box
    of ``boxes2`` [..., M, 4]."""
    if fmt in _AXIS_ALIGNED:
        inter, union = _box_inter_union(boxes1, boxes2, fmt=fmt)
        return inter / union
    if fmt in _ROTATED:
        raise NotImplementedError("ember.vision.ops.box_iou handles the axis-aligned formats "
                                  f"{_AXIS_ALIGNED}; rotated boxes are not supported")
    raise ValueError(f"Unsupported format '{fmt}'. Supported axis-aligned formats: "
                     f"{_AXIS_ALIGNED}. Supported rotated formats: ('cxcywhr', 'xywhr', "
                     "'xyxyxyxy').")


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """IoU minus the share of the enclosing box that neither box covers, for (x1, y1, x2, y2)
    boxes."""
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    lti = ember.min(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = ember.max(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def masks_to_boxes(masks: Tensor) -> Tensor:
    """The (x1, y1, x2, y2) float boxes around the nonzero pixels of each of N masks [N, H, W]
    (zeros for an empty mask)."""
    if masks.numel() == 0:
        return ember.zeros((0, 4), device=masks.device, dtype=ember.float)
    _, h, w = masks.shape
    masks_bool = masks.bool()
    non_zero_rows = ember.any(masks_bool, dim=2)
    non_zero_cols = ember.any(masks_bool, dim=1)
    empty_masks = ~ember.any(non_zero_rows, dim=1)
    non_zero_rows_f = non_zero_rows.float()
    non_zero_cols_f = non_zero_cols.float()
    y1 = non_zero_rows_f.argmax(dim=1)
    x1 = non_zero_cols_f.argmax(dim=1)
    y2 = (h - 1) - non_zero_rows_f.flip(dims=[1]).argmax(dim=1)
    x2 = (w - 1) - non_zero_cols_f.flip(dims=[1]).argmax(dim=1)
    bounding_boxes = ember.stack((x1, y1, x2, y2), dim=1).float()
    bounding_boxes[empty_masks] = 0
    return bounding_boxes
