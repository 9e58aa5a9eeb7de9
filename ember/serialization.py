"""ember.save / ember.load: PyTorch's file format, so files move both ways between Ember and torch.

``save`` writes what torch.save writes: a zip archive (``<stem>/data.pkl``, ``<stem>/data/0``,
..., ``.format_version``, ``.storage_alignment``, ``byteorder``, ``version``,
``.data/serialization_id``) with records aligned to 64 bytes, a protocol-2 pickle naming torch's
globals, and one record per memory block (views share it). ``torch.load(path, weights_only=True)``
reads it. ``load`` reads torch's files without torch: safely by default (``weights_only=True``:
tensors, containers, numbers and strings only), or whole pickled objects with
``weights_only=False``. The legacy (pre-1.6, non-zip) format loads too.

Deviations: the first half of ``.data/serialization_id`` differs from torch's (see
``_serialization_zip``); tensor subclasses' Python attributes and backward hooks are not saved;
sparse, quantized and nested tensors, TorchScript archives and the pre-0.4 tar format are refused.
"""

from __future__ import annotations

import contextlib
import io
import mmap as _mmap
import os
import pickle
import re
import secrets
import stat
import sys
import warnings

import numpy

from ember import _backend
from ember._device import device as Device
from ember._serialization_pickle import TorchPickler
from ember._serialization_rebuild import StorageType, TypedStorage, full_unpickler
from ember._serialization_restricted import RestrictedUnpickler, _user_globals
from ember._serialization_zip import ZipReader, ZipWriter

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save ``obj`` to a path or a binary file object in torch.save's format.

    A path is written atomically: to a temporary file in the same directory, then renamed over
    the target, so a crash mid-write leaves any previous file intact.
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("Ember writes only the zip format "
                                  "(_use_new_zipfile_serialization=True)")
    pickler_cls = _pickler_class(pickle_module)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with _atomic_file(path) as file:
            _write_archive(obj, file, _archive_name(path), pickler_cls, pickle_protocol,
                           _disable_byteorder_record)
        return
    if not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                             "'write' attribute")
    _write_archive(obj, f, "archive", pickler_cls, pickle_protocol, _disable_byteorder_record)
    if hasattr(f, "flush"):
        f.flush()


def _write_archive(obj, file, archive_name, pickler_cls, protocol, no_byteorder):
    data = io.BytesIO()
    pickler = pickler_cls(data, protocol)
    pickler.dump(obj)
    writer = ZipWriter(file, archive_name)
    writer.write_record("data.pkl", data.getbuffer())
    writer.write_record(".format_version", b"1")
    writer.write_record(".storage_alignment", b"64")
    if not no_byteorder:
        writer.write_record("byteorder", sys.byteorder.encode())
    for record in pickler.records.values():
        writer.write_record(f"data/{record.key}", record.raw_bytes())
    writer.finish()


def _pickler_class(pickle_module):
    if pickle_module is None or pickle_module is pickle:
        return TorchPickler
    base = getattr(pickle_module, "Pickler", None)
    if isinstance(base, type) and issubclass(base, pickle._Pickler):  # dill, for example
        return type("TorchPickler", (TorchPickler, base), {})
    raise TypeError(f"ember.save needs a pickle module whose Pickler is pure Python (like pickle "
                    f"or dill), got {pickle_module!r}")


def _archive_name(path):
    """torch's folder name inside the archive: the file name up to its last dot."""
    try:
        path.encode("ascii")
    except UnicodeEncodeError:
        return "archive"  # torch writes such files through a Python stream
    stem = re.split(r"[/\\]", path)[-1]
    stem = stem[:stem.rfind(".")] if "." in stem else stem
    if not stem:
        raise RuntimeError(f"invalid file name: {path}")
    return stem


