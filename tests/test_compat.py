"""ember.compat: `import torch` served by Ember.

In-process tests check the import hook itself (module identity, errors, install/uninstall);
subprocess tests run unmodified PyTorch scripts twice, `python script.py` on real torch and
`python -m ember.compat script.py` on Ember, and compare every number they print."""

import importlib
import importlib.machinery
import importlib.util
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember import compat  # noqa: E402

SCRIPTS = Path(__file__).resolve().parent / "compat_scripts"
ROOT = Path(__file__).resolve().parent.parent


def _aliased_names():
    return [name for name in sys.modules if compat.ember_name(name) is not None]


@pytest.fixture
def import_state():
    """Whatever a test does to the hook, sys.modules' torch entries and sys.meta_path are put
    back afterwards, so real torch stays intact for the rest of the session."""
    modules = {name: sys.modules[name] for name in _aliased_names()}
    meta_path = list(sys.meta_path)
    yield
    compat.uninstall()
    for name in _aliased_names():
        del sys.modules[name]
    sys.modules.update(modules)
    sys.meta_path[:] = meta_path


# ---------------------------------------------------------------- the hook, in process

SERVED = [
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.modules.linear",
    "torch.nn.utils", "torch.nn.utils.rnn", "torch.optim", "torch.optim.lr_scheduler",
    "torch.utils", "torch.utils.data", "torch.utils.data.distributed", "torch.autograd",
    "torch.linalg", "torch.special", "torch.random", "torch.cuda", "torch.serialization",
]


@pytest.mark.parametrize("name", SERVED)
def test_torch_module_is_the_ember_module(import_state, name):
    compat.install()
    module = importlib.import_module(name)
    assert module is importlib.import_module("ember" + name[len("torch"):])
    assert sys.modules[name] is module


def test_import_statements_resolve_to_ember(import_state):
    compat.install()
    import torch as t
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim
    from torch import optim
    from torch.utils.data import DataLoader, Dataset

    assert t is ember and nn is ember.nn and F is ember.nn.functional
    assert optim is ember.optim and torch.optim is ember.optim
    assert DataLoader is ember.utils.data.DataLoader and Dataset is ember.utils.data.Dataset
    assert t.nn.init is ember.nn.init and t.autograd is ember.autograd


def test_ember_modules_keep_their_own_names(import_state):
    compat.install()
    served = importlib.import_module("torch.nn.functional")
    assert served.__name__ == "ember.nn.functional"
    # the import system writes the alias's spec onto a module it loads; the loader undoes that
    for name in ("ember", "ember.nn", "ember.nn.functional"):
        assert sys.modules[name].__spec__.name == name
        assert importlib.util.find_spec(name).name == name
    importlib.reload(ember.nn.init)


@pytest.mark.parametrize("name", ["torch.no_such_module", "torch.nn.no_such_module", "torch._C",
                                  "torch.float32"])
def test_missing_module_raises_module_not_found(import_state, name):
    compat.install()
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module(name)
    assert isinstance(info.value, ImportError)
    assert info.value.name == name
    assert repr(name) in str(info.value) and "not provided by Ember" in str(info.value)


def test_from_import_of_a_missing_name(import_state):
    compat.install()
    # as for any package: the failed submodule import is swallowed, then the name is missing
    with pytest.raises(ImportError, match="cannot import name 'no_such_name'"):
        from torch import no_such_name  # noqa: F401


def test_missing_dependency_of_an_ember_module_is_not_masked(import_state, tmp_path):
    (tmp_path / "_compat_probe.py").write_text("import no_such_dependency_of_ember_compat\n")
    ember.__path__.append(str(tmp_path))
    try:
        compat.install()
        with pytest.raises(ModuleNotFoundError) as info:
            importlib.import_module("torch._compat_probe")
    finally:
        ember.__path__.remove(str(tmp_path))
    assert info.value.name == "no_such_dependency_of_ember_compat"
    assert "not provided by Ember" not in str(info.value)


def test_torchvision_maps_to_ember_vision(import_state, monkeypatch):
    compat.install()
    if importlib.util.find_spec("ember.vision") is not None:
        assert importlib.import_module("torchvision") is importlib.import_module("ember.vision")
        return
    with pytest.raises(ModuleNotFoundError, match="'torchvision': it is not provided by Ember"):
        importlib.import_module("torchvision")
    # the mapping is by name: whatever ember.vision turns out to be is served
    vision = types.ModuleType("ember.vision")
    vision.__path__ = []
    vision.__spec__ = importlib.machinery.ModuleSpec("ember.vision", None, is_package=True)
    monkeypatch.setitem(sys.modules, "ember.vision", vision)
    assert importlib.import_module("torchvision") is vision
    with pytest.raises(ModuleNotFoundError, match="'torchvision.transforms': it is not provided"):
        importlib.import_module("torchvision.transforms")


def test_install_is_idempotent(import_state):
    compat.install()
    compat.install()
    assert sum(finder is compat._finder for finder in sys.meta_path) == 1
    assert importlib.import_module("torch") is ember
    compat.install()
    assert importlib.import_module("torch") is ember
    compat.uninstall()
    assert not compat.is_installed()
    assert sys.modules["torch"] is torch


