"""ember.compat: ``import torch`` (and ``import torchvision``) served by Ember.

After :func:`install`, a PyTorch script runs on Ember unchanged::

    import ember.compat
    ember.compat.install()

    import torch                      # the ember module itself: torch is ember
    import torch.nn as nn             # ember.nn
    from torch.utils.data import DataLoader   # ember.utils.data.DataLoader

or, without touching the script at all, ``python -m ember.compat script.py [args]``.

How it works
------------
``import a.b`` asks ``sys.modules`` first; only on a miss does Python consult the *finders* listed
in ``sys.meta_path``, in order. Each finder's ``find_spec(name, path, target)`` either returns
``None`` ("not mine, ask the next finder") or a ``ModuleSpec``: the module's name and the
*loader* that will produce it. The import system then calls ``loader.create_module(spec)``
(``None`` would mean "make an empty module for me"), puts the result in ``sys.modules[name]``,
calls ``loader.exec_module(module)`` to run the module's code, and binds the module as an
attribute of its parent package (``torch.nn`` becomes ``torch``'s attribute ``nn``).

This module puts one finder at the front of ``sys.meta_path``. It claims ``torch``,
``torch.*``, ``torchvision`` and ``torchvision.*`` and maps each name to Ember's by prefix:
``torch.X.Y`` -> ``ember.X.Y`` and ``torchvision.X`` -> ``ember.vision.X``. Nothing is copied
or listed: whatever Ember module exists under the mapped name is served, so a new Ember
subpackage becomes importable as ``torch.*`` the day it lands. The loader's ``create_module``
imports the Ember module under its own name and returns that very object, so
``sys.modules['torch.nn'] is sys.modules['ember.nn']``, and ``exec_module`` has nothing left to
run. Ember's modules keep their own ``__name__`` (``torch.__name__ == 'ember'``), so classes
pickle, and print, as ``ember.*``.

A name with no Ember counterpart (``torch.distributed`` before Ember has it, ``torch._C``)
raises ``ModuleNotFoundError`` -- the ``ImportError`` subclass Python itself raises for a
missing module -- from the finder, naming the module and saying Ember does not provide it.
The finder raises rather than returning ``None``: the next finder would otherwise search
``torch.__path__``, which is Ember's directory, and could load a second copy of an Ember file
under a ``torch.*`` name, or find an installed PyTorch's module and mix the two libraries.

Real PyTorch already imported
-----------------------------
:func:`install` takes every ``torch``/``torchvision`` entry out of ``sys.modules`` (keeping them
aside), so *later* imports get Ember: ``sys.modules`` is consulted before any finder, and a
cached real ``torch`` would otherwise shadow the hook. Names already bound to real PyTorch
(``torch`` in a module that imported it before ``install()``) keep pointing at real PyTorch,
and its tensors do not mix with Ember's. Real PyTorch code that imports one of its submodules
lazily while the hook is installed gets Ember's module or an ImportError instead.
:func:`uninstall` removes the finder and the aliases it made, and puts the real modules back.

Limits: worker processes started with ``spawn`` or ``forkserver`` begin without the hook
(``fork``, Linux's default before Python 3.14, inherits it); a fresh interpreter started by the
script itself does too.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

__all__ = ["install", "uninstall", "is_installed", "ember_name"]

# Prefix of a foreign name -> prefix of the Ember name that serves it.
_PREFIXES = {"torch": "ember", "torchvision": "ember.vision"}


def ember_name(name: str) -> str | None:
    """The Ember module name that serves ``name`` (``torch.nn`` -> ``ember.nn``), or None
    when ``name`` is not a torch or torchvision module."""
    top, dot, rest = name.partition(".")
    prefix = _PREFIXES.get(top)
    if prefix is None:
        return None
    return prefix + dot + rest


def _missing(target: str, error: ModuleNotFoundError) -> bool:
    """Whether ``error`` says ``target`` (or a package above it) does not exist, as opposed to
    a dependency of an existing Ember module being missing."""
    return error.name is not None and (target == error.name or target.startswith(error.name + "."))


class _AliasLoader(importlib.abc.Loader):
    """Loads a torch name by importing its Ember module and handing over that same object."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.own_spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # The Ember module ran its code when create_module imported it. Since then the import
        # system has set its __spec__ to the alias's spec (it does so even on an existing
        # module); give it its own back, so that importlib.reload(ember.nn) and
        # importlib.util.find_spec("ember.nn") keep seeing Ember's names.
        module.__spec__ = self.own_spec


class _TorchFinder(importlib.abc.MetaPathFinder):
    """Claims torch and torchvision names and serves the Ember module under the mapped name."""

    def find_spec(self, fullname, path=None, target=None):
        ember_target = ember_name(fullname)
        if ember_target is None:
            return None  # not ours: the next finder on sys.meta_path looks
        try:
            found = importlib.util.find_spec(ember_target)
        except ModuleNotFoundError as error:  # a package above the target is missing
            if not _missing(ember_target, error):
                raise
            found = None
        if found is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: it is not provided by Ember "
                f"(there is no {ember_target!r})",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(ember_target),
            origin=found.origin,
            is_package=found.submodule_search_locations is not None,
        )


_finder = _TorchFinder()
# Real torch / torchvision modules taken out of sys.modules by install(), for uninstall().
_displaced: dict = {}


def is_installed() -> bool:
    """True while the import hook is on sys.meta_path."""
    return _finder in sys.meta_path


def install() -> None:
    """Make ``import torch`` / ``import torchvision`` (and their submodules) resolve to Ember's
    modules for the rest of the process, or until :func:`uninstall`. Idempotent.

    A real PyTorch already in ``sys.modules`` is set aside, so later imports get Ember;
    references to it made before this call stay real PyTorch. ``uninstall()`` restores it."""
    if is_installed():
        return
    for name in list(sys.modules):
        if ember_name(name) is not None:
            _displaced[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Undo :func:`install`: remove the hook and the ``torch``/``torchvision`` aliases it made,
    and restore the real modules it set aside. A no-op when not installed."""
    while _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        target = ember_name(name)
        if target is not None and getattr(sys.modules[name], "__name__", None) == target:
            del sys.modules[name]
    sys.modules.update(_displaced)
    _displaced.clear()
