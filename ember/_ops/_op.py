"""The Op: the one place an operation is defined.

``forward`` runs on raw backend arrays (NumPy or CuPy, through ``self.xp``); ``backward`` runs on
Ember tensors, so it is itself differentiable and ``create_graph=True`` gives higher-order
gradients.
An Op instance that records a graph *is* the graph node (torch's ``grad_fn``): it keeps its edges to
the inputs' nodes, the inputs' metadata and the values ``forward`` saved.
"""

from __future__ import annotations

import itertools
import re

from ember import _dtype
from ember._backend import xp_of
from ember._device import CPU as _CPU
from ember._dtype import FLOAT, INT
from ember._ops._node import Node
from ember.autograd.grad_mode import state as _grad_state

_sequence = itertools.count()


class Op(Node):
    """Base of every primitive operation. Subclasses set ``promote`` and write forward/backward.

    promote: "binary" (inputs cast to the promoted dtype), "float" (as binary, then integers and
    bools become the default float), "keep" (inputs as they are), "int64_acc" (integers and bools
    accumulate in int64, as torch's sum and prod do).
    """

    # NOTE: the fields every recorded op sets are slots (faster to set and read than the
    # instance dict, which subclasses still have for their own parameters)
    __slots__ = ("xp", "_compute_dtype", "_recording", "_inputs", "_in_arrays", "_seq", "_edges",
                 "_input_meta", "_output_device", "_saved")

    promote = "binary"
    opmath_scalars = False  # see _prepare
    _opmath = None  # set when a half-precision op computes in float32 (see _prepare)
    is_view = False  # the output shares memory (and the version counter) with input 0
    differentiable = True
    _unmarked = False  # save() kept an array that may be an output, to be marked as one

    @property
    def needs_input_grad(self):
        """Per input: does its gradient flow anywhere (torch's ctx.needs_input_grad)."""
        return [bool(e) for e in self._edges]

    def apply(self, *args):
        """Run forward on the arrays of ``args`` (tensors and Python scalars); wrap the result."""
        # one pass over the arguments; the common case is tensors of one dtype on one device
        first, uniform, wants_grad, arrays = None, True, False, []
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if first is None:
                    first = a
                elif a.dtype is not first.dtype or a.device is not first.device:
                    uniform = False
                if a._requires_grad:
                    wants_grad = True
            else:
                arrays.append(a)
                uniform = False
        policy = self.promote
        if uniform and (policy == "binary" or policy == "keep" or first.dtype.category >= FLOAT):
            self._compute_dtype = None if policy == "keep" else first.dtype
            tensors = args
        elif policy == "keep" and _on_one_device(args, first):
            # nothing to promote or cast: mixed dtypes and non-tensor operands (an optional
            # None, a Python number) go to forward as they are
            self._compute_dtype, tensors = None, args
        else:
            args, tensors, arrays = self._prepare(args)
        device = first.device
        self.xp = xp = _numpy if device is _CPU else xp_of(device)
        if wants_grad and _grad_state.enabled and self.differentiable:
            record = self._recording = True
            self._inputs, self._in_arrays, self._saved = args, arrays, ()
        else:
            record = self._recording = False
        try:
            out = self.forward(*arrays)
        except ValueError:
            _raise_broadcast_error(tensors)  # torch's RuntimeError when shapes clash
            raise
        xp = self.xp  # NOTE: a copy to another device (ToCopyBackward0) sets the target's module
        if self._opmath is not None:
            out = _round_opmath(out, self._opmath)
        if out.__class__ is tuple:
            outputs = tuple(_wrap(o, device, xp) for o in out)
        else:
            # _wrap, inlined: this is every op's path
            outputs = Tensor._make(out if out.__class__ is xp.ndarray else xp.asarray(out),
                                   device)
        if self.is_view:
            _share_storage(outputs, args[0])
        if record:
            self._record(args, outputs, out)
        return outputs

    def _prepare(self, args):
        """The general case of apply: device checks, promotion, casts, foreign operands."""
        tensors = [a for a in args if isinstance(a, Tensor)]
        device = tensors[0].device
        for t in tensors:
            if t.device is not device and t.device != device:
                _check_devices(tensors)
        try:
            self._compute_dtype = dtype = self._promoted_dtype(args, tensors)
        except TypeError:  # an operand that is neither a tensor nor a Python number
            args = _foreign_operands(args)
            tensors = [a for a in args if isinstance(a, Tensor)]
            self._compute_dtype = dtype = self._promoted_dtype(args, tensors)
        arrays = [_array_for(a, dtype) for a in args]
        if self.opmath_scalars and dtype is not None and dtype.itemsize == 2 and (
                dtype.category == FLOAT):
            # NOTE: torch's mul and div of a half tensor by a Python number compute in float32
            # ("opmath") and round once; add and sub round the number to half first
            self._opmath = dtype
            arrays = [_numpy.float32(a) if not isinstance(a, Tensor) and isinstance(
                v, _numpy.generic) else v for a, v in zip(args, arrays)]
        return args, tensors, arrays

    # -- dtype policy -----------------------------------------------------------------------

    def _promoted_dtype(self, args, tensors):
        policy = self.promote
        if policy == "keep":
            return None
        dtype = tensors[0].dtype
        if len(args) != 1 and (len(tensors) != len(args) or any(
                t.dtype is not dtype for t in tensors)):
            dtype = result_type(*args)
        if policy == "float" and dtype.category < FLOAT:
            return _dtype._default_float
        if policy == "int64_acc" and dtype.category <= INT:
            return _dtype.int64
        return dtype

    # -- saving values for backward ---------------------------------------------------------

    def save(self, *values):
        """Keep values for backward. Inputs are kept as tensors (version-checked), outputs as arrays
        (no reference cycle), anything else as a constant array."""
        if not self._recording:
            return
        inputs, arrays = self._inputs, self._in_arrays
        entries = []
        for v in values:
            entry = _NOTHING_SAVED
            if v is not None:
                entry = ("array", v, None)
                for i, array in enumerate(arrays):
                    if array is v:
                        source = inputs[i]
                        if isinstance(source, Tensor):
                            entry = ("input", source, source._version.value)
                            break
                else:
                    self._unmarked = True  # maybe an output: _record will see (_mark_outputs)
            entries.append(entry)
        self._saved = entries

    def save_inputs(self, *positions):
        """save() for operands named by their position in the call (None: nothing needed), the
        hot ops' shortcut: no search for which values are inputs."""
        if not self._recording:
            return
        inputs = self._inputs
        entries = []
        for i in positions:
            if i is None:
                entries.append(_NOTHING_SAVED)
            elif isinstance(inputs[i], Tensor):
                entries.append(("input", inputs[i], inputs[i]._version.value))
            else:  # a Python number: kept as the scalar forward received
                entries.append(("array", self._in_arrays[i], None))
        self._saved = entries

    @property
    def saved(self):
        """The saved values as tensors: inputs keep their history, outputs point back here."""
        if self._freed:
            _raise_freed()
        return tuple([self._unpack(e) for e in self._saved])

    @property
    def saved_arrays(self):
        """The saved values as raw arrays (for backward_arrays), version-checked as ``saved``."""
        if self._freed:
            _raise_freed()
        arrays, dtype = [], self._compute_dtype
        for entry in self._saved:
            value = entry[1]
            # the common entry, inlined: an unmodified input already in the computing dtype
            if entry[0] == "input" and value._version.value == entry[2] and (
                    dtype is None or value.dtype is dtype):
                arrays.append(value._data)
            else:
                arrays.append(self._unpack_array(entry))
        return arrays

    def _unpack_array(self, entry):
        kind, value, version = entry
        if kind == "array":
            return value
        if value._version.value != version:
            _raise_modified(value, version, self)
        dtype = self._compute_dtype
        if kind == "input" and dtype is not None and value.dtype is not dtype:
            return value._data.astype(dtype.np)
        return value._data

    def _unpack(self, entry):
        kind, value, version = entry
        if kind == "array":
            if not hasattr(value, "dtype"):
                return value  # a Python scalar operand
            return Tensor._make(value, self._output_device)
        tensor = value
        if tensor._version.value != version:
            _raise_modified(tensor, version, self)
        if kind == "output":
            out = Tensor._make(tensor._data, self._output_device)
            out.grad_fn, out._output_nr, out._requires_grad = self, tensor._output_nr, True
            return out
        if self._compute_dtype is not None and tensor.dtype is not self._compute_dtype:
            return tensor.to(self._compute_dtype)
        return tensor

    # -- graph recording --------------------------------------------------------------------

    def _record(self, args, outputs, raw=None):
        self._seq = next(_sequence)
        self._edges = edges = []
        self._input_meta = meta = []
        for a in args:
            if isinstance(a, Tensor):
                meta.append((a._data.shape, a.dtype))
                if not a._requires_grad:
                    edges.append(None)
                elif a._base is not None:
                    edges.append(_edge(a))
                elif a._grad_fn is not None:
                    edges.append((a._grad_fn, a._output_nr))
                else:  # a leaf
                    edges.append((a._accumulator or a._grad_accumulator(), 0))
            else:
                edges.append(False)
                meta.append(None)
        self._in_arrays = self._inputs = None
        if outputs.__class__ is not tuple:
            # one output, the common case
            self._output_device = outputs.device
            if self._unmarked:
                self._mark_outputs((outputs,), (raw,))
            if outputs.dtype.category >= FLOAT:
                # (a fresh tensor from apply: its _output_nr is 0 already)
                outputs._grad_fn, outputs._requires_grad = self, True
                if outputs._base is not None:
                    outputs._view_version = outputs._version.value  # see Tensor.grad_fn
            return
        self._n_outputs = len(outputs)
        self._output_meta = tuple((o._data.shape, o.dtype, o.device) for o in outputs)
        self._output_device = outputs[0].device
        if self._unmarked:
            self._mark_outputs(outputs, raw)
        for nr, out in enumerate(outputs):
            if out.dtype.category >= FLOAT:
                out._grad_fn, out._output_nr, out._requires_grad = self, nr, True
                if out._base is not None:
                    out._view_version = out._version.value  # see Tensor.grad_fn

    def _mark_outputs(self, outs, raws):
        self._saved = [self._mark_output(e, outs, raws) for e in self._saved]

    def _mark_output(self, entry, outs, raws=()):
        if entry[0] == "array" and entry[1] is not None:
            # NOTE: forward may return a 0-dim result as a NumPy scalar, which _wrap replaced by
            # an array: the saved value is then the raw result, not the output's data
            for nr, (out, raw) in enumerate(zip(outs, raws or [None] * len(outs))):
                if out._data is entry[1] or raw is entry[1]:
                    saved = _SavedOutput(out)
                    saved._output_nr = nr  # outputs are numbered after saving: number it here
                    return ("output", saved, out._version.value)
        return entry

    def forward(self, *arrays):
        raise NotImplementedError(f"{self.name()}.forward")

    def backward(self, *grads):
        raise RuntimeError(f"derivative for {self.name()} is not implemented")


