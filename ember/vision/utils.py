"""torchvision.utils: make_grid, save_image, draw_bounding_boxes and draw_segmentation_masks."""

from __future__ import annotations

import math
import warnings

import ember

Tensor = ember.Tensor


def _as_batch(tensor):
    """A 4D (B, C, H, W) batch from a list of images, an HW or a CHW image; single channels are
    repeated to three, as torchvision does."""
    if not isinstance(tensor, Tensor):
        if not isinstance(tensor, list):
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing "
                                f"{type(t)}")
        tensor = ember.stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = ember.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = ember.cat((tensor, tensor, tensor), 1)
    return tensor


def _norm_range(t, value_range):
    low, high = value_range if value_range is not None else (float(t.min()), float(t.max()))
    t.clamp_(min=low, max=high)
    t.sub_(low).div_(max(high - low, 1e-5))


@ember.no_grad()
def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range=None, scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """Tile a (B, C, H, W) batch (or a list of images) into one image, ``nrow`` per row, with
    ``padding`` pixels of ``pad_value`` between and around; ``normalize`` maps value_range (or
    min..max, per image with ``scale_each``) to [0, 1]."""
    tensor = _as_batch(tensor)
    if normalize is True:
        tensor = tensor.clone()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")
        for t in (tensor if scale_each is True else [tensor]):
            _norm_range(t, value_range)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    num_channels = tensor.size(1)
    grid = tensor.new_full((num_channels, height * ymaps + padding, width * xmaps + padding),
                           pad_value)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid.narrow(1, y * height + padding, height - padding).narrow(
            2, x * width + padding, width - padding).copy_(tensor[k])
    return grid


@ember.no_grad()
def save_image(tensor, fp, format=None, **kwargs) -> None:
    """make_grid(tensor, **kwargs) scaled to [0, 255] with rounding, written with Pillow to a
    path or file object (``format`` needed for file objects)."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("save_image needs Pillow: pip install 'ember[vision]'") from e
    grid = make_grid(tensor, **kwargs)
    ndarr = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", ember.uint8)
    Image.fromarray(ndarr.numpy()).save(fp, format=format)


# ---------------------------------------------------------------------------------------------
# drawing


def _generate_color_palette(num_objects: int):
    palette = ember.tensor([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [tuple((i * palette) % 255) for i in range(num_objects)]


def _parse_colors(colors, *, num_objects: int, dtype=ember.uint8):
    """One RGB tuple per object from None (torchvision's palette), one colour (a name, '#hex' or
    an RGB tuple) or a list of them; in [0, 1] for a float ``dtype``."""
    from PIL import ImageColor

    if colors is None:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError("Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got "
                         f"{colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got "
                         f"{colors}.")
    else:
        colors = [colors] * num_objects
    colors = [ImageColor.getrgb(color) if isinstance(color, str) else color for color in colors]
    if dtype.is_floating_point:
        colors = [tuple(v / 255 for v in color) for color in colors]
    return colors


def _pil_color(color):
    # the palette holds 0-dim tensors, which Pillow's drawing code cannot take
    return tuple(int(v) for v in color)


def _dashed_line(draw, xy, fill=None, width=0, dash_length=5, space_length=5):
    """torchvision's dashed first edge of an oriented box: dashes and gaps of 5 pixels."""
    current_dash = True
    for i in range(1, len(xy)):
        x1, y1 = xy[i - 1]
        x2, y2 = xy[i]
        segment_length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        while segment_length > 0:
            step = min(segment_length, dash_length if current_dash else space_length)
            angle = math.atan2(y2 - y1, x2 - x1)
            end_x, end_y = x1 + math.cos(angle) * step, y1 + math.sin(angle) * step
            if current_dash:
                draw.line([(x1, y1), (end_x, end_y)], fill, width, None)
            segment_length -= step
            x1, y1 = end_x, end_y
            current_dash = not current_dash


def _oriented_rectangle(draw, xy, fill=None, outline=None, width=1):
    _dashed_line(draw, ((xy[0], xy[1]), (xy[2], xy[3])), width=width, fill=outline)
    for i in range(2, len(xy), 2):
        draw.line(((xy[i], xy[i + 1]), (xy[(i + 2) % len(xy)], xy[(i + 3) % len(xy)])),
                  width=width, fill=outline)
    draw.polygon(xy, fill=fill, outline=None, width=0)


