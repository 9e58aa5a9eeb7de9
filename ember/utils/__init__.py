"""torch.utils: data loading (ember.utils.data)."""

from ember.utils import data

__all__ = ["data"]
