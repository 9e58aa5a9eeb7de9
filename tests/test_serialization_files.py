"""ember.save / ember.load's files and safety, against torch: malicious pickles refused without
running anything, malformed files with torch's errors, atomic saves, file objects, archive names,
map_location's forms, mmap, the legacy format and big-endian files."""

from __future__ import annotations

import io
import mmap
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from test_serialization import assert_loaded, data, views

import ember
from ember import _serialization_zip

torch = pytest.importorskip("torch")


def rezip(source, change):
    """A copy of an archive with ``change(name, data)`` applied to each record (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            new = change(name.split("/", 1)[1], src.read(name))
            if new is not None:
                dst.writestr(name, new)
    return out.getvalue()


def saved(lib, obj, **kwargs):
    buffer = io.BytesIO()
    lib.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def both_raise(data, **kwargs):
    """Load ``data`` with torch and with Ember; both must raise the same class. Ember's error."""
    with pytest.raises(Exception) as theirs:
        torch.load(io.BytesIO(data), **kwargs)
    with pytest.raises(Exception) as ours:
        ember.load(io.BytesIO(data), **kwargs)
    assert ours.type is theirs.type, (ours.value, theirs.value)
    return ours.value, theirs.value


# -- malicious pickles ----------------------------------------------------------------------------


class _Call:
    """Pickles as a call of ``func(*args)``, as a crafted file would."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def _attacks(marker):
    return {"os.system": _Call(os.system, f"touch {marker}"),
            "eval": _Call(eval, f"open({str(marker)!r}, 'w')"),
            "exec": _Call(exec, f"open({str(marker)!r}, 'w')"),
            "__import__": _Call(__import__, "os"),
            "subprocess": _Call(subprocess.call, ["touch", str(marker)])}


@pytest.mark.parametrize("attack", ["os.system", "eval", "exec", "__import__", "subprocess"])
def test_malicious_pickle_refused(attack, tmp_path):
    marker = tmp_path / "pwned"
    payload = {"weights": data(torch, (2,)), "x": _attacks(marker)[attack]}
    file = saved(torch, payload)
    ours, theirs = both_raise(file)
    assert isinstance(ours, pickle.UnpicklingError)
    assert str(ours).startswith("Weights only load failed.")
    assert str(theirs).startswith("Weights only load failed.")
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        ember.load(io.BytesIO(file), mmap=None, map_location="cpu")
    assert not marker.exists()


def test_blocked_and_unknown_globals_messages():
    ours, theirs = both_raise(saved(torch, _Call(os.system, "true")))
    assert "GLOBAL posix.system whose module posix is blocked" in str(ours)
    ours, theirs = both_raise(saved(torch, _Call(eval, "1")))
    assert "Unsupported global: GLOBAL eval was not an allowed global by default" in str(ours)
    assert "Unsupported global: GLOBAL eval was not an allowed global by default" in str(theirs)


def test_malicious_legacy_file_refused(tmp_path):
    marker = tmp_path / "pwned"
    file = saved(torch, _attacks(marker)["os.system"], _use_new_zipfile_serialization=False)
    both_raise(file)
    assert not marker.exists()


def test_tensor_outside_its_storage_refused():
    """A crafted tensor reaching past its storage: torch's setStorage RuntimeError, no read."""
    file = saved(torch, torch.zeros(2))
    crafted = rezip(file, lambda name, d: d.replace(b"K\x02\x85", b"Kd\x85")
                    if name == "data.pkl" else d)  # size (2,) -> (100,)
    ours, _ = both_raise(crafted)
    assert isinstance(ours, RuntimeError) and "out of bounds for storage" in str(ours)


# -- malformed files ------------------------------------------------------------------------------


