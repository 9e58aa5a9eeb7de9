"""tests/tensorboard: make ``from tb_helpers import ...`` work whichever directory pytest starts
from."""

import pathlib
import sys

import pytest

pytest.register_assert_rewrite("tb_helpers")

_HERE = pathlib.Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))
