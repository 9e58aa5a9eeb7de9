"""``python -m ember.compat script.py [args]``: run a PyTorch script on Ember, unchanged.

Installs the import hook of :mod:`ember.compat`, then runs the script as ``__main__`` with
``sys.argv == [script, *args]`` and the script's directory first on ``sys.path``, as
``python script.py`` would (``sys.argv[0]`` and ``__file__`` hold the script's absolute
path). ``python -m ember.compat -m module [args]`` runs a module the way ``python -m module``
does.
"""

from __future__ import annotations

import os
import runpy
import sys

from ember import compat

USAGE = """\
usage: python -m ember.compat script.py [args ...]
       python -m ember.compat -m module [args ...]

Runs a PyTorch script or module with `import torch` (and `import torchvision`) served by Ember.
"""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (2 on a usage error)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if not argv or (argv[0] == "-m" and len(argv) < 2):
        sys.stderr.write(USAGE)
        return 2
    compat.install()
    if argv[0] == "-m":
        # run_module's alter_sys puts the module's file in sys.argv[0], as python -m does
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    # NOTE: an absolute path, because python script.py gives __main__ an absolute __file__ and
    # run_path copies its argument there (and into sys.argv[0], for the run).
    script = os.path.abspath(argv[0])
    sys.argv = [script, *argv[1:]]
    # python script.py puts the script's directory, not the current one, first on sys.path
    sys.path[0] = os.path.dirname(script)
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
