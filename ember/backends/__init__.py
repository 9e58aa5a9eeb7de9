"""ember.backends: the switches torch.backends offers for its native libraries. Ember runs on
NumPy (and CuPy), so the libraries are reported unavailable and the switches are recorded."""

from ember.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
