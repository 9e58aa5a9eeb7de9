"""The tutorial's TensorBoard workflow (tb_workflow_script.py), written for torch, run unchanged
under ``python -m ember.compat``: its log matches the one real torch writes."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from tb_helpers import assert_same_projector, assert_same_run, graph_summary

SCRIPT = Path(__file__).resolve().parent / "tb_workflow_script.py"


def run(prefix, log_dir, extra):
    done = subprocess.run([sys.executable, *prefix, str(SCRIPT), str(log_dir), *extra],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_tutorial_workflow_under_compat_matches_torch(tmp_path):
    extra = ["--figure"] if importlib.util.find_spec("matplotlib") else []
    run([], tmp_path / "torch", extra)
    run(["-m", "ember.compat"], tmp_path / "ember", extra)
    # the losses and probabilities come out of a model, computed in a different order
    mine, ref = assert_same_run(tmp_path / "ember", tmp_path / "torch",
                                expect=["scalars", "images", "pr_curves"], rtol=1e-5)
    assert len(ref.Tags()["tensors"]) == 3 and len(mine.Scalars("training_loss")) == 4
    assert graph_summary(mine.Graph(), torch_scopes=False) == graph_summary(
        ref.Graph(), torch_scopes=True)
    assert_same_projector(tmp_path / "ember", tmp_path / "torch")
    if not extra:
        pytest.skip("matplotlib is not installed: add_figure was left out")
