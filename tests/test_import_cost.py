"""`import ember` stays light: the heavy subpackages and rarely used modules load on first use,
and every lazy name still resolves to the object an eager import gave. Each check runs in a fresh
interpreter, so modules imported by other tests cannot hide an eager import."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Modules `import ember` must leave unloaded: a plain tensor script never needs them.
DEFERRED = [
    "ember.nn", "ember.optim", "ember.utils", "ember.utils.data", "ember.serialization",
    "ember.testing", "ember.backends", "ember.linalg", "ember.special", "ember.autograd.functional",
    "ember.autograd.function", "ember._tensor_str", "ember._finfo", "ember._ops.cdist",
    "ember._random_avx2", "ember._random_poisson",
    # standard-library and NumPy modules only those pull in
    "multiprocessing", "zipfile", "concurrent.futures", "ctypes.util", "subprocess",
    "fractions", "numpy.random",
]

# Public names that load lazily, with the module that defines each.
LAZY_NAMES = {
    "save": "ember.serialization", "load": "ember.serialization",
    "norm_except_dim": "ember.nn.utils.weight_norm", "set_printoptions": "ember._tensor_str",
    "finfo": "ember._finfo", "iinfo": "ember._finfo", "cdist": "ember._ops.cdist",
}
SUBMODULES = ["nn", "optim", "utils", "serialization", "testing", "backends", "linalg", "special"]


def run_fresh(code):
    """Run code in a new interpreter from the repository root; return what it printed as JSON."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_leaves_heavy_modules_unloaded():
    loaded = run_fresh(
        "import json, sys\nimport ember\n"
        f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))"
    )
    assert loaded == []


@pytest.mark.parametrize("name", SUBMODULES)
def test_submodule_attribute_resolves(name):
    got = run_fresh(
        "import json, sys\nimport ember\n"
        f"module = getattr(ember, {name!r})\n"
        f"print(json.dumps([module.__name__, module is sys.modules['ember.{name}'],"
        f" {name!r} in dir(ember), {name!r} in ember.__all__]))"
    )
    assert got == [f"ember.{name}", True, True, True]


@pytest.mark.parametrize("name", SUBMODULES[:3])
def test_import_statement_binds_submodule(name):
    got = run_fresh(
        f"import json\nimport ember.{name}\nfrom ember import {name} as via_from\n"
        f"print(json.dumps([ember.{name}.__name__, via_from is ember.{name}]))"
    )
    assert got == [f"ember.{name}", True]


@pytest.mark.parametrize("name", sorted(LAZY_NAMES))
def test_lazy_name_is_the_defining_modules_object(name):
    module = LAZY_NAMES[name]
    got = run_fresh(
        "import importlib, json\nimport ember\n"
        f"value = getattr(ember, {name!r})\n"
        f"print(json.dumps([value is getattr(importlib.import_module({module!r}), {name!r}),"
        f" {name!r} in dir(ember), {name!r} in ember.__all__]))"
    )
    assert got == [True, True, True]


def test_star_import_binds_lazy_names_and_public_op():
    got = run_fresh(
        "import json\nnamespace = {}\nexec('from ember import *', namespace)\n"
        "import ember\nfrom ember._ops import complex as complex_ops\n"
        "print(json.dumps([sorted(set(ember.__all__) - set(namespace)),"
        " namespace['nn'] is ember.nn, namespace['save'] is ember.save,"
        " namespace['conj'] is complex_ops.conj is ember.conj]))"
    )
    assert got == [[], True, True, True]


def test_autograd_lazy_attributes():
    got = run_fresh(
        "import json, sys\nimport ember\n"
        "loaded = [m in sys.modules for m in ('ember.autograd.function',"
        " 'ember.autograd.functional')]\n"
        "from ember.autograd import Function, once_differentiable\n"
        "from ember.autograd.function import Function as defined\n"
        "print(json.dumps(loaded + [Function is defined,"
        " ember.autograd.functional.__name__, callable(ember.autograd.gradcheck),"
        " 'functional' in dir(ember.autograd), 'Function' in dir(ember.autograd)]))"
    )
    assert got == [False, False, True, "ember.autograd.functional", True, True, True]


def test_unknown_attribute_raises_attribute_error():
    import ember

    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        ember.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        ember.autograd.no_such_name  # noqa: B018
    assert not hasattr(ember, "no_such_name")


def test_generator_stream_made_on_first_draw_matches_torch():
    """The mt19937 stream is created lazily; seeding before or after that gives torch's numbers."""
    torch = pytest.importorskip("torch")
    got = run_fresh(
        "import json, ember\n"
        "first = ember.rand(5).tolist()\n"
        "ember.manual_seed(3)\n"
        "seeded = ember.randn(20).tolist() + ember.poisson(ember.full((4,), 30.0)).tolist()\n"
        "g = ember.Generator().manual_seed(7)\n"
        "fresh_state = g.get_state().tolist()\n"
        "print(json.dumps([seeded, fresh_state, ember.rand(3, generator=g).tolist(), len(first),"
        " ember.get_rng_state().tolist()]))"
    )
    torch.manual_seed(3)
    want = torch.randn(20).tolist() + torch.poisson(torch.full((4,), 30.0)).tolist()
    g = torch.Generator().manual_seed(7)
    assert got[0] == want
    assert got[1] == g.get_state().tolist()
    assert got[2] == torch.rand(3, generator=g).tolist()
    assert got[3] == 5
    assert got[4] == torch.get_rng_state().tolist()
