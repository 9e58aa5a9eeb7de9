"""Module._apply and Module.to: moving and casting parameters and buffers, keeping each
Parameter (and its .grad) the same object, as torch does. Module methods (module.py binds
them)."""

from __future__ import annotations

import warnings

from ember._dtype import FLOAT
from ember._ops.conversion import _parse_to
from ember.autograd.grad_mode import no_grad


def apply(self, fn, recurse=True):
    """Apply ``fn`` to every parameter, gradient and buffer. Parameters and their gradients
    keep their identity: their data is replaced in place (torch's default), so optimizers
    built before ``model.to(...)`` still hold the module's parameters."""
    if recurse:
        for module in self.children():
            module._apply(fn)
    for param in self._parameters.values():
        if param is None:
            continue
        with no_grad():
            param.data = fn(param)
            if param._grad is not None:
                param._grad.data = fn(param._grad)
    for key, buf in self._buffers.items():
        if buf is not None:
            self._buffers[key] = fn(buf)
    return self


def to(self, *args, **kwargs):
    """Move and/or cast parameters and buffers in place (torch.nn.Module.to): to(device),
    to(dtype), to(device, dtype), to(tensor). Integer tensors keep their dtype."""
    dtype, device = _parse_to(args, {k: v for k, v in kwargs.items()
                                     if k in ("dtype", "device")})
    if dtype is not None:
        if dtype.category < FLOAT:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")
        if dtype.is_complex:
            warnings.warn("Complex modules are a new feature under active development whose "
                          "design may change, and some modules might not work as expected when "
                          "using complex tensors as parameters or buffers.", stacklevel=2)

    def convert(t):
        float_like = t.is_floating_point() or t.is_complex()
        return t.to(device, dtype if float_like else None)

    return self._apply(convert)
