"""bench/run_all.py runs end to end in quick mode and writes its table as JSON (no timings)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
ROW_FIELDS = {"workload", "ember", "torch", "ratio", "target", "unit", "within_target"}


def run_all(*args):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run_all.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quick_run_writes_rows(tmp_path):
    path = tmp_path / "results.json"
    out = run_all("--quick", "-k", "4x4 float32", "--json", str(path))
    result = json.loads(path.read_text())
    rows = result["rows"]
    assert [row["workload"] for row in rows] == ["a + b, 4x4 float32, no grad",
                                                 "a + b, 4x4 float32, requires_grad"]
    assert result["quick"] is True and result["peak"] is None
    assert {"cpu", "logical_cpus", "loadavg_start", "torch"} <= set(result["machine"])
    for row, target in zip(rows, [1.0, 1.5]):
        assert ROW_FIELDS <= set(row)
        assert row["target"] == target and row["unit"] == "us"
        assert row["ember"] > 0 and row["torch"] > 0
        assert row["ratio"] == pytest.approx(row["ember"] / row["torch"])
        assert row["within_target"] == (row["ratio"] <= target)
        assert row["workload"] in out


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run_all
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return run_all


def test_suite_has_every_workload(bench, capsys):
    assert bench.main(["--list"]) == 0
    names = capsys.readouterr().out.splitlines()
    for part in ["no grad", "requires_grad", "backward(), 4x4", "1024x1024 float32 matmul",
                 "2048x2048 float32 matmul", "conv2d fwd+bwd", "MLP 784-256-128-10", "LeNet-5",
                 "MLP 32-32-32-10", "workers=0", "workers=2", "import ember", "RSS after import"]:
        assert any(part in name for name in names), part
    assert len(set(names)) == len(names)


def test_unknown_selection_fails(bench, capsys):
    assert bench.main(["-k", "no such workload"]) == 2
    assert "no workload matches" in capsys.readouterr().out
