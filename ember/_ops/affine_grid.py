"""affine_grid with torch.nn.functional's semantics: the sampling grid of a batch of affine maps,
for grid_sample. A composite of tensor ops (torch's affine_grid_generator: base points times theta
transposed), so it is differentiable in theta to any order."""

from __future__ import annotations

import math
import warnings

from ember._ops.creation import linspace, ones, zeros
from ember._ops.grid_sample import CORNERS_WARNING
from ember._ops.join import stack
from ember._ops.resample import _scalar_name


def _base_coords(theta, steps, align_corners):
    """torch's linspace_from_neg_one: pixel centres in [-1, 1] (corner centres at +-1 with
    align_corners); a single step sits at 0."""
    if steps <= 1:
        if theta.dtype.itemsize == 2:  # torch builds this 0 with at::tensor, which has no half
            raise NotImplementedError(f"\"tensor_cpu\" not implemented for "
                                      f"'{_scalar_name(theta.dtype)}'")
        return zeros(1, dtype=theta.dtype, device=theta.device)
    coords = linspace(-1, 1, steps, dtype=theta.dtype, device=theta.device)
    return coords if align_corners else coords * (steps - 1) / steps


def affine_grid(theta, size, align_corners: bool | None = None):
    """Sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine maps theta (N, 2, 3) or
    (N, 3, 4) (torch.nn.functional.affine_grid): torch's checks, warnings and values; a
    composite of tensor ops, so differentiable in theta to any order."""
    if align_corners is None:
        warnings.warn(CORNERS_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) in (4, 5):
        nd = len(size) - 2
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (nd, nd + 1):
            raise ValueError(f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} "
                             f"for size {size}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = [int(s) for s in size[2:]]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", UserWarning,
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return _affine_grid_generator(theta, int(size[0]), spatial, align_corners)


def _affine_grid_generator(theta, n, spatial, align_corners):
    """torch's affine_grid_generator: base points (x, y[, z], 1) times theta transposed."""
    nd = len(spatial)
    columns = []
    for d in range(nd):  # x runs along the last spatial dim, y the one before, ...
        axis = nd - 1 - d
        shape = [1] * nd
        shape[axis] = -1
        columns.append(_base_coords(theta, spatial[axis], align_corners).reshape(shape)
                       .expand(spatial))
    columns.append(ones(spatial, dtype=theta.dtype, device=theta.device))
    base = stack(columns, -1).expand([n] + spatial + [nd + 1])
    points = base.reshape(n, math.prod(spatial), nd + 1).bmm(theta.transpose(1, 2))
    return points.reshape([n] + spatial + [nd])
