"""Distances between vectors: pairwise_distance and pdist, with torch's formulas (composites:
their gradients come from the ops they are made of). cosine_similarity is the nn core's, in
ember/nn/_functional_core.py."""

from __future__ import annotations

from ember._ops import reduce_misc as Rm


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps over the last dim of the broadcast shape
    (torch.nn.functional.pairwise_distance)."""
    dim = max(x1.ndim, x2.ndim) - 1
    return Rm.norm(x1 - x2 + eps, p, dim if dim >= 0 else None, keepdim)


def pdist(input, p=2):
    """Distances between all pairs of rows i < j, in row-major order (torch.nn.functional.pdist)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    rows = [i for i in range(n) for _ in range(i + 1, n)]
    cols = [j for i in range(n) for j in range(i + 1, n)]
    if not rows:
        return input.new_zeros(0)
    diff = input[rows] - input[cols]
    return Rm.norm(diff, p, 1)
