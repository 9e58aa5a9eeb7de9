"""Module.get_submodule / set_submodule / get_parameter / get_buffer: members by dotted path,
with torch's AttributeError texts. Module methods (module.py binds them)."""

from __future__ import annotations


def _module_cls():
    from ember.nn.modules.module import Module

    return Module


def get_submodule(self, target):
    """The submodule at a dotted path ('' is the module itself)."""
    mod = self
    for item in target.split(".") if target else ():
        if not hasattr(mod, item):
            raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
        mod = getattr(mod, item)
        if not isinstance(mod, _module_cls()):
            raise AttributeError("`" + item + "` is not an nn.Module")
    return mod


def set_submodule(self, target, module, strict=False):
    """Replace the submodule at a dotted path (or, unless ``strict``, add it)."""
    Module = _module_cls()
    if target == "":
        raise ValueError("Cannot set the submodule without a target name!")
    if not isinstance(module, Module):
        raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
    parent_path, _, name = target.rpartition(".")
    parent = self.get_submodule(parent_path)
    if strict and not hasattr(parent, name):
        raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
    if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
        raise AttributeError("`" + name + "` is not an nn.Module")
    setattr(parent, name, module)


def _get_member(self, target, registry, what):
    module_path, _, name = target.rpartition(".")
    mod = self.get_submodule(module_path)
    if not hasattr(mod, name):
        raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
    if name not in getattr(mod, registry):
        raise AttributeError("`" + name + "` is not " + what)
    return getattr(mod, name)


def get_parameter(self, target):
    """The parameter at a dotted path, e.g. 'net.0.weight'."""
    return _get_member(self, target, "_parameters", "an nn.Parameter")


def get_buffer(self, target):
    """The buffer at a dotted path, e.g. 'bn.running_mean'."""
    return _get_member(self, target, "_buffers", "a buffer")