def _check_draw_image(image, name="Tensor expected", channels=(1, 3),
                      channels_msg="Only grayscale and RGB images are supported"):
    if not isinstance(image, Tensor):
        raise TypeError(f"{name}, got {type(image)}")
    if not (image.dtype == ember.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if image.size(0) not in channels:
        raise ValueError(channels_msg)


@ember.no_grad()
def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill=False, width=1, font=None,
                        font_size=None, label_colors=None, label_background_colors=None,
                        fill_labels=False) -> Tensor:
    """Draw (xmin, ymin, xmax, ymax) boxes, or (N, 8) oriented boxes given by their corners, on a
    (C, H, W) uint8 or float image with Pillow, optionally filled (alpha 100) and labelled
    (Pillow's default font unless ``font`` names a TrueType file). Returns a uint8 image, or
    the input's float dtype."""
    from PIL import ImageDraw, ImageFont

    from ember.vision.transforms import _functional_pil as F_pil
    from ember.vision.transforms import _functional_tensor as F_t

    _check_draw_image(image)
    if boxes.shape[-1] == 4 and ((boxes[:, 0] > boxes[:, 2]).any()
                                 or (boxes[:, 1] > boxes[:, 3]).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "torchvision.ops.box_convert to convert them")
    num_boxes = boxes.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. "
                         "Please specify labels for each box.")
    colors = _parse_colors(colors, num_objects=num_boxes)
    if label_colors or fill_labels:
        label_colors = _parse_colors(label_colors if label_colors else "black",
                                     num_objects=num_boxes)
    else:
        label_colors = colors.copy()
    if fill_labels and label_background_colors:
        label_background_colors = _parse_colors(label_background_colors, num_objects=num_boxes)
    else:
        label_background_colors = colors.copy()
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.",
                          stacklevel=2)
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)

    if image.size(0) == 1:
        image = ember.tile(image, (3, 1, 1))
    original_dtype = image.dtype
    if original_dtype.is_floating_point:
        image = F_t.convert_image_dtype(image, ember.uint8)
    img_to_draw = F_pil.to_pil_image(image)
    img_boxes = boxes.to(ember.int64).tolist()
    draw = ImageDraw.Draw(img_to_draw, "RGBA" if fill else None)
    for bbox, color, label, label_color, label_bg_color in zip(
            img_boxes, colors, labels, label_colors, label_background_colors):
        color = _pil_color(color)
        fill_color = color + (100,) if fill else None
        if len(bbox) > 4:
            _oriented_rectangle(draw, bbox, width=width, outline=color, fill=fill_color)
        else:
            draw.rectangle(bbox, width=width, outline=color, fill=fill_color)
        if label is not None:
            box_margin = 1
            margin = width + box_margin
            xy = (bbox[0] + margin, bbox[1] + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(xy, label, font=txt_font)
                draw.rectangle((left - box_margin, top - box_margin, right + box_margin,
                                bottom + box_margin), fill=_pil_color(label_bg_color))
            draw.text(xy, label, fill=_pil_color(label_color), font=txt_font)
    out = F_pil.pil_to_tensor(img_to_draw)
    if original_dtype.is_floating_point:
        # uint8 -> float as transforms.v2's to_dtype scales it: times the reciprocal of 255
        out = out.to(original_dtype).mul_(1.0 / 255)
    return out


@ember.no_grad()
def draw_segmentation_masks(image, masks, alpha: float = 0.8, colors=None) -> Tensor:
    """Blend boolean masks (N, H, W) or (H, W) over a (3, H, W) uint8 or float image: each mask
    in its colour with weight ``alpha``, pixels under two or more masks blended with black."""
    _check_draw_image(image, "The image must be a tensor", (3,),
                      "Pass an RGB image. Other Image formats are not supported")
    if masks.ndim == 2:
        masks = masks[None, :, :]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype != ember.bool:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if masks.shape[-2:] != image.shape[-2:]:
        raise ValueError("The image and the masks must have the same height and width")
    num_masks = masks.size()[0]
    overlapping_masks = masks.sum(dim=0) > 1
    if num_masks == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image
    original_dtype = image.dtype
    colors = [ember.tensor(color, dtype=original_dtype, device=image.device)
              for color in _parse_colors(colors, num_objects=num_masks, dtype=original_dtype)]
    img_to_draw = image.detach().clone()
    for mask, color in zip(masks, colors):
        img_to_draw[:, mask] = color[:, None]
    img_to_draw[:, overlapping_masks] = 0
    out = image * (1 - alpha) + img_to_draw * alpha
    return out.to(original_dtype)
