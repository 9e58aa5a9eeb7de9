"""DataParallel and data_parallel with torch.nn.parallel's arguments, attributes and errors.

torch splits each batch over ``device_ids``, runs a replica of the module on every GPU and
gathers the outputs. Where no GPU exists torch just runs the module, and so does Ember; with
one GPU the scatter and gather reduce to moving the inputs to it. Several GPUs raise
NotImplementedError: Ember has no multi-GPU scatter / replicate / gather yet.
"""

from __future__ import annotations

from itertools import chain

from ember import cuda
from ember._device import device as _device
from ember._tensor import Tensor
from ember.nn.modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_index(value):
    """torch's _get_device_index(value, optional=True) for CUDA devices."""
    if isinstance(value, int):
        return value
    value = _device(value)
    if value.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {value}")
    return 0 if value.index is None else value.index


def _resolve(device_ids, output_device):
    if device_ids is None:
        device_ids = list(range(cuda.device_count()))
    device_ids = [_device_index(d) for d in device_ids]
    if not device_ids:
        raise RuntimeError("no available devices were found")
    if len(device_ids) > 1:
        raise NotImplementedError(
            f"DataParallel over more than one GPU (device_ids={device_ids}) is not supported: "
            "Ember has no multi-GPU scatter/replicate/gather yet. Pass device_ids=[0] (one "
            "GPU) or use one process per GPU.")
    output_device = device_ids[0] if output_device is None else _device_index(output_device)
    return device_ids, output_device


def _to(obj, device):
    """torch's scatter onto a single device: tensors (also inside tuples, lists and dicts)
    move there, differentiably; anything else is passed as it is."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(_to(v, device) for v in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to(v, device) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _to(v, device)) for k, v in obj.items())
    return obj


def _check_module_device(module, device):
    for t in chain(module.parameters(), module.buffers()):
        if t.device != device:
            raise RuntimeError("module must have its parameters and buffers on device "
                               f"{device} (device_ids[0]) but found one of them on device: "
                               f"{t.device}")


class DataParallel(Module):
    """Wraps ``module`` (as ``self.module``, so state_dict keys start with ``module.``) and
    runs it over the batch on ``device_ids`` (torch.nn.DataParallel).

    Without a GPU ``device_ids`` is [] and forward just calls the module, as torch does. On one
    GPU the module moves there and inputs are copied there. More than one GPU in
    ``device_ids`` (the default on a multi-GPU machine) raises NotImplementedError."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not cuda.is_available():
            self.module = module
            self.device_ids = []
            return
        self.dim = dim
        self.module = module
        self.device_ids, self.output_device = _resolve(device_ids, output_device)
        self.src_device_obj = _device("cuda", self.device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        _check_module_device(self.module, self.src_device_obj)
        inputs, kwargs = _to(inputs, self.src_device_obj), _to(kwargs, self.src_device_obj)
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """Run ``module`` on ``inputs`` over ``device_ids`` without a wrapper module
    (torch.nn.parallel.data_parallel). As torch, it needs a GPU: without one it raises
    RuntimeError; with several, NotImplementedError (see DataParallel)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not cuda.is_available():
        raise RuntimeError("device type could not be determined")
    device_ids, _ = _resolve(device_ids, output_device)
    device = _device("cuda", device_ids[0])
    _check_module_device(module, device)
    return module(*_to(inputs, device), **_to(module_kwargs or {}, device))
