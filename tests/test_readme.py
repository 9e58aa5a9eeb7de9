"""The README's tour runs, and prints what torch prints (module name and addresses aside)."""

import contextlib
import io
import re
from pathlib import Path

import pytest

pytest.importorskip("torch")

README = Path(__file__).resolve().parent.parent / "README.md"


def tour_source():
    text = README.read_text()
    return re.search(r"## A tour\n\n```python\n(.*?)```", text, re.S).group(1)


def run(source):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "README tour", "exec"), {})
    return re.sub(r" at 0x[0-9a-f]+", " at ADDR", out.getvalue())


def test_tour_matches_torch():
    source = tour_source()
    ours = run(source)
    theirs = run(source.replace("import ember as torch", "import torch"))
    assert ours == theirs.replace("torch.", "ember.")
