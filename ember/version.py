"""ember.version: build information, as torch.version. Ember is pure Python: no CUDA toolkit is
compiled in (its GPU path loads CuPy at run time) and there is no debug build."""

from ember import __version__

cuda = None
debug = False
hip = None
git_version = "Unknown"

__all__ = ["__version__", "cuda", "debug", "hip", "git_version"]
