"""The READMEs' code runs on Ember and prints what torch prints (module name and addresses aside),
the Chinese README carries the same code as the English one, and the files, examples and make
targets they name exist."""

import contextlib
import io
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
READMES = {"en": ROOT / "README.md", "zh": ROOT / "README.zh-CN.md"}
INSTALL = "import ember.compat\nember.compat.install()"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def code_blocks(path, language=None):
    """(language, code) of every fenced block, in order; only ``language`` ones when given."""
    found = FENCE.findall(path.read_text(encoding="utf-8"))
    return [(lang, code) for lang, code in found if language is None or lang == language]


def python_cases():
    return [pytest.param(key, i, id=f"{key}-{i}")
            for key, path in READMES.items() for i, _ in enumerate(code_blocks(path, "python"))]


def kind(code):
    """How a block is checked: beside torch by import swap, beside torch through ember.compat, or
    run on its own (blocks that use both libraries, such as the differential test tools)."""
    if "import ember as torch" in code:
        return "swap"
    if INSTALL in code:
        return "compat"
    return "own"


def as_torch(code):
    """The same block written for PyTorch."""
    code = code.replace(INSTALL, "")
    return code.replace("import ember as torch", "import torch").replace("from ember", "from torch")


def normalise(text):
    return re.sub(r" at 0x[0-9a-f]+", " at ADDR", text)


def run_here(code):
    """Run a block in this process; returns what it prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README block", "exec"), {"__name__": "__readme__"})
    return normalise(out.getvalue())


def run_compat(code, cwd):
    """Run a block that installs ember.compat in a fresh interpreter, so that the import hook never
    touches this process; it also asserts that ``torch`` was Ember."""
    check = "\nimport sys\nassert sys.modules['torch'] is sys.modules['ember']\n"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code + check], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return normalise(done.stdout)


@pytest.mark.parametrize("key, index", python_cases())
def test_python_block_runs_like_torch(key, index, tmp_path, monkeypatch):
    code = code_blocks(READMES[key], "python")[index][1]
    monkeypatch.chdir(tmp_path)  # blocks may save files
    monkeypatch.syspath_prepend(str(ROOT))  # the contributing block imports tests.helpers
    how = kind(code)
    if how == "own":
        run_here(code)
        return
    ours = run_compat(code, tmp_path) if how == "compat" else run_here(code)
    theirs = run_here(as_torch(code))
    assert ours, "a README block compared with torch should print something"
    assert ours == theirs.replace("torch.", "ember.")


def test_blocks_of_every_kind_exist():
    kinds = {kind(code) for _, code in code_blocks(READMES["en"], "python")}
    assert kinds == {"swap", "compat", "own"}


def strip_comments(language, code):
    """The code of a block without its comments, so that translated comments compare equal."""
    if language == "python":
        tokens = tokenize.generate_tokens(io.StringIO(code).readline)
        kept = [t for t in tokens if t.type != tokenize.COMMENT]
        code = tokenize.untokenize(kept)
    else:
        code = re.sub(r"\s+#.*$", "", code, flags=re.M)
    return [line.rstrip() for line in code.splitlines() if line.strip()]


def test_chinese_readme_has_the_same_code_and_sections():
    english, chinese = (code_blocks(READMES[k]) for k in ("en", "zh"))
    assert [lang for lang, _ in chinese] == [lang for lang, _ in english]
    for (lang, ours), (_, theirs) in zip(chinese, english):
        assert strip_comments(lang, ours) == strip_comments(lang, theirs)
    headings = [re.findall(r"^#{1,3} ", READMES[k].read_text(encoding="utf-8"), re.M)
                for k in ("en", "zh")]
    assert headings[0] == headings[1]


@pytest.mark.parametrize("key", READMES)
def test_named_paths_exist(key):
    text = READMES[key].read_text(encoding="utf-8")
    paths = re.findall(r"`((?:ember|examples|tests|bench|runs)/[\w./-]+)`", text)
    assert paths
    # what the commands write (runs/, make bench's table) need not exist in a fresh clone
    generated = ("runs/", "bench/results.json")
    missing = [p for p in paths if not p.startswith(generated) and not (ROOT / p).exists()]
    assert not missing


@pytest.mark.parametrize("key", READMES)
def test_every_example_is_listed(key):
    table = [line for line in READMES[key].read_text(encoding="utf-8").splitlines()
             if line.startswith("| `") and ".py`" in line]
    listed = {name for line in table for name in re.findall(r"`(\w+\.py)`", line)}
    assert listed == {p.name for p in (ROOT / "examples").glob("*.py")}


@pytest.mark.parametrize("key", READMES)
def test_make_targets_exist(key):
    targets = set(re.findall(r"`make (?:\w+=\S+ )?(\w+)", READMES[key].read_text(encoding="utf-8")))
    phony = re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    assert targets and targets <= set(phony)
