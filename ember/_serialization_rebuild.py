"""Loading torch's pickles: storages, the rebuild functions torch's pickles call, and the table
that maps torch's global names to the Ember objects built in their place (no torch needed)."""

from __future__ import annotations

import codecs
import collections
import importlib
import pickle

import numpy

from ember import _backend, _dtype
from ember._device import CPU
from ember._device import device as Device
from ember._ops import legacy
from ember._ops.strided import data_ptr, strided_view
from ember._tensor import Size, Tensor

# torch's legacy storage class per dtype; torch pickles the class as the storage's type
STORAGE_NAMES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
    "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage",
}


class StorageType:
    """What a pickled storage class (torch.FloatStorage, torch.UntypedStorage) loads as: its
    dtype (torch.serialization.StorageType's role)."""

    def __init__(self, dtype, name):
        self.dtype, self.name = dtype, name

    def __repr__(self):
        return f"StorageType(dtype={self.dtype})"


class TypedStorage:
    """A storage read from a file: flat bytes on a device, seen as ``dtype``. Every tensor rebuilt
    from one storage is a view of the same memory, as in torch. A ``map_location`` callable
    receives one (on the CPU) and returns it, or ``storage.cuda(i)`` / ``storage.cpu()``."""

    def __init__(self, raw, dtype, device=CPU):
        self.raw, self.dtype, self.device = raw, dtype, device

    @property
    def array(self):
        """The storage's elements as a flat array of its dtype, sharing its memory."""
        return self.raw.view(self.dtype.np)

    def size(self):
        return self.raw.nbytes // self.dtype.itemsize

    __len__ = size

    def nbytes(self):
        return self.raw.nbytes

    def element_size(self):
        return self.dtype.itemsize

    def data_ptr(self):
        return data_ptr(self.raw) if self.raw.nbytes else 0

    def tolist(self):
        return self.array.tolist()

    def cpu(self):
        if self.device.type == "cpu":
            return self
        return TypedStorage(_backend.to_host(self.raw), self.dtype, CPU)

    def cuda(self, device=None, non_blocking=False):
        target = Device("cuda", 0 if device is None else Device(device).index or 0)
        if self.device == target:
            return self
        xp = _backend.cuda_module(target)
        with xp.cuda.Device(target.index):
            raw = xp.asarray(_backend.to_host(self.raw))
        return TypedStorage(raw, self.dtype, target)

    def __repr__(self):
        return f"TypedStorage(dtype={self.dtype}, device={self.device}, size={self.size()})"


# -- rebuild functions (torch._utils' names) --------------------------------------------------


def rebuild_tensor(storage, storage_offset, size, stride):
    """A tensor viewing ``storage`` with the given geometry (torch._utils._rebuild_tensor)."""
    if not isinstance(storage, TypedStorage):
        raise pickle.UnpicklingError(f"expected a storage to rebuild a tensor, got "
                                     f"{type(storage).__name__}")
    size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    offset = _int_tuple((storage_offset,), "storage offset")[0]
    _check_bounds(size, stride, offset, storage)
    item = storage.dtype.itemsize
    array = strided_view(storage.array, size, tuple(s * item for s in stride), offset * item)
    return Tensor._make(array, storage.device)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      metadata=None):
    """torch._utils._rebuild_tensor_v2: the tensor, then its requires_grad (hooks are dropped,
    as torch's own saves never carry any)."""
    tensor = rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad is True:
        tensor.requires_grad_(True)
    return tensor


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype, metadata=None):
    """torch._utils._rebuild_tensor_v3: an untyped storage seen as ``dtype``."""
    if not isinstance(storage, TypedStorage) or not isinstance(dtype, _dtype.dtype):
        raise pickle.UnpicklingError("_rebuild_tensor_v3 needs a storage and an Ember dtype")
    typed = TypedStorage(storage.raw, dtype, storage.device)
    return rebuild_tensor_v2(typed, storage_offset, size, stride, requires_grad, backward_hooks)


def rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter."""
    from ember.nn.parameter import Parameter

    return Parameter(data, requires_grad)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """torch._utils._rebuild_parameter_with_state: a Parameter with Python attributes."""
    return set_state(rebuild_parameter(data, requires_grad, backward_hooks), state)


def rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a tensor built by ``func`` made a ``new_type``
    (Tensor or Parameter), with the Python attributes in ``state``."""
    from ember.nn.parameter import Parameter

    result = func(*args)
    if new_type is Parameter and type(result) is not Parameter:
        result = Parameter(result, result.requires_grad)
    elif new_type not in (Tensor, Parameter):
        raise pickle.UnpicklingError(f"cannot rebuild a tensor as {new_type}")
    return set_state(result, state)


