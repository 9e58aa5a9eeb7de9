"""Saving: a pickler that writes Ember objects in torch's vocabulary.

A tensor becomes ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
requires_grad, OrderedDict())`` whose storage is the persistent id ``('storage',
torch.FloatStorage, key, location, numel)``; a Parameter becomes ``_rebuild_parameter(data,
requires_grad, OrderedDict())``; dtypes, devices and Sizes become ``torch.float32``,
``torch.device('cpu')`` and ``torch.Size((2, 3))``. Tensors viewing one memory block share one
storage record, so views stay views after loading (in torch or Ember).
"""

from __future__ import annotations

import collections
import pickle

import numpy

from ember import _backend
from ember._device import device as Device
from ember._dtype import dtype as DType
from ember._ops.strided import _owner, data_ptr
from ember._serialization_rebuild import STORAGE_NAMES
from ember._tensor import Size, Tensor


class TorchName:
    """A global written under torch's name (``torch._utils._rebuild_tensor_v2``) without
    importing torch; only ever pickled, never called."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.module}.{self.name} is a name written into files, not a function")

    def __repr__(self):
        return f"<torch name {self.module}.{self.name}>"


_NAMES = {}


def torch_name(module, name):
    """One object per name, so the pickle memo refers back to it as torch's pickles do."""
    key = (module, name)
    if key not in _NAMES:
        _NAMES[key] = TorchName(module, name)
    return _NAMES[key]


def _unshared(text):
    """An equal string that is a distinct object.

    NOTE: with protocol 4+, the pickle memo shares equal strings only when they are the same
    object. torch's C-level types (torch.device, torch.Size, dtypes) name themselves with string
    objects of their own, so their names are never shared with a dict key "device" elsewhere in
    the pickle; dtypes share one module string among themselves only. Copies reproduce that."""
    return text.encode().decode()


_DTYPE_MODULE = _unshared("torch")
_DEVICE = TorchName("torch", _unshared("device"))
_SIZE = TorchName("torch", _unshared("Size"))

REBUILD_TENSOR = torch_name("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = torch_name("torch._utils", "_rebuild_parameter")


class StorageRecord:
    """One memory block to write as ``data/<key>``; seen as ``dtype``."""

    __slots__ = ("key", "owner", "dtype", "location")

    def __init__(self, key, owner, dtype, location):
        self.key, self.owner, self.dtype, self.location = key, owner, dtype, location

    def raw_bytes(self):
        """The block's bytes as a flat uint8 NumPy array (copied to the host from a GPU)."""
        return _backend.to_host(self.owner.reshape(-1, order="A").view(numpy.uint8))

    @property
    def numel(self):
        return self.owner.nbytes // self.dtype.itemsize


# NOTE: pickle's pure-Python Pickler is used because only it lets save_global write a name that
# does not resolve to the object being saved (the C Pickler imports the module to check).
class TorchPickler(pickle._Pickler):
    """Pickles ``obj`` as torch.save does; collects the storages to write after the pickle."""

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.records = {}  # id(memory owner) -> StorageRecord, in key order
        self._locations = {}

    def persistent_id(self, obj):
        if type(obj) is StorageRecord:
            storage_type = torch_name("torch", STORAGE_NAMES[obj.dtype.name])
            return ("storage", storage_type, obj.key, obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        cls = type(obj)
        if cls is TorchName:
            return obj.name  # pickle then calls save_global(obj, name)
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if cls is DType:
            return obj.name
        if cls is Device:
            kind = _unshared(obj.type)  # not shared with the storages' "cpu", as in torch
            args = (kind,) if obj.index is None else (kind, obj.index)
            return (_DEVICE, args)
        if cls is Size:
            return (_SIZE, (tuple(obj),))
        return NotImplemented

    def save_global(self, obj, name=None):
        if type(obj) is TorchName:
            module, name = obj.module, obj.name
        elif type(obj) is DType:
            module, name = _DTYPE_MODULE, _unshared(obj.name)
        else:
            return super().save_global(obj, name)
        if self.proto >= 4:
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
        self.memoize(obj)

    def _reduce_tensor(self, t):
        from ember.nn.parameter import Parameter

        hooks = collections.OrderedDict()  # torch writes an empty one per tensor
        if isinstance(t, Parameter):
            return (REBUILD_PARAMETER, (t.detach(), t.requires_grad, hooks))
        record, offset, stride = self._storage_of(t)
        size = tuple(int(n) for n in t.shape)
        return (REBUILD_TENSOR, (record, offset, size, stride, t.requires_grad, hooks))

    def _storage_of(self, t):
        """(record, element offset, element strides) of ``t`` inside the memory it views."""
        array, item = t._data, t.dtype.itemsize
        owner = _owner(array)
        if not _lies_in(array, owner, item):
            # NOTE: CuPy gives views made from a raw pointer (diagonal, as_strided) no ``base``:
            # look for a block already saved that holds them; else the tensor gets its own copy
            owner = self._saved_block_holding(array, item)
            if owner is None:
                array = owner = array.copy(order="C")
        record = self.records.get(id(owner))
        if record is None:
            record = StorageRecord(str(len(self.records)), owner, t.dtype, self._location(t))
            self.records[id(owner)] = record
        elif record.dtype is not t.dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data "
                               "as different types")
        offset = (data_ptr(array) - data_ptr(owner)) // item
        return record, offset, tuple(s // item for s in array.strides)

    def _saved_block_holding(self, array, item):
        for record in self.records.values():
            if _lies_in(array, record.owner, item):
                return record.owner
        return None

    def _location(self, t):
        # NOTE: the same string object for the same device, so the memo shares it as torch does
        d = t.device
        text = "cpu" if d.type == "cpu" else f"{d.type}:{d.index or 0}"
        return self._locations.setdefault(text, text)


def _lies_in(array, owner, item):
    """Whether ``array`` views ``owner``'s memory in a way torch can describe: a contiguous
    block, whole elements from its start, non-negative strides, every element inside."""
    on_host = isinstance(array, numpy.ndarray)
    if on_host != isinstance(owner, numpy.ndarray) or (not on_host and
                                                       array.device != owner.device):
        return False
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous) or owner.nbytes % item:
        return False
    start = data_ptr(array) - data_ptr(owner) if owner.nbytes else 0
    if start < 0 or start % item or any(s < 0 or s % item for s in array.strides):
        return False
    extent = 0 if array.size == 0 else item + sum((n - 1) * s for n, s in zip(array.shape,
                                                                            array.strides))
    return start + extent <= owner.nbytes


# -- the legacy (pre-zip) format's header -----------------------------------------------------

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