_NOTHING_SAVED = ("array", None, None)  # a None passed to save: a gradient that is not needed


class _SavedOutput:
    """A saved output without a reference to the output tensor (that would be a cycle)."""

    __slots__ = ("_data", "_version", "_output_nr", "shape", "dtype")

    def __init__(self, out):
        self._data, self._version, self._output_nr = out._data, out._version, out._output_nr
        self.shape, self.dtype = out.shape, out.dtype

    def retarget(self, tensor):
        """After an in-place op took this output's history, follow the tensor that now holds it."""
        self._data, self._version = tensor._data, tensor._version


def run_forward(op, xp, *arrays):
    """``op``'s forward on raw arrays, recording nothing: what ``op.apply`` computes, for
    ``backward_arrays`` formulas made of other ops."""
    op.xp, op._recording, op._compute_dtype = xp, False, None
    return op.forward(*arrays)


def is_half(array):
    """A 2-byte float array (float16, bfloat16): tensor ops compute these in float32 and round
    once, where NumPy's own arithmetic may not."""
    return array.dtype.itemsize == 2 and array.dtype.kind in "fV"


def _round_opmath(out, dtype):
    if out.__class__ is tuple:
        return tuple(_round_opmath(o, dtype) for o in out)
    return out.astype(dtype.np) if out.dtype == _numpy.float32 else out


