"""tests/vision: make ``from helpers import ...`` (tests/helpers.py) and
``from vision_helpers import ...`` work whichever directory pytest starts from."""

import pathlib
import sys

_HERE = pathlib.Path(__file__).resolve().parent
for path in (_HERE.parent, _HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
