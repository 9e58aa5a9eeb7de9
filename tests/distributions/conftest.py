"""tests/distributions: make ``from helpers import ...`` (tests/helpers.py) and
``from dist_helpers import ...`` work whichever directory pytest starts from."""

import pathlib
import sys

import ember.distributions  # noqa: F401 - ember.distributions is not imported by ember itself

_HERE = pathlib.Path(__file__).resolve().parent
for path in (_HERE.parent, _HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