def test_truncated_zip():
    file = saved(torch, views(torch))
    for cut in (len(file) // 2, len(file) - 10):
        ours, theirs = both_raise(file[:cut])
        assert str(ours).split(":")[:2] == str(theirs).split(":")[:2]
        assert str(ours).startswith("PytorchStreamReader failed reading zip archive: failed "
                                    "finding central directory")


def test_missing_and_short_records():
    file = saved(torch, {"a": torch.ones(2), "b": torch.zeros(3)})
    ours, theirs = both_raise(rezip(file, lambda n, d: None if n == "data/1" else d))
    assert str(ours) == str(theirs)  # "PytorchStreamReader failed locating file data/1: ..."
    ours, theirs = both_raise(rezip(file, lambda n, d: None if n == "data.pkl" else d))
    assert str(ours) == str(theirs)
    ours, theirs = both_raise(rezip(file, lambda n, d: d[:4] if n == "data/1" else d))
    assert str(ours) == str(theirs)  # "record size (4 bytes) does not match expected size ..."


def test_wrong_magic_corrupt_pickle_empty_file():
    ours, theirs = both_raise(pickle.dumps(5, protocol=2))
    assert str(ours) == str(theirs) == "Invalid magic number; corrupt file?"
    both_raise(pickle.dumps(5, protocol=2), weights_only=False)
    both_raise(b"")  # EOFError
    ours, _ = both_raise(b"\xff\xfe not a checkpoint")
    assert str(ours).startswith("Weights only load failed.")
    truncated = rezip(saved(torch, {"a": torch.ones(2)}), lambda n, d: d[:40] if n == "data.pkl"
                      else d)
    for weights_only in (True, False):
        with pytest.raises((EOFError, pickle.UnpicklingError)):
            ember.load(io.BytesIO(truncated), weights_only=weights_only)


def test_compressed_archive_loads():
    """Records a zip tool deflated load too (read through zipfile), as in torch."""
    file = rezip(saved(torch, views(torch)), lambda n, d: d)
    deflated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(file)) as src, zipfile.ZipFile(deflated, "w",
                                                                   zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    assert_loaded(ember.load(io.BytesIO(deflated.getvalue())), views(torch))


# -- saving: atomic, file objects, names ----------------------------------------------------------


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    ember.save({"old": data(ember, (3,))}, path)
    before = path.read_bytes()
    calls = []
    original = _serialization_zip.ZipWriter._write

    def crash_midway(self, chunk):
        calls.append(1)
        if len(calls) == 6:
            raise OSError("disk full")
        original(self, chunk)

    monkeypatch.setattr(_serialization_zip.ZipWriter, "_write", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"new": data(ember, (1000,))}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.pt"]  # no temporary file left behind
    monkeypatch.undo()
    ember.save({"new": data(ember, (4,))}, path)
    assert list(torch.load(path)) == ["new"]


def test_unpicklable_object_leaves_file_intact(tmp_path):
    path = tmp_path / "ck.pt"
    ember.save([1], path)
    with pytest.raises(pickle.PicklingError):
        ember.save({"f": lambda: 0}, path)
    assert ember.load(path) == [1] and os.listdir(tmp_path) == ["ck.pt"]


def test_bytesio_both_ways():
    for writer in (torch, ember):
        file = saved(writer, views(writer))
        assert zipfile.ZipFile(io.BytesIO(file)).namelist()[0] == "archive/data.pkl"
        for reader in (torch, ember):
            assert_loaded(reader.load(io.BytesIO(file)), views(torch))


@pytest.mark.parametrize("name", ["a.b.pt", "noext", ".hidden.pt", "x.", "é.pt", "sp ace.pth"])
def test_archive_names(name, tmp_path):
    names = []
    for lib in (torch, ember):
        (tmp_path / lib.__name__).mkdir()
        lib.save(lib.ones(1), tmp_path / lib.__name__ / name)
        names.append(zipfile.ZipFile(tmp_path / lib.__name__ / name).namelist())
    assert names[0] == names[1]


def test_save_errors(tmp_path):
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
            lib.save(lib.ones(1), str(tmp_path / "missing" / "x.pt"))
        with pytest.raises(RuntimeError, match="invalid file name"):
            lib.save(lib.ones(1), str(tmp_path / ".pt"))
        with pytest.raises(AttributeError, match="file-like object with a 'write' attribute"):
            lib.save(lib.ones(1), 3)


def test_unseekable_file(tmp_path):
    class Stream(io.RawIOBase):
        def readable(self):
            return True

    for lib in (torch, ember):
        with pytest.raises(io.UnsupportedOperation, match="only torch.load from a file that is "
                           "seekable"):
            lib.load(Stream())


# -- map_location ---------------------------------------------------------------------------------


def on_cuda(file):
    """The same file with its storages tagged 'cuda:0' (made without a GPU)."""
    return rezip(file, lambda n, d: d.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
                 if n == "data.pkl" else d)


@pytest.mark.parametrize("form", ["str", "device", "dict", "callable", "callable_none"])
def test_map_location_forms(form):
    file = on_cuda(saved(torch, views(torch)))
    lib_forms = {
        "str": lambda lib: "cpu", "device": lambda lib: lib.device("cpu"),
        "dict": lambda lib: {"cuda:0": "cpu"},
        "callable": lambda lib: lambda storage, location: storage,
        "callable_none": lambda lib: lambda storage, location: None}
    if form == "callable_none":  # falls back to 'cuda:0', which this machine lacks
        for lib in (torch, ember):
            if not lib.cuda.is_available():
                with pytest.raises(RuntimeError, match="Attempting to deserialize object on a "
                                   "CUDA device"):
                    lib.load(io.BytesIO(file), map_location=lib_forms[form](lib))
        return
    for lib in (torch, ember):
        loaded = lib.load(io.BytesIO(file), map_location=lib_forms[form](lib))
        assert_loaded(loaded, views(torch))
        assert str(loaded["base"].device) == "cpu"


def test_map_location_callable_sees_storages():
    seen = []

    def record(storage, location):
        seen.append((location, storage.size(), storage.dtype))
        return storage

    loaded = ember.load(io.BytesIO(saved(torch, views(torch))), map_location=record)
    assert seen == [("cpu", 24, ember.float32), ("cpu", 3, ember.float32)]
    assert loaded["row"].data_ptr() == loaded["base"].data_ptr() + 48


def test_unknown_location():
    file = rezip(saved(torch, torch.ones(2)), lambda n, d: d.replace(
        b"X\x03\x00\x00\x00cpu", b"X\x03\x00\x00\x00xyz") if n == "data.pkl" else d)
    ours, theirs = both_raise(file)
    assert str(ours) == str(theirs)


# -- mmap -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_mmap(writer, tmp_path):
    lib = torch if writer == "torch" else ember
    path = tmp_path / "ck.pt"
    lib.save(views(lib), path)
    before = path.read_bytes()
    loaded = ember.load(path, mmap=True)
    assert_loaded(loaded, views(torch))
    array = loaded["base"].numpy()
    while isinstance(array.base, np.ndarray) or hasattr(array.base, "__array_interface__"):
        array = array.base
    assert isinstance(array.base, mmap.mmap)  # the file's pages, not a copy
    loaded["row"][0] = 123.0  # copy-on-write: the file stays as it was
    assert loaded["base"][2, 0].item() == 123.0 and path.read_bytes() == before
    assert_loaded(torch.load(path, mmap=True), views(torch))


def test_mmap_errors(tmp_path):
    file = saved(torch, torch.ones(2))
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="f must be a file path"):
            lib.load(io.BytesIO(file), mmap=True)
    legacy = tmp_path / "legacy.pt"
    torch.save(torch.ones(2), legacy, _use_new_zipfile_serialization=False)
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="mmap can only be used with files saved with"):
            lib.load(legacy, mmap=True)


