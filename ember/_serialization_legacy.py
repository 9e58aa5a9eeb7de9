"""Loading torch's legacy format (torch.save before 1.6, or ``_use_new_zipfile_serialization=
False``): pickles of the magic number, the protocol version and system information, then the
object (storages as persistent ids ``('storage', type, key, location, numel, view)``), then the
sorted list of storage keys, then each storage as an int64 element count and its raw bytes."""

from __future__ import annotations

import pickle
import struct

import numpy

from ember._serialization_pickle import MAGIC_NUMBER, PROTOCOL_VERSION
from ember._serialization_rebuild import TypedStorage, new_storage


def load_legacy(file, restore, unpickle):
    """The object in a legacy file; ``restore(storage, location)`` places each storage."""
    from ember.serialization import storage_id

    _refuse_tar(file)
    magic = unpickle(file, _no_storage)
    if magic != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = unpickle(file, _no_storage)
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    sys_info = unpickle(file, _no_storage)
    storages, views = {}, {}

    def persistent_load(pid):
        if type(pid) is tuple and pid and pid[0] == "module":  # a class saved with its source
            return pid[1]
        storage_type, key, location, numel, view = storage_id(pid, 6)
        dtype = storage_type.dtype
        if key not in storages:  # NOTE: placed now, filled once the pickle is read
            storages[key] = restore(new_storage(numel * dtype.itemsize, dtype), location)
        if view is None:
            return storages[key]
        view_key, offset, size = view  # a storage view, from torch before 0.4
        if view_key not in views:
            raw = storages[key].raw[offset * dtype.itemsize:(offset + size) * dtype.itemsize]
            views[view_key] = TypedStorage(raw, dtype, storages[key].device)
        return views[view_key]

    result = unpickle(file, persistent_load)
    swap = isinstance(sys_info, dict) and sys_info.get("little_endian") is False
    for key in unpickle(file, _no_storage):
        if key not in storages:
            raise RuntimeError(f"storage key {key!r} not found in the file's object")
        _fill(storages[key], file, swap)
    return result


def _no_storage(pid):
    raise pickle.UnpicklingError("unsupported persistent id encountered")


def _refuse_tar(file):
    start = file.tell()
    block = file.read(512)
    file.seek(start)
    if len(block) == 512 and block[257:262] == b"ustar":
        raise RuntimeError("this file uses torch's tar format (PyTorch 0.3 and older), which "
                           "Ember cannot load; load it with torch and save it again")


def _fill(storage, file, swap):
    """Read one storage's element count and bytes into its (possibly GPU) memory."""
    header = file.read(8)
    count = struct.unpack("<q", header)[0] if len(header) == 8 else -1
    if count * storage.dtype.itemsize != storage.nbytes():
        raise RuntimeError(f"storage of {storage.size()} elements has a corrupt size in the file")
    host = storage.raw if isinstance(storage.raw, numpy.ndarray) else numpy.empty(
        storage.nbytes(), numpy.uint8)
    if file.readinto(memoryview(host)) != host.nbytes:
        raise RuntimeError("unexpected end of file while reading a storage")
    if swap and storage.dtype.itemsize > 1:
        host.view(storage.dtype.np).byteswap(inplace=True)
    if host is not storage.raw:
        storage.raw[...] = _to_device(host, storage)


def _to_device(host, storage):
    from ember import _backend

    return _backend.cuda_module(storage.device).asarray(host)
