"""Weight normalisation w = g v / ||v||, the hook-based form (torch.nn.utils.weight_norm), and
the two tensor functions both forms use (torch.norm_except_dim, torch._weight_norm)."""

from __future__ import annotations

import warnings

from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter, UninitializedParameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dim but ``dim``, kept with size 1 there; the whole
    tensor's norm (0-dim) for ``dim=-1`` (torch.norm_except_dim)."""
    if dim == -1:
        return v.norm(pow)
    last = v.ndim - 1
    if dim == 0:
        keep = [v.size(0)] + [1] * last
        return v.contiguous().view(v.size(0), -1).norm(pow, 1).view(keep)
    if dim == last:
        keep = [1] * last + [v.size(last)]
        return v.contiguous().view(-1, v.size(last)).norm(pow, 0).view(keep)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _weight_norm(v, g, dim=0):
    """v * (g / ||v||) with the norm taken over every dim but ``dim`` (torch._weight_norm).

    NOTE: composed of differentiable ops, so it has double backward everywhere; torch's fused
    kernel for dim 0 / last (grad_fn WeightNormInterfaceBackward0) gives the same values."""
    if v.device != g.device:
        raise RuntimeError(f"weight_norm: expected v_in and g_in to be on the same device, but "
                           f"v_in is on {v.device} and g_in is on {g.device}")
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and
    ``<name>_v`` before each call (torch.nn.utils.weight_norm.WeightNorm)."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`ember.nn.utils.weight_norm` is deprecated in favor of "
                      "`ember.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError(
                "The module passed to `WeightNorm` can't have uninitialized parameters. Make sure "
                "to run the dummy forward before applying weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split parameter ``name`` into ``name_g`` (magnitude) and ``name_v`` (direction) and
    recompute it before every forward (torch.nn.utils.weight_norm, deprecated there in favour
    of parametrizations.weight_norm; so is this one). ``dim=None`` takes one norm over the
    whole tensor."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Make ``name`` a plain parameter again, holding its current value
    (torch.nn.utils.remove_weight_norm)."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