# -- legacy format, byte order --------------------------------------------------------------------


@pytest.mark.parametrize("weights_only", [True, False])
def test_legacy_format(weights_only):
    file = saved(torch, views(torch), _use_new_zipfile_serialization=False)
    loaded = ember.load(io.BytesIO(file), weights_only=weights_only)
    assert_loaded(loaded, views(torch))
    loaded["row"][0] = 123.0
    assert loaded["base"][2, 0].item() == 123.0


def test_big_endian_file():
    """A file written on a big-endian machine: records byte-swapped, byteorder 'big'."""
    original = {"f": data(torch, (2, 3)), "i": data(torch, (4,), "int16"),
                "c": data(torch, (2,), "complex64"), "b": data(torch, (3,), "bfloat16")}
    sizes = {}

    def swap(name, record):
        if name == "byteorder":
            return b"big"
        if name.startswith("data/"):
            item = sizes[name]
            return np.frombuffer(record, f"u{item}").byteswap().tobytes() if item > 1 else record
        return record

    for key, name in zip(original, ["data/0", "data/1", "data/2", "data/3"]):
        sizes[name] = original[key].element_size() // (2 if original[key].is_complex() else 1)
    file = rezip(saved(torch, original), swap)
    for lib in (torch, ember):
        assert_loaded(lib.load(io.BytesIO(file)), original)


