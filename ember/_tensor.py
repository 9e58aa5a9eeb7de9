"""Tensor: metadata, Python protocols and one-line methods that call ember._ops (no math here)."""

from __future__ import annotations

import builtins

from ember import _settings
from ember._device import CPU
from ember._dtype import _FROM_NP, FLOAT
from ember._ops import _op as _op_module
from ember._ops import conversion as Cv
from ember._ops import creation as C
from ember._ops import index as I
from ember._ops import legacy as Lg
from ember._ops import shape as S
from ember._ops import strided as St
from ember._tensor_methods import TensorMethods


class _Version:
    """The version counter, shared by a base tensor and all its views; in-place ops bump it."""

    # NOTE: no __init__: the class-level 0 serves until the first bump, which makes creating a
    # counter (done for every tensor) nearly free
    value = 0


class Size(tuple):
    """torch.Size: a tuple of ints that prints as ``ember.Size([2, 3])``."""

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, other))


class Tensor(TensorMethods):
    """A multi-dimensional array with autograd, same semantics as torch.Tensor."""

    __slots__ = ("_data", "dtype", "device", "_requires_grad", "_version", "__dict__",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray + Tensor comes to Tensor.__radd__

    # rarely-set fields live in __dict__, with these class-level defaults
    _grad = None
    _grad_fn = None
    _view_version = None  # on a view: the base's version when grad_fn was set
    _output_nr = 0
    _base = None
    _hooks = None
    _post_acc_hooks = None
    _retains_grad = False
    _accumulator = None

    def __new__(cls, *args, **kwargs):
        return Lg.legacy_new(cls, *args, **kwargs) if cls is Tensor else object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass  # all construction happens in __new__ (legacy Tensor(*sizes) / Tensor(data))

    @staticmethod
    def _make(array, device=CPU):
        """Wrap a backend array without copying; its dtype becomes the tensor's dtype."""
        t = object.__new__(Tensor)
        t._data = array
        t.dtype = _FROM_NP[array.dtype]
        t.device = device
        t._requires_grad = False
        t._version = _Version()
        return t

    # -- autograd metadata -----------------------------------------------------------------

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if not isinstance(value, builtins.bool):
            raise RuntimeError("requires_grad must be a bool")
        _meta.set_requires_grad(self, value, "only Tensors of floating point and complex dtype "
                                "can require gradients")

    def requires_grad_(self, requires_grad=True):
        if not isinstance(requires_grad, builtins.bool):
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        _meta.set_requires_grad(self, requires_grad, "only Tensors of floating point dtype can "
                                "require gradients")
        return self

    @property
    def grad_fn(self):
        """The node that made this tensor. A view whose base changed in place since then gets a
        fresh node, as torch regenerates it."""
        if self._base is not None and _meta.view_is_stale(self):
            return _meta.refresh_view(self)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node):
        self._grad_fn = node
        if self._base is not None:
            self._view_version = self._version.value

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        grad = self._grad
        if grad is None and not self._retains_grad and self.grad_fn is not None:
            _meta.warn_non_leaf_grad()
        return grad

    @grad.setter
    def grad(self, value):
        _meta.check_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def _grad_accumulator(self):
        # NOTE: the leaf holds its node; the node holds the leaf weakly, so there is no cycle
        acc = self._accumulator
        if acc is None:
            acc = self._accumulator = _AccumulateGrad(self)
        return acc

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute gradients of this tensor w.r.t. graph leaves (torch.Tensor.backward)."""
        if inputs is None and (gradient is None or gradient.__class__ is Tensor):
            # the common call skips autograd.backward's argument normalisation
            if create_graph:
                _engine.run_backward((self,), (gradient,), retain_graph, create_graph)
            else:
                _engine.backward_plain(self, gradient, retain_graph)
            return
        from ember import autograd

        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        from ember.autograd import _hooks as hooks

        return hooks.register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        from ember.autograd import _hooks as hooks

        return hooks.register_post_accumulate_hook(self, hook)

    def retain_grad(self):
        from ember.autograd import _hooks as hooks

        hooks.retain_grad(self)

    @property
    def retains_grad(self):
        return self._retains_grad

    def detach(self):
        """A tensor sharing data and version counter, cut from the graph (torch.Tensor.detach)."""
        out = Tensor._make(self._data, self.device)
        out._version = self._version
        return out

    def detach_(self):
        """Cut this tensor from the graph in place; views refuse, with torch's message."""
        if self._base is not None:
            raise RuntimeError(_meta.DETACH_VIEW_MESSAGE)
        self.grad_fn, self._requires_grad = None, False
        return self

    @property
    def data(self):
        """The same memory, cut from the graph, with its own version counter (torch)."""
        return Tensor._make(self._data, self.device)

    @data.setter
    def data(self, value):
        _meta.check_data(self, value)
        self._data, self.dtype, self.device = value._data, value.dtype, value.device

    # -- metadata --------------------------------------------------------------------------

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[S.wrap_dim(dim, self._data.ndim)]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self.dtype.itemsize

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self._data.size * self.dtype.itemsize

    def stride(self, dim=None):
        strides = tuple(s // self.dtype.itemsize for s in self._data.strides)
        return strides if dim is None else strides[S.wrap_dim(dim, self._data.ndim)]

    def storage_offset(self):
        return St.storage_offset(self)

    def data_ptr(self):
        return St.data_ptr(self._data)

    def is_contiguous(self, memory_format=None):
        return St.is_contiguous(self)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def layout(self):
        """ember.strided: Ember's tensors are all dense and strided (Tensor.layout)."""
        return _settings.strided

    def is_floating_point(self):
        return self.dtype.category == FLOAT

    def is_complex(self):
        return self.dtype.is_complex

    def get_device(self):
        return -1 if self.device.type == "cpu" else self.device.index

    def __hash__(self):
        return id(self)

    def __repr__(self):
        from ember._tensor_str import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0 and not self._requires_grad:
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    # -- Python and NumPy interop ------------------------------------------------------------

    def numpy(self, *, force=False):
        return Cv.to_numpy(self, force)

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy(force=False) if not self._requires_grad else self.detach().numpy()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def item(self):
        return Cv.item(self)

    def tolist(self):
        return Cv.tolist(self)

    def __bool__(self):
        return builtins.bool(Cv.scalar_value(self, "Boolean"))

    def __float__(self):
        return builtins.float(Cv.scalar_value(self, "float"))

    def __int__(self):
        return builtins.int(Cv.scalar_value(self, "int"))

    def __complex__(self):
        return builtins.complex(Cv.scalar_value(self, "complex"))

    def __index__(self):
        return Cv.index_value(self)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element):
        return builtins.bool((self == element).any())

    def __getitem__(self, index):
        return I.getitem(self, index)

    def __setitem__(self, index, value):
        I.setitem(self, index, value)

    def __reduce_ex__(self, protocol):
        return (C.tensor_from_pickle, (Cv.to_numpy(self.detach(), True), str(self.device),
                                       self._requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        out = Tensor._make(self._data.copy(), self.device)
        out._requires_grad = self._requires_grad
        if type(self) is not Tensor:
            out = type(self)(out, self._requires_grad)
        memo[id(self)] = out
        return out


_op_module.Tensor = Tensor  # the Op machinery wraps results in this class

from ember.autograd import _meta  # noqa: E402
from ember.autograd import engine as _engine  # noqa: E402
from ember.autograd._accumulate import AccumulateGrad as _AccumulateGrad  # noqa: E402