def test_install_replaces_real_torch_and_uninstall_restores_it(import_state):
    real_nn = sys.modules["torch.nn"]
    compat.install()
    assert compat.is_installed()
    assert "torch" not in sys.modules and "torch.nn" not in sys.modules
    assert importlib.import_module("torch.nn") is ember.nn
    assert importlib.import_module("torch") is ember
    compat.uninstall()
    assert not compat.is_installed()
    assert sys.modules["torch"] is torch and sys.modules["torch.nn"] is real_nn
    assert importlib.import_module("torch.nn") is real_nn
    assert "ember" in sys.modules and sys.modules["ember.nn"] is ember.nn
    assert torch.ones(3).sum().item() == ember.ones(3).sum().item()


def test_uninstall_without_real_torch_leaves_no_torch(import_state):
    for name in _aliased_names():
        del sys.modules[name]  # the fixture puts real torch back
    compat.install()
    assert importlib.import_module("torch.utils.data") is ember.utils.data
    compat.uninstall()
    assert _aliased_names() == []
    assert compat._finder not in sys.meta_path


def test_uninstall_when_not_installed_does_nothing(import_state):
    modules, meta_path = dict(sys.modules), list(sys.meta_path)
    compat.uninstall()
    assert dict(sys.modules) == modules and sys.meta_path == meta_path


# ---------------------------------------------------------------- scripts, in subprocesses

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|\b(?:nan|inf)\b")


def run_python(args, cwd, check=True):
    done = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def assert_same_output(ours, theirs, rtol):
    """Same text once numbers are blanked out, and the same numbers within rtol."""
    assert NUMBER.sub("#", ours) == NUMBER.sub("#", theirs)
    a = np.array([float(x) for x in NUMBER.findall(ours)])
    b = np.array([float(x) for x in NUMBER.findall(theirs)])
    assert a.size > 0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("script, args, rtol", [
    ("tensors_autograd.py", [], 1e-12),
    ("nn_optim.py", ["4"], 1e-12),
    ("data_loading.py", [], 1e-12),
])
def test_script_runs_unchanged(tmp_path, script, args, rtol):
    theirs = run_python([SCRIPTS / script, *args], tmp_path).stdout
    ours = run_python(["-m", "ember.compat", SCRIPTS / script, *args], tmp_path).stdout
    assert_same_output(ours, theirs, rtol)


def test_save_load_script_and_files_both_ways(tmp_path):
    theirs_file, ours_file = tmp_path / "torch.pt", tmp_path / "ember.pt"
    script = SCRIPTS / "save_load.py"
    theirs = run_python([script, theirs_file, theirs_file], tmp_path).stdout
    # Ember loads its own file and the one torch wrote
    ours = run_python(["-m", "ember.compat", script, ours_file, theirs_file], tmp_path).stdout
    assert_same_output(ours, theirs, 1e-6)  # float32 model: matmul order differs
    # and torch reads Ember's file: the same seed gave the same initial weights
    theirs_state = torch.load(theirs_file)
    ours_state = torch.load(ours_file)
    assert list(ours_state) == list(theirs_state)
    for key in theirs_state:
        torch.testing.assert_close(ours_state[key], theirs_state[key], rtol=0, atol=0)


PROBE = """\
import sys
import torch
import torch.nn as nn

print("name", __name__, "file", __file__)
print("argv", sys.argv)
print("path0", sys.path[0])
print("value", nn.Linear(2, 3).weight.shape[0], torch.ones(2, 2).sum().item())
print(torch.__name__)
"""


@pytest.mark.parametrize("as_module", [False, True])
def test_runner_sets_up_main_like_python(tmp_path, as_module):
    (tmp_path / "probe_mod.py").write_text(PROBE)
    target = ["-m", "probe_mod"] if as_module else [tmp_path / "probe_mod.py"]
    theirs = run_python([*target, "a", "--b"], tmp_path).stdout.splitlines()
    ours = run_python(["-m", "ember.compat", *target, "a", "--b"], tmp_path).stdout.splitlines()
    assert ours[:-1] == theirs[:-1]
    assert (ours[-1], theirs[-1]) == ("ember", "torch")


def test_runner_missing_module_error(tmp_path):
    script = tmp_path / "uses_missing.py"
    script.write_text("import torch\nimport torch.no_such_module\n")
    theirs = run_python([script], tmp_path, check=False)
    ours = run_python(["-m", "ember.compat", script], tmp_path, check=False)
    assert ours.returncode == theirs.returncode == 1
    last_ours, last_theirs = ours.stderr.splitlines()[-1], theirs.stderr.splitlines()[-1]
    assert last_ours.split(":")[0] == last_theirs.split(":")[0] == "ModuleNotFoundError"
    assert "'torch.no_such_module': it is not provided by Ember" in last_ours


def test_runner_usage(tmp_path, capsys):
    done = run_python(["-m", "ember.compat"], tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: python -m ember.compat script.py")
    assert done.stdout == ""
    from ember.compat.__main__ import main

    assert main(["-m"]) == 2 and not compat.is_installed()
    assert capsys.readouterr().err == done.stderr
    assert main(["--help"]) == 0
    assert capsys.readouterr().out == done.stderr