def set_state(obj, state):
    """Python attributes saved with a tensor (torch._utils._set_obj_state); never overwrites an
    attribute the class defines, so a file cannot replace a tensor's internals."""
    dict_state, slots_state = state if isinstance(state, tuple) else (state, None)
    for part in (dict_state, slots_state):
        for name, value in (part or {}).items():
            if not isinstance(name, str) or hasattr(type(obj), name):
                raise pickle.UnpicklingError(f"refusing to set attribute {name!r} on a tensor")
            setattr(obj, name, value)
    return obj


def _int_tuple(values, what):
    if not isinstance(values, (tuple, list)) or not all(
            type(v) is int for v in values):
        raise pickle.UnpicklingError(f"tensor {what} must be a tuple of ints, got {values!r}")
    if any(v < 0 for v in values):
        raise RuntimeError(f"Tensor: invalid {what} {list(values)}")
    return tuple(values)


def _check_bounds(size, stride, offset, storage):
    """torch's setStorage check: the view must lie inside its storage (a crafted file must not
    reach memory outside it)."""
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    item = storage.dtype.itemsize
    needed = 0 if 0 in size else item * (offset + 1 + sum((n - 1) * s
                                                         for n, s in zip(size, stride)))
    if needed > storage.nbytes():
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{needed} are out of bounds for storage of size {storage.nbytes()}")


def _unsupported(name):
    def refuse(*args, **kwargs):
        raise RuntimeError(f"Ember cannot load tensors saved through {name} (sparse, quantized, "
                           "nested, meta and tensor-subclass tensors are not supported)")

    return refuse


# -- torch's names ----------------------------------------------------------------------------


def _build_safe_globals():
    """torch's weights-only allowlist, as far as Ember has the objects: (module, name) -> object."""
    from ember.nn.parameter import Parameter

    table = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "Counter"): collections.Counter,
        ("torch.nn.parameter", "Parameter"): Parameter,
        ("torch", "Tensor"): Tensor, ("torch", "Size"): Size, ("torch", "device"): Device,
        ("_codecs", "encode"): codecs.encode, ("builtins", "bytearray"): bytearray,
        ("builtins", "set"): set, ("builtins", "complex"): complex,
        ("torch._utils", "_rebuild_tensor"): rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter_with_state,
        ("torch._tensor", "_rebuild_from_type_v2"): rebuild_from_type_v2,
        ("torch.storage", "UntypedStorage"): StorageType(_dtype.uint8, "UntypedStorage"),
    }
    for d in _dtype.ALL:
        table["torch", d.name] = d
        table["torch", STORAGE_NAMES[d.name]] = StorageType(d, STORAGE_NAMES[d.name])
    for name in ("sparse_tensor", "qtensor", "nested_tensor", "meta_tensor_no_storage",
                 "wrapper_subclass", "device_tensor_from_numpy",
                 "device_tensor_from_cpu_tensor"):
        table["torch._utils", f"_rebuild_{name}"] = _unsupported(f"_rebuild_{name}")
    return table


_SAFE_GLOBALS = None
_TENSOR_TYPE_NAMES = ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char",
                      "Byte", "Bool")


def safe_globals():
    """The allowlist, built on first use (ember.nn is imported after this module)."""
    global _SAFE_GLOBALS
    if _SAFE_GLOBALS is None:
        _SAFE_GLOBALS = _build_safe_globals()
        for name in _TENSOR_TYPE_NAMES:
            _SAFE_GLOBALS["torch", f"{name}Tensor"] = getattr(legacy, f"{name}Tensor")
    return _SAFE_GLOBALS


# pickles written by Python 2 era protocols name these modules differently
_OLD_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


def find_torch_global(module, name):
    """torch's name -> the Ember object (or the same module path under ``ember``), for full
    (not weights-only) loads of files that pickled torch objects, such as whole modules."""
    module = _OLD_MODULES.get(module, module)
    found = safe_globals().get((module, name))
    if found is not None:
        return found
    if module != "torch" and not module.startswith("torch."):
        return None
    ember_module = "ember" + module[len("torch"):]
    try:
        target = importlib.import_module(ember_module)
        for part in name.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        raise pickle.UnpicklingError(f"this file needs {module}.{name}, which Ember does not "
                                     f"have (looked for {ember_module}.{name})") from None
    return target


def full_unpickler(pickle_module):
    """weights_only=False: ``pickle_module``'s Unpickler, loading any global, with torch's names
    mapped to Ember's."""

    class FullUnpickler(pickle_module.Unpickler):
        def __init__(self, file, persistent_load, **kwargs):
            super().__init__(file, **kwargs)
            self._persistent_load = persistent_load

        def find_class(self, module, name):
            found = find_torch_global(module, name)
            return super().find_class(module, name) if found is None else found

        def persistent_load(self, pid):
            return self._persistent_load(pid)

    return FullUnpickler


def new_storage(nbytes, dtype):
    """An uninitialised CPU storage of ``nbytes`` (its memory is filled by the caller)."""
    return TypedStorage(numpy.empty(nbytes, numpy.uint8), dtype)
