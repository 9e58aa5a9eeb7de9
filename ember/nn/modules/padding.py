"""Padding layers (torch.nn.ConstantPad1d ... CircularPad3d): each stores ``padding`` as the
tuple F.pad takes, reprs as torch's, and forwards to F.pad."""

from __future__ import annotations

from ember._ops.pad import pad
from ember.nn.modules.conv import ntuple
from ember.nn.modules.module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]


class _PadNd(Module):
    _nd, _mode = 1, "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = ntuple(padding, 2 * self._nd)

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """torch.nn.ConstantPad1d."""

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """torch.nn.ConstantPad2d."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """torch.nn.ConstantPad3d."""

    _nd = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """torch.nn.ZeroPad1d."""

    _nd = 1


class ZeroPad2d(_ZeroPadNd):
    """torch.nn.ZeroPad2d."""

    _nd = 2


class ZeroPad3d(_ZeroPadNd):
    """torch.nn.ZeroPad3d."""

    _nd = 3


class ReflectionPad1d(_PadNd):
    """torch.nn.ReflectionPad1d."""

    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """torch.nn.ReflectionPad2d."""

    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """torch.nn.ReflectionPad3d."""

    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """torch.nn.ReplicationPad1d."""

    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """torch.nn.ReplicationPad2d."""

    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """torch.nn.ReplicationPad3d."""

    _nd, _mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        # torch's circular layers check the rank themselves, with a ValueError
        if input.ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"expected {self._nd + 1}D or {self._nd + 2}D input (got "
                             f"{input.ndim}D input)")
        return pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """torch.nn.CircularPad1d."""

    _nd = 1


class CircularPad2d(_CircularPadNd):
    """torch.nn.CircularPad2d."""

    _nd = 2


class CircularPad3d(_CircularPadNd):
    """torch.nn.CircularPad3d."""

    _nd = 3
