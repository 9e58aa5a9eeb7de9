"""Bit-level comparisons for the random-stream tests: Ember's raw NumPy samples against torch's
tensors, generator positions, and chosen words planted in the mt19937 stream."""

import ml_dtypes
import numpy as np
import torch


def to_numpy(t):
    """torch's values as NumPy; bfloat16 reinterpreted bit for bit (torch has no NumPy one)."""
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.numpy()


def assert_same(ours, theirs):
    """Same dtype, shape and bits."""
    theirs = to_numpy(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    uint = np.dtype(f"u{ours.dtype.itemsize}")
    np.testing.assert_array_equal(ours.view(uint), theirs.view(uint))


def assert_aligned(ours, theirs):
    """Both generators at the same place in the stream: same state, same next uniforms."""
    np.testing.assert_array_equal(ours.get_state(), theirs.get_state().numpy())
    assert_same(ours.uniform((7,), np.float64), torch.rand(7, generator=theirs,
                                                           dtype=torch.float64))


def untemper(y):
    """Invert mt19937's output tempering, so that chosen words come out of the stream."""
    y = y ^ (y >> 18)
    y = y ^ ((y << 15) & 0xEFC60000)
    x = y
    for _ in range(5):
        x = y ^ ((x << 7) & 0x9D2C5680)
    y = x
    for _ in range(3):
        x = y ^ (x >> 11)
    return x.astype(np.uint64)