def _wrap(array, device, xp):
    if array.__class__ is not xp.ndarray:
        array = xp.asarray(array)  # NumPy returns scalars for 0-d results
    return Tensor._make(array, device)


def plain_pair(input, other):
    """True when a binary op needs none of the machinery: two plain tensors of one dtype on the
    CPU (or a tensor and a Python number of a lower category), and no graph to record."""
    # (a graph to record is the first question: the recording path should lose no time here)
    if input.__class__ is not Tensor or (input._requires_grad and _grad_state.enabled):
        return False
    if input.device.type != "cpu":
        return False
    if other.__class__ is Tensor:
        if other.dtype is not input.dtype or other.device is not input.device:
            return False
        return not (other._requires_grad and _grad_state.enabled)
    kind, dtype = other.__class__, input.dtype
    # NOTE: NumPy widens bfloat16 + float to float32, and raises OverflowError for an int out of
    # a small integer dtype's range where torch wraps; those take the Op path
    if kind is float:
        ok = dtype.category >= FLOAT and dtype.itemsize > 2  # half types: see _prepare
    else:
        ok = kind is int and (dtype.category >= FLOAT or dtype is _dtype.int64)
    return ok


def plain_binary(fn, input, other):
    """Apply a NumPy operator on the fast path of ``plain_pair``; same result as Op.apply."""
    try:
        out = fn(input._data, other._data if other.__class__ is Tensor else other)
    except ValueError:
        _raise_broadcast_error((input, other))
        raise
    if out.__class__ is not _numpy.ndarray:
        out = _numpy.asarray(out)
    return Tensor._make(out, input.device)


