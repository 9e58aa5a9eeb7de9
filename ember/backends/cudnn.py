"""ember.backends.cudnn: cuDNN's switches (torch.backends.cudnn). Ember does not use cuDNN (its
GPU path is CuPy), so is_available() is False and the flags are recorded and read back with
torch's defaults and type checks, changing nothing.

Set them as in torch: ``ember.backends.cudnn.benchmark = True``."""

from __future__ import annotations

import contextlib
import sys
import types

_flags = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True}
# torch's names for the setters, which its TypeError-like RuntimeErrors quote
_SETTERS = {"enabled": "set_enabled_cudnn", "benchmark": "set_benchmark_cudnn",
            "deterministic": "set_deterministic_cudnn", "allow_tf32": "set_allow_tf32_cublas"}


def is_available() -> bool:
    """False: Ember does not use cuDNN (torch.backends.cudnn.is_available)."""
    return False


def version():
    """None: no cuDNN is loaded (torch.backends.cudnn.version)."""
    return None


def is_acceptable(tensor) -> bool:
    """False: no tensor is ever handed to cuDNN (torch.backends.cudnn.is_acceptable)."""
    return False


def _set(name, value):
    if not isinstance(value, bool):
        raise RuntimeError(f"{_SETTERS[name]} expects a bool, but got {type(value).__name__}")
    _flags[name] = value


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    """Set the flags for a block and restore them after (torch.backends.cudnn.flags)."""
    saved = dict(_flags)
    new = {"enabled": enabled, "benchmark": benchmark, "deterministic": deterministic,
           "allow_tf32": allow_tf32}
    for name, value in new.items():
        _set(name, value)
    try:
        yield
    finally:
        _flags.update(saved)


def _flag(name):
    return property(lambda module: _flags[name], lambda module, value: _set(name, value),
                    doc=f"torch.backends.cudnn.{name}: recorded, with torch's default and check")


class _CudnnModule(types.ModuleType):
    """This module's class: its flags are properties, so assignments are type-checked."""

    enabled = _flag("enabled")
    benchmark = _flag("benchmark")
    deterministic = _flag("deterministic")
    allow_tf32 = _flag("allow_tf32")


sys.modules[__name__].__class__ = _CudnnModule
