"""The array module behind each device: NumPy on the CPU, CuPy (imported lazily) on CUDA."""

from __future__ import annotations

import numpy

_cupy = None
_cupy_error = None


def _import_cupy():
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no CUDA GPU found")
            _cupy = cupy
        except Exception as e:  # noqa: BLE001 - any failure means "no usable CUDA"
            _cupy_error = e
    return _cupy


def cuda_available() -> bool:
    return _import_cupy() is not None


def cuda_device_count() -> int:
    cp = _import_cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def cuda_module(device):
    """CuPy, or the RuntimeError torch gives when CUDA isn't available."""
    cp = _import_cupy()
    if cp is None:
        raise RuntimeError(
            f"Cannot use device '{device}': Ember was not able to use CUDA "
            f"(CuPy with a GPU is needed; install ember[gpu]). Reason: {_cupy_error}")
    return cp


def xp_of(device):
    """The array module for a device."""
    return numpy if device.type == "cpu" else cuda_module(device)


def to_host(array):
    """A NumPy array holding the same values (a no-op for NumPy arrays)."""
    return array if isinstance(array, numpy.ndarray) else array.get()
