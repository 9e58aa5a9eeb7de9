"""ember.backends.cuda: CUDA's switches (torch.backends.cuda). Ember's GPU path is CuPy.

- ``is_built()`` says whether Ember could use a GPU at all: in torch it reports that the binary was
  compiled with CUDA, whether or not a GPU or driver is present; Ember's counterpart of that
  build is an importable CuPy. Whether a GPU is present and usable is ember.cuda.is_available().
- ``matmul.allow_tf32`` is torch's flag, tied as in torch to the float32 matmul precision:
  True sets it to 'high', False to 'highest', and it reads True unless the precision is
  'highest' (the default, so the flag starts False). Ember's matmuls always compute float32 at
  full precision; the flag is recorded and read back."""

from __future__ import annotations

import importlib

from ember import _settings

__all__ = ["is_built", "matmul"]


def is_built() -> bool:
    """Whether Ember can use CUDA, i.e. CuPy is importable (torch.backends.cuda.is_built); False
    without it. Like torch's, True says nothing about a GPU being present."""
    try:
        importlib.import_module("cupy")
    except Exception:  # noqa: BLE001 - a CuPy that fails to import in any way is not usable
        return False
    return True


class cuBLASModule:  # noqa: N801 - torch's name
    """torch.backends.cuda.matmul: cuBLAS's switches, read and set as attributes; an unknown
    name raises AttributeError, as in torch. Ember offers allow_tf32 only."""

    def __getattr__(self, name):
        if name == "allow_tf32":
            return _settings.get_float32_matmul_precision() != "highest"
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name != "allow_tf32":
            raise AttributeError(f"Unknown attribute {name}")
        if not isinstance(value, bool):
            raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got "
                               f"{type(value).__name__}")
        _settings.set_float32_matmul_precision("high" if value else "highest")


matmul = cuBLASModule()
