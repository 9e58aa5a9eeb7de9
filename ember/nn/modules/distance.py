"""PairwiseDistance and CosineSimilarity, with torch.nn's attribute names."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.modules.module import Module


class PairwiseDistance(Module):
    """The p-norm distance between rows of x1 and x2; the order is kept as ``norm``, as torch
    names it (torch.nn.PairwiseDistance)."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """Cosine similarity along ``dim`` (torch.nn.CosineSimilarity)."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