@contextlib.contextmanager
def _atomic_file(path):
    """A new file next to ``path`` that replaces it only once completely written."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    directory = os.path.dirname(target)
    if directory and not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    temp = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if os.path.exists(target):  # keep the permissions of the file being replaced
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


# -- load ---------------------------------------------------------------------------------------


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by torch.save or ember.save (torch.load's signature and defaults).

    ``weights_only`` (default True unless a ``pickle_module`` is given) builds only tensors,
    containers, numbers and strings, and refuses any other global with torch's
    ``pickle.UnpicklingError("Weights only load failed...")`` before running anything.
    ``map_location``: a device string, ``ember.device``, a dict remapping saved locations, or a
    callable ``(storage, location) -> storage | None``. ``mmap=True`` maps the file (a path)
    instead of reading it: storages are copy-on-write views of the file.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if weights_only and pickle_load_args:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    pickle_load_args.setdefault("encoding", "utf-8")
    unpickle = _Unpickle(weights_only, pickle_module or pickle, pickle_load_args)
    with _open_for_reading(f) as file:
        if not _is_zipfile(file):
            if mmap:
                raise RuntimeError(
                    "mmap can only be used with files saved with `torch.save(_use_new_zipfile_"
                    "serialization=True), please torch.save your checkpoint with this option in "
                    "order to use mmap.")
            from ember._serialization_legacy import load_legacy

            return load_legacy(file, _restorer(map_location), unpickle)
        if mmap and not isinstance(f, (str, os.PathLike)):
            raise ValueError("f must be a file path in order to use the mmap argument")
        mapped = _mmap.mmap(file.fileno(), 0, access=_mmap.ACCESS_COPY) if mmap else None
        return _load_zip(ZipReader(file), _restorer(map_location), unpickle, mapped)


@contextlib.contextmanager
def _open_for_reading(f):
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            yield file
        return
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        raise type(e)(f"{e}. You can only torch.load from a file that is seekable. Please "
                      "pre-load the data into a buffer like io.BytesIO and try to load from it "
                      "instead.") from None
    yield f


def _is_zipfile(file):
    start = file.tell()
    magic = file.read(4)
    file.seek(start)
    return magic == b"PK\x03\x04"


def _load_zip(reader, restore, unpickle, mapped):
    if reader.has_record("constants.pkl"):
        raise RuntimeError("this file is a TorchScript archive (torch.jit.save); Ember cannot "
                           "load TorchScript")
    byteorder = reader.read("byteorder").decode() if reader.has_record("byteorder") else "little"
    if byteorder not in ("little", "big"):
        raise ValueError("Unknown endianness type: " + byteorder)
    storages = {}

    def persistent_load(pid):
        storage_type, key, location, numel = storage_id(pid, 5)[:4]
        dtype = storage_type.dtype
        if key not in storages:
            storage = _read_storage(reader, key, numel * dtype.itemsize, dtype, mapped)
            if byteorder != sys.byteorder and dtype.itemsize > 1:
                storage.array.byteswap(inplace=True)
            storages[key] = restore(storage, location)
        found = storages[key]
        return found if found.dtype is dtype else TypedStorage(found.raw, dtype, found.device)

    return unpickle(io.BytesIO(reader.read("data.pkl")), persistent_load)


def _read_storage(reader, key, nbytes, dtype, mapped):
    name = f"data/{key}"
    size = reader.info(name).file_size
    if size != nbytes:
        raise RuntimeError(f"record size ({size} bytes) does not match expected size ({nbytes} "
                           f"bytes = {nbytes} elements * 1 bytes/element) for dtype Byte")
    offset = reader.data_offset(name) if mapped is not None and nbytes else None
    if offset is not None:
        # NOTE: an ndarray directly on the mmap (frombuffer would put a memoryview between)
        return TypedStorage(numpy.ndarray((nbytes,), numpy.uint8, mapped, offset), dtype)
    raw = numpy.empty(nbytes, numpy.uint8)
    reader.read(name, into=memoryview(raw))
    return TypedStorage(raw, dtype)


def storage_id(pid, length):
    """(storage type, key, location, numel, ...) from a persistent id, checked."""
    if type(pid) is not tuple or len(pid) != length:
        raise pickle.UnpicklingError(f"malformed storage id {pid!r}")
    kind, storage_type, key, location, numel = (_text(x) for x in pid[:5])
    if kind != "storage" or not isinstance(storage_type, StorageType) or type(key) is not str \
            or type(location) is not str or type(numel) is not int or numel < 0:
        raise pickle.UnpicklingError(f"malformed storage id {pid!r}")
    return (storage_type, key, location, numel) + pid[5:]


def _text(value):
    return value.decode("ascii") if isinstance(value, bytes) else value


class _Unpickle:
    """Runs the restricted or the full unpickler on one pickle, with torch's error wrapping."""

    def __init__(self, weights_only, pickle_module, load_args):
        self.weights_only, self.load_args = weights_only, load_args
        self.full_cls = None if weights_only else full_unpickler(pickle_module)

    def __call__(self, file, persistent_load):
        if not self.weights_only:
            return self.full_cls(file, persistent_load, **self.load_args).load()
        try:
            return RestrictedUnpickler(file, persistent_load, self.load_args["encoding"]).load()
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(weights_only_message(str(e))) from None


