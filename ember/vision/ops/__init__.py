"""torchvision.ops: non-maximum suppression and bounding-box utilities."""

from .boxes import (
    batched_nms,
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    generalized_box_iou,
    masks_to_boxes,
    nms,
    remove_small_boxes,
)

__all__ = [
    "nms", "batched_nms", "remove_small_boxes", "clip_boxes_to_image", "box_convert", "box_area",
    "box_iou", "generalized_box_iou", "masks_to_boxes",
]
