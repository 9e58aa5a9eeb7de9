"""pytest imports test files by basename (the folders are not packages): two test files with one
name in different folders make the whole run error out. Keep the names unique."""

from collections import Counter
from pathlib import Path


def test_test_file_names_are_unique():
    names = Counter(p.name for p in Path(__file__).parent.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
