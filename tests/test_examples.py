"""The runnable examples give the same output on Ember as on torch (same seed, same numbers)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent


def run(source, tmp_path):
    script = tmp_path / "script.py"
    script.write_text(source)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_fit_polynomial_matches_torch(tmp_path):
    source = (ROOT / "examples" / "fit_polynomial.py").read_text()
    ours = run(source, tmp_path)
    theirs = run(source.replace("import ember as torch", "import torch"), tmp_path)
    assert ours == theirs
    learned = ours.splitlines()[-2] if "plot" in ours.splitlines()[-1] else ours.splitlines()[-1]
    w = float(learned.split("w = ")[1].split()[0])
    b = float(learned.split("b = ")[1].split()[0])
    assert abs(w - 3) < 0.1 and abs(b - 2) < 0.2
