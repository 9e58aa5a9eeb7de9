"""transforms.functional on tensor images of shape [..., C, H, W]: conversions, geometry, blur
and erasing through Ember's ops, with torchvision's formulas, casts and rounding so that the
numbers agree (the colour functions are in _functional_tensor_color)."""

from __future__ import annotations

import numpy as np

import ember
from ember.nn import functional as nnf

Tensor = ember.Tensor


def _assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, "
                        f"but found {c}")


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a tensor image."""
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def _max_value(dtype) -> int:
    maxima = {ember.uint8: 255, ember.int8: 127, ember.int16: 32767,
              ember.int32: 2147483647, ember.int64: 9223372036854775807}
    return maxima.get(dtype, 1)


def convert_image_dtype(image: Tensor, dtype=ember.float) -> Tensor:
    """Convert to ``dtype`` and rescale the values (ints span [0, max], floats [0, 1]), with
    torchvision's eps rule for float -> int."""
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
# geometry: pad, crop, flips, resize


def _parse_pad_padding(padding):
    """[left, right, top, bottom] from an int or a 1, 2 or 4 element sequence."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _pad_symmetric(img, padding):
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


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad with a constant, edge, reflect or symmetric border (padding as torchvision's)."""
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
        return _pad_symmetric(img, p)
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


def crop(img, top: int, left: int, height: int, width: int):
    """The box (top, left, height, width); outside the image is zero-filled."""
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def hflip(img):
    """Mirror left-right."""
    _assert_image_tensor(img)
    return img.flip(-1)


def vflip(img):
    """Mirror top-bottom."""
    _assert_image_tensor(img)
    return img.flip(-2)


def resize(img, output_size, interpolation="bilinear", antialias=True):
    """interpolate to ``output_size`` (h, w), antialiased for bilinear/bicubic when asked; integer
    images are computed in float32 and rounded back."""
    mode = interpolation
    antialias = bool(antialias) and mode in ("bilinear", "bicubic")
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [ember.float32,
                                                                     ember.float64])
    align_corners = False if mode in ("bilinear", "bicubic") else None
    img = nnf.interpolate(img, size=output_size, mode=mode, align_corners=align_corners,
                          antialias=antialias)
    if mode == "bicubic" and out_dtype == ember.uint8:
        img = img.clamp(min=0, max=255)
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


# ---------------------------------------------------------------------------------------------
# blur and erasing


def _get_gaussian_kernel1d(kernel_size, sigma, dtype, device):
    ksize_half = (kernel_size - 1) * 0.5
    x = ember.linspace(-ksize_half, ksize_half, steps=kernel_size, dtype=dtype, device=device)
    pdf = ember.exp(-0.5 * (x / sigma).pow(2))
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma):
    """Separable Gaussian kernel with reflect padding."""
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


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False):
    """Set img[..., i:i+h, j:j+w] = v (a copy unless ``inplace``)."""
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


# ---------------------------------------------------------------------------------------------
# affine, rotation, perspective: grid_sample over a grid of source coordinates


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


def affine(img, matrix, interpolation="nearest", fill=None):
    """Sample the image at the inverse affine ``matrix`` (6 values) of each output pixel."""
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


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    """affine with an output canvas grown to hold the rotated image when ``expand``."""
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


def perspective(img, coeffs, interpolation="bilinear", fill=None):
    """Sample the image through Pillow's 8-coefficient perspective mapping."""
    _assert_grid_transform_inputs(img, None, interpolation, fill, coeffs=coeffs)
    ow, oh = img.shape[-1], img.shape[-2]
    dtype = img.dtype if img.is_floating_point() else ember.float32
    grid = _perspective_grid(coeffs, ow, oh, dtype, img.device)
    return _apply_grid_transform(img, grid, interpolation, fill)