# -- CUDA ----------------------------------------------------------------------------------------

CUDA = pytest.mark.skipif(not (ember.cuda.is_available() and torch.cuda.is_available()),
                          reason="needs CUDA in torch and in Ember (CuPy and a GPU)")


def assert_on_cuda(got, want, geometry=None, device="cuda:0"):
    """Tensors on ``device`` with ``want``'s values, and strides for the keys in ``geometry``.

    NOTE: storage offsets are not compared: Ember reports 0 for CuPy views made from a raw
    pointer (CuPy gives them no ``base``); data_ptr checks the placement instead."""
    for key in want:
        assert str(got[key].device) == device, key
        if geometry is None or key in geometry:
            assert tuple(got[key].stride()) == tuple(want[key].stride()), key
        np.testing.assert_array_equal(got[key].cpu().numpy(), want[key].cpu().numpy(), key)


@CUDA
def test_cuda_ember_to_torch(tmp_path):
    ember.save(views(ember, "cuda"), tmp_path / "g.pt")
    assert b"cuda:0" in zipfile.ZipFile(tmp_path / "g.pt").read("g/data.pkl")
    # NOTE: "expanded" has no base in CuPy and no other saved tensor holds its memory, so it is
    # written as a contiguous copy of its own: values kept, strides not
    shared = ("base", "T", "slice", "row", "elem", "diag", "strided")
    for where in (None, "cpu"):
        loaded = torch.load(tmp_path / "g.pt", map_location=where)
        assert_on_cuda(loaded, views(torch), geometry=shared, device=where or "cuda:0")
        ptr = loaded["base"].untyped_storage().data_ptr()
        assert all(loaded[key].untyped_storage().data_ptr() == ptr for key in shared)


@CUDA
@pytest.mark.parametrize("legacy", [False, True])
def test_cuda_torch_to_ember(legacy, tmp_path):
    torch.save(views(torch, "cuda"), tmp_path / "g.pt", _use_new_zipfile_serialization=not legacy)
    loaded = ember.load(tmp_path / "g.pt")
    assert_on_cuda(loaded, views(torch))
    assert loaded["row"].data_ptr() == loaded["base"].data_ptr() + 48
    loaded["row"][0] = 123.0
    assert loaded["base"][2, 0].item() == 123.0
    for where in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: s.cpu()):
        assert_loaded(ember.load(tmp_path / "g.pt", map_location=where), views(torch))


@CUDA
@pytest.mark.parametrize("where", ["cuda", "cuda:0", "device", "dict", "callable", "mmap"])
def test_cpu_file_to_cuda(where, tmp_path):
    torch.save(views(torch), tmp_path / "c.pt")
    forms = {"cuda": "cuda", "cuda:0": "cuda:0", "device": ember.device("cuda", 0),
             "dict": {"cpu": "cuda:0"}, "callable": lambda s, loc: s.cuda(0), "mmap": "cuda"}
    loaded = ember.load(tmp_path / "c.pt", map_location=forms[where], mmap=where == "mmap")
    assert_on_cuda(loaded, views(torch))
    assert loaded["row"].data_ptr() == loaded["base"].data_ptr() + 48


def test_load_without_torch(tmp_path):
    """Ember reads torch's files with torch unimportable."""
    torch.save({"w": views(torch)["T"], "p": torch.nn.Parameter(torch.ones(2))}, tmp_path / "t.pt")
    script = ("import sys; sys.modules['torch'] = None; import ember; "
              f"d = ember.load({str(tmp_path / 't.pt')!r}); "
              "assert d['w'].stride() == (1, 6) and type(d['p']).__name__ == 'Parameter'; "
              "assert 'torch' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]")
    subprocess.run([sys.executable, "-c", script], check=True)