def _edge(t):
    if not t._requires_grad:
        return None
    node = t._grad_fn if t._base is None else t.grad_fn  # a view may need a fresh node
    if node is not None:
        return (node, t._output_nr)
    return (t._grad_accumulator(), 0)


def _share_storage(outputs, base):
    for out in outputs if type(outputs) is tuple else (outputs,):
        out._version = base._version
        out._base = base if base._base is None else base._base


def _on_one_device(args, first):
    if first is None:
        return False
    device = first.device
    return all(a.device is device or a.device == device for a in args if isinstance(a, Tensor))


def _array_for(arg, dtype):
    if isinstance(arg, Tensor):
        data = arg._data
        if dtype is not None and arg.dtype is not dtype:
            return data.astype(dtype.np)
        return data
    if dtype is not None and isinstance(arg, (bool, int, float, complex)):
        # a Python scalar becomes a NumPy scalar of the promoted dtype: it never widens the
        # result, and forward code can rely on .dtype
        try:
            return dtype.np.type(arg)
        except (OverflowError, ValueError):
            return _numpy.array(arg).astype(dtype.np)  # wraps around, as torch's cast does
    return arg


def _foreign_operands(args):
    """NumPy operands as torch takes them: arrays become tensors, NumPy scalars Python numbers;
    anything else stays, for result_type's TypeError."""
    converted = []
    for a in args:
        if isinstance(a, _numpy.ndarray):
            from ember._ops.creation import tensor

            a = tensor(a)
        elif isinstance(a, _numpy.generic):
            a = a.item()
        converted.append(a)
    return converted


def result_type(*args):
    """Promote tensors and Python scalars by torch's three tiers (ember.result_type)."""
    dims, zero_dims, scalars = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            (dims if a._data.ndim else zero_dims).append(a.dtype)
        elif a is not None:
            scalars.append(a)
    return _dtype.result_type_of(dims, zero_dims, scalars)


def _raise_broadcast_error(tensors):
    tensors = [t for t in tensors if isinstance(t, Tensor)]
    if len(tensors) > 1:
        from ember._ops.shape import broadcast_shape

        broadcast_shape(*(t._data.shape for t in tensors))


def _check_devices(tensors):
    devices = {t.device for t in tensors if t._data.ndim or t.device.type != "cpu"}
    if len(devices) > 1:
        a, b = sorted(str(d) for d in devices)[:2]
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{b} and {a}!")


def _raise_freed():
    raise RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
        "backward through the graph a second time or if you need to access saved tensors after "
        "calling backward.")


def _raise_modified(tensor, expected, owner):
    """torch's message. It names the node that made the tensor: its grad_fn, or for a saved
    output (kept without a reference to the tensor) the node that saved it."""
    fn = owner if isinstance(tensor, _SavedOutput) else tensor.grad_fn
    made_by = ""
    if fn is not None:
        short_name = re.sub(r"Backward\d*$", "", fn.name())  # torch: "output 0 of Mul"
        made_by = f", which is output {tensor._output_nr} of {short_name},"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{_legacy_type_name(tensor)} {list(tensor.shape)}]{made_by} is at version "
        f"{tensor._version.value}; expected version {expected} instead. Hint: enable anomaly "
        "detection to find the operation that failed to compute its gradient, with "
        "ember.autograd.set_detect_anomaly(True, check_nan=False).")


def _legacy_type_name(t):
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
             "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
             "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
    return f"torch.{names[t.dtype.name]}Tensor"


Tensor = None  # set by ember._tensor once the class exists (the two modules need each other)


import numpy as _numpy  # noqa: E402 - the CPU backend; CuPy arrays report their own namespace
