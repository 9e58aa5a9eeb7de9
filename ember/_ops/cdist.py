"""cdist: p-norm distances between the rows of two batches of row vectors (torch.cdist), a
composite of subtraction and norm whose gradient comes from those ops."""

from __future__ import annotations

import math

from ember._ops import reduce_misc as Rm
from ember._ops.factory_args import _scalar_name

_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                  "donot_use_mm_for_euclid_dist")


def _check(x1, x2, p, compute_mode):
    for t, name in ((x1, "X1"), (x2, "X2")):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_scalar_name(t.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(x1.dtype)} but found "
                           f"{_scalar_name(x2.dtype)}")
    if x1.dtype.itemsize == 2:
        raise NotImplementedError(f"\"cdist\" not implemented for '{_scalar_name(x1.dtype)}'")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """||x1[..., i, :] - x2[..., j, :]||_p for every i, j, batch dims broadcast: (B, P, M) and
    (B, R, M) give (B, P, R) (torch.cdist), with torch's errors. compute_mode is checked and
    otherwise ignored: Ember always takes the differences directly (torch may use a matmul
    expansion for p=2 on large inputs, which differs from this only by rounding)."""
    _check(x1, x2, p, compute_mode)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if 0 < p < 1:
        return _fractional_norm(diff, p)
    if p != math.inf or diff.shape[-1] == 0:
        return Rm.norm(diff, p, -1)
    # NOTE: torch's cdist sends the gradient of the inf-norm to every coordinate that attains the
    # maximum, where amax splits it among ties. The tie mask times (|diff| - max) is zero, so
    # this adds nothing to the value and gives each tied coordinate the full gradient.
    size = diff.abs()
    top = size.amax(-1, keepdim=True).detach()
    return (top + ((size - top) * (size == top)).sum(-1, keepdim=True)).squeeze(-1)


def _fractional_norm(diff, p):
    # NOTE: for p < 1, |d| ** p has an infinite slope at d = 0, and the norm's gradient there is
    # 0 * inf = nan; torch's cdist gives such coordinates a zero gradient. Raising 1 in their
    # place and masking the result keeps the value and makes their gradient 0.
    zero = diff == 0
    powered = (diff.abs().masked_fill(zero, 1.0) ** p).masked_fill(zero, 0.0)
    return powered.sum(-1) ** (1.0 / p)