# -- map_location -------------------------------------------------------------------------------


def _restorer(map_location):
    """``(storage, saved location) -> storage`` for each form of map_location (torch's)."""
    if map_location is None:
        return _default_restore
    if isinstance(map_location, dict):
        return lambda storage, loc: _default_restore(storage, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, bytes, Device)):
        target = _text(map_location) if isinstance(map_location, bytes) else str(map_location)
        return lambda storage, loc: _default_restore(storage, target)

    def call(storage, loc):
        result = map_location(storage, loc)
        if result is None:
            return _default_restore(storage, loc)
        if not isinstance(result, TypedStorage):
            raise TypeError(f"map_location must return a storage or None, got "
                            f"{type(result).__name__}")
        return result

    return call


def _default_restore(storage, location):
    if location == "cpu":
        return storage.cpu()
    if re.match(r"cuda(:|[0-9]+|$)", location):
        index = Device(location).index or 0
        if not _backend.cuda_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use ember.load with "
                "map_location=ember.device('cpu') to map your storages to the CPU.")
        count = _backend.cuda_device_count()
        if index >= count:
            raise RuntimeError(
                f"Attempting to deserialize object on CUDA device {index} but "
                f"ember.cuda.device_count() is {count}. Please use ember.load with map_location "
                "to map your storages to an existing device.")
        return storage.cuda(index)
    raise RuntimeError("don't know how to restore data location of torch.storage.UntypedStorage "
                       f"(tagged with {location})")


# -- weights-only messages and allowlist --------------------------------------------------------

UNSAFE_MESSAGE = (
    "Re-running `ember.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source.")
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def weights_only_message(message):
    """torch's wording around a weights-only refusal."""
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        return (
            "Weights only load failed. This file can still be loaded, to do so you have two "
            "options, \033[1mdo those steps only if you trust the source of the checkpoint"
            f"\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
            "`weights_only=True` please check the recommended steps in the following error "
            f"message.\n\tWeightsUnpickler error: {message}{_DOCS_MESSAGE}")
    head = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        head += ("Please file an issue with the following so that we can make "
                 "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return f"{head}\n\n{message}{_DOCS_MESSAGE}"


def add_safe_globals(safe_globals):
    """Allow these globals (objects, or ``(object, "module.name")`` pairs) in weights-only
    loads (torch.serialization.add_safe_globals)."""
    _user_globals.update(safe_globals)


def get_safe_globals():
    """The globals added with add_safe_globals."""
    return list(_user_globals)


def clear_safe_globals():
    """Forget every global added with add_safe_globals."""
    _user_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allow these globals within a ``with`` block (torch.serialization.safe_globals)."""
    added = set(safe_globals) - _user_globals
    _user_globals.update(added)
    try:
        yield
    finally:
        _user_globals.difference_update(added)
